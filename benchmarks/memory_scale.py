"""Does a batch's memory grow with the library? Peak memory of a full offline music pass over
libraries of several sizes, side by side in one run.

For each size (--artists, default 300,1500,3000; --tracks-per-artist tracks each, mixed
formats, about one in five with a fixable problem, built as library_scale.py builds them) a
fresh copy of the library is passed over twice with a fresh data home each time:

  rss     the batch as a user runs it; the kernel's own high-water marks: the parent's
          (``ru_maxrss`` of itself, read as it exits) and its workers' (of its children)
  traced  the same pass with ``tracemalloc`` in the parent: the peak of what Python itself
          allocated there (exact, and free of the allocator's and the libraries' own)

then prints, between consecutive sizes and from the smallest to the largest, what each peak
grew by per artist. Flat memory is a growth near zero bytes an artist; RSS moves by a few
hundred kilobytes from run to run whatever the size (where the allocator places things), so
read its growth over the widest span.

    python benchmarks/memory_scale.py --artists 300,1500,3000
"""

from __future__ import annotations

import argparse
import itertools
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

BATCH = REPO / "utilities" / "process_music_batch.py"
# Run as ``python -c WRAPPER <script> <args>``: the script runs as __main__, as a user's does.
WRAPPER = """\
import atexit, resource, runpy, sys, tracemalloc
traced = sys.argv[1] == "traced"
if traced:
    tracemalloc.start()
def said():
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    print(f"MEMORY {me} {kids} {peak}", file=sys.__stderr__)
atexit.register(said)
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def one_pass(pristine: Path, work: Path, mode: str) -> tuple[int, int, int]:
    """(parent's peak RSS KB, workers' peak RSS KB, parent's traced peak bytes) of one pass."""
    library, home = work / "library", work / "home"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(pristine, library, symlinks=True)
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, mode, str(BATCH), "--library", str(library),
         "--home", str(home), "--batch-size", "1000000", "--offline", "--workers", "2"],
        capture_output=True, text=True,
    )  # fmt: skip
    found = re.findall(r"^MEMORY (\d+) (\d+) (\d+)$", done.stderr, re.M)
    if done.returncode != 0 or not found or " 0 failed" not in done.stdout:
        said = (done.stdout + done.stderr)[-1600:]
        sys.exit(f"the pass failed (exit {done.returncode}):\n{said}")
    shutil.rmtree(work)
    parent, workers, traced = map(int, found[-1])
    return parent, workers, traced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artists", default="300,1500,3000", help="library sizes, in artists")
    parser.add_argument("--tracks-per-artist", type=int, default=6)
    args = parser.parse_args()
    sizes = sorted({int(n) for n in args.artists.split(",")})
    rows = []
    with tempfile.TemporaryDirectory(prefix="mk-memscale-") as tmp:
        for artists in sizes:
            pristine = Path(tmp) / f"pristine-{artists}"
            build(pristine, artists, artists * args.tracks_per_artist)
            parent, workers, _ = one_pass(pristine, Path(tmp) / "work", "rss")
            _, _, traced = one_pass(pristine, Path(tmp) / "work", "traced")
            shutil.rmtree(pristine)
            rows.append((artists, parent, workers, traced))
            print(f"{artists:>6} artists: parent {parent / 1024:6.1f} MB, workers "
                  f"{workers / 1024:6.1f} MB (peak RSS); parent traced {traced / 2**20:6.2f} MB",
                  flush=True)  # fmt: skip
    print("\ngrowth per artist            parent RSS   workers RSS   parent traced")
    spans = list(itertools.pairwise(rows))
    if len(rows) > 2:
        spans.append((rows[0], rows[-1]))
    for (a, p0, w0, t0), (b, p1, w1, t1) in spans:
        n = b - a
        parent, workers, traced = (p1 - p0) * 1024 / n, (w1 - w0) * 1024 / n, (t1 - t0) / n
        print(f"  {a:>6} -> {b:<6} artists  {parent:8.0f} B  {workers:10.0f} B  {traced:12.0f} B")


if __name__ == "__main__":
    main()
