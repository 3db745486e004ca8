"""An item whose folder name begins with "-" (a release group's "-Solaris", a rip named
"-rf"): a command the toolkit prints for it names it where the command reads a name, not an
option, so that pasted it runs. Real files, a fake TMDb over HTTP, the real commands run as
pasted."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

from mediakeeper.queue.store import QueueStore
from tests.helpers import REPO_ROOT, script_env
from tests.integration.test_decide_kinds import movie_batch


def pasted(command: str) -> subprocess.CompletedProcess:
    """``command`` as a person pastes it, by this checkout's interpreter and code."""
    words = shlex.split(command)
    assert words[0] == "mediakeeper" or words[1:3] == ["-m", "mediakeeper"], command
    argv = words[3:] if words[1:3] == ["-m", "mediakeeper"] else words[1:]
    return subprocess.run(
        [sys.executable, "-m", "mediakeeper", *argv], cwd=REPO_ROOT, env=script_env(),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_command_that_lists_a_movies_candidates_runs_for_a_name_like_an_option(tmp_path):
    """'several TMDb movies fit: `mediakeeper decide --home H movies -Solaris` lists them'
    answered, pasted, "No such option '-S'"."""
    lib, home = tmp_path / "Movies", tmp_path / "home"
    (lib / "-Solaris").mkdir(parents=True)
    (lib / "-Solaris" / "solaris.mkv").write_bytes(b"not really a video")
    movie_batch(home, lib)
    (item,) = QueueStore(home / "status" / "movies", "movies").peek()["items"]
    hint = item["details"]["unidentified"]
    command = re.search(r"`([^`]*decide[^`]*)`", hint).group(1)
    shown = pasted(command)
    assert shown.returncode == 0, (command, shown.stdout + shown.stderr)
    assert shown.stdout.startswith("-Solaris: "), shown.stdout
    assert "ambiguous-match" in shown.stdout
