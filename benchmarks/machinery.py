"""Whether a start-up or I/O trick earns its keep: the offline music pass over the reference
user's library, run side by side from two checkouts, one with the trick (``--with DIR``) and
one without it (this checkout, or ``--without DIR``). Each run gets a new data home, the
library's tags as built and, as root, an emptied page cache (a pass run days after the last
reads from the disk). The rounds alternate the two; the paired ratio is the figure.

    python benchmarks/machinery.py --with ../before --artists 930 --tracks 17274 --sparse

``--sparse``: real-size files (FLAC 20-30 MB, MP3 6-10 MB) holding data only where a tag
reader reads (``real_size_writes.py``); without it, the tiny files of ``library_scale.py``.
A trick stays when the pass without it takes at least 10% longer.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from checkouts import compiled
from library_scale import build as build_tiny
from page_cache import drop_caches
from real_size_writes import build, heads, restore

HERE = Path(__file__).resolve().parent.parent


def one_pass(checkout: Path, library: Path, home: Path) -> float:
    """Wall seconds of ``process_music_batch.py`` over the whole library, from ``checkout``."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    command = [sys.executable, str(checkout / "utilities" / "process_music_batch.py"),
               "--library", str(library), "--home", str(home), "--offline", "-q",
               "--batch-size", "1000000"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{checkout}: exit {done.returncode}: {done.stderr[-2000:]}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--with", dest="with_", type=Path, required=True,
                        help="a checkout that has the trick")  # fmt: skip
    parser.add_argument("--without", type=Path, default=HERE, help="default: this checkout")
    parser.add_argument("--artists", type=int, default=930)
    parser.add_argument("--tracks", type=int, default=17274)
    parser.add_argument("--sparse", action="store_true", help="real-size files, sparse")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where to build (default: temp)")
    args = parser.parse_args()
    compiled(args.with_, args.without)  # both sides as `make compile` leaves them
    work = Path(tempfile.mkdtemp(prefix="machinery-", dir=args.dir))
    library = work / "library"
    if args.sparse:
        build(library, args.tracks, args.artists, sparse=True)
    else:
        build_tiny(library, args.artists, args.tracks)
    saved = heads(sorted(p for p in library.rglob("*") if p.is_file()))
    sides = {"with": args.with_.resolve(), "without": args.without.resolve()}
    times: dict[str, list[float]] = {name: [] for name in sides}
    dropped = True
    for round_ in range(args.rounds):
        order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
        for name in order:
            restore(saved)
            dropped = drop_caches() and dropped
            times[name].append(one_pass(sides[name], library, work / f"home-{name}-{round_}"))
    ratios = [b / a for a, b in zip(times["with"], times["without"], strict=True)]
    cache = "dropped" if dropped else "NOT dropped (not root)"
    files = "real-size sparse" if args.sparse else "tiny"
    print(f"{args.artists} artists, {args.tracks} tracks, {files} files, {args.rounds} rounds, "
          f"page cache {cache} before each run")  # fmt: skip
    for name, checkout in sides.items():
        print(f"{name:8} {checkout}: median {statistics.median(times[name]):.2f} s "
              f"({', '.join(f'{t:.2f}' for t in times[name])})")  # fmt: skip
    print(f"without / with, paired: median {statistics.median(ratios):.3f} "
          f"({', '.join(f'{r:.3f}' for r in ratios)})")  # fmt: skip


if __name__ == "__main__":
    main()
