"""JSON for files a person opens and a program rewrites often: one record per line.

``json.dumps(indent=...)`` falls back to Python's pure encoder and is several times slower
than the C one; a line per top-level key, and a line per element of a top-level list of
objects, keeps the C encoder and is still easy to read, grep and diff.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

# One value on one line, by one encoder made once: json.dumps with any option set builds a
# new encoder at every call.
dumps_one: Callable[[Any], str] = json.JSONEncoder(ensure_ascii=False).encode


RECORD_INDENT = "    "  # before each record of a top-level list
RECORD_END = ",\n"  # after each but the last


class Encoded:
    """A top-level list's records written already, as UTF-8 bytes in the layout below, each
    ``RECORD_INDENT`` + its JSON + ``RECORD_END`` but the last, which ends bare: ``chunks``
    yields them (once), in pieces of any size; ``count`` says how many records (a store
    copies them from its spill as it writes)."""

    __slots__ = ("chunks", "count")

    def __init__(self, chunks: Iterable[bytes], count: int):
        self.chunks, self.count = chunks, count

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)


def dumps_by_line(data: Mapping[str, Any], *, record: Callable[[Any], str] = dumps_one) -> str:
    """``{"a": 1, "items": [{...}, {...}]}`` as::

    {
      "a": 1,
      "items": [
        {...},
        {...}
      ]
    }

    ``record`` encodes each element of such a list (a caller may have them encoded already).
    """
    # One join over every piece: a queue of 930 items is half a megabyte, and each
    # intermediate string that size is a fresh allocation the kernel must fault in.
    return "".join(pieces_by_line(data, record=record))


def pieces_by_line(
    data: Mapping[str, Any], *, record: Callable[[Any], str] = dumps_one
) -> Iterator[str | bytes]:
    """The pieces of :func:`dumps_by_line`'s text, in order: a writer that joins a block of
    them at a time never holds the whole text (nor its bytes). Records given ``Encoded``
    come as bytes, the rest as text."""
    yield "{\n"
    for n, (key, value) in enumerate(data.items()):
        yield f",\n  {dumps_one(key)}: " if n else f"  {dumps_one(key)}: "
        encoded = isinstance(value, Encoded)
        records = isinstance(value, list) and all(isinstance(v, dict) for v in value)
        if value and (encoded or records):
            yield "[\n"
            if encoded:
                yield from value
            else:
                for m, v in enumerate(value):
                    yield f"{RECORD_END}{RECORD_INDENT}" if m else RECORD_INDENT
                    yield record(v)
            yield "\n  ]"  # the last element takes no comma
        else:
            yield "[]" if encoded else dumps_one(value)
    yield "\n}\n"

