"""The files a start reads, asked of the disk at its first instant (``system/start_files.py``):
the list an empty batch records, the hints a script's first line gives from it (files made
cold with ``posix_fadvise(DONTNEED)`` are found in the page cache once the helper has run,
though the script never reads them), and when nothing is forked. Real scripts in real
subprocesses; the forks counted by ``strace``."""

from __future__ import annotations

import ctypes
import mmap
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mediakeeper.system.start_files import LIST_SETTING, SETTING

REPO = Path(__file__).resolve().parents[2]
STRACE = shutil.which("strace")


def script(name: str, *args, env: dict[str, str], strace: Path | None = None):
    command = [sys.executable, f"utilities/{name}", *map(str, args)]
    if strace is not None:
        command = [STRACE, "-f", "-e", "trace=clone,clone3,fork,vfork", "-o", str(strace),
                   *command]  # fmt: skip
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def resident(path: Path) -> list[bool]:
    """Which of a file's pages are in the page cache, asked without reading any (``mincore``
    of a mapping: a read told not to wait would itself start the file's read-ahead)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]  # fmt: skip
    size, page = path.stat().st_size, mmap.PAGESIZE
    pages = (size + page - 1) // page
    with open(path, "rb") as f:
        address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, f.fileno(), 0)
    assert address not in (None, ctypes.c_void_p(-1).value), os.strerror(ctypes.get_errno())
    try:
        vector = (ctypes.c_ubyte * pages)()
        assert libc.mincore(ctypes.c_void_p(address), ctypes.c_size_t(size), vector) == 0
        return [bool(byte & 1) for byte in vector]
    finally:
        libc.munmap(ctypes.c_void_p(address), ctypes.c_size_t(size))


def cold_files(folder: Path, count: int, size: int = 256 * 1024) -> list[Path]:
    """Files written, flushed and dropped from the page cache (skips where the file system
    keeps its pages regardless, as tmpfs does)."""
    folder.mkdir()
    files = []
    for n in range(count):
        path = folder / f"module-{n}.bin"
        with open(path, "wb") as f:
            f.write(os.urandom(size))
            f.flush()
            os.fsync(f.fileno())
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        files.append(path)
    if any(any(resident(path)) for path in files):
        pytest.skip("this file system keeps files in the page cache: none can be made cold")
    return files


def listing(tmp_path: Path, files: list[Path]) -> Path:
    path = tmp_path / "start-files.txt"
    path.write_text("".join(f"{file}\n" for file in files))
    return path


def forks(trace: Path) -> int:
    """How many processes the traced command and its descendants created: the processes
    the trace names (each line starts with its pid, and each process's end is a line of its
    own, even where a call's line is split by another process's), less the command."""
    return len({int(line.split()[0]) for line in trace.read_text().splitlines()}) - 1


def test_an_empty_batch_records_the_files_its_start_reads_in_the_order_it_read_them(
    tmp_path, child_env
):
    (tmp_path / "library").mkdir()
    listed = tmp_path / "share" / "start-files.txt"
    env = {**child_env, SETTING: "record", LIST_SETTING: str(listed)}
    done = script("process_music_batch.py", "--library", tmp_path / "library", "--home",
                  tmp_path / "home", "--offline", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    files = listed.read_text().splitlines()
    assert len(files) == len(set(files)) > 100
    assert all(os.path.isfile(file) for file in files)
    tag = sys.implementation.cache_tag

    def where(suffix: str) -> int:
        return next(n for n, file in enumerate(files) if file.endswith(suffix))

    # The libraries it maps first, then the modules as they were imported: the script's
    # first line before the command, the command before the closing reports.
    assert where("libc.so.6") < where(f"cli/__pycache__/startup.{tag}.pyc")
    assert where(f"cli/__pycache__/startup.{tag}.pyc") < where(f"click/__pycache__/core.{tag}.pyc")
    assert where(f"mutagen/__pycache__/__init__.{tag}.pyc") < where(
        f"reports/__pycache__/closing.{tag}.pyc"
    )
    assert any(re.search(r"/_json\..*\.so$", file) for file in files)  # extension modules too
    # Without the setting nothing is written.
    again = script("process_music_batch.py", "--library", tmp_path / "library", "--home",
                   tmp_path / "home", "--offline",
                   env={**child_env, LIST_SETTING: str(tmp_path / "other.txt")})  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert not (tmp_path / "other.txt").exists()


def test_a_cold_start_asks_the_disk_for_every_listed_file(tmp_path, child_env):
    files = cold_files(tmp_path / "cold", 12)
    env = {**child_env, LIST_SETTING: str(listing(tmp_path, files))}
    done = script("process_music_batch.py", "--help", env=env)
    assert done.returncode == 0 and "--batch-size" in done.stdout, done.stderr
    # --help reads none of them: the helper's hints fetched them. It runs on after the
    # command has ended, so it is waited for here, within a generous bound.
    deadline = time.monotonic() + 30
    while not all(all(resident(f)) for f in files):
        assert time.monotonic() < deadline, [f.name for f in files if not all(resident(f))]
        time.sleep(0.05)


@pytest.mark.skipif(STRACE is None, reason="strace is not installed")
def test_a_process_is_forked_only_when_the_cache_is_cold_and_hints_are_wanted(
    tmp_path, child_env
):
    files = cold_files(tmp_path / "cold", 3)
    env = {**child_env, LIST_SETTING: str(listing(tmp_path, files))}
    trace = tmp_path / "trace"
    off = script("process_music_batch.py", "--help", env={**env, SETTING: "off"}, strace=trace)
    assert off.returncode == 0, off.stderr
    assert forks(trace) == 0  # asked not to: a cold list, and no helper
    cold = script("process_music_batch.py", "--help", env=env, strace=trace)
    assert cold.returncode == 0, cold.stderr
    assert forks(trace) == 2  # the helper's parent, which leaves it at once, and the helper
    files[-1].read_bytes()  # the last listed file read: the cache is warm
    warm = script("process_music_batch.py", "--help", env=env, strace=trace)
    assert warm.returncode == 0, warm.stderr
    assert forks(trace) == 0  # a warm cache: nothing to gain, nothing forked
    files[-1].unlink()  # a list out of date (its last file gone): nothing is hinted
    for f in files[:-1]:
        with open(f, "rb") as opened:
            os.posix_fadvise(opened.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    stale = script("process_music_batch.py", "--help", env=env, strace=trace)
    assert stale.returncode == 0, stale.stderr
    assert forks(trace) == 0


def blocked(pid: int) -> int:
    """The signals a process holds (SigBlk in /proc), as a mask."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return int(next(line for line in lines if line.startswith("SigBlk:")).split()[1], 16)


def test_the_signals_held_while_the_helper_is_forked_are_let_go(
    tmp_path, monkeypatch, music_popen
):
    """Signals are held while the helper is forked, so that it never runs the command's
    handler; held on, the command would never hear Ctrl+C. Once its modules load (the json
    extension mapped: the helper forked long before), a Ctrl+C ends the batch with 130."""
    files = cold_files(tmp_path / "cold", 40)
    (tmp_path / "library").mkdir()
    monkeypatch.setenv(LIST_SETTING, str(listing(tmp_path, files)))
    proc = music_popen("--library", tmp_path / "library", "--home", tmp_path / "home", "--offline")
    while "_json" not in Path(f"/proc/{proc.pid}/maps").read_text():
        assert proc.poll() is None, "the batch ended before its modules were seen loading"
    assert not blocked(proc.pid) & (1 << (signal.SIGINT - 1))
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err, err
    assert err.strip().splitlines()[-1:] == ["interrupted"] or any(
        line.startswith("interrupted") for line in out.splitlines()
    ), out + err
