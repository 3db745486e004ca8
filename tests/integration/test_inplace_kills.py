"""A fixing batch of real-size files (FLAC of 20 MB, MP3 of 6 MB), written in place and
(``write_mode = "copy"``) by copies swapped in, by a worker an artist or by one worker
committing both artists at once, killed with SIGKILL at random instants; then
any command: every file is byte for byte its original or what the uninterrupted run made of
it, the in-place journal is empty, and nothing the killed run left in the library (an
original set aside, the temp copy of a swap) is there any more."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import time
from pathlib import Path

import pytest

from mediakeeper.core import writemode
from mediakeeper.fs import left_behind
from mediakeeper.fs.inplace_journal import decode
from mediakeeper.fs.names import TEMP_PREFIX, atomic_temp_pid
from mediakeeper.fs.sweep import SPARES
from mediakeeper.system.processes import is_running

KILLS = 8


def spec() -> dict[str, dict]:
    """Two artists, FLAC and MP3, a third of the tracks with a safe fix (a title's spaces)."""
    files = {}
    for a, fmt in enumerate(("flac", "mp3")):
        name = f"Artist {a}"
        for n in range(1, 7):
            title = f"Song  {n} " if n % 3 == 1 else f"Song {n}"
            tags = {"title": title, "artist": name, "albumartist": name, "album": "Record",
                    "tracknumber": str(n), "date": "1999", "genre": "Rock"}  # fmt: skip
            files[f"{name}/1999 - Record/{n:02d} - Song {n}.{fmt}"] = {"tags": tags}
    return files


def real_size(lib: Path) -> None:
    """Each track grown to a real size with audio-like bytes after its frames."""
    rng = random.Random(35)
    for path in sorted(lib.rglob("*.*")):
        megabytes = rng.randint(20, 24) if path.suffix == ".flac" else rng.randint(6, 9)
        with open(path, "ab") as f:
            f.write(rng.randbytes(megabytes << 20))


def digests(lib: Path) -> dict[str, str]:
    return {
        p.relative_to(lib).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(lib.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def entries(home: Path) -> list[str]:
    folder = writemode.journal_dir(home / "status")
    if not folder.exists():
        return []
    names = [n for n in os.listdir(folder) if n.endswith(".journal")]
    return [n for n in names if decode((folder / n).read_bytes()) is not None]


def forgotten(home: Path) -> bool:
    """Whether the data home's list of folders where files may be left behind is empty."""
    listed = left_behind.list_of(home / "status")
    return not listed.exists() or listed.stat().st_size == 0


def workers_gone(home: Path) -> None:
    """Wait until the killed batch's workers (killed with it: ``PR_SET_PDEATHSIG``) are gone.
    One still dying is a running process, whose temp copy the sweep rightly keeps."""
    needle, deadline = os.fsencode(home), time.monotonic() + 30
    while time.monotonic() < deadline:
        if not any(needle in argv and is_running(pid) for pid, argv in _command_lines()):
            return
        time.sleep(0.02)


def _command_lines() -> list[tuple[int, bytes]]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    found.append((int(entry), f.read()))
            except OSError:
                continue  # gone already
    return found


@pytest.fixture(scope="module", params=[writemode.IN_PLACE, writemode.COPY])
def pristine(request, tmp_path_factory, music_library, music_script):
    """The library, and its files' digests before and after an uninterrupted run, in each
    write mode (the kills' runs are in the same mode)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MEDIAKEEPER_MUSIC_WRITE_MODE", request.param)
        yield _uninterrupted(tmp_path_factory, music_library, music_script)


def _uninterrupted(tmp_path_factory, music_library, music_script):
    base = tmp_path_factory.mktemp("real-size")
    pristine = music_library(base / "pristine", spec())
    real_size(pristine)
    lib, home = base / "Music", base / "home"
    shutil.copytree(pristine, lib)
    started = time.monotonic()
    run = music_script("process_music_batch.py", "--home", home, "--library", lib)
    took = time.monotonic() - started  # where the kills are aimed, not a claim
    assert run.returncode == 0, run.stdout + run.stderr  # nothing left to decide
    after = digests(lib)
    before = digests(pristine)
    assert sum(after[k] != before[k] for k in before) == 4  # the four fixes
    return pristine, before, after, took


def test_sigkill_at_random_instants_leaves_each_file_old_or_new_and_no_journal(
    pristine, tmp_path, music_popen, music_script
):
    source, before, after, took = pristine
    rng = random.Random(20261123)
    kills, scale = 0, took
    for attempt in range(KILLS * 5):
        if kills == KILLS:
            break
        lib, home = tmp_path / f"Music{attempt}", tmp_path / f"home{attempt}"
        shutil.copytree(source, lib)
        # Every other run has one worker, which commits both artists' fixes together: one
        # journal entry and one round of flushes for the two (the others, one artist each).
        one_worker = ("--workers", 1) if attempt % 2 else ()
        proc = music_popen("--home", home, "--library", lib, *one_worker)
        time.sleep(rng.uniform(0.0, scale))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        killed = proc.returncode == -signal.SIGKILL
        workers_gone(home)
        kills += killed
        if not killed:  # it ended first (a faster moment than the timed run): kill sooner
            scale *= 0.7
        # Any command that opens the data home finishes what the killed run left.
        listed = music_script("undo_changes.py", "--home", home, "--list")
        assert "Traceback" not in listed.stderr, listed.stderr
        now = digests(lib)
        for name, digest in now.items():
            assert digest in (before[name], after[name]), (name, listed.stderr)
        assert entries(home) == []
        assert forgotten(home), listed.stderr  # nothing more can be left behind
        assert not (lib / SPARES).exists(), listed.stderr
        assert [p.name for p in lib.rglob(f"{TEMP_PREFIX}*")] == [], listed.stderr
        left = [p.name for p in home.rglob(".*.tmp") if atomic_temp_pid(p.name) is not None]
        assert left == [], listed.stderr  # nor an atomic write's in the data home
        shutil.rmtree(lib)
    assert kills == KILLS
