"""The batch scripts' bounds on what a command line or a setting may ask: the number of
worker processes, and numbers in the settings that would overflow every request. Real
scripts in real subprocesses; the workers are counted in /proc while they run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mediakeeper.batch.workers import MOST, PER_CPU, most_workers
from mediakeeper.demo import tracks as synth
from mediakeeper.queue.session_log import LOG_DIR
from tests.helpers import change_appends

REPO = Path(__file__).resolve().parents[2]
ARTISTS = ("Alpha", "Bravo", "Charlie")


def library(root: Path) -> Path:
    for name in ARTISTS:
        values = {"title": "Song", "artist": name, "album": "Album", "tracknumber": "1"}
        synth.make_track(root / name / "Album" / "01 - Song.flac", "flac", values)
    return root


def environment(fake_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    env.pop("MEDIAKEEPER_HOME", None)
    return {
        **env,
        "MEDIAKEEPER_MUSIC_LOOKUPS": "true",
        "MEDIAKEEPER_MUSICBRAINZ_URL": fake_url,
        "MEDIAKEEPER_MUSICBRAINZ_COVERART_URL": fake_url,
        "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "0",
        "MEDIAKEEPER_MUSICBRAINZ_TIMEOUT": "20",
        **extra,
    }


def music_batch(home: Path, lib: Path, fake_url: str, *flags: str):
    """process_music_batch.py over ``lib`` into ``home``, its lookups against ``fake_url``
    (unless ``--offline``); the finished process."""
    return subprocess.run(
        [sys.executable, "utilities/process_music_batch.py", "--home", str(home),
         "--library", str(lib), "--batch-size", "100", *flags],
        cwd=REPO, env=environment(fake_url), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` now."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def test_workers_are_no_more_than_the_batch_has_items_or_the_machine_can_use(
    tmp_path, fake_musicbrainz
):
    """--workers 100000 started 100,000 processes (OOM-killed, exit 137, no word said)."""
    lib, home = library(tmp_path / "Music"), tmp_path / "home"
    fake_musicbrainz.delay(1.5, times=None)  # every worker stays alive while it is counted
    asked = most_workers() + 1  # (more would start that many processes before the fix)
    proc = subprocess.Popen(
        [sys.executable, "utilities/process_music_batch.py", "--home", str(home),
         "--library", str(lib), "--batch-size", "100", "--workers", str(asked)],
        cwd=REPO, env=environment(fake_musicbrainz.url), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen: set[int] = set()
    try:
        while proc.poll() is None:
            seen |= children(proc.pid)
            time.sleep(0.02)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, out + err  # done; its artists' decisions left
    assert 1 <= len(seen) <= len(ARTISTS)  # one process per artist of the batch at most
    assert f"--workers {asked} lowered to {most_workers()}: at most {PER_CPU} per CPU and " \
        f"{MOST} in all" in err.splitlines()  # fmt: skip
    (log,) = (home / "status" / "music" / LOG_DIR).glob("*.log")
    assert f"WORKERS {len(ARTISTS)} processes" in log.read_text()


def test_one_local_music_worker_runs_beside_the_batch_and_one_online_inside_it(
    tmp_path, fake_musicbrainz
):
    """With --workers 1 an offline pass works on its artists in one worker process, so that
    the batch's own process reads ahead, records and claims meanwhile; with web lookups the
    web sets the pace, and the artists are worked on in the batch's own process."""
    lib = library(tmp_path / "Music")
    for home, flags in ((tmp_path / "offline", ["--offline"]), (tmp_path / "online", [])):
        done = music_batch(home, lib, fake_musicbrainz.url, "--workers", "1", *flags)
        assert done.returncode == 1, done.stdout + done.stderr  # done; decisions left
        (log,) = (home / "status" / "music" / LOG_DIR).glob("*.log")
        workers = [line for line in log.read_text().splitlines() if "WORKERS" in line]
        assert len(workers) == (1 if flags else 0), log.read_text()
        assert not workers or workers[0].endswith("WORKERS 1 processes")


