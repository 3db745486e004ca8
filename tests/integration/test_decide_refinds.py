"""A music decision's writes make again the album findings its tags decide: a choice that
fills a track gap leaves no ``track-gap`` in the artist's record, its report or ``decide``'s
list, and its undo brings the gap back as it was. Real files, real scripts."""

from __future__ import annotations

import json

import mutagen
import pytest

from tests.helpers import run_script
from tests.helpers.deciding import abba_processed, decide, session_of

GAP, MISMATCH = "track-gap", "filename-mismatch"


@pytest.fixture
def gapped(tmp_path, music_library):
    """The third file, named ``03 - Song 3``, tagged track 4: a gap at 3, and a file name
    that disagrees."""
    return abba_processed(tmp_path, music_library, {1: 1, 2: 2, 3: 4})


def surfaces(home) -> tuple[dict, str, set[str]]:
    """The artist's record, its issue report, and the codes ``decide --json`` lists."""
    [path] = (home / "outputs" / "music" / "artists").glob("*.json")  # Abba's alone
    record = json.loads(path.read_text(encoding="utf-8"))
    report = (home / "issues" / "music" / path.with_suffix(".md").name).read_text(encoding="utf-8")
    listed = decide(home, "--json")
    assert listed.returncode == 0, listed.stderr
    return record, report, {g["code"] for g in json.loads(listed.stdout)["groups"]}


def open_codes(record) -> list[str]:
    return [f["code"] for f in record["findings"] if not f["fixed"] and not f.get("decided")]


def test_a_choice_that_fills_a_gap_says_the_gap_is_gone_and_its_undo_brings_it_back(gapped):
    home, album = gapped
    before, report, listed = surfaces(home)
    assert sorted(open_codes(before)) == [MISMATCH, GAP], before["findings"]
    assert GAP in report and {GAP, MISMATCH} <= listed

    took = decide(home, "music", "Abba", "--code", MISMATCH, "--choose", "1")
    assert mutagen.File(album / "03 - Song 3.flac")["tracknumber"] == ["3"]
    record, report, listed = surfaces(home)
    assert open_codes(record) == [], record["findings"]
    assert GAP not in {f["code"] for f in record["findings"]}
    assert GAP not in report and GAP not in listed and MISMATCH not in listed, report

    undone = run_script("undo_changes.py", "--home", home, "--session", session_of(took))
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert mutagen.File(album / "03 - Song 3.flac")["tracknumber"] == ["4"]
    record, report, listed = surfaces(home)
    # The gap as the batch found it, record for record; the choice taken back asked again.
    [gap] = [f for f in record["findings"] if f["code"] == GAP]
    assert gap == next(f for f in before["findings"] if f["code"] == GAP)
    assert sorted(open_codes(record)) == [MISMATCH, GAP]
    assert GAP in report and {GAP, MISMATCH} <= listed


def gaps(record) -> list[tuple[list[int], dict | None]]:
    """Each track-gap's numbers absent, and what decided it (None: open)."""
    return [(f["details"]["absent"], f.get("decided")) for f in record["findings"]
            if f["code"] == GAP]  # fmt: skip


def test_a_choice_that_opens_a_gap_says_it_and_its_undo_takes_it_back(tmp_path, music_library):
    """``04 - Song 4`` tagged 3: no gap until the file name's number is written."""
    home, album = abba_processed(tmp_path, music_library, {1: 1, 2: 2, 4: 3})
    before, report, listed = surfaces(home)
    assert open_codes(before) == [MISMATCH] and GAP not in report and GAP not in listed

    took = decide(home, "music", "Abba", "--choose", "1")
    assert mutagen.File(album / "04 - Song 4.flac")["tracknumber"] == ["4"]
    record, report, listed = surfaces(home)
    assert gaps(record) == [([3], None)] and open_codes(record) == [GAP], record["findings"]
    assert "no track 3" in report and GAP in listed and MISMATCH not in listed

    undone = run_script("undo_changes.py", "--home", home, "--session", session_of(took))
    assert undone.returncode == 0, undone.stdout + undone.stderr
    record, report, listed = surfaces(home)
    assert gaps(record) == [] and open_codes(record) == [MISMATCH]
    assert GAP not in report and GAP not in listed and MISMATCH in listed


def test_a_gap_dismissed_stays_dismissed_as_a_choice_widens_it(tmp_path, music_library):
    """``05 - Song 5`` tagged 4: a gap at 3, dismissed; the file name's number written
    leaves 3 and 4 absent, a gap the person's dismissal of the code closes as the next
    batch would."""
    home, album = abba_processed(tmp_path, music_library, {1: 1, 2: 2, 5: 4})
    dismissed = decide(home, "music", "Abba", "--dismiss", GAP)
    assert dismissed.returncode == 0, dismissed.stdout + dismissed.stderr
    took = decide(home, "music", "Abba", "--choose", "1")
    assert took.returncode == 0, took.stdout + took.stderr
    assert mutagen.File(album / "05 - Song 5.flac")["tracknumber"] == ["5"]
    record, _, listed = surfaces(home)
    found = gaps(record)  # the gap as dismissed, and as it is now: both closed by the person
    assert [3, 4] in [absent for absent, _ in found], record["findings"]
    assert all(decided["what"].startswith("dismissed") for _, decided in found), found
    assert open_codes(record) == [] and not listed & {GAP, MISMATCH}, listed
