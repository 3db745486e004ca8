"""Rows sorted through a spill (fs/spill.py): what the closing reports list every completed
item from. Real files: runs written, merged back in order, read twice at once."""

from __future__ import annotations

import random
import subprocess
import sys

from mediakeeper.fs.spill import SortedRows


def _rows(n: int) -> list[tuple]:
    pick = random.Random(7)
    names = ["AC⧸DC", "Ábba", "abba", "Zz", "\udcff odd bytes", "a\nb", '"quoted"']
    return [(pick.randrange(50), pick.choice(names), f"n{i}") for i in range(n)]


def test_rows_come_back_sorted_across_many_runs_and_few():
    # 5,000 rows in runs of 3: runs merged into runs of 48 rows, those into runs of 768.
    for n, run in ((0, 4), (3, 4), (4, 4), (1000, 7), (1000, 5000), (5000, 3)):
        rows = _rows(n)
        with SortedRows(run) as spilled:
            for row in rows:
                spilled.add(row)
            assert len(spilled) == n and bool(spilled) == bool(n)
            assert list(spilled) == sorted(rows), (n, run)


def test_two_readings_at_once_each_read_every_row_in_order():
    rows = _rows(500)
    with SortedRows(16) as spilled:
        for row in rows:
            spilled.add(row)
        first, second = iter(spilled), iter(spilled)
        pairs = list(zip(first, second, strict=True))
    assert [a for a, _ in pairs] == [b for _, b in pairs] == sorted(rows)


REFUSED = """
import random, resource, signal, sys
from mediakeeper.fs.spill import SortedRows
pick = random.Random(7)
rows = [(pick.randrange(50), f"n{i}") for i in range(2000)]
spilled = SortedRows(3)
for row in rows[:100]:
    spilled.add(row)
# The temporary folder refuses more from here on: the file may grow by 100 bytes, then no
# more (EFBIG, not the signal), so a run is cut short.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
size = spilled._spill.size
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 100, resource.RLIM_INFINITY))
for row in rows[100:]:
    spilled.add(row)
print(len(spilled), list(spilled) == sorted(rows), list(spilled) == sorted(rows),  # twice
      spilled._spill._fd is None)  # moved to memory
"""


def test_rows_the_temporary_folder_refuses_are_held_in_memory_and_none_is_lost(child_env):
    # A full /tmp under the closing reports: the page is still made, from every row.
    done = subprocess.run(
        [sys.executable, "-c", REFUSED], capture_output=True, text=True, env=child_env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2000", "True", "True", "True"]
