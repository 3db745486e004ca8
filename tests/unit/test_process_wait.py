"""``processes.wait``: a child's end heard through its pidfd, with ``Popen.wait``'s answers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mediakeeper.system import processes


def test_a_child_that_ends_gives_its_exit_code_and_is_reaped():
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"])
    assert processes.wait(proc, 60.0) == 3
    assert proc.returncode == 3  # reaped: no zombie left behind


def test_a_child_past_its_time_raises_timeout_expired_and_still_runs():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            processes.wait(proc, 0.05)
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()


def test_a_child_killed_by_a_signal_says_so_as_popen_does():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    proc.kill()
    assert processes.wait(proc, 60.0) == -9


def test_no_timeout_waits_as_popen_does():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    assert processes.wait(proc, None) == 0
