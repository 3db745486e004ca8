"""How long ``decide`` takes to group a whole library's open decisions, beside reading the
queue alone.

    python benchmarks/decide_scale.py [--artists 930] [--tracks 17274] [--open 5000]

A data home is built in a temporary folder: a music queue of ``--artists`` completed
artists holding ``--tracks`` tracks, whose queue counts (``finding_counts``) hold ``--open``
open findings spread over a dozen codes (some several to a question, as low bit rates and
file names are), and each artist's output document with those findings and its tracks.
Then, each the median of a few cold runs:

* queue   ``QueueStore.peek``: reading the queue alone (JSON parse, journal replay);
* groups  the groups ``decide`` lists (``groups.groups_of(decide.listing(home))``), in process;
* ids     the groups with each decision's id (``engine.listing``: every asking artist's
          document read once), in process, as ``GET /api/decisions`` answers;
* json    ``decide --json`` through a real subprocess (start-up included), and the grouped
          listing (``decide``) the same way.

Each as wall time and as CPU time (the process's and its children's): on a machine shared
with other work the wall time also waits for that work.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mediakeeper.core.decisions import ALBUMS_ASKED  # noqa: E402
from mediakeeper.decisions import engine, groups  # noqa: E402
from mediakeeper.decisions import item as decide  # noqa: E402
from mediakeeper.queue.items import albums_asked, new_item, new_queue  # noqa: E402
from mediakeeper.queue.store import QueueStore  # noqa: E402

CODES = ("low-bitrate", "filename-mismatch", "missing-year", "inconsistent-year", "track-gap",
         "missing-albumartist", "whitespace", "mojibake", "missing-artist", "missing-title",
         "duplicate-tracknumber", "unreadable-file")  # fmt: skip


def build(home: Path, artists: int, tracks: int, open_findings: int, *,
          files: bool = False) -> None:
    """The home; ``files``: each artist's folder in ``home/library``, and there an empty file
    for each track a ``filename-mismatch`` question is about (a choice's writes then have
    files to plan: a dry run opens none, and a token states each)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    items, left = [], open_findings
    for n in range(artists):
        name = f"Artist {n:04d}"
        folder = home / "library" / name if files else Path(f"/music/{name}")
        item = new_item(name, name, str(folder))
        share = left // (artists - n)  # the open findings spread evenly over the artists
        left -= share
        counts: dict[str, list[int]] = {}
        for k in range(share):
            tally = counts.setdefault(CODES[(n + k) % len(CODES)], [0, 0])
            tally[0] += 1
        for code, tally in counts.items():
            if tally[0] > 1 and code in ("low-bitrate", "filename-mismatch"):
                tally.append(1)  # several tracks, one question
        own = tracks // artists + (n < tracks % artists)
        found, asked = document(home, f"artist-{n:04d}", name, folder, own, counts)
        if files:
            for path in asked:
                (folder / path).parent.mkdir(parents=True, exist_ok=True)
                (folder / path).touch()
        item.update(status="completed", attempts=1, completed_at=now,
                    track_count=tracks // artists + (n < tracks % artists),
                    issues_found=share, issues_resolved=0,
                    details={"slug": f"artist-{n:04d}", "finding_counts": counts,
                             ALBUMS_ASKED: albums_asked(found)})  # fmt: skip
        items.append(item)
    QueueStore(home / "status" / "music", "music").create(
        new_queue("music", "/music", items, datetime.now(UTC))
    )


def document(home: Path, slug: str, name: str, folder: Path, tracks: int,
             counts: dict) -> tuple[list[dict], list[str]]:  # fmt: skip
    """The artist's output document: its tracks, and a finding for each counted one (a
    question per track, or one per album where the counts say several findings ask one;
    ``filename-mismatch`` as the batch words it: a track each, the file name's number and
    the tag's, one question). Returns its findings, and the tracks a ``filename-mismatch``
    is about."""
    listed = [{"path": f"Album/{t:02d}.flac", "album": "Album", "format": "flac",
               "tags": {"title": f"Song {t}", "artist": name, "tracknumber": str(t + 1)}}
              for t in range(tracks)]  # fmt: skip
    findings, mismatched = [], []
    for code, (found, _, *asked) in counts.items():
        for k in range(found):
            track = f"Album/{k % max(tracks, 1):02d}.flac"
            details = {}
            if code == "filename-mismatch":  # about its track, whatever the counts say
                path, details = track, {"name_number": k % max(tracks, 1) + 1,
                                        "tag_number": k % max(tracks, 1) + 2}
                mismatched.append(track)
                listed[k % max(tracks, 1)]["tags"]["tracknumber"] = str(details["tag_number"])
            else:
                path = "Album" if asked else track
            findings.append({"code": code, "severity": "warning", "path": path,
                             "album": "Album", "message": f"{code} {k}", "fixable": False,
                             "fixed": False, "changes": [], "details": details})  # fmt: skip
    out = home / "outputs" / "music" / "artists"
    out.mkdir(parents=True, exist_ok=True)
    body = {"name": name, "folder": str(folder), "tracks": listed, "findings": findings}
    (out / f"{slug}.json").write_text(json.dumps(body), encoding="utf-8")
    return findings, list(dict.fromkeys(mismatched))


def cpu() -> float:
    """CPU seconds of this process and of its children that have ended: on a machine other
    work shares, what a run itself costs (its wall time waits for the others too)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)  # fmt: skip
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def median_ms(fn, runs: int) -> str:
    """The median wall and CPU milliseconds of ``runs`` calls of ``fn``."""
    wall, spent = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), cpu()
        fn()
        wall.append((time.perf_counter() - start) * 1000.0)
        spent.append((cpu() - start_cpu) * 1000.0)
    return f"{statistics.median(wall):8.1f} ms wall {statistics.median(spent):8.1f} ms CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artists", type=int, default=930)
    parser.add_argument("--tracks", type=int, default=17_274)
    parser.add_argument("--open", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        build(home, args.artists, args.tracks, args.open)
        store = QueueStore(home / "status" / "music", "music")
        found = groups.as_json(groups.groups_of(decide.listing(home)))
        script = [sys.executable, str(REPO / "utilities" / "decide.py"), "--home", str(home)]

        def run(*extra: str) -> str:
            return subprocess.run([*script, *extra], check=True, capture_output=True,
                                  text=True).stdout  # fmt: skip

        ids = engine.listing(home)
        assert json.loads(run("--json")) == ids
        assert {**ids, "groups": [{k: v for k, v in g.items() if k != "decisions"}
                                  for g in ids["groups"]]} == found  # fmt: skip
        print(f"{args.artists} artists, {args.tracks:,} tracks, {args.open:,} open findings: "
              f"{found['total']:,} decisions in {len(found['groups'])} groups")  # fmt: skip
        print(f"queue   read alone          {median_ms(store.peek, args.runs)}")
        grouping = median_ms(lambda: groups.groups_of(decide.listing(home)), args.runs)
        print(f"groups  in process          {grouping}")
        print(f"ids     in process          {median_ms(lambda: engine.listing(home), args.runs)}")
        print(f"json    decide --json       {median_ms(lambda: run('--json'), args.runs)}")
        print(f"listing decide              {median_ms(run, args.runs)}")


if __name__ == "__main__":
    main()
