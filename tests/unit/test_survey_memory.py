"""A look at a library (``queue/survey.py``, what a new queue, a refresh and a batch that
makes its queue run first) must leave nothing behind that grows with the library. It held
every item folder as a ``Path`` at once, and a ``Path`` interns each part of itself: the
interpreter's table of interned names grew to hold a whole library's folder names and never
shrinks (415 KB left over a look at 10,000 folders, in a fresh interpreter; 28 bytes now).
Measured as the traced memory a look leaves once its result is let go: a count of bytes,
never a time."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import REPO_ROOT

FOLDERS = 10_000
# What may stay: the allocator's own bookkeeping, a few objects cached on first use.
MOST_LEFT = 16 << 10

LOOK = """
import gc, sys, tracemalloc
from pathlib import Path
from mediakeeper.queue.survey import survey
survey("music", Path(sys.argv[1]))  # the modules' own first-use allocations, not measured
gc.collect()
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
found = survey("music", Path(sys.argv[2]))
print(len(found.found), found.found[0][0], found.found[-1][0])
del found
gc.collect()
print(tracemalloc.get_traced_memory()[0] - before)
"""


def test_a_look_at_a_library_leaves_nothing_that_grows_with_it(tmp_path, child_env):
    small, library = tmp_path / "small", tmp_path / "Music"
    (small / "Artist").mkdir(parents=True)
    library.mkdir()
    for n in range(FOLDERS):
        os.mkdir(library / f"Artist {n:05d} of the library")
    run = subprocess.run(
        [sys.executable, "-c", LOOK, str(small), str(library)],
        cwd=REPO_ROOT, env=child_env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    found, left = run.stdout.splitlines()
    assert found == f"{FOLDERS} Artist 00000 of the library Artist {FOLDERS - 1:05d} of the library"
    assert int(left) < MOST_LEFT, f"{left} bytes left after a look at {FOLDERS} folders"
