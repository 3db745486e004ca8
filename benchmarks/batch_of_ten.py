"""How long does the everyday run take: `process_music_batch.py --batch-size 10`?

Builds a library like library_scale.py's (default 930 artists / 17,274 tracks), creates its
queue, then times --runs consecutive offline batches of ten from start to exit, each a new
process as a person starts it, and prints every run, their median, and beside it what a bare
`python -c pass` costs on this machine (the part no code of ours can save). Every run must
process ten artists (a run with nothing to do is not a measurement). Run it after `make
compile` (which `make setup`, `test` and `demo` run): on a machine that sets
PYTHONDONTWRITEBYTECODE, Python would otherwise compile every module at every start.

    python benchmarks/batch_of_ten.py
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
from pathlib import Path
from statistics import median

from library_scale import REPO, build


def timed(command: list[str]) -> tuple[float, str]:
    """(seconds from start to exit, what the command printed)."""
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command[1:3])} failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artists", type=int, default=930)
    parser.add_argument("--tracks", type=int, default=17274)
    parser.add_argument("--runs", type=int, default=10, help="batches of ten, default 10")
    args = parser.parse_args()
    if args.runs * 10 > args.artists:
        parser.error(f"{args.runs} batches of ten need at least {args.runs * 10} artists")

    work = Path(tempfile.mkdtemp(prefix="mk-batch10-"))
    try:
        library, home = work / "Music", work / "home"
        build(library, args.artists, args.tracks)
        utilities = REPO / "utilities"
        timed([sys.executable, str(utilities / "music_queue_manager.py"), "--home", str(home),
               "--init", "--library", str(library)])  # fmt: skip
        os.sync()  # the build's writes must not land in the first runs
        batch = [sys.executable, str(utilities / "process_music_batch.py"), "--home", str(home),
                 "--batch-size", "10", "--offline"]  # fmt: skip
        runs = []
        for n in range(1, args.runs + 1):
            seconds, printed = timed(batch)
            # The summary says it: an artist that needs nothing is not listed one by one.
            found = re.search(r"^(\d+) artists? completed", printed, re.M)
            done = int(found.group(1)) if found else 0
            if done != 10:
                sys.exit(f"batch {n} processed {done} artists, not 10:\n{printed[-2000:]}")
            runs.append(seconds)
            print(f"batch {n}: {seconds:.2f}s", flush=True)
        bare = median(timed([sys.executable, "-c", "pass"])[0] for _ in range(5))
        print()
        print(f"{'batch of ten, median of the runs':<40}{median(runs):>8.2f}s")
        print(f"{'  lowest - highest':<40}{min(runs):>5.2f} - {max(runs):.2f}s")
        print(f"{'python -c pass (interpreter start)':<40}{bare:>8.2f}s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
