"""Undo closes the loop (issue 36): ``--dry-run`` shows every value it would restore (before:
"No such option"); a NAME that is only the start of an artist's asks first or needs --yes
(before: ``--artist Daft`` restored at once); after an undo the artist's issue report and
the index say it (before: the report still said "fixed" and offered the undo)."""

from __future__ import annotations

import os
import re

import mutagen

from mediakeeper.text.slug import slugify
from tests.helpers import run_script

SONG = "Nina Simone/1958 - Little Girl Blue/01 - Song 1.flac"


def tags(lib) -> dict:
    audio = mutagen.File(lib / SONG)
    return {"artist": audio.get("artist"), "albumartist": audio.get("albumartist")}


def test_a_dry_run_shows_every_value_and_writes_nothing(processed):
    home, lib = processed
    before = tags(lib)
    dry = run_script("undo_changes.py", "--home", home, "--artist", "Nina Simone", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would restore artist of {lib / SONG}: 'Nina Simone' -> 'nina simone'" in dry.stdout
    assert f"would restore albumartist of {lib / SONG}: 'Nina Simone' -> (none)" in dry.stdout
    assert "dry run: 6 values would be restored, 0 left alone; nothing written" in dry.stdout
    assert tags(lib) == before
    assert not list((home / "status" / "music" / "changes").glob("undo_*"))


def _said(run, verb: str) -> list[str]:
    """What each line starting with ``verb`` says, without the verb."""
    return sorted(line.removeprefix(verb) for line in run.stdout.splitlines()
                  if line.startswith(verb))  # fmt: skip


def test_a_dry_run_foretells_what_the_undo_will_leave_alone_and_why(processed, tmp_path):
    home, lib = processed
    undo = ("undo_changes.py", "--home", home, "--artist", "Nina Simone")
    said = run_script(*undo, "--dry-run").stdout
    files = sorted(set(re.findall(r"^would restore \w+ of (.+?): ", said, re.M)))
    assert len(files) >= 3, said
    edited, read_only, linked = map(lambda f: lib.joinpath(f), files[:3])
    audio = mutagen.File(edited)  # another program changes an artist since the fix
    audio["artist"] = "N. Simone"
    audio.save()
    read_only.chmod(0o444)
    os.link(linked, tmp_path / "seeding.flac")
    before = {f: f.read_bytes() for f in (edited, read_only, linked)}

    dry = run_script(*undo, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would leave alone artist of {edited}: artist was changed again since (now " \
        "'N. Simone')" in dry.stdout
    assert f"would leave alone artist of {read_only}: read-only (mode 444)" in dry.stdout
    assert f"would leave alone artist of {linked}: has 2 names (hard links" in dry.stdout
    assert {f: f.read_bytes() for f in before} == before
    assert not list((home / "status" / "music" / "changes").glob("undo_*"))

    done = run_script(*undo)
    assert done.returncode == 1, done.stdout + done.stderr  # not everything could be undone
    assert _said(done, "restored ") == _said(dry, "would restore ") != []
    assert _said(done, "left alone ") == _said(dry, "would leave alone ")
    assert mutagen.File(edited)["artist"] == ["N. Simone"]  # its other tags were restored
    assert [f.read_bytes() for f in (read_only, linked)] == [before[read_only], before[linked]]


def test_a_prefix_asks_first_and_yes_restores(processed, tmp_path):
    from tests.integration.test_batch_terminal import prompted_script

    home, lib = processed
    before = tags(lib)
    question = "'Nina' is the start of 'Nina Simone': undo its changes? [y/N]"
    asked = prompted_script(tmp_path, "undo_changes.py", "--home", str(home), "--artist", "Nina")
    try:  # at a terminal: asked, and a no restores nothing
        asked.answer(question, "n")
        assert asked.status() == 1, asked.screen()
        assert "Nothing changed." in asked.screen()
    finally:
        asked.close()
    assert tags(lib) == before
    # Off a terminal with nothing to read, nobody can answer: the error names --yes.
    unasked = run_script("undo_changes.py", "--home", home, "--artist", "Nina")
    assert unasked.returncode == 2
    assert (f"Error: {question.removesuffix(' [y/N]')} No answer to read (not a terminal): "
            "give --yes to go on.") in unasked.stderr  # fmt: skip
    assert tags(lib) == before
    done = run_script("undo_changes.py", "--home", home, "--artist", "Nina", "--yes")
    assert done.returncode == 0, done.stderr
    assert tags(lib) == {"artist": ["nina simone"], "albumartist": None}


def test_a_prefix_the_undo_would_refuse_is_refused_before_anything_is_asked(processed, tmp_path):
    """A session with no changes beside a prefix: the error first, no question (before: the
    prefix was asked about, and a yes was answered by "no journaled changes"; off a
    terminal the error named --yes)."""
    from tests.integration.test_batch_terminal import prompted_script

    home, lib = processed
    before = tags(lib)
    undo = ("--home", str(home), "--session", "nosuch", "--artist", "Nina")
    refused = "Error: no journaled changes for session nosuch"
    unasked = run_script("undo_changes.py", *undo)
    assert unasked.returncode == 2
    assert refused in unasked.stderr and "--yes" not in unasked.stderr, unasked.stderr
    at_a_terminal = prompted_script(tmp_path, "undo_changes.py", *undo)
    try:
        assert at_a_terminal.status() == 2, at_a_terminal.screen()
        screen = at_a_terminal.screen()
    finally:
        at_a_terminal.close()
    assert refused in screen and "undo its changes?" not in screen, screen
    assert tags(lib) == before


def test_after_an_undo_the_report_and_the_index_say_it(processed):
    home, _ = processed
    report = home / "issues" / "music" / f"{slugify('Nina Simone')}.md"
    assert "Undo this artist's fixes" in report.read_text("utf-8")
    done = run_script("undo_changes.py", "--home", home, "--artist", "Nina Simone")
    assert done.returncode == 0, done.stderr
    text = report.read_text("utf-8")
    assert "Undo this artist's fixes" not in text
    assert "**0 fixed**, **2 decisions for you**"  # one album's three tracks: one question in text
    assert text.count("(its fix was taken back by undo session undo_") == 2  # grouped x3, +1
    index = (home / "issues" / "music" / "index.md").read_text("utf-8")
    assert "| Nina Simone | `artist-name-variant`, `missing-albumartist` |" in index
    # decide says the fix it proposes once a value, with how many files (before: "artist
    # nina simone -> Nina Simone" three times over, naming no file).
    listed = run_script("decide.py", "--home", home, "music", "Nina Simone").stdout
    assert ("the fix it proposes: artist nina simone -> Nina Simone (3 files); albumartist "
            "(none) -> Nina Simone (3 files)") in listed, listed  # fmt: skip
    board = run_script("media_dashboard.py", "--home", home).stdout
    assert "NEEDS ATTENTION  5 decisions" in board
