"""``ffmpeg -version`` asked on the side (``ffmpeg.ask_version``): a batch that ends past
Python's clean-up (``os._exit``, as after ``kill -9``) before it read the answer leaves no
process behind: an "ffmpeg" that hangs (as one on a mount that stopped answering would) is
killed by the kernel with it. (An exit through Python's clean-up ends it at once:
``test_children``.)"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from mediakeeper.system.processes import is_running

REPO = Path(__file__).resolve().parents[2]

ASKS_AND_EXITS = """
import os, sys
from mediakeeper.media import ffmpeg
ffmpeg.ask_version(sys.argv[1])
print(ffmpeg._ASKED[os.getpid(), sys.argv[1]].pid, flush=True)
os._exit(0)
"""


def test_an_ffmpeg_asked_its_version_dies_with_the_batch_that_asked(tmp_path):
    hanging = tmp_path / "ffmpeg"
    hanging.write_text("#!/bin/sh\nexec sleep 60\n")
    hanging.chmod(0o755)
    run = subprocess.run([sys.executable, "-c", ASKS_AND_EXITS, str(hanging)], cwd=REPO,
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    assert run.returncode == 0, run.stderr
    pid = int(run.stdout)
    deadline = time.monotonic() + 10
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not is_running(pid), "the ffmpeg asked its version outlived the batch"
