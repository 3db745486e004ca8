"""The store's items as it holds them between two locked sections: each one's JSON line in a
private spill file, the list holding only where each line is (12 bytes an item).

A batch's store holds every item of the queue for the whole run. As dicts that was about
2.5 KB an item; as one line of JSON each in memory, about 0.6 KB, still growing with the
library. The lines now live in an unlinked temporary file beside the queue (nobody else can
open it, so nothing outside can make a recorded offset lie; a kill takes it away with the
process): the spill is never the truth, only this process's copy of the queue's items, read
from the queue file and its journal and written back to them by the store as before.

An item read is decoded into a dict that stays live until the store settles the list (at the
end of its outermost locked section): a caller may change it in place, as callers of
``locked()``, ``update()`` and transactions do; settled, every live item is encoded again and
the ones that changed are appended to the spill. When the dead lines outweigh the live ones
the spill is rewritten. Reading goes through a block of about 64 KB at a time, so reading the
items in order (a scan, a fold, the claims' walk) costs a read a block, not one an item.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Iterator, MutableSequence, Sequence
from pathlib import Path
from typing import Any

from mediakeeper.fs.atomic import encode_text
from mediakeeper.fs.spill import Spill
from mediakeeper.text.jsonfmt import RECORD_END, RECORD_INDENT, Encoded, dumps_one

BLOCK = 65536  # bytes read from the spill at a time
COMPACT_FLOOR = 1 << 20  # dead bytes below which the spill is never rewritten
# Each line is held as the queue file has it (``jsonfmt``'s layout): the items a fold writes
# from one stretch of the spill are copied as they are, not framed one by one.
_HEAD, _END = RECORD_INDENT.encode(), RECORD_END.encode()
_DECODE = json.JSONDecoder().decode


def _decoded(line: bytes) -> Any:
    """An item from its line, decoded as UTF-8 text first (the lines are UTF-8: written so, or
    checked), so that ``json.loads`` need not guess the bytes' encoding."""
    return _DECODE(line.decode())


def framed(line: bytes) -> bytes:
    """An item's JSON line as the spill holds it (and as the queue file has every item but
    its last)."""
    return _HEAD + line + _END


