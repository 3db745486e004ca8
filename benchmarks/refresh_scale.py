"""How long does ``--refresh`` take over a completed library the size of the reference user's?

Builds library_scale's library (--artists folders, --tracks tracks), makes its queue and
completes every artist the way a batch does: through the real batch runner, which records each
artist's files once its job is done. The job is one that changes nothing (``--full-pass``: the
real offline process_music_batch.py instead, fixes written, minutes longer); what --refresh
compares is the same either way, the files as they are after the run.

Then it times, in --rounds rounds (median printed, and the spread):

  (a) ``music_queue_manager.py --refresh`` in a subprocess, as a person runs it, over the
      unchanged library (nothing may move: the benchmark stops if anything does);
  (b) the refresh alone in this process (``manager.refresh_queue``), without the script's
      start-up;

and once (c): the same subprocess after a file of each of --changed artists was retagged
(mutagen, size and mtime change), which must put exactly those back to pending; and (d)
what recording one artist's files costs a completion (listed, hashed, the list written).

The library was just written, so its folders are in the kernel's cache: these are warm figures
(a first refresh after a reboot reads every folder from the disk).

    python benchmarks/refresh_scale.py --artists 930 --tracks 17274
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import mutagen  # noqa: E402
from library_scale import build  # noqa: E402

from mediakeeper.batch.job import ItemResult  # noqa: E402
from mediakeeper.batch.runner import BatchOptions, BatchRunner  # noqa: E402
from mediakeeper.queue import manager  # noqa: E402
from mediakeeper.queue.fingerprints import FILES_LOG, Recorder  # noqa: E402
from mediakeeper.queue.session_log import start_session  # noqa: E402
from mediakeeper.queue.store import QueueStore  # noqa: E402


class Unchanging:
    """A job that changes nothing: the runner records each artist's files after it."""

    def process(self, item):
        return ItemResult()


def complete(library: Path, home: Path, full_pass: bool) -> QueueStore:
    store = QueueStore(home / "status" / "music", "music")
    if full_pass:
        command = [sys.executable, str(REPO / "utilities" / "process_music_batch.py"),
                   "--home", str(home), "--library", str(library), "--batch-size", "1000000",
                   "--offline"]  # fmt: skip
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return store
    from datetime import UTC, datetime

    manager.init_queue(store, library, datetime.now(UTC))
    session = start_session(home / "status", "music")
    BatchRunner(store, Unchanging(), session, BatchOptions(size=10**9, checkpoint_every=0)).run()
    return store


def refresh_command(home: Path) -> list[str]:
    script = REPO / "utilities" / "music_queue_manager.py"
    return [sys.executable, str(script), "--home", str(home), "--refresh"]


def timed_refresh(home: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(refresh_command(home), capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout


def retag(path: Path) -> None:
    """What another program does: one tag set in place."""
    audio = mutagen.File(path, easy=True)
    audio.tags["genre"] = ["Changed " * 40]
    audio.save()


def _spread(values: list[float]) -> str:
    return f"{min(values):.3f} - {max(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artists", type=int, default=930)
    parser.add_argument("--tracks", type=int, default=17274)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--changed", type=int, default=10, help="artists changed for (c)")
    parser.add_argument("--full-pass", action="store_true", help="complete with the real batch")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mk-refresh-"))
    try:
        library, home = work / "Music", work / "home"
        print(f"building {args.artists} artists / {args.tracks} tracks in {work} ...", flush=True)
        made = build(library, args.artists, args.tracks)
        started = time.perf_counter()
        store = complete(library, home, args.full_pass)
        items = store.load()["items"]
        assert {i["status"] for i in items} == {"completed"}, "not every artist completed"
        print(f"built {made} tracks; completed {len(items)} artists in "
              f"{time.perf_counter() - started:.1f}s", flush=True)  # fmt: skip
        kept = (home / "status" / "music" / FILES_LOG).stat().st_size
        queue_bytes = store.path.stat().st_size
        os.sync()

        scripts, inside = [], []
        for _ in range(args.rounds):
            seconds, out = timed_refresh(home)
            if "Refreshed: 0 added, 0 marked missing, 0 back on disk, 0 changed" not in out:
                sys.exit(f"the unchanged library moved:\n{out}")
            scripts.append(seconds)
            started = time.perf_counter()
            result = manager.refresh_queue(QueueStore(store.dir, "music"))
            inside.append(time.perf_counter() - started)
            assert not (result.changed or result.added or result.vanished), result

        # What a completion adds to each artist's job: its files listed, the list written.
        record = Recorder(work / "recording")
        started = time.perf_counter()
        for item in items:
            record({**item, "details": {}})  # as at its first completion: the list appended
        recording = (time.perf_counter() - started) / len(items)

        artists = sorted(p for p in library.iterdir() if p.is_dir())
        step = max(1, len(artists) // args.changed)
        chosen = artists[::step][: args.changed]
        for artist in chosen:
            retag(next(p for p in sorted(artist.rglob("*")) if p.is_file()))
        changed_seconds, out = timed_refresh(home)
        moved = {i["name"] for i in store.load()["items"] if i["status"] == "pending"}
        if moved != {a.name for a in chosen}:
            sys.exit(f"expected exactly {len(chosen)} artists back to pending:\n{out}")

        print()
        print(f"{'measure':<52}{'value':>12}")
        print(f"{'(a) --refresh, subprocess, unchanged (median)':<52}{median(scripts):>11.3f}s")
        print(f"{'    the rounds, lowest - highest':<52}{_spread(scripts):>12}")
        print(f"{'(b) refresh_queue alone, unchanged (median)':<52}{median(inside):>11.3f}s")
        print(f"{'    the rounds, lowest - highest':<52}{_spread(inside):>12}")
        print(f"{f'(c) --refresh, subprocess, {len(chosen)} artists retagged':<52}"
              f"{changed_seconds:>11.3f}s")  # fmt: skip
        print(f"{'(d) recording the files of one completed artist':<52}"
              f"{recording * 1000:>10.2f}ms")  # fmt: skip
        print(f"{'files looked at (stat) per refresh':<52}{made:>12,}")
        print(f"{'queue file':<52}{queue_bytes / 1024:>10.0f}kB")
        print(f"{'file lists in status/music/files.jsonl, all':<52}{kept / 1024:>10.0f}kB")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
