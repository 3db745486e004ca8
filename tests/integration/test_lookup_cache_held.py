"""A lookup cache (or the shared rate-limit file) that another program holds locked, through
the real batches.

The cache is a SQLite file a person may open elsewhere (a database browser left in a write, a
backup tool, a stuck process): a batch must not wait for it without end and without a word.
The other program here is a real process holding a real SQLite write lock on the batch's own
file; the batch runs as a real subprocess against the fake TMDb or MusicBrainz.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from tests.helpers import wait_until
from tests.integration import test_music_enrichment as music
from tests.integration.test_movie_batch import REPO, library_of, queue_of, run, tmdb_env
from tests.servers.musicbrainz import FakeMusicBrainz
from tests.servers.tmdb import FakeTMDb
from utilities.movie_queue_manager import main as movie_queue_manager
from utilities.music_queue_manager import main as music_queue_manager

HOLD = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
time.sleep(600)
"""


@pytest.fixture
def fake():
    with FakeTMDb() as server:
        yield server


def test_a_cache_held_locked_by_another_program_stops_the_batch_in_one_line(fake, tmp_path):
    """Held past the service's timeout, the cache stops the batch with one line naming the
    file, whatever holds it and the fix (exit 2), every movie left pending with no attempt
    spent; once it is let go, the same command does them all."""
    names = ["The Matrix (1999)", "Heat (1995)"]
    library = library_of(tmp_path / "Movies", [f"{n}/movie.mkv" for n in names])
    home = tmp_path / "home"
    first = run(fake, home, library, "--movie", "Heat (1995)")  # makes the cache file
    assert first.returncode == 0, first.stdout + first.stderr
    cache = home / "status/movies/tmdb_cache.sqlite"
    assert cache.is_file()
    reset = ["--home", str(home), "--reset-all", "--yes"]
    assert CliRunner().invoke(movie_queue_manager, reset).exit_code == 0
    attempts = {n: queue_of(home)[n]["attempts"] for n in names}

    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(cache)], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        held = run(fake, home, library)  # [tmdb] timeout 5: the wait for the cache's lock
    finally:
        holder.kill()
        holder.wait()
    said = held.stdout + held.stderr
    assert held.returncode == 2, said
    assert "Traceback" not in said
    [line] = [x for x in held.stderr.splitlines() if "tmdb_cache.sqlite" in x]
    assert "locked by another program" in line and "close" in line, line
    queue = queue_of(home)
    assert {queue[n]["status"] for n in names} == {"pending"}, queue
    assert {n: queue[n]["attempts"] for n in names} == attempts  # none spent

    assert wait_until(lambda: holder.poll() is not None)
    again = run(fake, home, library)
    assert again.returncode == 0, again.stdout + again.stderr
    assert {queue_of(home)[n]["status"] for n in names} == {"completed"}


def test_a_cache_locked_while_an_answer_is_on_its_way_stops_the_batch_as_well(fake, tmp_path):
    """The lock taken after the batch opened its cache, while TMDb is answering: the answer
    is not kept and the batch stops as above, rather than wait without end to keep it."""
    names = ["The Matrix (1999)", "Heat (1995)"]
    library = library_of(tmp_path / "Movies", [f"{n}/movie.mkv" for n in names])
    home = tmp_path / "home"
    fake.delay(3, times=1)  # the first search's answer: time to take the lock meanwhile
    command = [sys.executable, "utilities/process_movie_batch.py", "--home", str(home),
               "--library", str(library), "--batch-size", "100"]  # fmt: skip
    batch = subprocess.Popen(command, cwd=REPO, env=tmdb_env(fake), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    holder = None
    try:
        assert wait_until(lambda: any(r.status == 0 for r in fake.requests))  # in flight
        cache = home / "status/movies/tmdb_cache.sqlite"
        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(cache)],
                                  stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert holder.stdout.readline().strip() == "held"
        out, err = batch.communicate(timeout=90)
    finally:
        batch.kill()
        if holder is not None:
            holder.kill()
            holder.wait()
    assert batch.returncode == 2, out + err
    assert "Traceback" not in out + err
    [line] = [x for x in err.splitlines() if "tmdb_cache.sqlite" in x]
    assert "locked by another program for over 5 s" in line, line
    queue = queue_of(home)
    assert {queue[n]["status"] for n in names} == {"pending"}, queue
    assert {queue[n]["attempts"] for n in names} == {0}, queue


