"""Shared fixtures: an injected clock, queues built in tmp_path, and subprocess helpers.

pytest runs with ``--import-mode=importlib``, so anything tests share lives here as fixtures.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mediakeeper.queue.items import new_item, new_queue
from mediakeeper.queue.store import QueueStore

REPO_ROOT = Path(__file__).resolve().parent.parent

# Nothing in the suite may reach the internet: lookups are off unless a test turns them on
# (pointing them at a local fake server), and even then the default URL is a dead local port.
# Set here, at import, so every subprocess and CliRunner call inherits it.
os.environ["MEDIAKEEPER_MUSIC_LOOKUPS"] = "false"
os.environ["MEDIAKEEPER_MUSICBRAINZ_URL"] = "http://127.0.0.1:9"
os.environ["MEDIAKEEPER_MUSICBRAINZ_COVERART_URL"] = "http://127.0.0.1:9"
os.environ["MEDIAKEEPER_TMDB_URL"] = "http://127.0.0.1:9"
os.environ["MEDIAKEEPER_ACOUSTID_URL"] = "http://127.0.0.1:9"
# No home recorded by the person running the tests (``mediakeeper init``) reaches them: the
# user's config is looked for in a folder of the temporary area holding no config.toml (a
# test of it sets its own). Outside the checkout: programs the tests start (chromium) write
# their own settings under XDG_CONFIG_HOME.
os.environ["XDG_CONFIG_HOME"] = str(Path(tempfile.gettempdir()) / "mediakeeper-tests-config")


class FakeClock:
    """A clock the test moves by hand: every call returns the same moment until advanced."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2024, 3, 9, 10, 30, 0, tzinfo=UTC))


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


def queue_manager_cli(main, home: Path):
    """``invoke(*args, input=None, with_home=True)`` runs a queue-manager command in process
    on ``home`` (MEDIAKEEPER_HOME unset); it may exit with any code, never with a traceback."""
    from click.testing import CliRunner

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, with_home: bool = True):
        argv = ["--home", str(home), *args] if with_home else list(args)
        result = runner.invoke(main, argv, input=input, env={"MEDIAKEEPER_HOME": None})
        assert "Traceback" not in result.output, result.output
        if result.exception is not None:
            assert isinstance(result.exception, SystemExit), repr(result.exception)
        return result

    return invoke


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
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("MEDIAKEEPER_HOME", None)
    return env


