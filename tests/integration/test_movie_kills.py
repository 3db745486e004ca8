"""A movie batch killed as it puts a movie's .nfo in place (SIGKILL, injected by strace at
that very rename) leaves the .nfo's temp file in the movie folder; the next command, whatever
it is, deletes it and says so (mediakeeper.fs.left_behind, mediakeeper.fs.sweep)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys

import pytest

from mediakeeper.text.wording import format_size
from tests.integration.test_movie_batch import REPO, library_of, run, tmdb_env
from tests.servers.tmdb import FakeTMDb

STRACE = shutil.which("strace")


@pytest.fixture
def fake():
    with FakeTMDb() as server:
        yield server


@pytest.mark.skipif(STRACE is None, reason="needs strace, to kill the batch at its instant")
def test_a_temp_file_a_killed_movie_batch_left_is_deleted_by_the_next_command(fake, tmp_path):
    library = library_of(tmp_path / "Movies", ["The Matrix (1999)/The Matrix (1999).mkv"])
    home, folder = tmp_path / "home", library / "The Matrix (1999)"
    nfo = folder / "movie.nfo"
    # The batch's third rename: the first records its session's id (``fs.last_given``), the
    # second puts its new queue in place, the third the .nfo (one worker: the batch's own
    # process writes the movie).
    killed = subprocess.run(
        [STRACE, "-f", "-qq", "-o", "/dev/null", "-e", "trace=rename",
         "-e", "inject=rename:signal=SIGKILL:when=3", sys.executable,
         "utilities/process_movie_batch.py", "--home", str(home), "--library", str(library)],
        cwd=REPO, env=tmdb_env(fake), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr  # strace dies of its signal
    left = [p for p in folder.iterdir() if p.name.startswith(".movie.nfo.")]
    assert len(left) == 1 and not nfo.exists(), sorted(p.name for p in folder.iterdir())
    size = left[0].stat().st_size

    shown = subprocess.run(
        [sys.executable, "utilities/movie_queue_manager.py", "--home", str(home),
         "--show-summary"],
        cwd=REPO, env=tmdb_env(fake), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert (f"deleted 1 temp file ({format_size(size)}) that a killed write had left in the "
            "library") in shown.stderr  # fmt: skip
    assert sorted(p.name for p in folder.iterdir()) == ["The Matrix (1999).mkv"]

    again = run(fake, home, library)  # the movie's claim is stale: it is written whole now
    assert again.returncode == 0, again.stdout + again.stderr
    assert nfo.read_text().startswith("<?xml")
    assert sorted(p.name for p in folder.iterdir()) == ["The Matrix (1999).mkv", "movie.nfo"]
