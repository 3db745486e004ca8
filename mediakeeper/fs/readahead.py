"""Read-ahead: asking the kernel for the bytes a batch will read, before it reads them.

A pass over a library reads a few kilobytes at each end of every file (where the tags are) and
waits for each read in turn: from a cold disk every file is a round trip to it, one after the
other. Hints given ahead (``posix_fadvise(WILLNEED)``) let the disk fetch many at once, in its
own order, while the workers are still busy with the items before: their reads then find the
bytes in the page cache. A hint is only that: it changes no byte, moves nothing into this
process and touches no access time; a file it cannot open is passed over, and a hint that
comes late costs one open and close a file. What it saves: ``benchmarks/machinery.py`` and
``docs/performance.md``.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from mediakeeper.fs import tree
from mediakeeper.fs.hints import in_memory, will_need

HEAD = 128 << 10  # tags, headers and the first frames: what a tag read takes from the front
TAIL = 64 << 10  # ID3v1, APEv2, Lyrics3, and an MP4 whose index was written last


def hint_ends(folder: str | Path, suffixes: Collection[str]) -> int:
    """Hint the first HEAD and last TAIL bytes of every file below ``folder`` whose suffix
    (lower case, with its dot) is one of ``suffixes``; links are not followed. A folder whose
    first such file has its head in memory already was read lately (copied, played, passed
    over), and its other files with it: it is passed over, for the price of one look instead
    of a hint a file. The count of files hinted."""
    hinted = 0
    for where, _folders, names in tree.walk(folder):
        paths = [
            os.path.join(where, n) for n in names if os.path.splitext(n)[1].lower() in suffixes
        ]
        if not paths or in_memory(paths[0], HEAD):
            continue
        hinted += sum(will_need(path, HEAD, TAIL) for path in paths)
    return hinted


class ReadAhead:
    """A daemon thread that gives ``hint(item)`` for each item added, in order: the items
    handed to workers behind the one each is busy with. A hint that raises is passed over: a
    hint never fails a batch."""

    def __init__(self, hint: Callable[[Any], object]):
        self._hint = hint
        self._items: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stopped = False
        self._thread = threading.Thread(target=self._serve, name="read-ahead", daemon=True)
        self._thread.start()

    def add(self, item: Any) -> None:
        self._items.put(item)

    def stop(self, *, wait: bool = False) -> None:
        """Ends the thread: what is left unhinted is dropped, or with ``wait`` hinted first."""
        self._stopped = not wait
        self._items.put(None)
        if wait:
            self._thread.join()

    def _serve(self) -> None:
        while (item := self._items.get()) is not None and not self._stopped:
            try:
                self._hint(item)
            except Exception:  # a hint that fails changes nothing
                continue
