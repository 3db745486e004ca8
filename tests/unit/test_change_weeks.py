"""The reports' count of tag changes by week (``reports/change_weeks.py``): each journal counted
a line at a time, its counts kept by the closing reports and taken while the journal is
unchanged; with them each session's sums, which ``undo --list`` takes
(``journal.written_by_session``). Every count is held against the journals read whole."""

from __future__ import annotations

import json
import os
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mediakeeper.changes import journal
from mediakeeper.changes.change import TagChange
from mediakeeper.changes.journal import CHANGES_DIR, checked_line, read_journals, written_by_session
from mediakeeper.changes.kept import KEPT_FILE
from mediakeeper.changes.writes import ChangeJournal
from mediakeeper.reports.change_weeks import ChangeCount, ChangeWeeks
from mediakeeper.reports.weeks import Week, count_in, parse_time
from tests.unit.test_journal import _summed as summed_whole

SONG, TITLE = Path("/m/A/01.flac"), TagChange("01.flac", "title", "A ", "A")
MONDAY = Week.of(datetime(2026, 11, 23, tzinfo=UTC))


def _journal(kind: Path, session: str, stamps: list[datetime]) -> Path:
    """A journal of one change at each of ``stamps``, its time that of the last."""
    folder = kind / CHANGES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{session}.jsonl"
    with open(path, "a", encoding="utf-8") as f:
        for at in stamps:
            f.write(checked_line({"session": session, "artist": "A", "path": str(SONG),
                                  "tag": "title", "old": "A ", "new": "A",
                                  "at": at.isoformat()}))  # fmt: skip
    os.utime(path, (stamps[-1].timestamp(),) * 2)
    return path


def _asked() -> list[tuple[Week, datetime | None]]:
    """Weeks and moments a report asks about: whole weeks, a week by a moment inside it,
    before and after the journals' last change."""
    weeks = [MONDAY.shift(-1), MONDAY, MONDAY.shift(1)]
    inside = [None, MONDAY.start + timedelta(days=2, hours=5), MONDAY.end, MONDAY.start]
    return [(week, as_of) for week in weeks for as_of in inside]


def _whole(kind: Path, week: Week, as_of: datetime | None) -> int:
    moments = sorted(m for e in read_journals(kind).entries if (m := parse_time(e.at)))
    return count_in(moments, week, as_of)


def _same(kind: Path, **read) -> None:
    counted = ChangeWeeks.read(kind, **read)
    for week, as_of in _asked():
        assert sum(counted.count_in(week, as_of)) == _whole(kind, week, as_of), (week, as_of)


def _summed_anew(kind: Path):
    """``written_by_session`` as a new process asks it (``undo --list``): from what was kept
    and the journals alone, none of its own readings before."""
    journal._SUMMED.clear()
    return written_by_session(kind)


def _sums_same(kind: Path) -> None:
    summed, whole = _summed_anew(kind), summed_whole(kind)
    assert summed == whole
    assert list(summed.sessions) == list(whole.sessions)  # the order undo --list shows


