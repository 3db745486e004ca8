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

A step busy for ever (a loop that never ends) moves its CPU time, so it never stalls: it is
stopped once it has run for ``limit`` seconds in all (the pipeline's ``step_timeout``),
however busy, with :class:`StepTimedOut`.

The step's result (a mapping of JSON values, as ``state.json`` keeps it; anything else is
the step's failure, said as such), or its error as one line (``describe(err)``), comes back
up a pipe. A child that dies without either (killed, out of memory) is the step's failure
too. The child, and every program it started, dies with the job's process (a ``kill -9`` of
the batch leaves nothing of the step running: ``forked``'s ``programs_too``).

What the step prints (its stdout and stderr, and those of the programs it runs) goes up a
pipe of its own, never into the batch's lines: it counts as a sign of progress, and the last
line of it ends the step's error, when it fails, as the first clue to why.
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
from mediakeeper.fs import write_errors
from mediakeeper.system.forked import forked, how_it_ended, print_into
from mediakeeper.text.cut import cut
from mediakeeper.text.visible import one_line

DEFAULT_STALL = 600  # seconds a step may go without any sign of progress
DEFAULT_LIMIT = 6 * 3600  # seconds a step may run in all, however busy (an album's encode
# takes minutes; a book of a hundred hours merged on one core, about one)
PRINTED_KEPT = 4096  # bytes of what the step printed last, kept for its error


class StepStalled(MediakeeperError):
    """The step showed no progress for its stall timeout and was stopped."""


class StepTimedOut(MediakeeperError):
    """The step ran for its whole time limit and was stopped."""


class StepOutOfSpace(MediakeeperError, write_errors.OutOfSpace):
    """The step's volume filled: the batch's failure, not the album's (the next album's
    step would meet it too)."""


class StepDied(MediakeeperError):
    """The step's process ended without a result or an error."""


def run_watched(
    step: Callable[[], Any],
    out: Path,
    stall: float,
    describe: Callable[[BaseException], str],
    limit: float = DEFAULT_LIMIT,
) -> Any:
    """``step()``'s result, run in a child process watched as the module says."""
    printed_end, printing_end = os.pipe()

    def body(write_end: int) -> None:
        _run_step(step, write_end, printing_end, describe, out)

    try:
        with forked(body, programs_too=True) as (pid, read_end):
            os.close(printing_end)
            printing_end = -1
            return _watch(pid, read_end, printed_end, out, stall, limit)
    finally:
        for end in (printed_end, printing_end):
            if end >= 0:
                os.close(end)


def _run_step(step: Callable[[], Any], write_end: int, printing_end: int, describe,
              out: Path) -> None:  # fmt: skip
    """In the child: what it prints sent up ``printing_end``; the step run, its stages and
    fractions, then its result or its error's line, sent up the pipe as JSON lines. A full
    volume is said as such, naming its mount point (its output folder's, where the error
    names no file: a write's own error does not)."""
    print_into(printing_end)  # the step's stdout and stderr, and its programs'
    with os.fdopen(write_end, "w", encoding="utf-8") as pipe:

        def send(**said: Any) -> None:
            pipe.write(json.dumps(said) + "\n")
            pipe.flush()

        try:
            with reporting(lambda s: send(stage=s), lambda d, f: send(fraction=[d, f])):
                result = step()
            send(result=_checked(result))
        except BaseException as err:  # any failure: its one line goes up
            if not write_errors.is_full(err):
                send(error=describe(err))
            elif isinstance(err, OSError):
                named = OSError(err.errno, err.strerror, err.filename or str(out))
                send(error=write_errors.describe(named), full=True)
            else:  # (an encode's own words: ``convert.EncodeDiskFull``)
                send(error=str(err), full=True)


def _checked(result: Any) -> dict[str, Any]:
    """The step's result, as ``state.json`` can keep it, or its failure in its own words
    (rather than the JSON encoder's crash)."""
    if not isinstance(result, dict):
        raise MediakeeperError(f"it returned {type(result).__name__}, where a step returns a "
                               "mapping of JSON values (`return {}` when it has none)")  # fmt: skip
    try:
        json.dumps(result, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as err:
        raise MediakeeperError(f"its result is not JSON ({err}): a step returns a mapping of "
                               "JSON values") from None  # fmt: skip
    return result


def _watch(pid: int, read_end: int, printed_end: int, out: Path, stall: float,
           limit: float) -> Any:  # fmt: skip
    every = min(1.0, stall / 4, limit / 4)
    seen, started = _signs(pid, out), time.monotonic()
    moved, pending, said, printed = started, b"", {}, b""
    reading = [read_end, printed_end]
    while True:
        ready, _, _ = select.select(reading, [], [], every)
        now = time.monotonic()
        if printed_end in ready:  # read as it comes: a full pipe would hold the step
            chunk = os.read(printed_end, 1 << 16)
            if chunk:
                printed, moved = (printed + chunk)[-PRINTED_KEPT:], now
            else:  # (a program it left may hold it open longer: the step's end is read_end's)
                reading.remove(printed_end)
        if read_end in ready:
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break  # the child has ended
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                with suppress(ValueError):  # a line torn by the child's end
                    said = _heard(json.loads(line)) or said
            moved = now
        elif not ready and (signs := _signs(pid, out)) != seen:
            seen, moved = signs, now
        if now - started > limit:
            raise StepTimedOut(f"it ran for {limit:g} s, the pipeline's step_timeout, and was "
                               "stopped" + _last_printed(printed))  # fmt: skip
        if now - moved > stall:
            raise StepStalled(f"it showed no progress for {stall:g} s and was stopped (is it "
                              "waiting for a mount that stopped answering?)"
                              + _last_printed(printed))  # fmt: skip
    if "error" in said:
        failed = StepOutOfSpace if said.get("full") else MediakeeperError
        raise failed(said["error"] + _last_printed(printed))
    if "result" not in said:
        raise StepDied(f"its process ended ({how_it_ended(pid)}) before the step finished"
                       + _last_printed(printed))  # fmt: skip
    return said["result"]


def _last_printed(printed: bytes) -> str:
    """The last line the step printed, said after its error ("" when it printed none)."""
    lines = [line for line in printed.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        return ""
    return f"; the last line it printed: {one_line(cut(lines[-1].strip(), 300))!r}"


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
