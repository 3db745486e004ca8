"""What a batch's close reads of the journal its session just wrote: its counts by week and
its sessions' sums (what ``undo --list`` takes) come from one reading of it, not one for each.

Counted, not timed: a real ``process_music_batch.py`` in a subprocess, an audit hook counting
each journal it opens to read (``test_undo_reads.COUNTING``). A reading opens a journal twice:
a look through its bytes for a line saying a change unwritten, then its lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mediakeeper.changes.journal import CHANGES_DIR
from mediakeeper.changes.kept import KEPT_FILE
from tests.helpers import run_counted
from tests.integration.test_undo import spec
from tests.integration.test_undo_reads import COUNTING


def test_a_batch_s_close_reads_its_new_journal_once(tmp_path, music_library):
    lib = music_library(tmp_path / "Music", {**spec("Alpha"), **spec("Bravo")})
    home = tmp_path / "home"
    run, read = run_counted(COUNTING, "process_music_batch.py", "--home", home, "--library", lib,
                            counts=tmp_path / "counted.json")  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    session = Path(re.search(r"session log: (.+)\.log", run.stdout).group(1)).name
    assert read == {f"{session}.jsonl": 2}, read  # its look for unwritten lines, its lines
    kept = json.loads((home / "status" / "music" / CHANGES_DIR / KEPT_FILE).read_bytes()
                      .splitlines()[1])["journals"][f"{session}.jsonl"]  # fmt: skip
    assert sum(kept["weeks"].values()) == 2  # both artists' stray spaces
    assert [s[:4] for s in kept["sums"]["sessions"]] == [[session, 2, 2, 2]]
