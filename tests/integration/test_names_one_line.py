"""A folder's name with a line feed (or a tab, a carriage return, an escape) in it is named on
one line by every terminal line, in the one spelling (``Twin\\x0aPeaks``: never raw, never
"?", never Python's ``'Twin\\nPeaks'``), and a command line printed with such a name in it,
pasted into bash, finds the item (``text.visible.one_line``, ``shell_word``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.helpers import REPO_ROOT, run_script, script_env
from tests.integration.test_decide_kinds import movie_env
from tests.servers.tmdb import FakeTMDb

NAME = "Twin\nPeaks"
SHOWN = "Twin\\x0aPeaks"
OTHERS = {"Tab\tBed": "Tab\\x09Bed", "Car\rReturn": "Car\\x0dReturn",
          "Esc\x1b[31mRed": "Esc\\x1b[31mRed"}  # fmt: skip
RAW = re.compile("[\t\r\x1b]")
# "Peaks" after anything but the escaped line feed: the name broken over two lines, or
# spelled another way ("Twin?Peaks", "Twin\\nPeaks", "Twin Peaks").
BROKEN = re.compile(r"(?<!Twin\\x0a)Peaks")


def whole(run: subprocess.CompletedProcess) -> str:
    """The run's output, asserted to name every item on one line in the one spelling."""
    said = run.stdout + run.stderr
    assert "Traceback" not in said, said
    assert not RAW.search(said), said
    assert not BROKEN.search(said), said
    return said


