"""What the tag read of a scan costs, side by side with another checkout of the toolkit: the
music batch's ``tags.read`` on every file of a library as ``library_scale.py`` builds it
(mixed formats), from this checkout and from ``--before DIR`` (a `git worktree` or `git
archive` of another version).

Each measurement runs in a child process that reads the first files once (imports and
caches warm), then times a read of every file:

  (a) CPU and wall seconds of the loop, in --rounds rounds that alternate the two checkouts
      (the machine's speed drifts from minute to minute; a round's ratio compares two runs
      taken back to back, and the verdict is the median of the rounds' ratios);
  (b) with valgrind installed, the instructions of a read, counted by callgrind (the same
      to a few parts in a million from one run to the next): each checkout's child run
      once reading every file and once reading none, the difference over the files.

    python benchmarks/tag_read.py --before ../before --artists 200 --tracks 3715
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from checkouts import compiled  # noqa: E402
from instructions import callgrind  # noqa: E402
from library_scale import build  # noqa: E402

WARM = 20  # files read before the loop (and in both callgrind runs)

# The child: argv = checkout, a file listing the paths, how many of them to read.
CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from mediakeeper import tags
paths = open(sys.argv[2], encoding="utf-8").read().splitlines()
for path in paths[:WARM]:
    tags.read(path)
todo = paths[: int(sys.argv[3])]
started, cpu = time.perf_counter(), time.process_time()
for path in todo:
    tags.read(path)
print(time.perf_counter() - started, time.process_time() - cpu)
""".replace("WARM", str(WARM))


def timed(checkout: Path, listing: Path, count: int) -> tuple[float, float]:
    """(wall, CPU) seconds of a read of ``count`` files from ``checkout``."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(checkout), str(listing), str(count)],
        capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"{checkout}: the read failed: {done.stderr[-1500:]}")
    wall, cpu = map(float, done.stdout.split())
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="another checkout")
    parser.add_argument("--artists", type=int, default=200)
    parser.add_argument("--tracks", type=int, default=3715, help="default 3715 (18.6 an artist)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-valgrind", action="store_true", help="skip the instruction count")
    args = parser.parse_args()
    compiled(REPO, args.before)  # both sides as `make compile` leaves them
    sides = {"before": args.before.resolve(), "this": REPO}
    for name, checkout in sides.items():
        if not (checkout / "mediakeeper" / "tags" / "read.py").is_file():
            sys.exit(f"{name}: {checkout} is not a checkout of the toolkit")

    work = Path(tempfile.mkdtemp(prefix="mk-tagread-"))
    try:
        made = build(work / "library", args.artists, args.tracks)
        listing = work / "paths.txt"
        paths = sorted(str(p) for p in (work / "library").rglob("*") if p.is_file())
        listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
        print(f"{made} files, {args.artists} artists; {args.rounds} rounds", flush=True)

        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
        for n in range(args.rounds):
            order = list(sides) if n % 2 == 0 else list(reversed(sides))
            for name in order:
                runs[name].append(timed(sides[name], listing, len(paths)))
            before, this = runs["before"][-1], runs["this"][-1]
            print(f"round {n + 1}: CPU before {before[1]:.3f} s, this {this[1]:.3f} s, "
                  f"ratio {this[1] / before[1]:.3f}", flush=True)  # fmt: skip
        counted = {}
        if not args.no_valgrind and shutil.which("valgrind"):
            for name, checkout in sides.items():
                every = callgrind(CHILD, [str(checkout), str(listing), str(len(paths))], name)
                none = callgrind(CHILD, [str(checkout), str(listing), "0"], name)
                counted[name] = (every - none) / len(paths)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'a read of every file':<34}{'before':>12}{'this':>12}{'this/before':>13}")
    for what, at in (("wall seconds, median", 0), ("CPU seconds, median", 1)):
        medians = {name: median(r[at] for r in runs[name]) for name in sides}
        print(f"{what:<34}{medians['before']:>12.3f}{medians['this']:>12.3f}"
              f"{medians['this'] / medians['before']:>13.3f}")  # fmt: skip
    paired = [t[1] / b[1] for b, t in zip(runs["before"], runs["this"], strict=True)]
    print(f"{'CPU, paired ratio: median':<34}{'':>24}{median(paired):>13.3f}")
    per_file = {name: median(r[1] for r in runs[name]) / len(paths) * 1e6 for name in sides}
    print(f"{'CPU microseconds a file':<34}{per_file['before']:>12.0f}{per_file['this']:>12.0f}")
    if counted:
        print(f"{'instructions a file (callgrind)':<34}{counted['before']:>12,.0f}"
              f"{counted['this']:>12,.0f}{counted['this'] / counted['before']:>13.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
