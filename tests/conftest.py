"""Shared fixtures: an injected clock, queues built in tmp_path, real audio libraries, the
scripts in real subprocesses, lookup sessions, every ffmpeg. What they are made of, and
what tests import beside them, is in ``tests/helpers/``."""

from __future__ import annotations

import atexit
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mediakeeper.queue.items import new_item, new_queue
from mediakeeper.queue.store import QueueStore
from tests.helpers import (
    REPO_ROOT,
    FakeClock,
    build_library,
    leaves_decisions,
    load_music_queue,
    raw_frames_of,
    run_script,
    script_env,
    tag_map,
    tree_of,
)

# Nothing in the suite may reach the internet: lookups are off unless a test turns them on
# (pointing them at a local fake server), and even then the default URL is a dead local port.
# Set here, at import, so every subprocess and CliRunner call inherits it.
os.environ["MEDIAKEEPER_MUSIC_LOOKUPS"] = "false"
os.environ["MEDIAKEEPER_MUSICBRAINZ_URL"] = "http://127.0.0.1:9"
os.environ["MEDIAKEEPER_MUSICBRAINZ_COVERART_URL"] = "http://127.0.0.1:9"
os.environ["MEDIAKEEPER_TMDB_URL"] = "http://127.0.0.1:9"
os.environ["MEDIAKEEPER_ACOUSTID_URL"] = "http://127.0.0.1:9"
# No home recorded by the person running the tests (``mediakeeper init``) reaches them: the
# user's config is looked for in a new folder of the temporary area, this process's own, so
# a home one run records never reaches another run on the same machine (a test of it sets
# its own). Outside the checkout: programs the tests start (chromium) write their own
# settings under XDG_CONFIG_HOME.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="mediakeeper-tests-config-")
atexit.register(shutil.rmtree, os.environ["XDG_CONFIG_HOME"], ignore_errors=True)
# COLUMNS and LINES, when the shell that started the suite exports them, describe its
# terminal, not the ones the tests make (tmux, script at 40 columns): a program honours them
# over its terminal's own size, as it should, so they would set every such test's width. A
# test that wants them sets them.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)


@pytest.fixture(autouse=True)
def no_home_recorded_for_the_tests_after():
    """A test that records a home (``mediakeeper init``) in this worker's user config fails
    itself, naming it, instead of the later tests of its worker that home would reach (it
    gives their commands a line more, and a command given no home finds that one): such a
    test sets an ``XDG_CONFIG_HOME`` of its own."""
    from mediakeeper.core.home import user_config

    recorded = user_config()
    assert not recorded.exists(), f"a home recorded before this test: {recorded}"
    yield
    if recorded.exists():
        kept = recorded.read_text(encoding="utf-8", errors="replace")
        recorded.unlink()  # the next tests start clean whatever this one did
        pytest.fail(f"this test recorded a home in the tests' own user config ({kept.strip()}); "
                    "give it an XDG_CONFIG_HOME of its own")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2024, 3, 9, 10, 30, 0, tzinfo=UTC))


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def make_store(tmp_path, clock):
    """``make_store(n)`` -> a QueueStore over a fresh queue of ``n`` pending items.

    Items are keyed ``artist-0000`` ... in queue order; their folders exist under
    ``tmp_path/library`` unless ``folders=False``.
    """

    def build(
        n: int = 10,
        *,
        kind: str = "music",
        folders: bool = True,
        directory: Path | None = None,
        names: list[str] | None = None,
    ) -> QueueStore:
        library = tmp_path / "library"
        library.mkdir(exist_ok=True)
        names = names if names is not None else [f"artist-{i:04d}" for i in range(n)]
        items = []
        for name in names:
            path = library / name
            if folders:
                path.mkdir(exist_ok=True)
            items.append(new_item(name, name, str(path)))
        store = QueueStore(directory or tmp_path / "status" / kind, kind, clock=clock)
        store.create(new_queue(kind, str(library), items, clock()))
        return store

    return build


@pytest.fixture
def full_disk():
    """``fill(size)``: from now on no file this process writes may grow past ``size`` bytes;
    a write past it fails with EFBIG, as on a full disk (a real limit of this process,
    RLIMIT_FSIZE, lifted again afterwards). It holds for every file, pytest's own output
    too: a test asserts where its error came from, not only that one was raised."""
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)

    def fill(size: int) -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, old_limit[1]))

    yield fill
    resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
    signal.signal(signal.SIGXFSZ, old_handler)


@pytest.fixture
def child_env() -> dict[str, str]:
    """Environment for Python subprocesses: the checkout importable, unbuffered output."""
    return script_env()


@pytest.fixture
def dead_pid(child_env) -> int:
    """The pid of a process that has finished and been reaped (so it is certainly gone)."""
    import subprocess

    proc = subprocess.Popen([sys.executable, "-c", "pass"], env=child_env)
    proc.wait()
    return proc.pid


