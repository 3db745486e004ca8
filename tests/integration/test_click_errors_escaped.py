"""Click's own errors (a ``--keys-from FILE`` that is not there, a choice that is not one, an
argument missing) name what they were given on one clear line, each control as its escape
(``text.visible.one_line``), as every other error does: a file name holding an escape
sequence or a line feed never reaches the terminal as it is. Exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO_ROOT, run_script, script_env

ODD = "/tmp/no such \x1b[31mred\nline.json"
SHOWN = "/tmp/no such \\x1b[31mred\\x0aline.json"


def one_error_line(done: subprocess.CompletedProcess) -> str:
    """The run's ``Error:`` line, asserted to be its only one and free of controls."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "\x1b" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, done.stderr
    assert done.stderr.rstrip("\n").endswith(errors[0]), done.stderr  # nothing after it
    return errors[0]


def module(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mediakeeper", *args], cwd=REPO_ROOT,
                          env=script_env(), capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def test_a_keys_file_that_is_not_there_is_named_escaped(tmp_path):
    home = tmp_path / "home"
    for done in (run_script("process_music_batch.py", "--home", home, "--keys-from", ODD),
                 module("music", "batch", "--home", str(home), "--keys-from", ODD),
                 module("--home", str(home), "music", "batch", "--keys-from", ODD)):  # fmt: skip
        line = one_error_line(done)
        assert SHOWN in line, line
        assert "No such file or directory" in line, line


def test_a_bad_choice_and_a_missing_argument_are_one_escaped_line(tmp_path):
    home = str(tmp_path / "home")
    choice = one_error_line(module("music", "queue", "list", "--home", home, "--status",
                                   "pending\x1b[31m\nx"))  # fmt: skip
    assert "\\x1b[31m" in choice and "'--status'" in choice, choice
    missing = one_error_line(run_script("music_queue_manager.py", "skip", "--home", home))
    assert "Missing argument 'NAME'" in missing, missing
    command = one_error_line(module("mus\x1b[31mic\n"))
    assert "No such command" in command and "\\x1b[31m" in command, command
