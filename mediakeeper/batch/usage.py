"""What working on one item cost, measured around each step of its job (``runner._Attempt``)
in the process that ran it, whatever the kind: its web lookups by service and by what
answered them (``lookup.tally``), and the bytes read and written (``system.linux.io_bytes``:
the job's files and pipes, and those of the programs it ran and waited for, such as ffmpeg),
and the bytes sent to a cluster's workers and received back, with the workers
(``cluster_tally``). A worker runs one step at a time, so the difference is that item's; a
commit of several items' writes at once is shared equally between them (``shared``); a batch
run in one process also counts what its progress line wrote meanwhile (a few bytes a second).

Recorded on the item's event in ``sessions.jsonl``, which ``mediakeeper serve`` reads for
``/metrics``: the server is another process, and the sessions' events are what every batch
leaves, whoever ran it."""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

from mediakeeper.batch import cluster_tally
from mediakeeper.lookup import tally
from mediakeeper.system.linux import io_bytes


class Mark(NamedTuple):
    lookups: dict[tuple[str, str], int]
    io: tuple[int, int] | None
    # sent to a cluster's workers: bytes, tasks, the workers lost while they ran one, and
    # those fallen silent while they held one
    moved: tuple[dict[str, int], dict[str, int], dict[str, int], dict[str, int]]


def mark() -> Mark:
    return Mark(tally.made(), io_bytes(), cluster_tally.moved())


def since(before: Mark) -> dict[str, Any]:
    """The item event's fields for what was spent since ``before``: ``lookups`` {service:
    {"network": n, "cache": n}} (when it made any), ``bytes_read``, ``bytes_written`` (where
    the system counts them)."""
    now = mark()
    spent: dict[str, Any] = {}
    lookups: dict[str, dict[str, int]] = {}
    for (service, source), n in (Counter(now.lookups) - Counter(before.lookups)).items():
        lookups.setdefault(service, {})[source] = n
    if lookups:
        spent["lookups"] = lookups
    if now.io is not None and before.io is not None:
        spent["bytes_read"] = now.io[0] - before.io[0]
        spent["bytes_written"] = now.io[1] - before.io[1]
    spent.update(_moved(before, now))
    return spent


def _moved(before: Mark, now: Mark) -> dict[str, Any]:
    """``bytes_sent``/``bytes_received`` to and from a cluster's workers and ``workers``
    (the workers that ran its steps, most first), when the item sent any; ``workers_lost``,
    the workers that left while they ran one of its steps, and ``workers_silent``, those
    whose heartbeat fell silent while they held one (sent to another), when any did."""
    spent: dict[str, Any] = {}
    if tasks := Counter(now.moved[1]) - Counter(before.moved[1]):
        moved = Counter(now.moved[0]) - Counter(before.moved[0])
        spent = {"bytes_sent": moved["bytes_sent"], "bytes_received": moved["bytes_received"],
                 "workers": [worker for worker, _ in tasks.most_common()]}  # fmt: skip
    if lost := Counter(now.moved[2]) - Counter(before.moved[2]):
        spent["workers_lost"] = sorted(lost)
    if silent := Counter(now.moved[3]) - Counter(before.moved[3]):
        spent["workers_silent"] = sorted(silent)
    return spent


def combined(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two spendings (``since``) as one: their counts added, their workers both listed."""
    total = dict(first)
    for key, value in second.items():
        if key not in total:
            total[key] = value
        elif isinstance(value, dict):
            total[key] = combined(total[key], value)
        elif isinstance(value, list):  # the workers, each named once
            total[key] = list(dict.fromkeys([*total[key], *value]))
        else:
            total[key] += value
    return total


def shared(spent: dict[str, Any], parts: int) -> list[dict[str, Any]]:
    """``spent`` split between ``parts`` items that spent it together: each count in equal
    shares (the first also takes what does not divide), the workers in each."""
    shares: list[dict[str, Any]] = [{} for _ in range(parts)]
    for key, value in spent.items():
        if isinstance(value, dict):
            for share, part in zip(shares, shared(value, parts), strict=True):
                if any(part.values()):  # a service none of its share went to is not named
                    share[key] = part
        elif isinstance(value, list):
            for share in shares:
                share[key] = value
        else:
            each, rest = divmod(value, parts)
            for n, share in enumerate(shares):
                share[key] = each + (rest if n == 0 else 0)
    return shares