@pytest.fixture
def zombie_pid(child_env):
    """The pid of a child that has ended but is not waited for yet: /proc still lists it, and
    signal 0 still reaches it (a killed batch's workers linger so until someone reaps them)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"], env=child_env)
    try:
        for _ in range(500):
            with open(f"/proc/{child.pid}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    break
            time.sleep(0.01)
        else:
            pytest.fail("the child never ended")
        yield child.pid
    finally:
        child.wait()


# ---- music batches: real libraries, the real scripts in real subprocesses ----------------
# (Used by tests/integration/test_music_batch*.py, test_music_fixes_formats.py, test_undo.py.)

@pytest.fixture(scope="session")
def music_script():
    """``music_script("process_music_batch.py", "--home", home, ...)`` runs a utility script
    from the repo root in a real subprocess; returns the CompletedProcess (text output)."""
    return run_script


@pytest.fixture
def music_popen():
    """``music_popen(*args)`` starts process_music_batch.py with ``args`` and returns the Popen
    (stdout piped, text, line by line); ``console=True``: ``mediakeeper music batch`` instead,
    as its entry point starts it. Every process it started is killed at teardown."""
    import subprocess

    started: list[subprocess.Popen] = []

    def start(*args, script: str = "process_music_batch.py", console: bool = False):
        command = ["-m", "mediakeeper", "music", "batch"] if console else [f"utilities/{script}"]
        proc = subprocess.Popen(
            [sys.executable, *command, *map(str, args)],
            cwd=REPO_ROOT,
            env=script_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


@pytest.fixture(scope="session")
def music_library():
    """``music_library(root, spec)`` builds a real audio library (see ``build_library``)."""
    return build_library


@pytest.fixture
def one_track_done(tmp_path, music_library):
    """A library of one FLAC track ("Artist/Album/01 - One.flac", title "One") and a data home
    whose music batch has run over it: (library, home, track)."""
    library, home = tmp_path / "Music", tmp_path / "home"
    music_library(library, {"Artist/Album/01 - One.flac": {"tags": {"title": "One"}}})
    done = run_script("process_music_batch.py", "--home", home, "--library", library)
    assert leaves_decisions(done), done.stdout + done.stderr  # no artist, no album: decisions
    return library, home, library / "Artist" / "Album" / "01 - One.flac"


@pytest.fixture(scope="session")
def library_tags():
    """``library_tags(root)`` -> {relative path: mediakeeper.tags.read(path).tags}."""
    return tag_map


@pytest.fixture(scope="session")
def raw_frames():
    """``raw_frames(path)`` -> every stored tag of one file, read with mutagen only."""
    return raw_frames_of


@pytest.fixture(scope="session")
def tree_bytes():
    """``tree_bytes(root)`` -> {relative path: bytes (files) or None (folders)}."""
    return tree_of


@pytest.fixture(scope="session")
def music_queue():
    """``music_queue(home)`` -> the current music queue (dict) of that data home."""
    return load_music_queue


# ---- lookups: the fake MusicBrainz on 127.0.0.1 and lookup sessions ----------------------
# (Used by tests/unit/test_lookup_http.py and tests/integration/test_musicbrainz_client.py.)


@pytest.fixture
def fake_musicbrainz():
    """A started FakeMusicBrainz (fixture artists plus one with 230 release groups); point
    ``[musicbrainz] url`` (``MEDIAKEEPER_MUSICBRAINZ_URL``) and ``coverart_url`` at
    ``fake_musicbrainz.url``. Its ``requests`` record what it was asked."""
    from tests.servers.musicbrainz import FakeMusicBrainz

    with FakeMusicBrainz() as server:
        yield server


@pytest.fixture
def lookup_session(tmp_path):
    """``lookup_session(**overrides)`` -> a LookupSession for tests: cache and limiter under
    ``tmp_path/cache``, no rate limit, 5 s timeout, 2 quick retries. Closed at teardown."""
    from mediakeeper.lookup.http import LookupSession, user_agent

    made = []

    def build(**overrides):
        options = {
            "cache_path": tmp_path / "cache" / "musicbrainz.sqlite",
            "rate_limit": 0.0,
            "timeout": 5.0,
            "retries": 2,
            "user_agent": user_agent("tests@example.com"),
            "limiter_path": tmp_path / "cache" / "ratelimit.sqlite",
            "backoff": 0.05,
        }
        options.update(overrides)
        session = LookupSession(options.pop("service", "musicbrainz"), **options)
        made.append(session)
        return session

    yield build
    for session in made:
        session.close()


# ---- every ffmpeg a user may have ----------------------------------------------------------


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--ffmpeg", choices=("both", "bundled", "system"), default="both",
        help="which ffmpeg the tests taking `any_ffmpeg` run against: the one the wheel ships, "
             "the one on PATH (Debian's, installed by `make readers`), or both (the default; "
             "a missing one is skipped)",
    )  # fmt: skip


def pytest_generate_tests(metafunc) -> None:
    if "any_ffmpeg" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--ffmpeg")
        which = ["bundled", "system"] if chosen == "both" else [chosen]
        metafunc.parametrize("any_ffmpeg", which, indirect=True)


@pytest.fixture
def any_ffmpeg(request) -> str:
    """The path of one ffmpeg: the bundled one, or the system's on PATH (skipped where there
    is none, or it is too old: the toolkit would use the bundled one then)."""
    from mediakeeper.media import ffmpeg

    if request.param == "bundled":
        return ffmpeg.bundled()
    system = shutil.which("ffmpeg")
    if system is None or os.path.realpath(system) == os.path.realpath(ffmpeg.bundled()):
        pytest.skip("no system ffmpeg on PATH: `make readers` installs Debian's")
    if ffmpeg.too_old(system):
        pytest.skip(f"the system ffmpeg {system} is older than the toolkit supports")
    return system