def test_the_shared_rate_limit_file_held_locked_stops_the_music_batch_in_one_line(tmp_path):
    """status/cache/ratelimit.sqlite, the budget every process of the home shares, held in a
    write by another program: one line naming it (exit 2), no traceback of the limiter's
    thread, the artist that needed it left pending, not made an error; let go, the same
    command does them all."""
    library, home = tmp_path / "Music", tmp_path / "home"
    for artist in ("Portishead", "Massive Attack"):
        music.album(library, artist, "Album", "Album", n=1)
    paced = {"MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "50"}  # a limiter, and its file
    with FakeMusicBrainz() as server:
        first = music.run(server, home, library, "--artist", "Portishead", **paced)
        assert first.returncode in (0, 1), first.stdout + first.stderr
        limiter = home / "status/cache/ratelimit.sqlite"
        assert limiter.is_file()
        attempts = {n: i["attempts"] for n, i in music.queue_of(home).items()}
        reset = ["--home", str(home), "--reset-all", "--yes"]
        assert CliRunner().invoke(music_queue_manager, reset).exit_code == 0

        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(limiter)],
                                  stdout=subprocess.PIPE, text=True)  # fmt: skip
        try:
            assert holder.stdout.readline().strip() == "held"
            held = music.run(server, home, library, **paced)
        finally:
            holder.kill()
            holder.wait()
        said = held.stdout + held.stderr
        assert held.returncode == 2, said
        assert "Traceback" not in said and "OperationalError" not in said, said
        [line] = [x for x in held.stderr.splitlines() if "ratelimit.sqlite" in x]
        assert "locked by another program" in line, line
        # Massive Attack needed the limiter; Portishead, answered from the cache, did not.
        new = music.queue_of(home)["Massive Attack"]
        assert new["status"] == "pending" and new["attempts"] == attempts["Massive Attack"], new

        again = music.run(server, home, library, **paced)
        assert again.returncode in (0, 1), again.stdout + again.stderr
        assert {i["status"] for i in music.queue_of(home).values()} == {"completed"}


@pytest.fixture
def read_only(tmp_path):
    """Makes a folder read-only for real (a read-only bind mount of itself, EROFS even for
    root), undone afterwards. Mounting needs root: the test is skipped without it."""
    mounted = []

    def make(folder):
        for command in (["mount", "--bind", str(folder), str(folder)],
                        ["mount", "-o", "remount,bind,ro", str(folder)]):  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                pytest.skip(f"cannot make {folder} read-only: {done.stderr.strip()} (needs root)")
            if command[1] == "--bind":
                mounted.append(folder)

    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_read_only_cache_folder_stops_the_batch_in_one_line(read_only, tmp_path):
    """status/cache read-only (a mount, a restore from a backup): one line naming the folder
    and the fix (exit 2), not an error for every artist ("OSError: ... (at _files.py:75)")
    with its attempts spent and an alert; made writable, the same command does them all."""
    library, home = tmp_path / "Music", tmp_path / "home"
    for artist in ("Portishead", "Massive Attack"):
        music.album(library, artist, "Album", "Album", n=1)
    with FakeMusicBrainz() as server:
        cache = home / "status/cache"
        cache.mkdir(parents=True, exist_ok=True)
        read_only(cache)
        refused = music.run(server, home, library)
        said = refused.stdout + refused.stderr
        assert refused.returncode == 2, said
        assert "Traceback" not in said and "OSError" not in said and "ALERT" not in said, said
        [line] = [x for x in refused.stderr.splitlines() if str(cache) in x]
        assert "Read-only file system" in line and "writable" in line, line
        queue = music.queue_of(home)
        assert {i["status"] for i in queue.values()} == {"pending"}, queue
        assert {i["attempts"] for i in queue.values()} == {0}, queue
        subprocess.run(["umount", "-l", str(cache)], check=True)

        again = music.run(server, home, library)
        assert again.returncode in (0, 1), again.stdout + again.stderr
        assert {i["status"] for i in music.queue_of(home).values()} == {"completed"}
