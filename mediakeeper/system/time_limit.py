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
import time
from collections.abc import Callable
from typing import Any

from mediakeeper.system.forked import forked


class OverTime(Exception):
    """The call did not return within its limit and was stopped."""


class CallDied(Exception):
    """The call's process ended without a result (killed, out of memory)."""


def call_within(call: Callable[[], Any], limit: float) -> Any:
    """``call()``'s result, or the exception it raised raised here; OverTime past ``limit``
    seconds. The result and the exception must pickle (one that does not is said as a
    RuntimeError)."""
    with forked(lambda write_end: _send_outcome(call, write_end)) as (_, read_end):
        sent = _read_until(read_end, time.monotonic() + limit)
    if sent is None:
        raise OverTime(f"it did not finish within {limit:g} s")
    if not sent:
        raise CallDied("its process ended before it returned")
    kind, value = pickle.loads(sent)
    if kind == "raised":
        raise value
    return value


def _send_outcome(call: Callable[[], Any], write_end: int) -> None:
    """In the child: ``call()``'s result or exception, pickled up the pipe."""
    try:
        sent = pickle.dumps(("returned", call()))
    except Exception as err:
        try:
            sent = pickle.dumps(("raised", err))
        except Exception:  # an exception that does not pickle: its words do
            sent = pickle.dumps(("raised", RuntimeError(f"{type(err).__name__}: {err}")))
    with os.fdopen(write_end, "wb") as pipe:
        pipe.write(sent)


def _read_until(read_end: int, deadline: float) -> bytes | None:
    """Everything the child sends, up to its end (b"": it sent nothing); None at the
    deadline."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([read_end], [], [], left)
        if ready:
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
