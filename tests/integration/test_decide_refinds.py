"""A music decision's writes make again the album findings its tags decide: a choice that
fills a track gap leaves no ``track-gap`` in the artist's record, its report or ``decide``'s
list, and its undo brings the gap back as it was. Real files, real scripts."""

from __future__ import annotations

import json

import mutagen
import pytest

from tests.helpers import run_script
from tests.helpers.deciding import decide, session_of

GAP, MISMATCH = "track-gap", "filename-mismatch"


@pytest.fixture
def gapped(tmp_path, music_library):
    """Abba's album whose third file, named ``03 - Song 3``, is tagged track 4: a gap at 3
    and a file name that disagrees, after one offline batch."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    spec = {}
    for n in (1, 2, 3):
        tags = {"title": f"Song {n}", "artist": "Abba", "albumartist": "Abba", "album": "Album",
                "date": "2001", "tracknumber": str({3: 4}.get(n, n))}  # fmt: skip
        spec[f"Abba/2001 - Album/0{n} - Song {n}.flac"] = {"tags": tags, "picture": True}
    music_library(lib, spec)
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr
    return home, lib / "Abba" / "2001 - Album"


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
