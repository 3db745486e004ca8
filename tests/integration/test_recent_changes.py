"""The page's "Recent changes" (``mediakeeper.web.changes.recent_changes``) as it reads each
source, over a home the real commands made: a batch (its session events and the tag values
it wrote), a group's dismissal (its decision record) and the undo of each (the sessions
undone). The page's own tests click through the same list; a set-aside's row is checked
with the duplicates' page (``test_serve_page_dupes``)."""

from __future__ import annotations

import json
import re

from mediakeeper.web.changes import recent_changes
from tests.helpers import run_script


def by_session(home) -> dict:
    return {c.session: c for c in recent_changes(home)}


def test_each_source_gives_its_line_and_each_undo_marks_what_it_took_back(processed):
    home, _lib = processed
    [batch] = by_session(home).values()
    assert (batch.kind, batch.outcome, batch.undoable) == ("music", "completed", True)
    # its session's events, then the values its fixes wrote (Nina Simone's spelling)
    assert batch.what == ["4 done, 0 failed", "6 tag values written to 3 files"]

    dismissed = run_script("decide.py", "--home", home, "music", "--all",
                           "--dismiss", "missing-year")  # fmt: skip
    assert dismissed.returncode == 0, dismissed.stdout + dismissed.stderr
    group = re.search(r"--session (\S+)", dismissed.stdout).group(1)
    listed = by_session(home)
    assert listed[group].what == ["decided missing-year for 1 item"]
    assert listed[group].undoable and listed[group].undone is None
    assert list(listed) == [group, batch.session]  # newest first

    # The group's undo removes its record: the line comes from the undo's, marked undone.
    assert run_script("undo_changes.py", "--home", home, "--session", group).returncode == 0
    listed = by_session(home)
    assert listed[group].what == ["decided missing-year for 1 item"]
    assert listed[group].undone is not None and listed[group].undone.code == "missing-year"

    # The batch's tags put back: it is marked undone by that undo, whose own line (the
    # values it wrote) names the session it undid.
    undo = run_script("undo_changes.py", "--home", home, "--session", batch.session)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    listed = by_session(home)
    by = listed[batch.session].undone.by
    assert by in listed and by not in (group, batch.session)
    assert listed[by].undoes == batch.session
    assert listed[by].what == ["6 tag values written to 3 files"]


def test_undo_lists_the_sessions_decide_took_as_the_page_does(processed):
    """``undo --list`` names each session of ``decide`` with what it decided, and one undone
    as undone (before: only the sessions that wrote tags or set copies aside were listed,
    so a dismissal, undoable by its id, was nowhere to be found from the terminal)."""
    home, _lib = processed
    dismissed = run_script("decide.py", "--home", home, "music", "--all",
                           "--dismiss", "missing-year")  # fmt: skip
    assert dismissed.returncode == 0, dismissed.stdout + dismissed.stderr
    group = re.search(r"--session (\S+)", dismissed.stdout).group(1)
    listed = run_script("undo_changes.py", "--home", home, "--list")
    assert listed.returncode == 0, listed.stderr
    assert f"\n{group}  decided missing-year for 1 item (music)\n" in listed.stdout, listed.stdout
    shown = run_script("undo_changes.py", "--home", home, "--list", "--json")
    rows = {r["session"]: r for r in json.loads(shown.stdout)["sessions"]}
    assert rows[group] == {"session": group, "what": "decisions", "kind": "music",
                           "code": "missing-year", "items": 1, "undo_of": None,
                           "undone": None}  # fmt: skip

    assert run_script("undo_changes.py", "--home", home, "--session", group).returncode == 0
    listed = run_script("undo_changes.py", "--home", home, "--list").stdout
    assert re.search(rf"^{group}  decided missing-year for 1 item \(music\)  \(undone [-\d :]+\)$",
                     listed, re.M), listed  # fmt: skip
    assert recent_changes(home)[0].what == ["decided missing-year for 1 item"]


def test_an_answer_that_writes_tags_is_listed_as_decides_session(processed):
    """``decide KIND NAME --set TAG=VALUE`` (and ``--choose N``) wrote tags and no record of
    its session, so ``undo --list`` said it as a batch's tags ('1 change to 1 artist'), not
    as the decision it was; a value set where no decision asked it is decide's too."""
    home, _lib = processed
    answered = run_script("decide.py", "--home", home, "music", "Metallica", "--code",
                          "missing-artist", "--set", "artist=Metallica")  # fmt: skip
    assert answered.returncode == 0, answered.stdout + answered.stderr
    session = re.search(r"--session (\S+)$", answered.stdout, re.M).group(1)
    typed = run_script("decide.py", "--home", home, "music", "Clean", "--set", "composer=Someone")
    assert typed.returncode == 0, typed.stdout + typed.stderr
    value = re.search(r"--session (\S+)$", typed.stdout, re.M).group(1)
    listed = run_script("undo_changes.py", "--home", home, "--list").stdout
    assert f"\n{session}  decided missing-artist for 1 item (music); 1 change to 1 artist\n" \
        in listed, listed  # fmt: skip
    assert f"\n{value}  set tags of 1 item (music); 3 changes to 1 artist\n" \
        in listed, listed  # fmt: skip

    assert run_script("undo_changes.py", "--home", home, "--session", value).returncode == 0
    listed = run_script("undo_changes.py", "--home", home, "--list").stdout
    undone = r"  \(undone [-\d :]+ by undo_\S+\)$"
    assert re.search(rf"^{value}  set tags of 1 item \(music\); 3 changes to 1 "
                     rf"artist{undone}", listed, re.M), listed  # fmt: skip