class ItemList(MutableSequence[dict[str, Any]]):
    """A list of queue items kept as JSON lines in a spill file, the items in use decoded."""

    __slots__ = ("_at", "_block", "_block_at", "_held", "_live", "_raw", "_size", "_spill")

    def __init__(self, items: Iterable[dict[str, Any]] = (), directory: Path | None = None):
        self._spill = Spill(directory)
        self._at = array("Q")  # where each item's line starts in the spill
        self._size = array("I")  # and its length (0: live, never written yet)
        self._held = 0  # bytes of the spill that are current lines (the rest is dead)
        self._live: dict[int, dict[str, Any]] = {}
        self._raw: dict[int, bytes] = {}  # the line a live item was decoded from
        self._block, self._block_at = b"", 0
        # Taken live, encoded when first settled: a state read only to be handed out whole
        # is never encoded at all.
        for item in items:
            self.append(item)

    # ---- what a loader adds ------------------------------------------------------------

    def extend_lines(self, lines: Iterable[bytes]) -> None:
        """Add items as their ``framed`` JSON lines (checked by the caller), a block written
        at a time."""
        block: list[bytes] = []
        start, held = self._spill.size, 0
        for line in lines:
            self._at.append(start + held)
            self._size.append(len(line))
            block.append(line)
            held += len(line)
            if held >= BLOCK:
                self._spill.append(b"".join(block))
                self._held += held
                start, block, held = self._spill.size, [], 0
        self._spill.append(b"".join(block))
        self._held += held

    # ---- reading -----------------------------------------------------------------------

    def _framed(self, at: int) -> bytes:
        """Item ``at``'s line as the spill holds it, through the block last read."""
        start, size = self._at[at], self._size[at]
        offset = start - self._block_at
        if offset < 0 or offset + size > len(self._block):
            self._block, self._block_at = self._spill.read(start, max(BLOCK, size)), start
            offset = 0
        return self._block[offset : offset + size]

    def _line(self, at: int) -> bytes:
        """Item ``at``'s JSON line."""
        return self._framed(at)[len(_HEAD) : -len(_END)]

    def __len__(self) -> int:
        return len(self._at)

    def __getitem__(self, at):
        if isinstance(at, slice):
            return [self[n] for n in range(*at.indices(len(self)))]
        at = range(len(self._at))[at]  # an IndexError as a list gives it
        item = self._live.get(at)
        if item is None:
            raw = self._line(at)
            item = self._live[at] = _decoded(raw)
            self._raw[at] = raw
        return item

    def scan(self, start: int = 0, key: str | None = None) -> Iterator[dict[str, Any]]:
        """Every item from ``start``, in order, for reading only: those not live are decoded
        for the moment and not kept (going through all of them keeps one, and a block).
        ``key``: only the items whose line holds that name (others may hold it too: the
        caller still reads the item), found without decoding the rest."""
        wanted = None if key is None else json.dumps(key).encode()
        for at in range(start, len(self._at)):
            item = self._live.get(at)
            if item is not None:
                yield item
            elif wanted is None or wanted in (line := self._line(at)):
                yield _decoded(self._line(at) if wanted is None else line)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self[n] for n in range(len(self._at)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Iterable) and list(self.scan()) == list(other)

    __hash__ = None  # type: ignore[assignment]  (a list's: changed in place)

    @property
    def _lines(self) -> Sequence[str]:
        """The settled items' lines as text (for a look at what is held)."""
        return [self._line(at).decode() for at in range(len(self._at))]

    # ---- changing ----------------------------------------------------------------------

    def __setitem__(self, at, item) -> None:
        if isinstance(at, slice):
            raise TypeError("the queue's items are replaced one at a time")
        at = range(len(self._at))[at]
        self._live[at] = item
        self._raw.pop(at, None)  # another dict: written when settled

    def __delitem__(self, at) -> None:
        self.settle()
        self._held -= sum(self._size[at]) if isinstance(at, slice) else self._size[at]
        del self._at[at]
        del self._size[at]

    def insert(self, at: int, item: dict[str, Any]) -> None:
        at = min(max(at + len(self) if at < 0 else at, 0), len(self))
        if at < len(self):
            self.settle()  # the live items' places move
        self._at.insert(at, 0)
        self._size.insert(at, 0)
        self._live[at] = item

    def settle(self) -> None:
        """Encode every live item again, append those that changed, and let the dicts go (a
        spill the disk refuses has moved to memory: ``Spill.append``)."""
        places: list[int] = []
        lines: list[bytes] = []  # (two lists, not pairs: no tuple an item, even for a moment)
        for at, item in self._live.items():
            line = encode_text(dumps_one(item))
            if line != self._raw.get(at):
                places.append(at)
                lines.append(line)
        if lines:
            lines = [framed(line) for line in lines]
            start = self._spill.append(b"".join(lines))
            for at, line in zip(places, lines, strict=True):
                self._held += len(line) - self._size[at]
                self._at[at], self._size[at] = start, len(line)
                start += len(line)
        self._live.clear()
        self._raw.clear()
        if self._spill.size - self._held > max(self._held, COMPACT_FLOOR):
            self._compact()

    def _compact(self) -> None:
        """Copy the current lines, in order, to a new spill (call settled); refused by the
        disk, the old one stays."""
        new = ItemList((), self._spill.directory)
        new.extend_lines(self._framed(at) for at in range(len(self._at)))
        self._spill, self._at, self._size, self._held = new._spill, new._at, new._size, new._held
        self._block, self._block_at = b"", 0

    def _stretches(self) -> Iterator[bytes]:
        """Every item's framed line, in order, the last one's end cut: each stretch of items
        that lie one after the other in the spill read at once (up to about a block)."""
        spill, starts, sizes = self._spill, self._at, self._size
        first = end = -1
        for start, size in zip(starts, sizes, strict=True):
            if start == end and end - first < BLOCK:
                end += size
                continue
            if end >= 0:
                yield spill.read(first, end - first)
            first, end = start, start + size
        if end >= 0:
            yield spill.read(first, end - first - len(_END))  # the last item takes no comma

    def encoded(self) -> Encoded:
        """The items as the queue file lists them, settled first (what a fold writes), read
        from the spill a stretch at a time as it is written."""
        self.settle()
        return Encoded(self._stretches(), len(self))

    def decoded(self) -> list[dict[str, Any]]:
        """Every item as a dict, the live ones as they are (what is handed out whole, by a
        store that forgets its state as it does)."""
        return list(self.scan())


def scan(items: Sequence[dict[str, Any]], start: int = 0,
         key: str | None = None) -> Iterable[dict[str, Any]]:  # fmt: skip
    """``items`` from ``start`` to read through without changing any: an ItemList's decoded
    one at a time (``key``: at least those whose line holds that name, ``ItemList.scan``)."""
    if isinstance(items, ItemList):
        return items.scan(start, key)
    return items[start:] if start else items
