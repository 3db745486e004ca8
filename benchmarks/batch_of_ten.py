"""How long does the everyday run take: `process_music_batch.py --batch-size 10`?

Builds a library like library_scale.py's (default 930 artists / 17,274 tracks), creates its
queue, then times --runs consecutive offline batches of ten from start to exit, each a new
process as a person starts it, and prints every run, their median, and beside it what a bare
`python -c pass` costs on this machine (the part no code of ours can save). Every run must
process ten artists (a run with nothing to do is not a measurement). ``--before DIR``: another
checkout's batches, taking turns with this one's on the same queue. ``--history CHANGES``: the
data home holds that many changes journaled in the ten weeks before, as months of batches leave
them (a --replaygain pass over 17,274 tracks journals about 70,000), for the reports every
batch writes as it ends. ``--sessions N``: its session log holds N batches of ten from the
weeks before (a year of batches whenever there is a moment: some 800), as they logged them.
``--this-week CHANGES``: a pass earlier this week journaled that many (its week's batches
count them as they close). Every journal is stamped as a batch's appends stamp it.
Both sides are compiled first (`make compile`): on a machine that
sets PYTHONDONTWRITEBYTECODE, Python would otherwise compile every module at every start.

    python benchmarks/batch_of_ten.py [--runs 10] [--before DIR] [--history 70000]
                                      [--sessions 800] [--this-week 70000]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

from checkouts import compiled
from library_scale import REPO, build

from mediakeeper.changes.journal import CHANGES_DIR, checked_line
from mediakeeper.queue.session_log import ItemLine, start_session
from mediakeeper.reports.weeks import Week

WEEKS_OF_HISTORY = 10


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """(seconds from start to exit, what the command printed)."""
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command[1:3])} failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, result.stdout


# The changes one append journals, as a worker commits its artists together: six artists of
# 19 tracks, four ReplayGain tags each. They share one stamp.
APPEND = 6 * 19 * 4


def journal_history(home: Path, library: Path, changes: int) -> None:
    """``changes`` journaled changes over the ten weeks before this one, a session's journal a
    week, each last written as its last change was (what the batches of those weeks left)."""
    now = datetime.now(UTC)
    for week in range(WEEKS_OF_HISTORY):
        count = changes // WEEKS_OF_HISTORY + (week < changes % WEEKS_OF_HISTORY)
        made = now - timedelta(weeks=WEEKS_OF_HISTORY - week)
        _journal(home, library, f"{made:%Y%m%d}_music_001", made, count)


def this_week(home: Path, library: Path, changes: int) -> None:
    """``changes`` journaled by one pass earlier this week (a --replaygain pass on Monday)."""
    now = datetime.now(UTC)
    made = max(Week.of(now).start, now - timedelta(hours=1))
    # A number of its own: today's batches number their sessions from 001, each its journal.
    _journal(home, library, f"{made:%Y%m%d}_music_900", made, changes)


def _journal(home: Path, library: Path, session: str, made: datetime, count: int) -> None:
    """``session``'s journal of ``count`` changes made from ``made`` on, stamped as its
    appends stamp them and last written with its last change."""
    folder = home / "status" / "music" / CHANGES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    tracks = sorted(str(p) for p in library.rglob("*") if p.is_file())
    lines = [
        checked_line({"session": session, "artist": Path(track).parts[-3], "path": track,
                      "tag": "replaygain_track_gain", "old": None, "new": "-7.20 dB",
                      "at": (made + timedelta(milliseconds=n // APPEND)).isoformat(),
                      "size": 20000})
        for n in range(count)
        for track in (tracks[n % len(tracks)],)
    ]  # fmt: skip
    path = folder / f"{session}.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    last = (made + timedelta(milliseconds=count // APPEND)).timestamp()
    os.utime(path, (last, last))


def session_history(home: Path, library: Path, sessions: int) -> None:
    """``sessions`` batches of ten over the weeks before this one, each logged as a batch logs
    itself (its start, its ten artists with the figures a batch records, its end)."""
    artists = sorted(p.name for p in library.iterdir() if p.is_dir())
    moment = datetime.now(UTC) - timedelta(weeks=WEEKS_OF_HISTORY)
    step = timedelta(weeks=WEEKS_OF_HISTORY - 1) / max(sessions, 1)

    def clock() -> datetime:
        return moment

    for n in range(sessions):
        session = start_session(home / "status", "music", clock=clock,
                                description="batch of 10, offline", args=["--offline"],
                                settings={"batch_size": 10, "statuses": ["pending"]})  # fmt: skip
        names = [artists[(n * 10 + k) % len(artists)] for k in range(10)]
        session.items([ItemLine(name, name, "completed", {"seconds": 0.04, "track_count": 19,
                                "issues_found": 4, "issues_resolved": 1, "bytes_read": 380000,
                                "bytes_written": 41000}) for name in names])  # fmt: skip
        session.end("completed", {"completed": 10})
        moment += step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artists", type=int, default=930)
    parser.add_argument("--tracks", type=int, default=17274)
    parser.add_argument("--runs", type=int, default=10, help="batches of ten, default 10")
    parser.add_argument("--before", type=Path, help="another checkout, taking turns with this one")
    parser.add_argument("--history", type=int, default=0, metavar="CHANGES",
                        help="changes journaled in the weeks before (default none)")
    parser.add_argument("--sessions", type=int, default=0, metavar="N",
                        help="batches of ten logged in the weeks before (default none)")
    parser.add_argument("--this-week", type=int, default=0, metavar="CHANGES",
                        help="changes journaled by a pass earlier this week (default none)")
    args = parser.parse_args()
    sides = {"": REPO, " [--before]": args.before.resolve()} if args.before else {"": REPO}
    if args.runs * 10 * len(sides) > args.artists:
        parser.error(f"{args.runs * len(sides)} batches of ten need at least "
                     f"{args.runs * 10 * len(sides)} artists")  # fmt: skip
    compiled(REPO, args.before)

    work = Path(tempfile.mkdtemp(prefix="mk-batch10-"))
    try:
        library, home = work / "Music", work / "home"
        build(library, args.artists, args.tracks)
        timed([sys.executable, str(REPO / "utilities" / "music_queue_manager.py"), "--home",
               str(home), "--init", "--library", str(library)])  # fmt: skip
        if args.history:
            journal_history(home, library, args.history)
        if args.sessions:
            session_history(home, library, args.sessions)
        if args.this_week:
            this_week(home, library, args.this_week)
        os.sync()  # the build's writes must not land in the first runs
        runs: dict[str, list[float]] = {label: [] for label in sides}
        for n in range(1, args.runs + 1):
            for label, repo in sides.items():
                env = {**os.environ, "PYTHONPATH": str(repo)}
                env.pop("MEDIAKEEPER_HOME", None)
                batch = [sys.executable, str(repo / "utilities" / "process_music_batch.py"),
                         "--home", str(home), "--batch-size", "10", "--offline"]  # fmt: skip
                seconds, printed = timed(batch, env)
                # The summary says it: an artist that needs nothing is not listed one by one.
                found = re.search(r"^(\d+) artists? completed", printed, re.M)
                done = int(found.group(1)) if found else 0
                if done != 10:
                    sys.exit(f"batch {n}{label} processed {done} artists, not 10:\n"
                             f"{printed[-2000:]}")  # fmt: skip
                runs[label].append(seconds)
                print(f"batch {n}{label}: {seconds:.2f}s", flush=True)
        bare = median(timed([sys.executable, "-c", "pass"])[0] for _ in range(5))
        print()
        if args.history:
            print(f"{args.history:,} changes journaled in the {WEEKS_OF_HISTORY} weeks before")
        if args.sessions:
            print(f"{args.sessions:,} batches of ten logged in the {WEEKS_OF_HISTORY} weeks before")
        if args.this_week:
            print(f"{args.this_week:,} changes journaled by a pass earlier this week")
        for label, got in runs.items():
            print(f"{'batch of ten, median of the runs' + label:<52}{median(got):>8.2f}s")
            print(f"{'  lowest - highest':<52}{min(got):>5.2f} - {max(got):.2f}s")
        if args.before:
            ratio = median(runs[""]) / median(runs[" [--before]"])
            print(f"{'this checkout / --before, medians':<52}{ratio:>8.2f}")
        print(f"{'python -c pass (interpreter start)':<52}{bare:>8.2f}s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