def run_pasted(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run a command the toolkit printed for a person as that person would paste it into a
    shell in ``cwd``: no PYTHONPATH, no MEDIAKEEPER_HOME, nothing of the tests' set-up."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MEDIAKEEPER_HOME")}
    return subprocess.run(
        shlex.split(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


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

AUDIO_SUFFIXES = (".mp3", ".flac", ".m4a", ".ogg", ".opus")
AUDIO_SUFFIXES += tuple(
    sorted(
        {".wav", ".aiff", ".dsf", ".dff", ".tta", ".ape", ".wv", ".mpc", ".tak", ".ofr", ".wma"}
        | {".m4b", ".mp4", ".3gp", ".oga", ".spx", ".aac", ".ac3"}
    )
)
# The tag container each format of mediakeeper.music.synth keeps its tags in.
FAMILY = {
    **dict.fromkeys(("mp3", "wav", "aiff", "dsf", "dff", "tta"), "id3"),
    **dict.fromkeys(("flac", "ogg", "opus", "oggflac", "spx"), "vorbis"),
    **dict.fromkeys(("m4a", "m4b", "mp4", "3gp"), "mp4"),
    **dict.fromkeys(("ape", "wv", "mpc", "tak", "ofr"), "ape"),
    "wma": "asf",
}


def _script_env() -> dict[str, str]:
    """Like ``child_env``, for fixtures of any scope."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("MEDIAKEEPER_HOME", None)
    return env


def _run_script(script: str, *args, timeout: float = 120):
    """Run a utility script to its end; one that hangs is made to dump every thread's stack
    (faulthandler, SIGABRT) into the failure message instead of just timing out."""

    proc = subprocess.Popen(
        [sys.executable, f"utilities/{script}", *map(str, args)],
        cwd=REPO_ROOT,
        env={**_script_env(), "PYTHONFAULTHANDLER": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        encoding="utf-8",
        errors="replace",  # a non-UTF-8 file name is printed as its original bytes
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        out, err = proc.communicate()
        raise AssertionError(
            f"{script} {args} still running after {timeout}s\n{out}\n{err}"
        ) from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture(scope="session")
def music_script():
    """``music_script("process_music_batch.py", "--home", home, ...)`` runs a utility script
    from the repo root in a real subprocess; returns the CompletedProcess (text output)."""
    return _run_script


@pytest.fixture
def music_popen():
    """``music_popen(*args)`` starts process_music_batch.py with ``args`` and returns the Popen
    (stdout piped, text, line by line). Every process it started is killed at teardown."""
    import subprocess

    started: list[subprocess.Popen] = []

    def start(*args, script: str = "process_music_batch.py"):
        proc = subprocess.Popen(
            [sys.executable, f"utilities/{script}", *map(str, args)],
            cwd=REPO_ROOT,
            env=_script_env(),
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


def _build_library(root: Path, spec) -> Path:
    """Write ``spec`` ({"Artist/Album/01 - x.flac": {"tags": {...}, ...}}) under ``root``.

    Per track: ``tags`` (logical names), ``id3`` (3 or 4, mp3 only), ``picture`` (embed a
    cover), ``composer`` (a tag outside mediakeeper's table, written raw with mutagen).
    """
    from mediakeeper.music.synth import FORMATS, READ_ONLY, make_track, suffix

    format_of = {suffix(fmt): fmt for fmt in FORMATS + READ_ONLY}
    root.mkdir(parents=True, exist_ok=True)
    for rel, track in spec.items():
        path = root / rel
        fmt = format_of[path.suffix]
        make_track(
            path,
            fmt,
            track.get("tags", {}),
            id3_version=track.get("id3", 4),
            picture=track.get("picture", False),
        )
        if "composer" in track:
            tag_by_hand(path, "composer", track["composer"], track.get("id3", 4))
    return root


def wait_until(predicate, *, limit: float = 30.0) -> bool:
    """Poll ``predicate`` (a condition, not a time claim): False only after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@contextlib.contextmanager
def immutable(path: Path):
    """``path`` immutable for the block (chattr +i: even root cannot replace it); the test is
    skipped, saying why, where that cannot be done (it needs root, and a file system that
    keeps the flag)."""
    if not shutil.which("chattr"):
        pytest.skip("chattr is not installed: cannot make a file immutable")
    done = subprocess.run(["chattr", "+i", path], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot make a file immutable here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", path], check=True)


def refuse_scandir(monkeypatch, folder: Path) -> None:
    """The OS's refusal to list ``folder`` (as for a folder this user cannot read), made at
    os.scandir: running as root, mode 000 stops nothing."""
    real_scandir = os.scandir

    def refusing(path="."):
        if os.fspath(path) == os.fspath(folder):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)


# Where each logical tag is stored (what another tagger writes), independent of mediakeeper's
# own table.
RAW_KEYS = {
    "id3": {
        "title": "TIT2",
        "artist": "TPE1",
        "albumartist": "TPE2",
        "album": "TALB",
        "tracknumber": "TRCK",
        "tracktotal": "TRCK",
        "date": "TDRC",
        "genre": "TCON",
        "composer": "TCOM",
    },
    "vorbis": {
        "title": "TITLE",
        "artist": "ARTIST",
        "albumartist": "ALBUMARTIST",
        "album": "ALBUM",
        "tracknumber": "TRACKNUMBER",
        "tracktotal": "TRACKTOTAL",
        "date": "DATE",
        "genre": "GENRE",
        "composer": "COMPOSER",
    },
    "mp4": {
        "title": "\xa9nam",
        "artist": "\xa9ART",
        "albumartist": "aART",
        "album": "\xa9alb",
        "tracknumber": "trkn",
        "tracktotal": "trkn",
        "date": "\xa9day",
        "genre": "\xa9gen",
        "composer": "\xa9wrt",
    },
    # Picard's APEv2 and ASF keys.
    "ape": {
        "title": "TITLE",
        "artist": "ARTIST",
        "albumartist": "ALBUM ARTIST",
        "album": "ALBUM",
        "tracknumber": "TRACK",
        "tracktotal": "TRACK",
        "date": "YEAR",
        "genre": "GENRE",
        "composer": "COMPOSER",
    },
    "asf": {
        "title": "Title",
        "artist": "Author",
        "albumartist": "WM/AlbumArtist",
        "album": "WM/AlbumTitle",
        "tracknumber": "WM/TrackNumber",
        "tracktotal": "TotalTracks",
        "date": "WM/Year",
        "genre": "WM/Genre",
        "composer": "WM/Composer",
    },
}


def tag_by_hand(path: Path, tag: str, value: str, id3_version: int | None = None) -> None:
    """What another tagger does (Picard, beets): set one tag with mutagen alone, saved into
    the same file (its inode stays), keeping its ID3 version unless told."""
    import mutagen
    from mutagen.id3 import ID3, Frames

    audio = mutagen.File(path)
    if isinstance(audio.tags, ID3):
        version = id3_version or audio.tags.version[1]
        audio.tags.add(Frames[RAW_KEYS["id3"][tag]](encoding=3, text=[value]))
        if version == 3:
            audio.tags.update_to_v23()
        audio.save(v2_version=version)
    else:
        audio.tags[RAW_KEYS[_family_of(audio)][tag]] = [value]
        audio.save()


def _family_of(audio) -> str:
    """The tag container of a file mutagen parsed: "id3", "vorbis", "mp4", "ape", "asf"."""
    from mutagen.apev2 import APEv2
    from mutagen.asf import ASFTags
    from mutagen.id3 import ID3
    from mutagen.mp4 import MP4Tags

    kinds = ((ID3, "id3"), (MP4Tags, "mp4"), (APEv2, "ape"), (ASFTags, "asf"))
    return next((name for kind, name in kinds if isinstance(audio.tags, kind)), "vorbis")


@pytest.fixture(scope="session")
def music_library():
    """``music_library(root, spec)`` builds a real audio library (see ``_build_library``)."""
    return _build_library


@pytest.fixture
def one_track_done(tmp_path, music_library):
    """A library of one FLAC track ("Artist/Album/01 - One.flac", title "One") and a data home
    whose music batch has run over it: (library, home, track)."""
    library, home = tmp_path / "Music", tmp_path / "home"
    music_library(library, {"Artist/Album/01 - One.flac": {"tags": {"title": "One"}}})
    done = _run_script("process_music_batch.py", "--home", home, "--library", library)
    assert done.returncode in (0, 1), done.stderr
    return library, home, library / "Artist" / "Album" / "01 - One.flac"


def _audio_files(root: Path) -> list[Path]:
    return sorted(
        p for p in Path(root).rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
    )


def _tag_map(root: Path) -> dict[str, dict[str, str]]:
    from mediakeeper import tags

    return {p.relative_to(root).as_posix(): tags.read(p).tags for p in _audio_files(root)}


@pytest.fixture(scope="session")
def library_tags():
    """``library_tags(root)`` -> {relative path: mediakeeper.tags.read(path).tags}."""
    return _tag_map


def _raw_frames(path: Path) -> dict[str, object]:
    """Every tag a file holds, read with mutagen alone: ID3 frames by hash key (text frames as
    their strings, binary frames as bytes), Vorbis comments by upper-case key (plus FLAC
    picture data), MP4 atoms by name, APEv2 items by upper-case key, ASF attributes by name.
    Independent of mediakeeper's tag table."""
    import mutagen
    from mutagen.apev2 import TEXT
    from mutagen.flac import FLAC

    audio = mutagen.File(path)
    raw: dict[str, object] = {}
    if audio.tags is None:
        return raw
    family = _family_of(audio)
    if family == "id3":
        for frame in audio.tags.values():
            if hasattr(frame, "text"):
                raw[frame.HashKey] = [str(t) for t in frame.text]
            elif hasattr(frame, "data"):
                raw[frame.HashKey] = bytes(frame.data)
            else:
                raw[frame.HashKey] = repr(frame)
    elif family == "mp4":
        for key, values in audio.tags.items():
            raw[key] = [bytes(v) if isinstance(v, bytes) else v for v in values]
    elif family == "ape":  # keys in any case are one key
        for key, value in audio.tags.items():
            raw[key.upper()] = list(value) if value.kind == TEXT else bytes(value.value)
    elif family == "asf":
        for key, values in audio.tags.as_dict().items():
            raw[key] = [v.value if isinstance(v.value, bytes) else str(v.value) for v in values]
    else:
        for key, values in audio.tags.as_dict().items():
            raw[key.upper()] = list(values)
        raw["<vendor>"] = audio.tags.vendor
        if isinstance(audio, FLAC):
            raw["<pictures>"] = [p.data for p in audio.pictures]
    return raw


@pytest.fixture(scope="session")
def raw_frames():
    """``raw_frames(path)`` -> every stored tag of one file, read with mutagen only."""
    return _raw_frames


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``root``, by relative path."""
    root = Path(root)
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture(scope="session")
def tree_bytes():
    """``tree_bytes(root)`` -> {relative path: bytes (files) or None (folders)}."""
    return _tree


def _load_queue(home: Path) -> dict:
    """The music queue of a data home as the product reads it (journal replayed)."""
    from mediakeeper.queue.store import QueueStore

    return QueueStore(Path(home) / "status" / "music", "music").load()


@pytest.fixture(scope="session")
def music_queue():
    """``music_queue(home)`` -> the current music queue (dict) of that data home."""
    return _load_queue


# ---- lookups: the fake MusicBrainz on 127.0.0.1 and lookup sessions ----------------------
# (Used by tests/unit/test_lookup_http.py and tests/integration/test_musicbrainz_client.py.)


def _fake_musicbrainz_class():
    """``tests.servers.musicbrainz.FakeMusicBrainz`` (the checkout made importable first)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.servers.musicbrainz import FakeMusicBrainz

    return FakeMusicBrainz


@pytest.fixture
def fake_musicbrainz():
    """A started FakeMusicBrainz (fixture artists plus one with 230 release groups); point
    ``[musicbrainz] url`` (``MEDIAKEEPER_MUSICBRAINZ_URL``) and ``coverart_url`` at
    ``fake_musicbrainz.url``. Its ``requests`` record what it was asked."""
    with _fake_musicbrainz_class()() as server:
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


def batch_done(run: subprocess.CompletedProcess) -> bool:
    """A batch that did all it took: exit 0, or 1 for the decisions it leaves (the README's
    exit codes: some items need you) with no item failed."""
    if run.returncode == 0:
        return True
    said = run.stdout
    return run.returncode == 1 and "needs you:" in said and ", 0 failed," in said


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str):
    """A real tmpfs of ``size`` ("64k") mounted at ``where``, unmounted afterwards: a volume
    that fills for real. Mounting needs root: the test is skipped without it."""
    where.mkdir(exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             capture_output=True, text=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs at {where}: {mounted.stderr.strip()} (needs root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
