"""A settings file's values held to their TOML types, and a mistyped ``MEDIAKEEPER_`` variable
said, as a person meets them: the commands run in real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, run_script, script_env
from tests.integration.watching import home_for, library


def tree(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ('max_attempts = "3"\n',  # in [music], after its library
         'music.max_attempts: expected a whole number, got a string "3" (write 3, not "3")'),
        ('[cluster]\nsend = "conversions"\n',
         'cluster.send: expected an array of strings, got a string "conversions" '
         '(write ["conversions"], not "conversions")'),
        ('lookups = "no"\n',
         'music.lookups: expected true or false, got a string "no" (write false, not "no")'),
    ],
)  # fmt: skip
def test_a_file_value_of_another_type_stops_a_batch_before_anything_is_touched(
    tmp_path, settings, said
):
    """These were taken as the environment's text is ("3" read as 3), where the reference
    says a value of the wrong type in the file is refused."""
    music = library(tmp_path / "Music", "Artist")
    home = home_for(tmp_path, settings, music=music)
    before = tree(home), tree(music)
    result = run_script("process_music_batch.py", "--home", home, "--offline")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == f"Error: {home / 'mediakeeper.toml'}: {said}\n"
    assert (tree(home), tree(music)) == before


def test_a_kind_sent_to_the_cluster_that_has_no_step_a_worker_takes_is_said(tmp_path):
    """``[cluster] send = ["music"]`` was taken and did nothing: music has no step a worker
    can take, so its batch ran here and said nothing of the setting. It is one line before
    anything is touched, naming the kinds that can be sent."""
    music = library(tmp_path / "Music", "Artist")
    home = home_for(tmp_path, '[cluster]\nscheduler = "tcp://127.0.0.1:9"\nsend = ["music"]\n',
                    music=music)  # fmt: skip
    before = tree(home), tree(music)
    result = run_script("process_music_batch.py", "--home", home, "--offline")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == (f"Error: {home / 'mediakeeper.toml'}: cluster.send: 'music' has "
                             "no step a worker can take (its work is read near its files): "
                             "name only some of conversions, audiobooks, verify, dupes, "
                             "pipelines\n")  # fmt: skip
    assert (tree(home), tree(music)) == before


TYPO = "MEDIAKEEPER_MUSIC_LIBRAY"
SAID = (f"Warning: environment {TYPO} names no setting and is ignored: did you mean "
        "MEDIAKEEPER_MUSIC_LIBRARY?")  # fmt: skip
# The toolkit's variables that are no setting, and a variable of another program's.
NOT_SAID = {"MEDIAKEEPER_SCREENSHOTS": "/tmp", "TMDB_API_KEY": "k"}


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Warning:")]


def test_a_mistyped_variable_is_said_once_and_the_batch_goes_on(tmp_path):
    """It was ignored without a word: the batch ran on the library of the file, or none."""
    music = library(tmp_path / "Music", "Artist")
    home = home_for(tmp_path, music=music)
    env = {TYPO: str(tmp_path / "Elsewhere"), "MEDIAKEEPER_HOME": str(home), **NOT_SAID,
           "MEDIAKEEPER_\x1b[2J": "1"}  # a name that would clear the screen  # fmt: skip
    result = run_script("process_music_batch.py", "--offline", env=env)
    assert result.returncode == 0, result.stderr
    assert warnings(result.stderr) == [
        "Warning: environment MEDIAKEEPER_\\x1b[2J names no setting and is ignored",
        SAID,
    ]


def test_a_command_that_reads_its_settings_more_than_once_says_it_once(tmp_path):
    """``schedule`` reads them three times (as a nightly job would, as this shell does)."""
    home = home_for(tmp_path, music=library(tmp_path / "Music", "Artist"))
    result = subprocess.run(
        [sys.executable, "-m", "mediakeeper", "schedule", "--home", str(home)],
        cwd=REPO_ROOT, env={**script_env(), TYPO: "/x", **NOT_SAID}, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # (schedule's own warnings, of a machine with no systemd user manager or no cron, aside)
    said = [line for line in warnings(result.stderr) if "systemd" not in line
            and "crontab" not in line]  # fmt: skip
    assert said == [SAID], result.stderr
    assert not any(name in result.stderr for name in NOT_SAID), result.stderr


def test_the_batches_watch_runs_do_not_say_it_again(tmp_path, watching, monkeypatch):
    """Each batch ``watch --run`` starts inherits the variable: each said it again into the
    watcher's output, where the person ran one command."""
    monkeypatch.setenv(TYPO, "/x")
    albums = library(tmp_path / "Albums", "First")
    home = home_for(tmp_path, verify=albums)
    watcher = watching(home, "--kind", "verify", "--run")
    assert watcher.said("verify: the batch ended (exit 0)"), watcher.text()
    assert watcher.stop() == 0, watcher.text()
    assert warnings(watcher.text()) == [SAID], watcher.text()


@pytest.mark.parametrize("mark", ["1", "yes", "0", "inherited"])
def test_the_mark_the_toolkit_gives_its_batches_set_by_hand_silences_nothing(tmp_path, mark):
    """``MEDIAKEEPER_STRAYS_SAID`` set by hand, or inherited by a shell a started batch
    opened, silenced the warning of every command run there: a typo then went unsaid. It
    holds only for the commands the command that said it starts itself."""
    if mark == "inherited":  # the mark of a command that started, not this one, but an elder
        mark = str(os.getppid())
    music = library(tmp_path / "Music", "Artist")
    home = home_for(tmp_path, music=music)
    env = {TYPO: str(tmp_path / "Elsewhere"), "MEDIAKEEPER_HOME": str(home),
           "MEDIAKEEPER_STRAYS_SAID": mark}  # fmt: skip
    result = run_script("process_music_batch.py", "--offline", env=env)
    assert result.returncode == 0, result.stderr
    assert warnings(result.stderr) == [SAID], result.stderr
