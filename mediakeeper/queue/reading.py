"""Reading a queue without holding it as Python objects: what read-only views use.

``QueueStore.peek`` parses the whole file into dicts, about three times the file's size in
memory (1.8 KB a music item against 0.6 KB of JSON), all held while a report reads them:
the closing reports' peak grew with the library. :func:`read_lines` gives the same
committed state read a line at a time (the file holds one item per line, ``dump_queue``),
each item kept as its JSON bytes and decoded only when it is used.

The same guarantee as ``peek``: the file is opened first (a rename replacing it leaves this
read on the whole old file), the journal's lines of that file's generation are laid over its
items (a torn last line never), and a read during which the file was replaced is done again.
Anything else (a file laid out by hand over several lines, an old one without a generation
before its items, any damage) is read by ``peek`` itself, which says what is wrong.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import IO, TYPE_CHECKING, Any, TypeVar, overload

from mediakeeper.core.errors import QueueCorrupt
from mediakeeper.fs.atomic import encode_text
from mediakeeper.queue.files import (
    Item,
    Known,
    Unusual,
    file_signature,
    journal_entry,
    read_layout,
)
from mediakeeper.queue.keyset import KeySet
from mediakeeper.text.jsonfmt import dumps_one

if TYPE_CHECKING:
    from mediakeeper.queue.store import QueueStore

T = TypeVar("T")
Line = tuple[bytes, dict[str, Any] | None]  # an item's JSON line, and the item where decoded
_CHUNK = 16384  # the most bytes of items decompressed at a time (from a sixteenth of it)
TRIES = 20  # as many as peek's: reads, each after a rewrite of the file seen during the last


class EncodedItems(Sequence[dict[str, Any]]):
    """Queue items held as their JSON lines, compressed together (one line per item: about
    50 bytes a music item instead of 650 as JSON, 1,800 as a dict); each one read is decoded
    afresh (a new dict: changing it changes nothing held). Made to be read in order, as the
    reports read: reading item ``n`` alone decodes the ``n`` before it too."""

    __slots__ = ("_count", "_packed")

    def __init__(self, lines: Iterable[bytes]):
        pack = zlib.compressobj()
        parts, count = [], 0
        for line in lines:
            parts.append(pack.compress(line + b"\n"))
            count += 1
        parts.append(pack.flush())
        self._packed, self._count = b"".join(parts), count

    def _lines(self) -> Iterator[bytes]:
        """The lines, decompressed a bounded piece at a time: all at once, they were twice
        the queue's JSON held at the same time."""
        unpack, rest, packed = zlib.decompressobj(), b"", memoryview(self._packed)
        for at in range(0, len(packed), _CHUNK // 16):
            piece = packed[at : at + _CHUNK // 16]
            while piece:
                *whole, rest = (rest + unpack.decompress(piece, _CHUNK)).split(b"\n")
                piece = unpack.unconsumed_tail
                yield from whole
        yield from (rest + unpack.flush()).split(b"\n")[:-1]  # what the last piece held back

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, at: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, at: slice) -> EncodedItems: ...
    def __getitem__(self, at):
        if isinstance(at, slice):
            return EncodedItems(list(self._lines())[at])
        at = range(self._count)[at]  # an IndexError as a list gives it
        return json.loads(next(islice(self._lines(), at, None)))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (json.loads(line) for line in self._lines())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EncodedItems):
            return list(self._lines()) == list(other._lines())
        return isinstance(other, Sequence) and list(self) == list(other)

    def __hash__(self) -> int:
        return hash(self._packed)

    def __repr__(self) -> str:
        return f"EncodedItems({len(self)} items)"


@dataclass(frozen=True)
class QueueView:
    """A queue's state as read: its fields but the items, and the items."""

    fields: dict[str, Any]
    items: EncodedItems


def read_lines(store: QueueStore) -> QueueView:
    """The queue's current state as ``store.peek()`` sees it, its items kept encoded."""
    fields, items = read_each(store, lambda each: EncodedItems(line for line, _ in each))
    return QueueView(fields, items)


