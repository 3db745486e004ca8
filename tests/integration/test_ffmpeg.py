"""ffmpeg as the toolkit runs it: found, and never left running by a killed parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mediakeeper.core.errors import ConfigError
from mediakeeper.media import ffmpeg
from mediakeeper.system import children

# A parent that starts an endless ffmpeg (from a thread, as an album's encodes are), says
# its pid, and waits for it.
PARENT = """
import sys, threading, time
from mediakeeper.media import ffmpeg
from mediakeeper.system import children
exe = ffmpeg.find()
args = ["-f", "lavfi", "-i", "sine=frequency=440", "-f", "null", "-"]
threading.Thread(target=ffmpeg.run, args=(exe, args), daemon=True).start()
while not children.running():
    time.sleep(0.01)
print(next(iter(children.running())).pid, flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def _left_running(script: str, env: dict[str, str]) -> bool:
    """Start ``script`` (it prints the pid of a child that would run for ever), kill it
    with -9, and say whether that child still runs once the kernel had its chance."""
    parent = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    pid = int(parent.stdout.readline())
    try:
        assert not _gone(pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 30  # a bound on the wait, not a timing claim
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        return not _gone(pid)
    finally:
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)


def test_an_ffmpeg_whose_parent_is_killed_dies_with_it(child_env):
    # Without PR_SET_PDEATHSIG it would decode its endless tone for ever.
    assert not _left_running(PARENT, child_env), "ffmpeg outlived its killed parent"


# The worst instant for a kill: after the fork, before the child's prctl, when the kernel
# has no parent left to watch. The child waits for that instant itself, so the order is
# certain rather than a race the test may lose.
LATE_PARENT = """
import os, time
from mediakeeper.system.linux import child_dies_with_parent
preexec = child_dies_with_parent()
parent = os.getpid()
child = os.fork()
if child == 0:
    while os.getppid() == parent:
        time.sleep(0.001)
    preexec()
    time.sleep(600)  # the endless job it must not begin
    os._exit(0)
print(child, flush=True)
time.sleep(600)
"""


def test_a_child_whose_parent_dies_before_its_prctl_does_not_run_on(child_env):
    assert not _left_running(LATE_PARENT, child_env), (
        "the child ran on after its parent died before the prctl")


def test_a_configured_ffmpeg_that_is_not_there_is_a_settings_error(tmp_path):
    with pytest.raises(ConfigError, match=r"\[ffmpeg\] path '/nowhere/ffmpeg' is not an"):
        ffmpeg.find("/nowhere/ffmpeg")


def test_ffmpeg_is_found_on_path_before_the_shipped_one(tmp_path, monkeypatch):
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert ffmpeg.find() == str(fake)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert "imageio_ffmpeg" in ffmpeg.find()


def test_kill_all_ends_the_encoders_other_threads_wait_on():
    """What Ctrl+C in the main thread does while an album's tracks encode in others."""
    import threading

    exe = ffmpeg.find()
    endless = ["-f", "lavfi", "-i", "sine=frequency=440", "-f", "null", "-"]
    results = []
    thread = threading.Thread(target=lambda: results.append(ffmpeg.run(exe, endless)))
    thread.start()
    deadline = time.monotonic() + 30
    while not children.running() and time.monotonic() < deadline:
        time.sleep(0.01)
    children.kill_all()
    thread.join(30)
    assert not thread.is_alive(), "the endless ffmpeg was not stopped"
    assert results[0].returncode == -signal.SIGKILL
    assert not children.held()


class Enough(Exception):
    pass


def _ffmpegs_reading(path: Path) -> list[int]:
    """The pids of the processes whose command line names ``path``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and not _gone(int(entry.name)):
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if os.fsencode(path) in argv:
                found.append(int(entry.name))
    return found


def test_progress_is_heard_while_ffmpeg_runs_and_a_listener_that_raises_stops_it():
    """An endless encode: only progress read as it comes can be heard at all (before, the
    lines were read once ffmpeg had ended)."""
    heard = []

    def listen(seconds: float) -> None:
        heard.append(seconds)
        if seconds >= 5:
            raise Enough

    endless = ["-f", "lavfi", "-i", "sine=frequency=440", "-f", "null", "-"]
    with pytest.raises(Enough):
        ffmpeg.run(ffmpeg.find(), endless, progress=listen)
    assert heard == sorted(heard) and len(set(heard)) == len(heard)
    assert heard[-1] >= 5
    assert not children.held()  # killed on the way out


def test_an_ffmpeg_reading_a_fifo_nobody_writes_is_stopped_after_the_stall_timeout(tmp_path):
    fifo = tmp_path / "stalled.mp3"
    os.mkfifo(fifo)
    args = ["-i", os.fspath(fifo), "-f", "null", "-"]
    result = ffmpeg.run(ffmpeg.find(), args, stall=1, timeout=3600)
    assert result.returncode == -signal.SIGKILL
    assert result.stopped.startswith("ffmpeg made no progress for 1 s and was stopped: is an")
    assert result.error == result.stopped
    assert not children.held() and not _ffmpegs_reading(fifo)
    with pytest.raises(ffmpeg.FFmpegFailed, match="made no progress for 1 s"):
        ffmpeg.decoded_length(ffmpeg.find(), fifo, stall=1)
    assert not _ffmpegs_reading(fifo)


def test_an_ffmpeg_that_goes_on_past_its_total_timeout_is_stopped():
    """Progress all along (no stall), but past its time."""
    heard = []
    endless = ["-f", "lavfi", "-i", "sine=frequency=440", "-f", "null", "-"]
    result = ffmpeg.run(ffmpeg.find(), endless, progress=heard.append, timeout=2, stall=600)
    assert result.returncode == -signal.SIGKILL and heard
    assert result.stopped.startswith("ffmpeg was still running after 0:02, the longest it may")
    assert result.seconds == heard[-1]
    assert not children.held()


def test_a_run_within_its_limits_ends_as_before():
    exe = ffmpeg.find()
    heard = []
    result = ffmpeg.run(exe, ["-f", "lavfi", "-i", "sine=d=3", "-f", "null", "-"],
                        progress=heard.append, timeout=600, stall=300)  # fmt: skip
    assert (result.returncode, result.stopped) == (0, "")
    assert abs(result.seconds - 3) < 0.05 and heard[-1] == result.seconds
