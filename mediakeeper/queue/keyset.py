"""A set of queue keys held as their hashes, in about 16-32 bytes a key."""

from __future__ import annotations

from collections.abc import Iterable


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
