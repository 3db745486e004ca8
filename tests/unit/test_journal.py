"""Reading the change journal back: a line cut short by a kill is told apart from a damaged
one (see mediakeeper.changes.journal)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from mediakeeper.changes.change import TagChange
from mediakeeper.changes.journal import (
    JournalEntry,
    Summed,
    Written,
    _entry,
    checked_line,
    journal_stamps,
    journaled,
    read_journals,
    written_by_session,
)
from mediakeeper.changes.writes import ChangeJournal
from mediakeeper.text.jsonfmt import dumps_one

ENTRY = {
    "session": "20260101_session_001",
    "artist": "Björk",
    "path": "/m/Björk/Post/01 - Jóga.flac",
    "tag": "title",
    "old": "Jóga  ",
    "new": "Jóga",
    "at": "2026-01-01T00:00:00.000001+00:00",
}
LINE = checked_line(ENTRY).encode().removesuffix(b"\n")


def test_every_start_of_a_line_is_cut_short_and_no_flipped_bit_is():
    """A kill can stop an append at any byte (in a character, an escape, null); a flipped bit
    anywhere is never taken for that, and never reads as another change: it is damage (the
    checksum catches one inside a value), or one in the checksum's own name, which leaves
    the change as it was."""
    assert _entry(LINE) == JournalEntry(**ENTRY)
    for n in range(1, len(LINE)):
        assert _entry(LINE[:n]) == _entry(LINE[:n] + b"\x00\x00"), n  # zeros after a crash
        reason, torn = _entry(LINE[:n])
        assert torn, (n, LINE[:n], reason)
    damaged = 0
    for i in range(len(LINE)):
        for bit in range(8):
            flipped = bytearray(LINE)
            flipped[i] ^= 1 << bit
            if b"\n" in flipped:  # two lines, each judged on its own
                continue
            read = _entry(bytes(flipped))
            if isinstance(read, JournalEntry):
                assert read == JournalEntry(**ENTRY), (i, bit, bytes(flipped))
                assert b'"check"' not in flipped
            else:
                assert read[1] is False, (i, bit, bytes(flipped))
                damaged += 1
    assert damaged > len(LINE) * 7.5


def test_a_line_cut_short_stays_a_note_after_later_appends(tmp_path):
    journal = ChangeJournal(tmp_path, "s1")
    change = [("Alpha", Path("/m/a.flac"), TagChange("a.flac", "title", "A ", "A"))]
    journal.record(change)
    with open(journal.path, "ab") as f:  # a kill in the middle of the next append
        f.write(LINE[:40])
    journal.record(change)
    journal.record(change)
    found = read_journals(tmp_path)
    assert len(found.entries) == 3
    assert [(p.line, p.torn) for p in found.problems] == [(2, True)]
    assert found.damaged == []
    assert "line 2: an entry cut short" in str(found.problems[0])


def test_entries_of_the_wrong_shape_are_damage_with_their_line(tmp_path):
    good = dumps_one(ENTRY)  # as written by hand: no checksum
    lines = [
        good,
        "[1, 2]",
        good.replace('"old": "Jóga  "', '"old": 5'),
        good.replace('"path": "/m/Björk/Post/01 - Jóga.flac"', '"path": null'),
        good.replace('"tag": "title"', '"tag": "mood"'),
        good.replace('"/m/Björk', '"m/Björk'),
        good.replace(', "at": "2026-01-01T00:00:00.000001+00:00"', ""),
        good.replace('"tag"', '"tog"'),
    ]
    (tmp_path / "changes").mkdir()
    (tmp_path / "changes" / "s1.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = read_journals(tmp_path)
    assert len(found.entries) == 1
    assert [(p.line, p.torn) for p in found.problems] == [(n, False) for n in range(2, 9)]
    reasons = [p.reason for p in found.problems]
    assert reasons[:3] == [
        "not a change entry (a JSON list)",
        'not a change entry ("old" is a JSON int, not text)',
        'not a change entry ("path" is null, not text)',
    ]
    assert reasons[3] == "not a change entry (unknown tag 'mood')"
    assert "not absolute" in reasons[4] and "(no at)" in reasons[5]


def test_a_line_keeps_its_file_s_size_and_one_written_before_sizes_were_kept_reads_without():
    """The size of the file before the change (what an undo gives it back) is read back; a
    line without one (an earlier version's) is still a change, of no known size; a size that
    is not a whole number of bytes is damage, never written back as a padding."""
    sized = {**ENTRY, "size": 4096}
    assert _entry(checked_line(sized).encode().removesuffix(b"\n")) == JournalEntry(**sized)
    assert _entry(LINE).size is None
    for wrong in (-1, 1.5, "4096", True):
        reason, torn = _entry(checked_line({**ENTRY, "size": wrong}).encode())
        assert "size" in reason and not torn, wrong


def test_a_change_said_unwritten_is_in_no_reading_and_a_damaged_saying_leaves_it_in(tmp_path):
    """A write that left its file alone is said after its entries (``unwritten``, with the
    entry's stamp): the entries read back, and the stamps the reports count, are those of
    the changes written; the same change journaled twice at one stamp is passed over once
    for each saying; a saying whose checksum fails is damage, and its change is kept."""
    journal = ChangeJournal(tmp_path, "s1")
    song, other = Path("/m/song.flac"), Path("/m/other.flac")
    title = TagChange("song.flac", "title", "A ", "A")
    twice = [("Alpha", song, title), ("Alpha", song, title), ("Alpha", other, title)]
    at = journal.record(twice)
    kept = journal.record([("Alpha", song, TagChange("song.flac", "album", "B ", "B"))])
    journal.unwritten([(song, title, "has other names (hard links): left alone")], at)
    found = read_journals(tmp_path)
    assert [(e.path, e.tag, e.at) for e in found.entries] == [
        (str(song), "title", at), (str(other), "title", at), (str(song), "album", kept)
    ]  # fmt: skip
    assert found.problems == []
    assert sorted(journal_stamps(tmp_path)) == sorted([at, at, kept])

    journal.unwritten([(other, title, "read-only"), (song, title, "read-only")], at)
    lines = journal.path.read_text("utf-8").splitlines(keepends=True)
    lines[-1] = lines[-1].replace("read-only", "read-onlY")  # a flipped bit
    journal.path.write_text("".join(lines), "utf-8")
    found = read_journals(tmp_path)
    assert [(e.path, e.tag) for e in found.entries] == [(str(song), "title"), (str(song), "album")]
    assert [(p.line, p.reason) for p in found.damaged] == [
        (7, "does not match its checksum (damaged)")
    ]
    assert sorted(journal_stamps(tmp_path)) == sorted([at, kept])


def test_a_saying_across_two_blocks_of_the_stamps_look_is_found(tmp_path):
    """The reports' count looks through a journal 64 KB at a time for an ``unwritten`` line:
    one whose key straddles two blocks still takes its change out of the count."""
    journal = ChangeJournal(tmp_path, "s1")
    song = Path("/m/song.flac")
    title = TagChange("song.flac", "title", "A ", "A")
    at = journal.record([("Alpha", song, title)])
    saying = checked_line({"session": "s1", "path": str(song), "tag": "title", "unwritten": at,
                           "reason": "read-only"})  # fmt: skip
    key_at = saying.index('"unwritten": ') + 4  # the block ends inside the key
    probe = ChangeJournal(tmp_path / "probe", "s1")
    probe.record([("Alpha", Path("/m/.flac"), title)])
    line = probe.path.stat().st_size  # an entry's line, less its path's padding
    pad = (1 << 16) - journal.path.stat().st_size - line - key_at
    journal.record([("Alpha", Path(f"/m/{'x' * pad}.flac"), title)])
    assert journal.path.stat().st_size + key_at == 1 << 16
    journal.unwritten([(song, title, "read-only")], at)
    assert len(list(journal_stamps(tmp_path))) == 1


def test_whether_a_session_journaled_a_written_change_is_read_from_its_own_journal(tmp_path):
    """Undoing a dismissal asks whether its session changed a tag (``journaled``): the answer
    is the whole reading's, from the session's own journal alone, so a session whose every
    change was said unwritten changed none, and no other session's journal is read."""
    song = Path("/m/song.flac")
    title = TagChange("song.flac", "title", "A ", "A")
    written = ChangeJournal(tmp_path, "20260101T000000000001_decide")
    written.record([("Alpha", song, title)])
    refused = ChangeJournal(tmp_path, "20260101T000000000002_decide")
    at = refused.record([("Alpha", song, title)])
    refused.unwritten([(song, title, "read-only")], at)
    sessions = [written.session, refused.session, "20260101T000000000003_decide", "../s1", ""]
    whole = {e.session for e in read_journals(tmp_path).entries}
    assert [journaled(tmp_path, s) for s in sessions] == [s in whole for s in sessions]
    assert [journaled(tmp_path, s) for s in sessions] == [True, False, False, False, False]
    # Only the session's own journal is read: a line naming it in another (which no writer
    # makes) is in the whole reading, and not in the answer.
    stray = {**ENTRY, "session": refused.session, "path": str(song)}
    written.path.with_name("20251231_music_001.jsonl").write_text(checked_line(stray), "utf-8")
    assert refused.session in {e.session for e in read_journals(tmp_path).entries}
    assert not journaled(tmp_path, refused.session)


def _summed(status_kind_dir):
    """What each session wrote, summed from a whole reading of every journal, in the order
    it names them; and the lines it passed over."""
    journals = read_journals(status_kind_dir)
    entries = journals.entries
    return Summed({s: Written(sum(e.session == s for e in entries),
                              len({e.path for e in entries if e.session == s}),
                              len({e.artist for e in entries if e.session == s}),
                              next(e.at for e in entries if e.session == s),
                              [e.at for e in entries if e.session == s][-1])
                   for s in dict.fromkeys(e.session for e in entries)},
                  journals.problems)  # fmt: skip


def test_what_each_session_wrote_is_the_whole_readings_sum_as_the_journals_change(tmp_path):
    """The page's recent changes: each session's values, files and last stamp, as a whole
    reading sums them, asked again in the same process after every kind of change to the
    journals (a session's values added, one said unwritten, a journal replaced, one
    removed, a new session, a line damaged, a line of another session put in by hand)."""
    songs = [Path(f"/m/A/{n:02d}.flac") for n in range(4)]
    title = TagChange("x.flac", "title", "A ", "A")
    one, two = ChangeJournal(tmp_path, "s1"), ChangeJournal(tmp_path, "s2")
    one.record([("A", song, title) for song in songs])
    at = two.record([("A", songs[0], title), ("A", songs[1], title)])

    def same() -> None:
        summed, whole = written_by_session(tmp_path), _summed(tmp_path)
        assert summed == whole
        assert list(summed.sessions) == list(whole.sessions)  # the order undo --list shows

    same()
    one.record([("A", songs[0], TagChange("x.flac", "album", "B ", "B"))])
    same()
    two.unwritten([(songs[1], title, "read-only")], at)
    same()
    assert written_by_session(tmp_path).sessions["s2"] == Written(1, 1, 1, at, at)
    replaced = two.path.read_bytes()
    two.path.unlink()
    two.record([("A", songs[3], title)])
    same()
    two.path.write_bytes(replaced)
    same()
    before = one.path.stat()  # a line edited in place, as long, its time set back
    lines = one.path.read_text("utf-8").splitlines(keepends=True)
    edited = json.loads(lines[-1])
    del edited["check"]
    lines[-1] = checked_line({**edited, "at": "2099" + edited["at"][4:]})
    one.path.write_text("".join(lines), "utf-8")
    os.utime(one.path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert one.path.stat().st_size == before.st_size
    same()
    assert written_by_session(tmp_path).sessions["s1"].last.startswith("2099-")
    one.path.unlink()
    same()
    ChangeJournal(tmp_path, "s3").record([("A", songs[2], title)])
    same()
    # A journal read first (by its name) whose changes came last: listed after the others.
    ChangeJournal(tmp_path, "s0").record([("B", Path("/m/B/01.flac"), title)])
    same()
    assert list(written_by_session(tmp_path).sessions)[-1] == "s0"
    with open(two.path, "ab") as f:
        f.write(b'{"session": "s2", "oops"}\n')  # damaged: passed over, as by every reading
    same()
    with open(two.path, "a", encoding="utf-8") as f:  # s3's change copied into s2's journal
        f.write(checked_line({**ENTRY, "session": "s3", "path": str(songs[0])}))
    same()
    assert written_by_session(tmp_path).sessions["s3"].files == 2
