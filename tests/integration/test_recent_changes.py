"""The page's "Recent changes" (``mediakeeper.web.changes.recent_changes``) as it reads each
source, over a home the real commands made: a batch (its session events and the tag values
it wrote), a group's dismissal (its decision record) and the undo of each (the sessions
undone). The page's own tests click through the same list; a set-aside's row is checked
with the duplicates' page (``test_serve_page_dupes``)."""

from __future__ import annotations

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
