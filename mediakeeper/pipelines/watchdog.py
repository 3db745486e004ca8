"""A pipeline step run in a child process, stopped when it stalls.

A processor is Python code (a plugin's among them) that can hang: a read from a network mount
that stopped answering, a lock never released, a bug. A thread cannot be stopped from outside;
a process can. So each step runs in a forked child (``system.forked``: a process group of its
own, killed with its group whatever happens), and the job's process watches it. The step is
making progress while any of these moves: its output folder (a file added, a file growing), the
CPU time and the reads and writes of its processes (``/proc``: the step, an ffmpeg it runs),
what it reports (``report_stage``, ``report_fraction``, passed up to the job's process as a
step run in-process would). Past ``stall`` seconds with none of them, the child and every
program it started (its group) are killed and the step fails with :class:`StepStalled`; the
item is recorded as failed, and the next run with ``--retry-errors`` starts again at that step,
as after any failure.

The step's result (JSON, as ``state.json`` keeps it), or its error as one line
(``describe(err)``), comes back up a pipe. A child that dies without either (killed, out of
memory) is the step's failure too. The child dies with the job's process (a ``kill -9`` of
the batch leaves no step running).
"""

from __future__ import annotations

import json
import os
import select
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from mediakeeper.batch.stage_progress import report_fraction, report_stage, reporting
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.system.forked import forked, how_it_ended

DEFAULT_STALL = 600  # seconds a step may go without any sign of progress


class StepStalled(MediakeeperError):
    """The step showed no progress for its stall timeout and was stopped."""


class StepDied(MediakeeperError):
    """The step's process ended without a result or an error."""


def run_watched(
    step: Callable[[], Any], out: Path, stall: float, describe: Callable[[BaseException], str]
) -> Any:
    """``step()``'s result, run in a child process watched as the module says."""
    with forked(lambda write_end: _run_step(step, write_end, describe)) as (pid, read_end):
        return _watch(pid, read_end, out, stall)


def _run_step(step: Callable[[], Any], write_end: int, describe) -> None:
    """In the child: the step run, its stages and fractions, then its result or its error's
    line, sent up the pipe as JSON lines."""
    with os.fdopen(write_end, "w", encoding="utf-8") as pipe:

        def send(**said: Any) -> None:
            pipe.write(json.dumps(said) + "\n")
            pipe.flush()

        try:
            with reporting(lambda s: send(stage=s), lambda d, f: send(fraction=[d, f])):
                result = step()
            send(result=result)
        except BaseException as err:  # any failure: its one line goes up
            send(error=describe(err))


def _watch(pid: int, read_end: int, out: Path, stall: float) -> Any:
    every = min(1.0, stall / 4)
    seen, moved = _signs(pid, out), time.monotonic()
    pending, said = b"", {}
    while True:
        ready, _, _ = select.select([read_end], [], [], every)
        now = time.monotonic()
        if ready:
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break  # the child has ended
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                with suppress(ValueError):  # a line torn by the child's end
                    said = _heard(json.loads(line)) or said
            moved = now
        elif (signs := _signs(pid, out)) != seen:
            seen, moved = signs, now
        if now - moved > stall:
            raise StepStalled(f"it showed no progress for {stall:g} s and was stopped (is it "
                              "waiting for a mount that stopped answering?)")  # fmt: skip
    if "error" in said:
        raise MediakeeperError(said["error"])
    if "result" not in said:
        raise StepDied(f"its process ended ({how_it_ended(pid)}) before the step finished")
    return said["result"]


def _heard(message: dict[str, Any]) -> dict[str, Any] | None:
    """A message of the child: its stage or fraction passed on (None), or its end."""
    if "stage" in message:
        report_stage(message["stage"])
    elif "fraction" in message:
        report_fraction(*message["fraction"])
    else:
        return message
    return None


def _signs(group: int, out: Path) -> tuple[Any, ...]:
    """What changes while the step works: its output folder's files, and the CPU time and
    I/O counts of every process of its group (the step, an ffmpeg it runs: a long file's
    analysis writes nothing until its end, but works)."""
    files = []
    for folder, _, names in os.walk(out):
        for name in names:
            try:
                files.append((folder, name, os.stat(os.path.join(folder, name)).st_size))
            except OSError:
                continue
    return sorted(files), _group_work(group)


def _group_work(group: int) -> list[tuple[str, bytes, bytes, bytes]]:
    """(pid, user and system CPU ticks, ``/proc/<pid>/io``) of each process of ``group``;
    nothing where there is no ``/proc`` (there the output folder alone shows progress)."""
    found = []
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return found
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[-1].split()  # after the command's name
            if int(fields[2]) != group:  # state, ppid, pgrp, ...
                continue
            with open(f"/proc/{pid}/io", "rb") as f:
                io = f.read()
        except (OSError, IndexError, ValueError):  # ended meanwhile
            continue
        found.append((pid, fields[11], fields[12], io))  # utime, stime
    return sorted(found)
