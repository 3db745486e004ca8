"""An undo asked of a pipeline's session: the pipeline wrote its albums as new files (and a
copy step's archive copies) and changed none of the person's, so there is nothing to undo.
It said "no journaled changes for session ...", which reads as if its changes were lost; it
now says what the session made, where, and how to be rid of it (exit 2, as for any session
with nothing to undo), and ``--json`` says the same in fields, as the page's undo does."""

from __future__ import annotations

import json
import shlex

from tests.helpers import run_script, step, write_pipeline
from tests.integration.serving import serve
from tests.integration.test_conversions import make_album


def test_an_undo_of_a_pipeline_session_says_what_it_made_and_where(tmp_path):
    for n in range(2):
        make_album(tmp_path / "lib" / f"Artist {n}" / "Album", f"Artist {n}", tracks=2,
                   seconds=1.0)  # fmt: skip
    out, archive, home = tmp_path / "out", tmp_path / "archive", tmp_path / "home"
    pipeline = write_pipeline(tmp_path / "phone.yaml",
                              step("to-opus", "convert", codec="opus", bitrate="96k"),
                              step("keep", "copy"), input=tmp_path / "lib", output=out,
                              archive=archive)  # fmt: skip
    ran = run_script("pipeline.py", "run", pipeline, "--home", home, "--json")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    session = json.loads(ran.stdout)["id"]
    made = [out / "Artist 0" / "Album", archive / "Artist 0" / "Album",
            out / "Artist 1" / "Album", archive / "Artist 1" / "Album"]  # fmt: skip
    assert all(folder.is_dir() for folder in made)

    undone = run_script("undo_changes.py", "--session", session, "--home", home)
    assert undone.returncode == 2, undone.stdout + undone.stderr
    assert undone.stdout == ""
    [line] = undone.stderr.splitlines()
    assert line.startswith(f"Error: session {session} ran the pipeline phone: it made 2 albums "
                           f"as new files ({made[0]}, {made[1]}, {made[2]} and 1 more) and "
                           "changed none of your files: nothing to undo (undo deletes no new "
                           "file; to be rid of them, delete the folders of the albums ")
    assert line.endswith(f"sessions --home {home} show {session}` lists)")
    assert "no journaled changes" not in line

    as_json = run_script("undo_changes.py", "--session", session, "--home", home, "--json")
    assert as_json.returncode == 2, as_json.stdout + as_json.stderr
    assert json.loads(as_json.stdout) == {
        "session": session, "what": "pipeline", "pipeline": "phone",
        "albums": ["Artist 0/Album", "Artist 1/Album"], "made": list(map(str, made)),
        "undoable": False,
    }  # fmt: skip
    assert all(folder.is_dir() for folder in made)  # undo deletes nothing it made

    server = serve(home)  # the page's undo answers as the command line does
    try:
        answer = server.post("/api/undo", {"session": session})
    finally:
        server.stop()
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"] == line.removeprefix("Error: ")
    assert all(folder.is_dir() for folder in made)


def test_a_few_folders_are_named_with_the_command_that_deletes_them(tmp_path):
    make_album(tmp_path / "lib" / "Artist" / "Album", "Artist", tracks=1, seconds=1.0)
    out, home = tmp_path / "out", tmp_path / "home"
    pipeline = write_pipeline(tmp_path / "phone.yaml", step("to-opus", "convert", codec="opus"),
                              input=tmp_path / "lib", output=out)  # fmt: skip
    ran = run_script("pipeline.py", "run", pipeline, "--home", home, "--json")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    session = json.loads(ran.stdout)["id"]

    undone = run_script("undo_changes.py", "--session", session, "--home", home, "--dry-run")
    assert undone.returncode == 2, undone.stdout + undone.stderr
    album = out / "Artist" / "Album"
    assert undone.stderr == (f"Error: session {session} ran the pipeline phone: it made 1 album "
                             f"as new files ({album}) and changed none of your files: nothing "
                             "to undo (undo deletes no new file; to be rid of them: rm -r -- "
                             f"{shlex.quote(str(album))})\n")  # fmt: skip
    assert album.is_dir()

    # Asked for one artist of it, the same line: it said "no journaled changes for session".
    for more in (("--yes",), ("--dry-run",)):
        one = run_script("undo_changes.py", "--session", session, "--artist", "Artist",
                         "--home", home, *more)  # fmt: skip
        assert (one.returncode, one.stderr) == (2, undone.stderr), one.stdout + one.stderr
    assert album.is_dir()
