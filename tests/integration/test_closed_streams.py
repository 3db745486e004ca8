"""A command started with a standard stream closed (``<&-``, ``>&-``, as some daemons and
service managers start programs): Python then has no ``sys.stdin`` (``sys.stdout``), and a
question, ``--keys-from -`` or a batch's first line crashed with a traceback. A closed input
is an input with nothing to read, as under cron (a question: exit 2 naming ``--yes``); a closed
output takes what is written and the batch runs to its end. Real scripts in real processes,
their streams closed by the shell."""

from __future__ import annotations

import shlex
import subprocess
import sys

from mediakeeper.queue.store import QueueStore
from tests.helpers import REPO_ROOT, script_env


def closed(redirect: str, script: str, *args) -> subprocess.CompletedProcess:
    """``python utilities/SCRIPT ARGS`` started by bash with ``redirect`` (``<&-``)."""
    line = shlex.join([sys.executable, f"utilities/{script}", *map(str, args)])
    done = subprocess.run(["bash", "-c", f"{line} {redirect}"], cwd=REPO_ROOT, env=script_env(),
                          capture_output="2>&-" not in redirect, text=True,
                          timeout=300)  # fmt: skip
    assert "Traceback" not in (done.stderr or ""), done.stderr
    return done


def test_a_question_with_its_input_closed_names_yes(tmp_path, music_library):
    lib, home = tmp_path / "Music", tmp_path / "home"
    music_library(lib, {"Alpha/Album/01 - Song.flac": {"tags": {"title": "Song"}}})
    made = closed("<&-", "music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert made.returncode == 0, made.stderr
    reset = closed("<&-", "music_queue_manager.py", "--home", home, "--reset-all")
    assert reset.returncode == 2, reset.stderr
    assert "No answer to read (not a terminal): give --yes to go on." in reset.stderr
    keys = closed("<&-", "process_music_batch.py", "--home", home, "--keys-from", "-")
    assert keys.returncode == 2, keys.stderr
    assert keys.stderr.splitlines()[-1].startswith("Error: --keys-from <stdin>: "), keys.stderr
    init = subprocess.run(["bash", "-c", shlex.join([sys.executable, "-m", "mediakeeper", "init",
                                                     "--home", str(tmp_path / "new")]) + " <&-"],
                          cwd=tmp_path, env={**script_env(), "XDG_CONFIG_HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert init.returncode == 2 and "Traceback" not in init.stderr, init.stderr
    assert "not a terminal to ask on: give --yes" in init.stderr


def test_a_question_nobody_can_answer_is_said_once_in_the_error_alone(tmp_path, music_library):
    """Off a terminal with nothing to read (cron's empty input), both forms of a reset of the
    whole queue say their question once, in the one error line naming --yes: not also on
    stdout, left without its line feed. A "y" piped in is read, its question a whole line."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    music_library(lib, {"Alpha/Album/01 - Song.flac": {"tags": {"title": "Song"}}})
    made = closed("", "music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert made.returncode == 0, made.stderr
    question = "Put all 1 artist of the music queue back to pending?"
    flag = closed("</dev/null", "music_queue_manager.py", "--home", home, "--reset-all")
    argv = [sys.executable, "-m", "mediakeeper", "music", "queue", "--home", str(home), "reset",
            "--all"]  # fmt: skip
    command = subprocess.run(argv, stdin=subprocess.DEVNULL, env=script_env(),
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    for asked in (flag, command):
        assert asked.returncode == 2, asked.stdout + asked.stderr
        assert asked.stdout == "", asked.stdout
        assert asked.stderr.count(question) == 1, asked.stderr
        assert asked.stderr.splitlines()[-1] == (f"Error: {question} No answer to read (not a "
                                                 "terminal): give --yes to go on.")  # fmt: skip
    piped = closed("<<< y", "music_queue_manager.py", "--home", home, "--reset-all")
    assert piped.returncode == 0, piped.stdout + piped.stderr
    assert piped.stdout.startswith(f"{question} [y/N]: y\n"), piped.stdout


def test_a_batch_with_its_output_closed_runs_to_its_end(tmp_path, music_library):
    lib, home = tmp_path / "Music", tmp_path / "home"
    music_library(lib, {f"{name}/Album/01 - Song.flac": {"tags": {
        "title": "Song", "artist": name, "albumartist": name, "album": "Album", "date": "2001",
        "tracknumber": "1"}} for name in ("Alpha", "Bravo")})  # fmt: skip
    ran = closed(">&-", "process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert ran.returncode == 0, ran.stderr
    items = QueueStore(home / "status" / "music", "music").load()["items"]
    assert [i["status"] for i in items] == ["completed", "completed"]
