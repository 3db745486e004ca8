"""Every web lookup this process made, by service and by what answered it: the network (a
request sent, whatever came of it) or the cache. ``http.LookupSession`` counts each; the
batch runner reads the count around each item (``batch/usage.py``), whatever the job, so
``/metrics`` can tell lookups by service and cache hit. Imports nothing of the web stack."""

from __future__ import annotations

import threading
from collections import Counter

NETWORK, CACHE = "network", "cache"

_made: Counter[tuple[str, str]] = Counter()
_lock = threading.Lock()  # a job may look up from threads of its own


def count(service: str, source: str) -> None:
    with _lock:
        _made[(service, source)] += 1


def made() -> dict[tuple[str, str], int]:
    """(service, source) -> lookups so far in this process."""
    with _lock:
        return dict(_made)
