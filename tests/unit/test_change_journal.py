"""The change journal: every append starts on a line of its own, even after a torn one."""

from __future__ import annotations

from pathlib import Path

from mediakeeper.music.fixes import ChangeJournal, read_journal
from mediakeeper.music.model import TagChange


def test_an_append_after_a_torn_line_is_read_back_whole(tmp_path):
    journal = ChangeJournal(tmp_path, "s1")
    journal.record([("Alpha", Path("/m/a.flac"), TagChange("a.flac", "title", "A ", "A"))])
    # An append that a full disk cut short leaves half a line behind.
    with open(journal.path, "ab") as f:
        f.write(b'{"session": "s1", "artist": "Alpha", "path": "/m/b.fl')
    journal.record([("Bravo", Path("/m/c.ogg"), TagChange("c.ogg", "album", None, "C"))])

    entries = read_journal(tmp_path)
    assert [(e.artist, e.path, e.tag, e.old, e.new) for e in entries] == [
        ("Alpha", "/m/a.flac", "title", "A ", "A"),
        ("Bravo", "/m/c.ogg", "album", None, "C"),
    ]
    assert journal.path.read_bytes().count(b"\n") == 3  # the torn line ended, not continued


def test_appends_on_a_whole_line_add_no_empty_lines(tmp_path):
    journal = ChangeJournal(tmp_path, "s1")
    for n in range(3):
        journal.record([("A", Path(f"/m/{n}.mp3"), TagChange(f"{n}.mp3", "title", None, "T"))])
    assert journal.path.read_text().splitlines() == [
        line for line in journal.path.read_text().splitlines() if line
    ]
    assert len(read_journal(tmp_path)) == 3
