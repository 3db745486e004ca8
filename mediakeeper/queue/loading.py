"""Reading a queue file (or a checkpoint) into what a store holds: its fields, its items in a
spill (``itemlist.ItemList``) and where each key's item is (a dict).

The file the toolkit writes has one item per line (``files.dump_queue``): it is read a line at
a time, each item checked with the checks ``files.parse_queue`` makes (``item_problems``, the
fields' ``structure_problems``, duplicate keys through the index) and its line copied to the
spill as it is, so the whole parsed JSON is never held (about 2 KB an item of dicts, then
their lines, at 100,000 items a quarter of a gigabyte at the store's start). Anything else
(a file laid out another way by hand, one that fails a check, any damage) is read whole by
``parse_queue``, which accepts it or says exactly what is wrong, as it always did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from mediakeeper.fs.atomic import encode_text
from mediakeeper.queue.files import Item, Unusual, parse_queue, read_layout
from mediakeeper.queue.itemlist import ItemList, framed
from mediakeeper.text.jsonfmt import RECORD_INDENT, dumps_one

_FRAMING = len(framed(b""))
_INDENT = RECORD_INDENT.encode()

Held = tuple[dict[str, Any], dict[str, int]]  # the fields, their items held; key -> position


def load_queue(path: Path, hint_for: Callable[..., str], directory: Path) -> Held:
    """The queue at ``path`` as a store holds it, its spill in ``directory``; QueueCorrupt
    (from ``parse_queue``, worded as ever) when it cannot be used."""
    with open(path, "rb") as f:
        try:
            return _streamed(f, directory)
        except Unusual:
            f.seek(0)  # the same file, even if another has been renamed over it meanwhile
            text = f.read()
    return held(parse_queue(text, path, hint_for), directory)


def held(data: dict[str, Any], directory: Path | None) -> Held:
    """``data`` (its items dicts, in a list or made as they are taken) with its items
    written to a spill as they come, none kept decoded, and indexed."""
    index: dict[str, int] = {}
    items = ItemList((), directory)
    items.extend_lines(_framed(data["items"], index))
    data["items"] = items
    return data, index


def _framed(items: Iterable[dict[str, Any]], index: dict[str, int]) -> Iterator[bytes]:
    for at, item in enumerate(items):
        index.setdefault(item["key"], at)
        yield framed(encode_text(dumps_one(item)))


def _streamed(f: IO[bytes], directory: Path) -> Held:
    index: dict[str, int] = {}

    def take(lines: Iterator[Item], _fields: dict[str, Any]) -> ItemList:
        items = ItemList((), directory)  # its spill made once the file reaches the items
        items.extend_lines(_as_held(lines, index))
        return items

    fields, items = read_layout(f, take)  # duplicates: the index's, below
    fields["items"] = items
    if len(index) != len(items):
        raise Unusual  # a key met twice: parse_queue names it
    return fields, index


def _as_held(lines: Iterator[Item], index: dict[str, int]) -> Iterator[bytes]:
    """Each item's line as the spill holds it, its key added to ``index``."""
    for at, (raw, line, item) in enumerate(lines):
        index.setdefault(item["key"], at)
        # The file's own line where it is framed as the spill holds it (all but the last).
        as_held = len(raw) == len(line) + _FRAMING and raw.startswith(_INDENT)
        yield raw if as_held and raw.endswith(b",\n") else framed(line)