def test_the_counts_are_the_journals_read_whole_as_they_change(tmp_path):
    """Through counts kept and not, after every kind of change to the journals: an append
    (a week later), a change said unwritten, a damaged line, a journal replaced and put back,
    a stamp edited in place with the journal's time set back, one deleted."""
    kind = tmp_path / "music"
    hours = [MONDAY.start + timedelta(days=2, hours=h) for h in (1, 3, 7)]
    one = _journal(kind, "s1", [MONDAY.start - timedelta(days=1), *hours])
    two = ChangeJournal(kind, "s2")

    def same() -> None:
        _same(kind)
        _sums_same(kind)
        _same(kind, keep=True)
        _same(kind)  # through what was kept
        _sums_same(kind)

    same()
    assert (kind / CHANGES_DIR / KEPT_FILE).is_file()
    _journal(kind, "s1", [MONDAY.start + timedelta(days=8)])
    same()
    at = two.record([("A", SONG, TITLE)] * 3)
    two.unwritten([(SONG, TITLE, "read-only")], at)
    same()
    with open(one, "ab") as f:
        f.write(b'{"session": "s1", "tag"\n')
    same()
    kept = two.path.read_bytes()
    two.path.unlink()
    _journal(kind, "s2", [MONDAY.start + timedelta(hours=2)] * 4)
    same()
    two.path.write_bytes(kept)
    same()
    before = one.stat()
    lines = one.read_text("utf-8").splitlines(keepends=True)
    edited = json.loads(lines[1])
    del edited["check"]
    lines[1] = checked_line({**edited, "at": edited["at"].replace("-25T", "-16T")})
    one.write_text("".join(lines), "utf-8")
    os.utime(one, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert one.stat().st_size == before.st_size
    same()
    one.unlink()
    same()


def test_counts_kept_are_believed_only_for_the_journal_they_were_counted_from(tmp_path):
    """What shows a reading takes them: made to say 99, they are read as 99; the same for a
    journal grown since, or a file damaged or of another format, are passed over. Only a
    reading that asks (the closing reports') keeps any."""
    kind = tmp_path / "music"
    _journal(kind, "s1", [MONDAY.start + timedelta(hours=h) for h in range(4)])
    path = kind / CHANGES_DIR / KEPT_FILE
    assert ChangeWeeks.read(kind).count_in(MONDAY).fixes == 4
    assert not path.exists()
    ChangeWeeks.read(kind, keep=True)
    header, body = path.read_bytes().splitlines()
    kept = json.loads(body)
    assert kept["journals"]["s1.jsonl"]["weeks"] == {"2026-11-23": 4}
    kept["journals"]["s1.jsonl"]["weeks"] = {"2026-11-23": 99}

    def write(document, *, fmt: int = 1, crc: int | None = None) -> None:
        text = json.dumps(document).encode()
        head = {"format": fmt, "crc32": zlib.crc32(text) if crc is None else crc}
        path.write_bytes(json.dumps(head).encode() + b"\n" + text + b"\n")

    write(kept)
    assert ChangeWeeks.read(kind).count_in(MONDAY).fixes == 99
    held = kept["journals"]["s1.jsonl"]
    write(kept, crc=json.loads(header)["crc32"])  # the counts changed under their CRC-32
    assert ChangeWeeks.read(kind).count_in(MONDAY).fixes == 4
    write(kept, fmt=2)
    assert ChangeWeeks.read(kind).count_in(MONDAY).fixes == 4
    for changed in ({"id": 5}, {"last": "then"}, {"weeks": {"2026-11-23": "99"}}):
        write({"journals": {"s1.jsonl": {**held, **changed}}})
        assert ChangeWeeks.read(kind).count_in(MONDAY).fixes == 4, changed
    for damaged in ({"journals": []}, {"journal": {}}):
        write(damaged)
        assert ChangeWeeks.read(kind).count_in(MONDAY).fixes == 4, damaged
    for damaged in (b"", b"{", body):  # no header, a torn one
        path.write_bytes(damaged)
        assert ChangeWeeks.read(kind).count_in(MONDAY).fixes == 4, damaged
    write(kept)
    _journal(kind, "s1", [MONDAY.start + timedelta(days=1)])
    assert ChangeWeeks.read(kind).count_in(MONDAY).fixes == 5  # grown since: read again


def test_sums_kept_are_believed_only_for_the_journal_they_were_summed_from(tmp_path):
    """As the counts: made to say 99, the sums kept are read as 99 (what shows undo --list
    takes them); for a journal grown since, or not as they are written, they are passed over
    and the journal read. A journal holding another session's line keeps none."""
    kind = tmp_path / "music"
    _journal(kind, "s1", [MONDAY.start + timedelta(hours=h) for h in range(4)])
    path = kind / CHANGES_DIR / KEPT_FILE
    ChangeWeeks.read(kind, keep=True)
    body = path.read_bytes().splitlines()[1]
    held = json.loads(body)["journals"]["s1.jsonl"]
    first = MONDAY.start.isoformat()
    last = (MONDAY.start + timedelta(hours=3)).isoformat()
    assert held["sums"] == {"sessions": [["s1", 4, 1, 1, first, last]], "problems": []}

    def write(sums) -> None:
        text = json.dumps({"journals": {"s1.jsonl": {**held, "sums": sums}}}).encode()
        path.write_bytes(json.dumps({"format": 1, "crc32": zlib.crc32(text)}).encode() + b"\n"
                         + text + b"\n")  # fmt: skip

    write({"sessions": [["s1", 99, 1, 1, first, last]], "problems": [[7, "why", False]]})
    summed = _summed_anew(kind)
    assert summed.sessions["s1"].values == 99
    assert [(p.journal, p.line, p.reason, p.torn) for p in summed.problems] == [
        (kind / CHANGES_DIR / "s1.jsonl", 7, "why", False)
    ]
    for sums in ({"sessions": [["s2", 99, 1, 1, first, last]], "problems": []},
                 {"sessions": [["s1", "99", 1, 1, first, last]], "problems": []},
                 {"sessions": [["s1", 99, 1, 1, first]], "problems": []},
                 {"sessions": [["s1", 99, 1, 1, first, last]], "problems": [[7, "why", 0]]},
                 {"sessions": [["s1", 99, 1, 1, first, last]]}, [], None):  # fmt: skip
        write(sums)
        assert _summed_anew(kind) == summed_whole(kind), sums
    write({"sessions": [["s1", 99, 1, 1, first, last]], "problems": []})
    _journal(kind, "s1", [MONDAY.start + timedelta(days=1)])
    assert _summed_anew(kind).sessions["s1"].values == 5  # grown since: read again
    with open(kind / CHANGES_DIR / "s1.jsonl", "a", encoding="utf-8") as f:
        f.write(checked_line({"session": "s0", "artist": "B", "path": "/m/B/01.flac",
                              "tag": "title", "old": "B ", "new": "B",
                              "at": MONDAY.start.isoformat()}))  # fmt: skip
    ChangeWeeks.read(kind, keep=True)
    assert "sums" not in json.loads(path.read_bytes().splitlines()[1])["journals"]["s1.jsonl"]
    _sums_same(kind)


def test_a_week_asked_by_a_moment_before_the_journals_last_change_reads_it_again(tmp_path):
    """A report of a week as it stood at a moment inside it counts only the changes made by
    then, though the counts kept are the whole week's."""
    kind = tmp_path / "music"
    _journal(kind, "s1", [MONDAY.start + timedelta(days=d) for d in range(5)])
    ChangeWeeks.read(kind, keep=True)
    counted = ChangeWeeks.read(kind)
    assert counted.count_in(MONDAY).fixes == 5
    assert counted.count_in(MONDAY, MONDAY.start + timedelta(days=2, hours=1)).fixes == 3


def test_an_undo_s_values_are_counted_apart_from_the_fixes(tmp_path):
    """An undo journals the values it puts back under its own session (so that it can be
    undone in turn): they are values taken back, never more fixes."""
    kind = tmp_path / "music"
    _journal(kind, "20261123-070000-ab12", [MONDAY.start + timedelta(hours=h) for h in range(3)])
    _journal(kind, "undo_20261124-080000-cd34", [MONDAY.start + timedelta(days=1)] * 2)
    assert ChangeWeeks.read(kind).count_in(MONDAY) == ChangeCount(fixes=3, taken_back=2)
    ChangeWeeks.read(kind, keep=True)  # and as the counts kept are read back
    assert ChangeWeeks.read(kind).count_in(MONDAY) == ChangeCount(fixes=3, taken_back=2)


def test_a_change_said_unwritten_whose_entry_is_damaged_takes_no_other_out_of_the_count(tmp_path):
    """One rule says which changes were written, for the counts as for the sums and undo: a
    line saying a change unwritten takes out that change's entry (its session, path, tag and
    stamp), never another of the same append, which shares its stamp, where its own entry
    cannot be read."""
    kind = tmp_path / "music"
    two = ChangeJournal(kind, "s2")
    other = Path("/m/A/02.flac")
    at = two.record([("A", SONG, TITLE), ("A", other, TITLE)])
    two.unwritten([(other, TITLE, "read-only")], at)
    lines = two.path.read_text("utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace('"A "', '"a "')  # the unwritten change's entry, damaged
    two.path.write_text("".join(lines), "utf-8")
    assert [e.path for e in read_journals(kind).entries] == [str(SONG)]
    for keep in (False, True, False):
        assert sum(ChangeWeeks.read(kind, keep=keep).count_in(Week.of(parse_time(at)))) == 1
        _sums_same(kind)
