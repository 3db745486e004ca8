"""``mediakeeper watch`` on a real terminal (tmux): it says what it waits for while a folder
is being copied (its name, how long, why), and Ctrl+C ends it with what it did, then the
shell's prompt (issue 69, point 8)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.helpers import REPO_ROOT, wait_until
from tests.integration.test_batch_terminal import TMUX, Tmux, run_recording_exit
from tests.integration.watching import home_for, library


def test_the_watcher_says_what_it_waits_for_and_on_ctrl_c_what_it_did(tmp_path):
    if TMUX is None:
        pytest.skip("tmux is not installed")
    music = library(tmp_path / "Music", "A")
    home = home_for(tmp_path, music=music)
    time.sleep(2.5)  # A has settled before the watcher starts: it is queued at once
    env = {k: v for k, v in os.environ.items() if k != "TMUX"}
    tmux = Tmux(tmp_path, {**env, "PYTHONPATH": str(REPO_ROOT), "TERM": "xterm-256color"})
    ended = tmp_path / "watch.status"
    argv = [sys.executable, "-m", "mediakeeper", "watch", "--home", str(home), "--settle", "2"]
    script = run_recording_exit(argv, ended, then="sleep 120")
    # bash, not sh: a Ctrl+C that the watcher handles and exits on leaves bash going
    # (it tells the exit code); the pane stays to be read all the same.
    tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", "t", "bash", "-c", script)
    try:
        tmux("set-option", "-t", "t", "remain-on-exit", "on")
        def screen() -> str:
            return tmux("capture-pane", "-p", "-J", "-t", "t")

        assert wait_until(lambda: "music: queued A (new)" in screen()), screen()
        # A copy that goes on for 12 s: a part written every second, under a temporary name.
        copying = music / "Parallax" / "Album"
        copying.mkdir(parents=True)
        for n in range(12):
            with (copying / "01 - One.flac.part").open("a") as part:
                part.write(f"{n}\n")
            time.sleep(1)
        said = screen()
        assert ("music: Parallax is changing: queued once nothing in it has changed for 2 s"
                in said), said
        assert "music: Parallax: still waiting for it to settle for 1" in said, said
        tmux("send-keys", "-t", "t", "C-c")
        assert wait_until(ended.exists), screen()
        assert int(ended.read_text()) == 130
        said = screen()
        assert "watched for " in said and "queued 1 new" in said, said
        assert "still settling, not queued: Parallax" in said, said
        assert said.rstrip().endswith("stopped"), said
        assert "Traceback" not in said
    finally:
        subprocess.run([TMUX, "-S", str(tmux.socket), "kill-server"], capture_output=True)
