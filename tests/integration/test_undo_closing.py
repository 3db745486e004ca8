"""Undo closes the loop (issue 36): ``--dry-run`` shows every value it would restore (before:
"No such option"); a NAME that is only the start of an artist's asks first or needs --yes
(before: ``--artist Daft`` restored at once); after an undo the artist's issue report and
the index say it (before: the report still said "fixed" and offered the undo)."""

from __future__ import annotations

import mutagen

from mediakeeper.text.slug import slugify
from tests.conftest import _run_script

SONG = "Nina Simone/1958 - Little Girl Blue/01 - Song 1.flac"


def tags(lib) -> dict:
    audio = mutagen.File(lib / SONG)
    return {"artist": audio.get("artist"), "albumartist": audio.get("albumartist")}


def test_a_dry_run_shows_every_value_and_writes_nothing(processed):
    home, lib = processed
    before = tags(lib)
    dry = _run_script("undo_changes.py", "--home", home, "--artist", "Nina Simone", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would restore artist of {lib / SONG}: 'Nina Simone' -> 'nina simone'" in dry.stdout
    assert f"would restore albumartist of {lib / SONG}: 'Nina Simone' -> (none)" in dry.stdout
    assert "dry run: 6 values would be restored; nothing written" in dry.stdout
    assert tags(lib) == before
    assert not list((home / "status" / "music" / "changes").glob("undo_*"))


def test_a_prefix_asks_first_and_yes_restores(processed):
    home, lib = processed
    before = tags(lib)
    asked = _run_script("undo_changes.py", "--home", home, "--artist", "Nina")
    assert asked.returncode == 1
    assert "'Nina' is the start of 'Nina Simone': undo its changes?" in asked.stdout
    assert tags(lib) == before
    done = _run_script("undo_changes.py", "--home", home, "--artist", "Nina", "--yes")
    assert done.returncode == 0, done.stderr
    assert tags(lib) == {"artist": ["nina simone"], "albumartist": None}


def test_after_an_undo_the_report_and_the_index_say_it(processed):
    home, _ = processed
    report = home / "issues" / "music" / f"{slugify('Nina Simone')}.md"
    assert "Undo this artist's fixes" in report.read_text("utf-8")
    done = _run_script("undo_changes.py", "--home", home, "--artist", "Nina Simone")
    assert done.returncode == 0, done.stderr
    text = report.read_text("utf-8")
    assert "Undo this artist's fixes" not in text
    assert "**0 fixed**, **4 decisions for you**" in text
    assert text.count("(its fix was taken back by undo session undo_") == 2  # grouped x3, +1
    index = (home / "issues" / "music" / "index.md").read_text("utf-8")
    assert "| Nina Simone | `artist-name-variant`, `missing-albumartist` ×3 |" in index
    board = _run_script("media_dashboard.py", "--home", home).stdout
    assert "NEEDS ATTENTION  7 decisions" in board