def pasted(command: str, cwd=REPO_ROOT) -> subprocess.CompletedProcess:
    """A command line the toolkit printed, as a person pastes it into bash."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MEDIAKEEPER_HOME")}
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_every_terminal_line_names_a_music_artist_on_one_line(tmp_path, music_library):
    lib, home = tmp_path / "Music", tmp_path / "home"
    music_library(lib, {
        f"{artist}/{album}/0{n} - Song.flac": {"tags": {
            "title": "Song  " if artist == NAME else "Song", "artist": artist, "album": album,
            "tracknumber": str(n), "albumartist": artist}}  # no date: a decision is left
        for artist, album in ((NAME, f"{NAME} (1999)"), *((o, "Album") for o in OTHERS))
        for n in (1, 2)})  # fmt: skip
    init = run_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    dry = run_script("process_music_batch.py", "--home", home, "--offline", "--dry-run")
    batch = run_script("process_music_batch.py", "--home", home, "--offline", "-v")
    assert batch.returncode == 1, batch.stdout + batch.stderr  # decisions left
    whole(init)
    for run in (dry, batch):
        said = whole(run)
        assert SHOWN in said and all(shown in said for shown in OTHERS.values()), said
    assert f"{SHOWN}: 2 tracks" in dry.stdout and f"✓ {SHOWN} — completed" in batch.stdout

    session = re.search(r"session log: .*/(\S+)\.log", batch.stdout)[1]
    listed = run_script("music_queue_manager.py", "--home", home, "--list")
    faces = [
        listed,
        run_script("decide.py", "--home", home),
        run_script("decide.py", "--home", home, "--group", "missing-year"),
        run_script("decide.py", "--home", home, "music", NAME),
        run_script("sessions.py", "--home", home, "show", session),
        run_script("media_dashboard.py", "--home", home),
        run_script("undo_changes.py", "--home", home, "--artist", NAME, "--dry-run"),
        run_script("music_queue_manager.py", "--home", home, "--reset-artist", "twin"),
        run_script("music_queue_manager.py", "--home", home, "--reset-artist", "Peakz"),
    ]
    for run in faces:
        whole(run)
    assert all(f"  {shown}  " in listed.stdout for shown in (SHOWN, *OTHERS.values()))
    assert f"{SHOWN}: " in faces[3].stdout and f"COMPLETED  {SHOWN}" in faces[4].stdout
    assert f"Reset '{SHOWN}': completed -> pending" in faces[7].stdout
    (lib / "Late\nComer").mkdir()
    (lib / NAME).rename(lib / "Twin\nPeaks again")  # gone, and one added
    refreshed = whole(run_script("music_queue_manager.py", "--home", home, "--refresh"))
    assert f"  missing {SHOWN}\n" in refreshed and "  added   Late\\x0aComer\n" in refreshed


def test_the_undo_a_report_offers_for_such_an_artist_pasted_into_bash_finds_it(
    tmp_path, music_library
):
    lib, home = tmp_path / "Music", tmp_path / "home"
    music_library(lib, {f"{NAME}/Album/01 - Song.flac": {"tags": {
        "title": "Song  ", "artist": NAME, "album": "Album", "date": "1999",
        "tracknumber": "1"}}})  # fmt: skip
    run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    (report,) = (home / "issues" / "music").glob("twin-peaks-*.md")
    offered = re.search(r"Undo this artist's fixes with `([^`]+)`", report.read_text())[1]
    assert "\n" not in offered and "--artist $'Twin\\x0aPeaks'" in offered, offered
    listed = pasted(f"{offered} --dry-run")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    said = whole(listed)
    assert f"{SHOWN}/Album/01 - Song.flac: 'Song' -> 'Song  '" in said, said


def test_a_movie_s_choose_hint_is_one_line_and_pasted_into_bash_chooses_it(tmp_path):
    lib, home = tmp_path / "Movies", tmp_path / "home"
    folder = lib / f"{NAME} (1992)"
    folder.mkdir(parents=True)
    (folder / "movie.mkv").write_bytes(b"not really a video")
    with FakeTMDb() as fake:  # it knows no such movie: no match, its id is asked for
        batch = [sys.executable, "utilities/process_movie_batch.py", "--home", str(home),
                 "--library", str(lib)]  # fmt: skip
        done = subprocess.run(batch, cwd=REPO_ROOT, env=movie_env(fake), capture_output=True,
                              text=True, timeout=120)  # fmt: skip
    whole(done)
    listed = whole(run_script("movie_queue_manager.py", "--home", home, "--list"))
    hint = re.search(r"give its TMDb id with `([^`]+) ID`", listed)[1]
    assert f"--choose $'{SHOWN} (1992)'" in hint, hint
    chose = pasted(f"{hint} 1234")
    assert chose.returncode == 0, chose.stdout + chose.stderr
    assert f"Chose TMDb id 1234 for '{SHOWN} (1992)'" in whole(chose)


def test_a_hint_naming_a_data_home_with_a_line_feed_is_one_line_and_pasted_runs_there(
    tmp_path, music_library
):
    """A home or library path may hold a tab or a line feed (init takes them): the commands
    the toolkit names (``text.commands``) quoted them with shlex, whose line broke in two."""
    lib, home = tmp_path / "Mu\nsic", tmp_path / "Ho\tme\nBed"
    music_library(lib, {f"{NAME}/Album/01 - Song.flac": {"tags": {
        "title": "Song", "artist": NAME, "album": "Album", "tracknumber": "1"}}})  # fmt: skip
    init = run_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0, init.stdout + init.stderr
    batch = run_script("process_music_batch.py", "--home", home, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr  # decisions left: no date
    # The paths in the home it names (the queue, the session log, the reports) keep to one
    # line as the hint does: none of its lines begins with the rest of a broken path.
    said = init.stdout + batch.stdout + batch.stderr
    assert not re.search("^(me|Bed|sic)", said, re.MULTILINE), said
    assert "\nsession log: " + f"{tmp_path}/Ho\\x09me\\x0aBed/status/music/" in said, said
    hint = re.search(r"^decide them: (.*)$", batch.stdout, re.MULTILINE)[1]
    assert f"--home $'{tmp_path}/Ho\\x09me\\x0aBed'" in hint, hint
    decided = pasted(hint)
    assert decided.returncode == 0, decided.stdout + decided.stderr
    assert "1 decision" in decided.stdout, decided.stdout


def test_a_name_given_on_the_command_line_is_said_back_on_one_line(tmp_path):
    """What a person gives (a session, a group id, a pipeline, a file to write) is said back
    in its error or its line with each control as its escape, as every name is: a name pasted
    from elsewhere with an escape sequence in it (an OSC window title, a screen clear) is
    never sent to the terminal raw."""
    home, given = tmp_path / "home", "X\x1b]0;pwned\x07Y\nZ"
    shown = "X\\x1b]0;pwned\\x07Y\\x0aZ"
    (home / "status").mkdir(parents=True)
    (tmp_path / "lib").mkdir()
    assert run_script("sessions.py", "--home", home, "list").returncode == 0
    scan = subprocess.run([sys.executable, "-m", "mediakeeper", "dupes", "scan", "--home", home,
                           "--library", tmp_path / "lib"], cwd=REPO_ROOT, env=script_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert scan.returncode == 0, scan.stderr
    runs = [run_script("undo_changes.py", "--home", home, "--session", given),
            run_script("pipeline.py", "run", given, "--home", home),
            run_script("pipeline.py", "validate", given, "--home", home),
            run_script("media_dashboard.py", "--home", home, "--html", tmp_path / f"{given}.html"),
            # Any refusal naming it: an output folder given inside the input.
            run_script("pipeline.py", "run", "opus", "--home", home, "--input", tmp_path / "lib",
                       "--output", tmp_path / "lib" / given)]  # fmt: skip
    runs += [subprocess.run([sys.executable, "-m", "mediakeeper", "dupes", action, given,
                             "--home", home], cwd=REPO_ROOT, env=script_env(),
                            capture_output=True, text=True, timeout=120)
             for action in ("set-aside", "keep-all")]  # fmt: skip
    for run in runs:
        said = run.stdout + run.stderr
        assert "Traceback" not in said and "\x1b" not in said and "\x07" not in said, said
        assert shown in said, said
    # Any other refusal that names a path given: its controls as their escapes all the same
    # (the line feed kept, as a refusal may be several lines).
    missing = run_script("music_queue_manager.py", "--home", home, "--init", "--library",
                         tmp_path / given)  # fmt: skip
    said = missing.stderr
    assert missing.returncode == 2 and "\x1b" not in said and "\x07" not in said, said
    assert "X\\x1b]0;pwned\\x07Y" in said, said


def test_serve_names_a_data_home_with_a_line_feed_on_one_line(tmp_path):
    """``serve`` said "Serving <home> at ..." with the home's name raw: a line feed in it
    broke the line a script reads the address from."""
    from tests.integration.serving import serve

    home = tmp_path / "Media\nKept"
    (home / "status").mkdir(parents=True)
    server = serve(home)
    try:
        said = server.process.stdout.readline()
        assert said.startswith(f"Serving {tmp_path}/Media\\x0aKept at http://"), said
    finally:
        server.stop()
