"""Every web lookup this process made, by service and by what answered it: the network (a
request sent, counted as it goes out, whatever came of it) or the cache. ``http.LookupSession``
counts each; the batch runner reads the count around each item (``batch/usage.py``), whatever
the job, so ``/metrics`` can tell lookups by service and cache hit. A batch's worker
processes also add theirs to memory the batch shares with them (``Shared``): a worker is
stopped by SIGTERM wherever it waits, so what it sent is read there, never asked of it at its
end. Imports nothing of the web stack."""

from __future__ import annotations

import threading
from collections import Counter

NETWORK, CACHE = "network", "cache"
SOURCES = (NETWORK, CACHE)

_made: Counter[tuple[str, str]] = Counter()
_lock = threading.Lock()  # a job may look up from threads of its own
_shared: memoryview | None = None  # this process's slot of a ``Shared``, by SOURCES


def count(service: str, source: str) -> None:
    with _lock:
        _made[(service, source)] += 1
        if _shared is not None:
            _shared[SOURCES.index(source)] += 1


def made() -> dict[tuple[str, str], int]:
    """(service, source) -> lookups so far in this process."""
    with _lock:
        return dict(_made)


def by_source(counts: dict[tuple[str, str], int]) -> Counter[str]:
    """``made()``'s counts summed over the services: source -> lookups."""
    summed: Counter[str] = Counter()
    for (_service, source), n in counts.items():
        summed[source] += n
    return summed


class Shared:
    """The lookups of several processes, counted in memory they share: an anonymous mapping
    made before they fork. Each process adds to a slot of its own (``use``), so none waits
    for another and one killed mid-count holds no lock; ``made`` sums the slots."""

    def __init__(self, slots: int):
        import mmap  # here: every batch (a dry run too) imports this module, few fork workers

        self._counts = memoryview(mmap.mmap(-1, 8 * len(SOURCES) * slots)).cast("q")

    def use(self, slot: int) -> None:
        """In the process that counts into ``slot`` (a worker, just forked): its lookups from
        now on are added there too. A process that takes over a dead one's slot adds to it."""
        global _shared
        width = len(SOURCES)
        with _lock:
            _shared = self._counts[slot * width : (slot + 1) * width]

    def made(self) -> Counter[str]:
        """source -> the lookups of every slot."""
        width = len(SOURCES)
        return Counter({s: sum(self._counts[n::width]) for n, s in enumerate(SOURCES)})