def read_each(store: QueueStore, take: Callable[[Iterator[Line]], T], *,
              known: Known | None = None) -> tuple[dict[str, Any], T]:  # fmt: skip
    """The queue's fields but the items (as ``read_lines``), and what ``take`` made of its
    items, handed to it one at a time as they are read, each as its JSON line and, where the
    read decoded it already, the item (else None: ``decoded`` gives it). ``take`` may be
    called more than once (a read during which the file was replaced is done again): only
    its last call's result counts, so it keeps nothing from one call to the next.
    ``known(line)``: the key of an item line the caller read before, byte for byte (a
    follower's, which reads a queue again after every rewrite): such a line is handed over
    undecoded, its item ``{"key": key}``."""
    for _ in range(TRIES):
        try:
            before = file_signature(store.path)
        except FileNotFoundError:
            break  # peek says so
        try:
            with open(store.path, "rb") as f:
                read = _read(f, store, take, known)
        except (Unusual, QueueCorrupt, OSError):
            read = None  # damage on disk or a write seen half-way: peek tells which
        try:
            if file_signature(store.path) == before:
                return read or _whole(store, take)
        except FileNotFoundError:
            continue
    return _whole(store, take)


def decoded(line: Line) -> dict[str, Any]:
    """The item of one of ``read_each``'s lines, decoded once."""
    raw, item = line
    return json.loads(raw) if item is None else item


def _whole(store: QueueStore, take: Callable[[Iterator[Line]], T]) -> tuple[dict[str, Any], T]:
    """Read by ``peek`` (which raises what is wrong)."""
    data = dict(store.peek())
    items = data.pop("items")
    return data, take((encode_text(dumps_one(item)), item) for item in items)


def _read(f: IO[bytes], store: QueueStore, take: Callable[[Iterator[Line]], T],
          known: Known | None = None):  # fmt: skip
    def take_items(lines: Iterator[Item], fields: dict[str, Any]) -> tuple[T, str | None]:
        if "generation" not in fields or fields.get("kind") not in (None, store.kind):
            # Which journal lines are the file's could not be told; or another kind's queue,
            # put here by hand: ``peek`` says which.
            raise Unusual
        newer, changed_at = _journaled(store, fields["generation"])
        # Taken as they are read (a list of the lines first was the reports' peak), then the
        # items the journal added.
        return take(chain(_newest(lines, newer), _added(newer))), changed_at

    fields, (items, changed_at) = read_layout(f, take_items, KeySet(), known)  # keys as hashes
    del fields["items"]
    if changed_at is not None:
        fields["updated_at"] = changed_at
    return fields, items


def _newest(lines: Iterator[Item], newer: dict[str, bytes]) -> Iterator[Line]:
    """The file's item lines (checked as the store checks them, so decoded, and given with
    their item), those the journal changed since in their newer state (taken out of
    ``newer``, not decoded yet)."""
    for _raw, line, item in lines:
        changed = newer.pop(item["key"], None)
        yield (line, item) if changed is None else (changed, None)


def _added(newer: dict[str, bytes]) -> Iterator[Line]:
    """What is left of ``newer`` once the file's items took theirs: the items the journal
    added (looked at only then: the file's items take theirs out as they are read)."""
    yield from ((line, None) for line in newer.values())


def _journaled(store: QueueStore, generation: Any) -> tuple[dict[str, bytes], str | None]:
    """Each item's latest state in the journal's complete lines of the file's ``generation``,
    encoded, in the order they first appear, and the time of the last of those lines."""
    newer: dict[str, bytes] = {}
    changed_at = None
    try:
        with open(store.journal_path, "rb") as f:
            at = 0
            for raw in f:
                if not raw.endswith(b"\n"):
                    break  # a torn tail from a writer that was killed mid-append
                entry = journal_entry(raw, store.journal_path, at, lambda: "")
                at += len(raw)
                if entry["gen"] != generation:
                    continue
                for item in entry["items"]:
                    newer[item["key"]] = encode_text(dumps_one(item))
                changed_at = entry.get("at", changed_at)
    except FileNotFoundError:
        pass
    return newer, changed_at
