"""``watch --run``: the kind's batch for what the watcher queued, by key (``--keys-from -``,
the keys on its standard input: never the oldest pending items in their place), as its own
process (the
same command, locks and rate limits as any batch; the watcher's memory does not grow with
the batches it starts). Stopping the watcher stops the batch as Ctrl+C stops it: SIGINT to
the batch's process group, once, and the batch ends after the step in hand, its queue
resumable; a second stop sends a second Ctrl+C, which ends it at once."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from mediakeeper.core.config import started_environment

WAIT_STEP = 0.2  # seconds between looks at the stop event while a batch runs


def batch_argv(home: Path, kind: str, size: int) -> list[str]:
    return [sys.executable, "-m", "mediakeeper", "--home", str(home), kind, "batch",
            "--batch-size", str(size), "--keys-from", "-"]  # fmt: skip


def run_batch_process(
    home: Path, kind: str, keys: list[str], stop: threading.Event,
    say: Callable[[str], None], stopping: Callable[[], int] = lambda: 1,
) -> int:  # fmt: skip
    """Run one batch of ``kind`` over the items with these ``keys``; its output goes where
    the watcher's goes. ``stopping()``: how many times the watcher was asked to stop (each
    one a Ctrl+C to the batch). Returns the batch's exit code."""
    say(f"{kind}: running a batch of {len(keys)}")
    proc = subprocess.Popen(batch_argv(home, kind, len(keys)), start_new_session=True,
                            stdin=subprocess.PIPE, env=started_environment())  # fmt: skip
    with contextlib.suppress(BrokenPipeError):  # a batch that ended at once says why itself
        proc.stdin.write(json.dumps(keys).encode())
        proc.stdin.close()
    sent = 0
    while True:
        try:
            code = proc.wait(timeout=WAIT_STEP)
            break
        except subprocess.TimeoutExpired:
            pass
        if stop.is_set() and sent < stopping():
            sent += 1
            _interrupt(proc.pid)
    say(f"{kind}: the batch ended (exit {code})")
    return code


def _interrupt(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # ended meanwhile
        os.killpg(pgid, signal.SIGINT)

