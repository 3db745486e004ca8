"""What an undo of one artist reads of the change journals, where they hold many weeks of
changes (at 55,000 artists, 600,000 changes: 138 MB, 20-30 s and 530 MB a reading).

Counted, not timed: a real ``undo_changes.py`` in a subprocess, an audit hook counting each
journal it opens to read. An artist's undo reads every journal once (any may hold its
changes), not once for the check that no batch holds it, again for the question, and again
to undo; with ``--session`` only the session's journal and those written since, as a whole
session's undo reads them (docs/performance.md, undo). Its list reads only the journals
written since the closing reports kept their sums (``changes/weeks.json``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mediakeeper.changes.journal import CHANGES_DIR, checked_line
from mediakeeper.reports.closing import changes_in
from mediakeeper.reports.tally import Moment
from mediakeeper.reports.weeks import Week
from tests.helpers import run_counted
from tests.integration.test_undo import spec

OLDER_WEEKS = 3

# Runs the script as ``python utilities/undo_changes.py`` does, counting each ``.jsonl`` of
# the journals opened to read (not appended to), written as JSON to $COUNTED at exit.
COUNTING = """
def hook(event, args):
    path, mode, flags = (str(args[0]), args[1], args[2]) if event == "open" else ("", "", 0)
    writing = (mode or "r")[:1] in "wax" or (isinstance(flags, int) and flags & os.O_WRONLY)
    if path.endswith(".jsonl") and "/changes/" in path and not writing:
        counted[os.path.basename(path)] += 1
sys.addaudithook(hook)
"""


@pytest.fixture
def weeks_of_changes(tmp_path, music_library, music_script):
    """Two artists fixed by a real batch, and the journals of OLDER_WEEKS weekly sessions
    before it (each last written as its last change was), as a library's history is."""
    lib = music_library(tmp_path / "Music", {**spec("Alpha"), **spec("Bravo")})
    home = tmp_path / "home"
    run = music_script("process_music_batch.py", "--home", home, "--library", lib)
    assert run.returncode == 0, run.stderr
    session = Path(re.search(r"session log: (.+)\.log", run.stdout).group(1)).name
    folder = home / "status" / "music" / CHANGES_DIR
    for week in range(1, OLDER_WEEKS + 1):
        made = datetime.now(UTC) - timedelta(weeks=week)
        older = f"{made:%Y%m%d}_music_001"
        path = folder / f"{older}.jsonl"
        path.write_text("".join(
            checked_line({"session": older, "artist": "Charlie", "path": f"/gone/Charlie/{n}.flac",
                          "tag": "title", "old": "x", "new": "y",
                          "at": (made + timedelta(seconds=n)).isoformat()})
            for n in range(3)), encoding="utf-8")  # fmt: skip
        os.utime(path, (made.timestamp() + 3, made.timestamp() + 3))
    return home, session


def journals_read(tmp_path: Path, *args) -> tuple[subprocess.CompletedProcess, Counter]:
    run, read = run_counted(COUNTING, "undo_changes.py", *args, counts=tmp_path / "counted.json")
    return run, Counter(read)


def test_an_artists_undo_reads_each_journal_once(weeks_of_changes, tmp_path):
    home, session = weeks_of_changes
    run, read = journals_read(tmp_path, "--home", home, "--artist", "Alpha")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "restored 1 value" in run.stdout or "1 value" in run.stdout, run.stdout
    older = [name for name in read if not name.startswith((session, "undo_"))]
    assert len(older) == OLDER_WEEKS  # any journal may hold an artist's changes
    # each once, not for the check, the question and the undo each
    assert {read[name] for name in older} == {1}, read


def test_an_artists_undo_within_a_session_reads_no_journal_written_before_it(
    weeks_of_changes, tmp_path
):
    home, session = weeks_of_changes
    run, read = journals_read(tmp_path, "--home", home, "--session", session, "--artist", "Alpha")
    assert run.returncode == 0, run.stdout + run.stderr
    older = [name for name in read if not name.startswith((session, "undo_"))]
    assert older == [], read  # the weeks before it: none of them


def test_a_session_that_changed_none_of_an_older_artist_still_says_so(weeks_of_changes,
                                                                     music_script):  # fmt: skip
    """Charlie's changes are all in the weeks before the session: the session is named as
    having none of his, not the artist as having none at all."""
    home, session = weeks_of_changes
    run = music_script("undo_changes.py", "--home", home, "--session", session,
                       "--artist", "Charlie")  # fmt: skip
    assert run.returncode == 2
    assert f"session {session} changed no tags of artist 'Charlie'" in run.stderr, run.stderr


def _kept_as_each_week_closed(home: Path) -> None:
    """What the closing reports of each journal's week kept (the batch's own, this week, was
    kept as it ended): its counts, read as of its last change."""
    kind_dir = home / "status" / "music"
    for path in sorted((kind_dir / CHANGES_DIR).glob("*.jsonl")):
        made = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        changes_in(kind_dir, Moment(Week.of(made), made, True))


def test_a_list_reads_only_the_journals_written_since_their_sums_were_kept(
    weeks_of_changes, tmp_path
):
    """Each journal's sums kept by the closing reports are taken while it is unchanged; one
    appended to since and a new one are read, and the list is the one every journal read
    whole gives, in text and JSON; a kept file torn by a kill is not believed."""
    home, _ = weeks_of_changes
    _kept_as_each_week_closed(home)
    folder = home / "status" / "music" / CHANGES_DIR
    kept, aside = folder / "weeks.json", tmp_path / "weeks.json"

    def listed(*args) -> tuple[subprocess.CompletedProcess, Counter]:
        run, read = journals_read(tmp_path, "--home", home, "--list", *args)
        assert run.returncode == 0, run.stdout + run.stderr
        return run, read

    def read_whole(*args) -> str:  # every journal read: nothing kept
        kept.rename(aside)
        run, read = listed(*args)
        aside.rename(kept)
        assert len(read) == len(list(folder.glob("*.jsonl")))
        return run.stdout

    for args in [(), ("--json",)]:
        run, read = listed(*args)
        assert read == Counter(), read  # every journal's sums kept
        assert run.stdout == read_whole(*args)
    oldest = min(folder.glob("2*.jsonl"))
    with open(oldest, "a", encoding="utf-8") as journal:  # appended to after its week closed
        journal.write(checked_line({"session": oldest.stem, "artist": "Delta",
                                    "path": "/gone/Delta/1.flac", "tag": "title", "old": "x",
                                    "new": "y", "at": datetime.now(UTC).isoformat()}))  # fmt: skip
    new = folder / "20200101_music_009.jsonl"
    new.write_text(checked_line({"session": new.stem, "artist": "Echo", "path": "/gone/Echo/1.flac",
                                 "tag": "title", "old": "x", "new": "y",
                                 "at": "2020-01-01T00:00:00+00:00"}), "utf-8")  # fmt: skip
    for args in [(), ("--json",)]:
        run, read = listed(*args)
        assert set(read) == {oldest.name, new.name}, read
        assert run.stdout == read_whole(*args)
    assert json.loads(run.stdout)["sessions"][0]["session"] == new.stem  # its change the oldest
    whole = kept.read_bytes()
    kept.write_bytes(whole[: len(whole) // 2])  # a kill as it was written (no fsync)
    run, read = listed("--json")
    assert len(read) == len(list(folder.glob("*.jsonl")))
    assert run.stdout == read_whole("--json")
