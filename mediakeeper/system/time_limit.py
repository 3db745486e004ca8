"""A Python call bounded in time: run in a forked child, killed when its time is up.

The call runs apart in a child (``system.forked``: it sees everything this process holds,
nothing is sent down) and its result (or the exception it raised) comes back pickled up a
pipe. Past ``limit`` seconds the child and anything it started are killed and
:class:`OverTime` is raised here: whatever the call did is lost with its process, so nothing
it half did is ever seen. (The pipeline steps' watchdog, ``mediakeeper.pipelines.watchdog``,
runs its steps the same way, stopped when they stall rather than at a fixed time.)
"""

from __future__ import annotations

import os
import pickle
import select
import sys
import time
from collections.abc import Callable
from typing import Any

from mediakeeper.system.forked import forked, print_into


class OverTime(Exception):
    """The call did not return within its limit and was stopped."""


class CallDied(Exception):
    """The call's process ended without a result (killed, out of memory)."""


PRINTED_KEPT = 64 * 1024  # bytes of what a call printed handed back; the rest counted


def call_within(call: Callable[[], Any], limit: float,
                printed: Callable[[str], None] | None = None) -> Any:  # fmt: skip
    """``call()``'s result, or the exception it raised raised here; OverTime past ``limit``
    seconds. The result and the exception must pickle (one that does not is said as a
    RuntimeError). What the call prints (its standard output and error, a warning, its
    programs') never reaches this process's terminal: it is handed, however the call ended
    (returned, raised, stopped, died), to ``printed`` (dropped without one), its first
    ``PRINTED_KEPT`` bytes and how many more there were."""
    printed_end, printing_end = os.pipe()

    def body(write_end: int) -> None:
        print_into(printing_end)
        _send_outcome(call, write_end)

    heard = _Heard()
    try:
        with forked(body) as (_, read_end):
            os.close(printing_end)
            printing_end = -1
            sent = _read_until(read_end, printed_end, heard, time.monotonic() + limit)
    finally:
        for end in (printed_end, printing_end):
            if end >= 0:
                os.close(end)
        if printed is not None and heard.kept:
            printed(heard.said())
    if sent is None:
        raise OverTime(f"it did not finish within {limit:g} s")
    if not sent:
        raise CallDied("its process ended before it returned")
    kind, value = pickle.loads(sent)
    if kind == "raised":
        raise value
    return value


class _Heard:
    """What the call printed: its first bytes, and how many more it printed."""

    def __init__(self) -> None:
        self.kept, self.more = b"", 0

    def take(self, chunk: bytes) -> None:
        room = PRINTED_KEPT - len(self.kept)
        self.kept += chunk[:room]
        self.more += max(0, len(chunk) - room)

    def said(self) -> str:
        text = self.kept.decode("utf-8", "replace")
        return text + (f"\n... and {self.more} bytes more" if self.more else "")


def _send_outcome(call: Callable[[], Any], write_end: int) -> None:
    """In the child: ``call()``'s result or exception, pickled up the pipe."""
    try:
        sent = pickle.dumps(("returned", call()))
    except Exception as err:
        try:
            sent = pickle.dumps(("raised", err))
        except Exception:  # an exception that does not pickle: its words do
            sent = pickle.dumps(("raised", RuntimeError(f"{type(err).__name__}: {err}")))
    sys.stdout.flush(), sys.stderr.flush()  # what it printed last, before its end is read
    with os.fdopen(write_end, "wb") as pipe:
        pipe.write(sent)


def _read_until(read_end: int, printed_end: int, heard: _Heard,
                deadline: float) -> bytes | None:  # fmt: skip
    """Everything the child sends, up to its end (b"": it sent nothing); None at the
    deadline. What it prints is read as it comes (a full pipe would hold it) into
    ``heard``, and what is left of it once it has ended."""
    chunks, reading = [], [read_end, printed_end]
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select(reading, [], [], left)
        if printed_end in ready:
            if chunk := os.read(printed_end, 1 << 16):
                heard.take(chunk)
            else:
                reading.remove(printed_end)
        if read_end in ready:
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                _rest_printed(printed_end, heard, reading)
                return b"".join(chunks)
            chunks.append(chunk)


def _rest_printed(printed_end: int, heard: _Heard, reading: list[int]) -> None:
    """What the ended child printed and was not read yet (a program it left running may
    hold the pipe open: only what is there now)."""
    while printed_end in reading and select.select([printed_end], [], [], 0)[0]:
        if chunk := os.read(printed_end, 1 << 16):
            heard.take(chunk)
        else:
            return
