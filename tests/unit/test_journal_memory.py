"""The closing reports of every batch count the journaled changes by week (the weekly report's
"tag changes"): the journals hold every change ever made, so reading them must not hold them.
Measured with tracemalloc as bytes of peak allocation per journal line, between two journal
sizes: what the count holds is a number a week, not the entries, nor a stamp a change; the
closing reports' reading, which sums each journal's sessions for ``undo --list`` as well,
holds a session's files and artists a journal at a time, not its entries."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from mediakeeper.changes.journal import CHANGES_DIR, checked_line, read_journals
from mediakeeper.reports.change_weeks import ChangeWeeks
from mediakeeper.reports.weeks import Week

SESSIONS = 4
STAMPED = datetime(2026, 1, 1, tzinfo=UTC)  # every change's day
# Nothing grows with the lines but the allocator's rounding. A stamp a change (a datetime and
# its slots in a sorted list and a tuple) took 64-160; each entry held, over 600.
MOST_PER_LINE = 8
# Summed as well: each file and artist of the journal being read (about 15 here, a journal
# of four: every change its own file); its entries held took 188.
MOST_PER_LINE_KEPT = 48


def _journals(kind_dir: Path, lines: int) -> None:
    """``lines`` changes in SESSIONS journals, written as the batch writes them."""
    folder = kind_dir / CHANGES_DIR
    folder.mkdir(parents=True)
    for s in range(SESSIONS):
        session = f"20260101_00000{s}_session"
        text = "".join(checked_line(_change(session, n)) for n in range(s, lines, SESSIONS))
        (folder / f"{session}.jsonl").write_text(text, encoding="utf-8")


def _change(session: str, n: int) -> dict[str, str]:
    artist = f"Artist {n % 930:04d}"
    return {
        "session": session,
        "artist": artist,
        "path": f"/music/{artist}/2001 - Album/{n:05d} - Song {n}.flac",
        "tag": "title",
        "old": f"Song {n}  ",
        "new": f"Song {n}",
        "at": f"2026-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}+00:00",
    }


def _peak(kind_dir: Path, **read) -> tuple[int, int]:
    """(peak bytes allocated while the changes are counted, how many were counted)."""
    tracemalloc.start()
    try:
        counted = ChangeWeeks.read(kind_dir, **read)
        return tracemalloc.get_traced_memory()[1], counted.count_in(Week.of(STAMPED)).fixes
    finally:
        tracemalloc.stop()


def test_counting_the_changes_holds_a_count_a_week_not_the_changes(tmp_path):
    small, large = 1_000, 9_000
    _journals(tmp_path / "small" / "music", small)
    _journals(tmp_path / "large" / "music", large)
    (peak_small, read_small), (peak_large, read_large) = (
        _peak(tmp_path / "small" / "music"),
        _peak(tmp_path / "large" / "music"),
    )
    assert (read_small, read_large) == (small, large)  # every line read, none passed over
    per_line = (peak_large - peak_small) / (large - small)
    assert per_line < MOST_PER_LINE, f"{per_line:.0f} bytes held per journal line"
    # the same journals, read whole for undo, still give every entry in time order
    entries = read_journals(tmp_path / "large" / "music").entries
    assert len(entries) == large
    assert [e.at for e in entries] == sorted(e.at for e in entries)


def test_the_closing_reports_reading_holds_no_change_as_it_sums_the_sessions(tmp_path):
    small, large = 1_000, 9_000
    _journals(tmp_path / "small" / "music", small)
    _journals(tmp_path / "large" / "music", large)
    (peak_small, read_small), (peak_large, read_large) = (
        _peak(tmp_path / "small" / "music", keep=True),
        _peak(tmp_path / "large" / "music", keep=True),
    )
    assert (read_small, read_large) == (small, large)
    per_line = (peak_large - peak_small) / (large - small)
    assert per_line < MOST_PER_LINE_KEPT, f"{per_line:.0f} bytes held per journal line"
