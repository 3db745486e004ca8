"""The change journals' stamps read for the reports' count (changes/journal.py ``journal_stamps``):
a line as the toolkit wrote it has its stamp cut out without decoding it; every other line is
read whole. Either way the stamps are exactly those of the entries a whole reading finds. A
count of the changes since a moment reads only the journals written since then, and what an
undo of a session weighs only those written since the session's first change."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

from mediakeeper.changes.journal import (
    CHANGES_DIR,
    CLOCK_SLACK,
    JournalEntry,
    _each_line,
    checked_line,
    journal_stamps,
    read_journals,
)


def _change(n: int, **more) -> dict:
    return {"session": "s", "artist": "A", "path": f"/m/A/{n:02d} \udcff \\\"at\\\": x.mp3",
            "tag": "title", "old": f'"at": "{n}"', "new": None,
            "at": f"2026-11-2{n % 7}T10:00:{n:02d}.000123+00:00", **more}  # fmt: skip


def test_stamps_are_those_of_the_entries_a_whole_reading_finds(tmp_path):
    folder = tmp_path / "music" / CHANGES_DIR
    folder.mkdir(parents=True)
    lines = [checked_line(_change(n)) for n in range(6)]
    lines[1] = lines[1].replace("10:00:01", "10:00:09")  # edited: its checksum no longer holds
    lines[2] = json.dumps(_change(2)) + "\n"  # written by hand, without a checksum: read whole
    lines[3] = lines[3][:40] + "\n"  # cut short by a kill
    lines.append(checked_line({"at": "2026-11-20T00:00:00+00:00", **_change(7)}))  # "at" first
    text = "".join(lines)
    (folder / "s.jsonl").write_bytes(text.encode("utf-8", "backslashreplace"))
    whole = [e.at for e in _each_line([folder / "s.jsonl"]) if isinstance(e, JournalEntry)]
    assert list(journal_stamps(tmp_path / "music")) == whole
    assert len(whole) == 5 and "2026-11-22T10:00:09.000123+00:00" not in whole


def _journal(folder, session: str, made: datetime, changes: int) -> list[str]:
    """A session's journal as its batch leaves it: its changes stamped while it ran, the
    file last written as the last of them was. Returns the stamps."""
    stamps = [(made + timedelta(seconds=n)).isoformat() for n in range(changes)]
    lines = [checked_line({**_change(n), "session": session, "at": at})
             for n, at in enumerate(stamps)]  # fmt: skip
    path = folder / f"{session}.jsonl"
    path.write_bytes("".join(lines).encode("utf-8", "backslashreplace"))
    last = (made + timedelta(seconds=changes)).timestamp()
    os.utime(path, (last, last))
    return stamps


def test_a_count_since_a_moment_reads_only_the_journals_written_since(tmp_path):
    folder = tmp_path / "music" / CHANGES_DIR
    folder.mkdir(parents=True)
    monday = datetime(2026, 11, 23, tzinfo=UTC)
    weeks_ago = _journal(folder, "20261102_music_001", monday - timedelta(weeks=3), 3)
    # Written just before the week began: within the slack a file's time may lag its stamps
    # by (a coarse clock, FAT's two seconds, a share's server), so it is read.
    sunday = _journal(folder, "20261122_music_001", monday - CLOCK_SLACK / 2, 2)
    this_week = _journal(folder, "20261124_music_001", monday + timedelta(days=1), 4)
    since = list(journal_stamps(tmp_path / "music", since=monday))
    assert since == sunday + this_week  # the journal of three weeks ago is not read
    assert list(journal_stamps(tmp_path / "music")) == weeks_ago + sunday + this_week


def test_an_undo_of_a_session_reads_only_the_journals_written_since_its_first_change(tmp_path):
    """Its own changes and every later one, in time order, whatever their journals' names;
    not a journal last written weeks before it. A session whose first change cannot be
    told, or that has no journal, has every journal read."""
    folder = tmp_path / "music" / CHANGES_DIR
    folder.mkdir(parents=True)
    started = datetime(2026, 11, 23, 10, tzinfo=UTC)
    weeks_ago = _journal(folder, "20261102_music_001", started - timedelta(weeks=3), 3)
    slack = _journal(folder, "20261122_music_001", started - CLOCK_SLACK / 2, 2)
    own = _journal(folder, "20261123_music_001", started, 4)
    later = _journal(folder, "20261126_music_001", started + timedelta(days=3), 2)
    undone = _journal(folder, "undo_20261123T120000", started + timedelta(hours=2), 1)

    def stamps(**after) -> list[str]:
        return [e.at for e in read_journals(tmp_path / "music", **after).entries]

    everything = sorted(weeks_ago + slack + own + later + undone)
    assert stamps() == everything
    # in time order, not the journals' names: the undo's changes come before the later ones
    assert stamps(after="20261123_music_001") == slack + own + undone + later
    assert stamps(after="20261126_music_001") == later
    assert stamps(after="20261130_music_001") == everything  # no journal of its own
    back = (started - timedelta(weeks=2)).timestamp()  # its time set back (a restore's copy)
    os.utime(folder / "20261126_music_001.jsonl", (back, back))
    assert stamps(after="20261126_music_001") == later  # its own journal is read all the same
    with open(folder / "20261123_music_001.jsonl", "ab") as f:  # a stamp edited by hand
        line = checked_line({**_change(9), "session": "20261123_music_001", "at": "then"})
        f.write(line.encode("utf-8", "backslashreplace"))
    assert stamps(after="20261123_music_001") == sorted([*everything, "then"], key=_when)


def _when(stamp: str) -> datetime:
    """As the journals order their entries: a stamp that is no time, first."""
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
