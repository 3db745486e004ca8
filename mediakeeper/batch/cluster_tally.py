"""What the steps sent to a cluster moved, in this process: bytes sent to the workers and
received back, the tasks each worker ran, the workers lost while they ran one of its steps
(Dask ran it again on another) and those that fell silent while they held one (the batch sent
it to another: ``cluster.Remote.call``). ``usage`` marks it around each item, so an item's
event says what its work moved and where it ran (``/metrics``, ``/api/batches``)."""

from __future__ import annotations

import threading
from collections import Counter

_MOVED: Counter[str] = Counter()
_RAN_ON: Counter[str] = Counter()
_LOST: Counter[str] = Counter()
_SILENT: Counter[str] = Counter()
_LOCK = threading.Lock()  # the threads of a job add at once


def add(worker: str, sent: int, received: int) -> None:
    with _LOCK:
        _MOVED["bytes_sent"] += sent
        _MOVED["bytes_received"] += received
        _RAN_ON[worker] += 1


def lost(worker: str) -> None:
    """``worker`` left the scheduler while it ran a step of this process's."""
    with _LOCK:
        _LOST[worker] += 1


def silent(worker: str) -> None:
    """``worker``'s heartbeat fell silent while it held a step of this process's, which was
    sent to another worker."""
    with _LOCK:
        _SILENT[worker] += 1


def moved() -> tuple[dict[str, int], dict[str, int], dict[str, int], dict[str, int]]:
    """The bytes sent and received so far, the tasks each worker ran, the workers lost, the
    workers fallen silent."""
    with _LOCK:
        return dict(_MOVED), dict(_RAN_ON), dict(_LOST), dict(_SILENT)