def test_offline_a_worker_writes_the_artists_waiting_for_it_together_online_one_by_one(
    tmp_path, fake_musicbrainz
):
    """Offline, each worker writes the fixes of the artists waiting for it at once (one
    change-journal append, one round of flushes); with web lookups the web sets the pace,
    and an artist's result does not wait for the next one's lookups: one append each."""
    names = ("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot")
    pristine = tmp_path / "pristine"
    for name in names:
        for n in (1, 2):
            values = {"title": f"Song {n} ", "artist": name, "albumartist": name,
                      "album": "Album", "tracknumber": str(n)}  # fmt: skip
            synth.make_track(pristine / name / "Album" / f"0{n} - Song.flac", "flac", values)
    for mode, flags in (("offline", ["--offline"]), ("online", [])):
        lib, home = shutil.copytree(pristine, tmp_path / mode / "Music"), tmp_path / mode / "home"
        done = music_batch(home, lib, fake_musicbrainz.url, "--workers", "2", *flags)
        assert done.returncode in (0, 1), done.stdout + done.stderr  # (1: decisions left)
        written = change_appends(home)
        assert set().union(*written) == set(names), (mode, written)  # every title's fix
        if mode == "online":
            assert all(len(artists) == 1 for artists in written), written
        else:
            assert max(map(len, written)) > 1, written


@pytest.mark.parametrize("one_core", [False, True], ids=["its-cores", "taskset-to-one-core"])
def test_an_offline_music_batch_starts_one_worker_more_than_the_cores(tmp_path, one_core):
    """A job waits for the disk (cold reads, its fixes' flushes): a worker beyond the cores
    keeps them busy meanwhile (docs/performance.md), three at most. The cores are those the
    batch may run on: limited to one (``taskset``, a container's cpuset), it starts two,
    whatever the machine has."""
    lib, home = library(tmp_path / "Music"), tmp_path / "home"
    cores = sorted(os.sched_getaffinity(0))
    if one_core:  # this thread's cores, which the batch started from it inherits
        os.sched_setaffinity(0, cores[:1])
    try:
        done = subprocess.run(
            [sys.executable, "utilities/process_music_batch.py", "--home", str(home),
             "--offline", "--library", str(lib), "--batch-size", "100"],
            cwd=REPO, env=environment("http://127.0.0.1:9"), capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
    finally:
        os.sched_setaffinity(0, cores)
    assert done.returncode == 1, done.stdout + done.stderr  # done; decisions left
    (log,) = (home / "status" / "music" / LOG_DIR).glob("*.log")
    expected = min(3, (1 if one_core else len(cores)) + 1, len(ARTISTS))
    assert f"WORKERS {expected} processes" in log.read_text(), log.read_text()


def test_a_small_batch_says_why_it_starts_fewer_workers(tmp_path):
    lib, home = library(tmp_path / "Music"), tmp_path / "home"
    done = subprocess.run(
        [sys.executable, "utilities/process_music_batch.py", "--home", str(home), "--offline",
         "--library", str(lib), "--batch-size", "2", "--workers", "2"],
        cwd=REPO, env=environment("http://127.0.0.1:9"), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and done.stderr == "", done.stdout + done.stderr  # decisions
    again = subprocess.run(
        [sys.executable, "utilities/process_music_batch.py", "--home", str(home), "--offline",
         "--batch-size", "1", "--workers", "2"],
        cwd=REPO, env=environment("http://127.0.0.1:9"), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert again.returncode == 1, again.stdout + again.stderr  # decisions left
    assert again.stderr == "--workers 2 lowered to 1: the batch takes at most 1 artist\n"


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        ("file", "timeout = 1e300", "musicbrainz.timeout: expected a number of seconds > 0, "
         "at most 3,600, got 1e+300"),
        ("environment", "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT=1e-300",
         "environment MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT: expected 0 (no limit) or requests per "
         "second >= 0.001, at most 1,000, got '1e-300'"),
        ("environment", "MEDIAKEEPER_MUSICBRAINZ_TIMEOUT=nan",
         "environment MEDIAKEEPER_MUSICBRAINZ_TIMEOUT: expected a number of seconds > 0, at most "
         "3,600, got 'nan'"),
    ],
)  # fmt: skip
def test_a_number_that_would_overflow_every_request_is_refused_before_the_batch(
    tmp_path, fake_musicbrainz, where, value, expected
):
    """timeout = 1e300 and rate_limit = 1e-300 passed, then failed every artist with an
    OverflowError."""
    lib, home = library(tmp_path / "Music"), tmp_path / "home"
    home.mkdir()
    extra = {}
    if where == "file":
        (home / "mediakeeper.toml").write_text(f"[musicbrainz]\n{value}\n")
    else:
        name, raw = value.split("=")
        extra[name] = raw
    done = subprocess.run(
        [sys.executable, "utilities/process_music_batch.py", "--home", str(home),
         "--library", str(lib)],
        cwd=REPO, env=environment(fake_musicbrainz.url, **extra), capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert expected in line
    assert not (home / "status").exists()  # no queue, no session: nothing touched
    assert fake_musicbrainz.requests == []
