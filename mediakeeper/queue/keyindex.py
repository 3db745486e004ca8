"""Where each key's item is in the store's list, in about 8 bytes an item.

A dict of key -> position held every key's text (about 66 bytes an item with the dict's
slots, the keys shared with the items until those were held encoded, then their own). Here
each item is one 64-bit number, the top half a 32-bit hash of its key and the bottom half its
position, sorted, looked up by bisection; a hash is only a hint, so every match is confirmed
against the item's real key (``key_at``, read from the list), and two keys sharing a hash are
both found. Keys added since the last build (a refresh's new items, a journal line's) wait in
a small dict until there are enough of them to merge.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator

_LOW = (1 << 32) - 1
MERGE_AFTER = 1024  # added keys held as text before they are merged into the sorted numbers


def key_hash(key: str) -> int:
    """32 bits of the key's hash: this process's own (the index is never written down)."""
    return hash(key) & _LOW


class KeyIndex:
    """key -> position for a list whose items are never reordered (only replaced, or added
    at its end), as the store's are; ``key_at(position)`` reads an item's key back."""

    __slots__ = ("_added", "_key_at", "_sorted")

    def __init__(self, key_at: Callable[[int], str], keys: Iterable[str] = ()):
        self._key_at = key_at
        self._added: dict[str, int] = {}
        self._sorted = _packed((key_hash(key), n) for n, key in enumerate(keys))

    @classmethod
    def of_hashes(cls, key_at: Callable[[int], str], hashes: array) -> KeyIndex:
        """From the keys' ``key_hash`` values in position order (a loader computes them as it
        reads, without keeping the keys)."""
        index = cls(key_at)
        index._sorted = _packed(zip(hashes, range(len(hashes)), strict=True))
        return index

    def _candidates(self, key: str) -> Iterator[int]:
        """The positions of the items whose key has ``key``'s hash, in position order."""
        found, low = self._sorted, key_hash(key) << 32
        at, top = bisect_left(found, low), low | _LOW
        while at < len(found) and found[at] <= top:
            yield found[at] & _LOW
            at += 1

    def get(self, key: str, default: int | None = None) -> int | None:
        position = self._added.get(key)
        if position is not None:
            return position
        for position in self._candidates(key):
            if self._key_at(position) == key:
                return position
        return default

    def __getitem__(self, key: str) -> int:
        position = self.get(key)
        if position is None:
            raise KeyError(key)
        return position

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __setitem__(self, key: str, position: int) -> None:
        """A new key (an item added at the list's end)."""
        self._added[key] = position
        if len(self._added) >= MERGE_AFTER:
            merged = ((key_hash(k), n) for k, n in self._added.items())
            self._sorted = _packed(((v >> 32, v & _LOW) for v in self._sorted), merged)
            self._added = {}

    def duplicates(self) -> bool:
        """Whether two positions hold the same key (what a loader checks once built): only
        the items whose hashes match are read."""
        found, at = self._sorted, 0
        while at < len(found):
            end = at + 1
            while end < len(found) and found[end] >> 32 == found[at] >> 32:
                end += 1
            if end - at > 1 and len({self._key_at(v & _LOW) for v in found[at:end]}) < end - at:
                return True
            at = end
        return False


def _packed(*pairs: Iterable[tuple[int, int]]) -> array:
    """(hash, position) pairs as sorted 64-bit numbers."""
    return array("Q", sorted((h << 32) | n for part in pairs for h, n in part))


class KeySet:
    """A set of keys held as their 64-bit hashes in an open-addressed table at most half full
    (16-32 bytes a key; a set of the keys' text held about 100): what a batch took, never to
    be taken again, and the keys a read of the queue met, for its check of duplicates. Two
    keys sharing a hash (about 3 chances in 10^8 among a million keys) make the second look
    present: a batch leaves it pending for the next one (never is anything taken twice), a
    read takes it for a duplicate and leaves the file to ``peek``, which tells."""

    __slots__ = ("_count", "_slots")

    def __init__(self) -> None:
        self._slots, self._count = memoryview(bytearray(8 * 1024)).cast("Q"), 0

    def __len__(self) -> int:
        return self._count

    def __contains__(self, key: object) -> bool:
        slots, mark = self._slots, mark_of(key)
        at = mark % len(slots)
        while slots[at]:
            if slots[at] == mark:
                return True
            at = (at + 1) % len(slots)
        return False

    def add(self, key: object) -> None:
        if 2 * (self._count + 1) > len(self._slots):
            old = self._slots
            self._slots = memoryview(bytearray(16 * len(old))).cast("Q")
            for mark in old:
                if mark:
                    self._put(mark)
        self._count += self._put(mark_of(key))

    def update(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.add(key)

    def _put(self, mark: int) -> bool:
        """Whether ``mark`` was not there yet."""
        slots = self._slots
        at = mark % len(slots)
        while slots[at]:
            if slots[at] == mark:
                return False
            at = (at + 1) % len(slots)
        slots[at] = mark
        return True


def mark_of(key: object) -> int:
    """A key's hash as a slot's value: never 0, which marks an empty slot."""
    return (hash(key) & 0xFFFF_FFFF_FFFF_FFFF) or 1
