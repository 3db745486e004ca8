"""What ``--list`` does per item of a large queue (at 55,000 artists it took 8.8 s).

Counted, not timed: a real ``music_queue_manager.py --list`` in a subprocess, rich's
``cells.cell_len`` (how wide a text shows) and the writes to its standard output counted.
Each name's width is measured once (not once to size the column, again to cut it and again
to pad it), a text of one cell a character (ASCII) not measured by rich at all, and the list
is written in a few writes, not one a line; its text is the one a line at a time gave."""

from __future__ import annotations

from datetime import UTC, datetime

from mediakeeper.queue.items import new_item, new_queue
from mediakeeper.queue.store import QueueStore
from tests.helpers import run_counted

COUNTING = """
import rich.cells
count_calls(rich.cells, "cell_len", "measured")
count_calls(sys.stdout, "write", "writes")
"""

NAMES = [f"Artist {n:03d}" for n in range(300)] + ["日本のバンド", "Beyonce\u0301", "Björk"]


def test_a_list_measures_each_name_once_and_writes_in_a_few_writes(tmp_path):
    home = tmp_path / "home"
    items = [new_item(name, name, f"/music/{name}") for name in NAMES]
    QueueStore(home / "status" / "music", "music").create(
        new_queue("music", "/music", items, datetime.now(UTC))
    )
    run, done = run_counted(COUNTING, "music_queue_manager.py", "--home", home, "--list",
                            counts=tmp_path / "counted.json", env={"COLUMNS": "100"})  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == len(NAMES) + 2 and lines[-1] == f"{len(NAMES)} artists"
    assert lines[1:-1] == sorted(lines[1:-1], key=str.casefold)  # by name
    wide = next(line for line in lines if "日本のバンド" in line)
    assert wide.index("日本のバンド") == lines[1].index("Artist")  # in line with the others
    # The three names that are not ASCII, each once (the headings and every other name:
    # one cell a character, known without rich).
    assert done["measured"] == 3
    assert done["writes"] <= 4
