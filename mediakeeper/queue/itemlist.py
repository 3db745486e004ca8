"""The store's items as it holds them between two locked sections: each one its JSON line.

A batch's store holds every item of the queue for the whole run. As dicts (with the values
the workers' results brought) and their encodings beside them, that was about 2.5 KB an item,
the largest part of what the batch's parent grew by with the library; as one line of JSON
each, about 0.6 KB. An item read is decoded into a dict that stays live until the store
settles the list (at the end of its outermost locked section): a caller may change it in
place, as callers of ``locked()``, ``update()`` and transactions do, and every live item is
encoded again then, changed or not, so what the store holds is what they left.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, MutableSequence
from typing import Any

from mediakeeper.text.jsonfmt import Encoded, dumps_one


class ItemList(MutableSequence[dict[str, Any]]):
    """A list of queue items kept as their JSON lines, with the items in use decoded."""

    __slots__ = ("_lines", "_live")

    def __init__(self, items: Iterable[dict[str, Any]] = ()):
        # Taken live, encoded when first settled: a state read only to be handed out whole
        # (``load``, ``peek``) is never encoded at all.
        self._live: dict[int, dict[str, Any]] = dict(enumerate(items))
        self._lines: list[str] = [""] * len(self._live)

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, at):
        if isinstance(at, slice):
            return [self[n] for n in range(*at.indices(len(self)))]
        at = range(len(self._lines))[at]  # an IndexError as a list gives it
        item = self._live.get(at)
        if item is None:
            item = self._live[at] = json.loads(self._lines[at])
        return item

    def __setitem__(self, at, item) -> None:
        if isinstance(at, slice):
            raise TypeError("the queue's items are replaced one at a time")
        self._live[range(len(self._lines))[at]] = item

    def __delitem__(self, at) -> None:
        self.settle()
        del self._lines[at]

    def insert(self, at: int, item: dict[str, Any]) -> None:
        self.settle()
        at = min(max(at + len(self) if at < 0 else at, 0), len(self))
        self._lines.insert(at, "")
        self._live[at] = item

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self[n] for n in range(len(self._lines)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Iterable) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  (a list's: changed in place)

    def scan(self) -> Iterator[dict[str, Any]]:
        """Every item, in order, for reading only: those not live are decoded for the moment
        and not kept (going through all of them keeps no more than one)."""
        for at, line in enumerate(self._lines):
            item = self._live.get(at)
            yield json.loads(line) if item is None else item

    def settle(self) -> None:
        """Encode every live item again and let the dicts go."""
        for at, item in self._live.items():
            self._lines[at] = dumps_one(item)
        self._live.clear()

    def encoded(self) -> Encoded:
        """Each item's JSON, in order, settled first (what a fold writes)."""
        self.settle()
        return Encoded(self._lines)

    def decoded(self) -> list[dict[str, Any]]:
        """Every item as a dict, the live ones as they are (what is handed out whole, by a
        store that forgets its state as it does)."""
        return list(self.scan())


def scan(items: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """``items`` to read through without changing any: an ItemList's decoded one at a time."""
    return items.scan() if isinstance(items, ItemList) else items
