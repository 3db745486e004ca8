"""An undo of a whole session said and done alike for every kind of session (the undo hunt):
undoing an undo closes again what that undo opened (before: the fixes were back in the files
while every surface still asked them); a dry run says what the undo would do to the decisions
(before: exit 2 for every session without tag changes); the decisions an undo opens are
counted by the command line and ``POST /api/undo`` alike (before: 0 for a choice's); a session
undone already is said to be, by both, and a session id that is a path names no session.
Through the real scripts and a real ``mediakeeper serve``, on files made by a real batch."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers.deciding import decide
from tests.helpers.processes import run_script
from tests.integration.serving import serve
from tests.integration.test_decisions_truth import DECISIONS, library_spec

# Its own session, as an undo prints it, else as a decision does (the command undoing it).
UNDONE = (r"\(undo session (\S+)\)", r"^  .* undo .*--session (\S+)$")
YEAR = ("--code", "inconsistent-year")  # Pink Floyd's one decision


@pytest.fixture
def home(tmp_path, music_library):
    """The decisions library, processed once: its batch's session fixed Nina Simone's artist."""
    lib = music_library(tmp_path / "lib", library_spec())
    home = tmp_path / "home"
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr  # it leaves decisions
    session = Path(re.search(r"session log: (.+)\.log", batch.stdout).group(1)).name
    return home, session


def undo(home, *args):
    return run_script("undo_changes.py", "--home", home, *args)


def listing(home) -> dict:
    shown = decide(home, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def codes_of(home, name: str) -> set[str]:
    return {d["code"] for g in listing(home)["groups"] for d in g["decisions"]
            if d["item"] == name}  # fmt: skip


def took(run) -> str:
    assert run.returncode == 0, run.stdout + run.stderr
    return next(found.group(1) for said in UNDONE if (found := re.search(said, run.stdout, re.M)))


def nina(home) -> list[dict]:
    [path] = (home / "outputs/music/artists").glob("nina-simone-*.json")
    return json.loads(path.read_text("utf-8"))["findings"]


def nina_report(home) -> str:
    [path] = (home / "issues/music").glob("nina-simone-*.md")
    return path.read_text("utf-8")


def test_undoing_an_undo_closes_again_what_that_undo_opened(home):
    home, session = home
    assert listing(home)["total"] == DECISIONS
    fixed = [f for f in nina(home) if f["fixed"]]
    assert fixed
    undone = undo(home, "--session", session)
    opened = listing(home)["total"] - DECISIONS
    assert opened > 0 and f"{opened} decisions open again" in undone.stdout, undone.stdout
    assert f"taken back by undo session {took(undone)}" in nina_report(home)
    dry = undo(home, "--session", took(undone), "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"{opened} decisions would be closed again, as they were" in dry.stdout, dry.stdout
    assert listing(home)["total"] == DECISIONS + opened  # a dry run writes nothing
    redone = undo(home, "--session", took(undone))
    assert redone.returncode == 0, redone.stdout + redone.stderr
    assert f"{opened} decisions closed again, as they were" in redone.stdout, redone.stdout
    assert "To check" not in redone.stdout  # the fixes are made again: nothing to check
    assert listing(home)["total"] == DECISIONS
    assert [f for f in nina(home) if f["fixed"]] == fixed  # as the batch left them
    assert "taken back by undo session" not in nina_report(home)
    # Its own undo opens them again, as the first one did.
    again = undo(home, "--session", took(redone))
    assert f"{opened} decisions open again" in again.stdout, again.stdout
    assert listing(home)["total"] == DECISIONS + opened


def test_a_choice_taken_back_then_made_again_stays_taken(home):
    home, _ = home
    assert "inconsistent-year" in codes_of(home, "Pink Floyd")
    chose = took(decide(home, "music", "Pink Floyd", *YEAR, "--choose", "1"))
    undone = undo(home, "--session", chose)
    assert "1 decision open again" in undone.stdout, undone.stdout
    assert "inconsistent-year" in codes_of(home, "Pink Floyd")
    redone = undo(home, "--session", took(undone))
    assert "1 decision closed again, as they were" in redone.stdout, redone.stdout
    assert "inconsistent-year" not in codes_of(home, "Pink Floyd")
    # Made again, it is still listed as the decision it was (its record went with the undo).
    listed = undo(home, "--list")
    assert re.search(rf"^{chose}  decided inconsistent-year for 1 item \(music\)", listed.stdout,
                     re.M), listed.stdout  # fmt: skip
    [entry] = [s for s in json.loads(undo(home, "--list", "--json").stdout)["sessions"]
               if s["session"] == chose]  # fmt: skip
    assert (entry["what"], entry["code"], entry["undone"]) == ("decisions", "inconsistent-year",
                                                               None)  # fmt: skip
    refused = decide(home, "music", "Pink Floyd", *YEAR, "--choose", "1")
    assert refused.returncode == 2, refused.stdout + refused.stderr  # not open: nothing written
    # The choice is the redo's now: undoing that asks it again.
    undo(home, "--session", took(redone))
    assert "inconsistent-year" in codes_of(home, "Pink Floyd")


def test_a_dismissal_s_undo_is_dry_run_then_said_undone_already(home):
    home, _ = home
    dismissed = took(decide(home, "music", "Metallica", "--dismiss", "missing-artist"))
    assert listing(home)["total"] == DECISIONS - 1
    dry = undo(home, "--session", dismissed, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"1 decision in 1 item would open again (session {dismissed})" in dry.stdout
    assert listing(home)["total"] == DECISIONS - 1  # nothing written
    done = undo(home, "--session", dismissed)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"1 decision in 1 item open again (session {dismissed})" in done.stdout
    assert listing(home)["total"] == DECISIONS
    for dry in ((), ("--dry-run",)):
        twice = undo(home, "--session", dismissed, *dry)
        assert twice.returncode == 2, twice.stdout + twice.stderr
        assert f"session {dismissed} was undone already (" in twice.stderr, twice.stderr
        assert "Traceback" not in twice.stderr
    assert listing(home)["total"] == DECISIONS


def test_a_tag_session_undone_twice_is_said_undone_already_with_how_to_make_it_again(home):
    home, _ = home
    chose = took(decide(home, "music", "Pink Floyd", *YEAR, "--choose", "1"))
    dry = undo(home, "--session", chose, "--dry-run")
    assert dry.returncode == 0 and "1 decision would open again" in dry.stdout, dry.stdout
    by = took(undo(home, "--session", chose))
    twice = undo(home, "--session", chose)
    assert twice.returncode == 2, twice.stdout + twice.stderr
    assert f"session {chose} was undone already (" in twice.stderr
    assert f"--session {by}" in twice.stderr  # the undo to undo to have it made again


def test_the_api_counts_what_an_undo_opens_and_refuses_what_it_cannot_undo(home):
    home, _ = home
    server = serve(home)
    try:
        groups = server.get("/api/decisions").json()["groups"]
        [year] = [d for g in groups for d in g["decisions"] if d["code"] == "inconsistent-year"]
        chose = server.post("/api/decisions", {"id": year["id"], "choose": 1})
        assert chose.status_code == 200, chose.text
        undone = server.post("/api/undo", {"session": chose.json()["session"]})
        assert undone.status_code == 200, undone.text
        assert undone.json()["restored"] > 0 and undone.json()["reopened"] == 1, undone.text
        assert server.get(f"/api/decisions/{year['id']}").status_code == 200  # open again
        # Undone already, a choice's as a dismissal's: nothing to undo (docs/api.md).
        dismissed = server.post("/api/decisions", {"id": year["id"], "dismiss": True})
        assert server.post("/api/undo", {"session": dismissed.json()["session"]}).json()[
            "reopened"] == 1
        for session in (chose.json()["session"], dismissed.json()["session"]):
            again = server.post("/api/undo", {"session": session})
            assert again.status_code == 404, again.text
            assert f"session {session} was undone already" in again.json()["error"]
        # An id that is a path names no session: never looked for where it leads.
        path = server.post("/api/undo", {"session": "a/b"})
        assert path.status_code == 404, path.text
        assert path.json()["error"].startswith("no session 'a/b'"), path.text
    finally:
        server.stop()
    said = undo(home, "--session", "a/b")
    assert said.returncode == 2 and "Error: no session 'a/b'" in said.stderr, said.stderr
    assert "--list" in said.stderr
