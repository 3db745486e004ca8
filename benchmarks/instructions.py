"""What an artist costs in CPU instructions, beside a bare read of its files: a measure that
does not drift.

On a shared or virtual machine the wall and CPU times of library_scale.py move by a third
from one minute to the next (other guests take the CPU, caches are cold or warm), so a change
worth 2% cannot be seen there. Instructions counted by valgrind's callgrind are the same from
one run to the next (to a few parts in a million, with a fixed hash seed), so this benchmark
compares, over the same library built as library_scale.py builds it:

  (a) the bare read: mutagen.File() on every file of the artists and read its tags;
  (b) the job a worker runs for each artist (MusicJob.process, offline, fixes on): scan,
      rules, tag writes, outputs, work file.

Each is run twice in a child process under callgrind, once without its loop: the difference
is the loop's own instructions (imports and start-up left out). The first artist is done in
both runs, to warm caches; the others are counted. Counted are user-space instructions only:
what the kernel does for the job's file writes, and the main process of a batch (queue,
session log, reports), are not. Needs valgrind; about a minute for 20 artists.

``--with DIR``: another checkout's job (a `git worktree` of the code before) counted too, on
its own copies of the same library, and the two set side by side: a change's cost in
instructions, where library_scale.py's paired times move with the host.

    python benchmarks/instructions.py --artists 21
    python benchmarks/instructions.py --artists 21 --with ../before
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from library_scale import build  # noqa: E402

# The child: (a) or (b) over the artists of a library, the first only unless told to count.
CHILD = r"""
import os, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, os.path.join(sys.argv[1], "benchmarks"))
kind, library, count = sys.argv[2], sys.argv[3], sys.argv[4] == "count"
artists = sorted(os.listdir(library))
todo = artists if count else artists[:1]
if kind == "bare":
    from library_scale import bare_loop  # the very loop library_scale times
    for artist in todo:
        bare_loop(Path(library, artist))
else:
    from mediakeeper.music.job import MusicJob
    job = MusicJob(Path(sys.argv[5]), "instructions")
    for n, artist in enumerate(todo):
        item = {"key": artist, "name": artist, "path": os.path.join(library, artist)}
        job.process({**item, "run_token": f"t{n}"})
"""


def counted(kind: str, library: Path, count: bool, home: Path, checkout: Path = REPO) -> int:
    """Instructions of one child run under callgrind, ``checkout``'s code."""
    args = [checkout, kind, library, "count" if count else "warm", home]
    return callgrind(CHILD, [str(arg) for arg in args], kind)


def per_artist(work: Path, pristine: Path, kind: str, artists: int, checkout: Path,
               name: str) -> float:  # fmt: skip
    """``kind``'s instructions an artist: a run counting every artist less one counting the
    first only, each on a fresh copy of the library (a job fixes tags)."""
    # The report templates' compiled code is kept by their path (mediakeeper.reports): in a
    # fresh checkout the warm-up run would compile them and the counted one load them,
    # counting the job 3.5M instructions an artist short. One run first, uncounted.
    if kind == "job":
        warm = work / f"warm-{name}"
        shutil.copytree(pristine, warm / "library", symlinks=True)
        (warm / "home").mkdir()
        subprocess.run(
            [sys.executable, "-c", CHILD, str(checkout), "job", str(warm / "library"), "warm",
             str(warm / "home")],
            check=True, capture_output=True,
        )  # fmt: skip
    runs = []
    for count in (False, True):
        library, home = work / f"{name}-{count}", work / f"home-{name}-{count}"
        shutil.copytree(pristine, library, symlinks=True)
        home.mkdir()
        runs.append(counted(kind, library, count, home, checkout))
        print(f"{name} {'counted' if count else 'warm-up'}: {runs[-1]:,}", flush=True)
    return (runs[1] - runs[0]) / (artists - 1)


def callgrind(child: str, args: list[str], what: str) -> int:
    """Instructions of ``python -c child args...`` under callgrind (a fixed hash seed)."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, "-c", child, *args]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        sys.exit(f"valgrind run failed ({what}): {done.stderr[-1500:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artists", type=int, default=21, help="default 21 (20 counted)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument(
        "--with",
        dest="with_checkout",
        type=Path,
        metavar="DIR",
        help="another checkout whose job is counted beside this one's",
    )
    args = parser.parse_args()
    if args.artists < 2:
        sys.exit("--artists must be at least 2: the first one only warms up")
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind): nothing to count with")

    other = args.with_checkout.resolve() if args.with_checkout else None
    if other is not None and not (other / "mediakeeper" / "music" / "job.py").is_file():
        sys.exit(f"--with {args.with_checkout}: not a checkout of mediakeeper")

    work = Path(tempfile.mkdtemp(prefix="mk-instructions-"))
    try:
        pristine = work / "pristine"
        # library_scale's shape: about 18.6 tracks an artist, as 17,274 over 930.
        made = build(pristine, args.artists, round(args.artists * 17274 / 930))
        figures = {
            "bare": per_artist(work, pristine, "bare", args.artists, REPO, "bare"),
            "job": per_artist(work, pristine, "job", args.artists, REPO, "job"),
        }
        if other is not None:
            figures["other"] = per_artist(work, pristine, "job", args.artists, other, "with")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    per_track = made / args.artists
    print()
    print(f"{args.artists - 1} artists counted, {per_track:.1f} tracks an artist")
    print(f"{'(a) bare read, instructions an artist':<44}{figures['bare'] / 1e6:>12.2f}M")
    print(f"{'(b) the job, instructions an artist':<44}{figures['job'] / 1e6:>12.2f}M")
    print(f"{'ratio (b)/(a)':<44}{figures['job'] / figures['bare']:>13.3f}")
    if "other" in figures:
        print(
            f"{'(b) of ' + str(args.with_checkout) + ', an artist':<44}"
            f"{figures['other'] / 1e6:>12.2f}M"
        )
        print(f"{'  its ratio to (a)':<44}{figures['other'] / figures['bare']:>13.3f}")
        print(f"{'(b) / its (b)':<44}{figures['job'] / figures['other']:>13.3f}")


if __name__ == "__main__":
    main()
