"""Reading the queue's files: the JSON file (or a checkpoint) and the journal's lines.

Everything read here is checked before the store uses it: a file or a line that does not
parse, or parses to the wrong shape, raises QueueCorrupt naming the file (and the line) and
how to get the queue back. Nothing that fails these checks is ever replayed or folded.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from mediakeeper.core.errors import QueueCorrupt
from mediakeeper.fs.atomic import encode_text
from mediakeeper.queue.items import item_problems, structure_problems
from mediakeeper.text.jsonfmt import dumps_by_line, dumps_one, pieces_by_line

if TYPE_CHECKING:
    from mediakeeper.queue.items import Keys

_GENERATION_LINE = re.compile(rb'^  "generation": (\d+),$', re.MULTILINE)
_LIBRARY_LINE = re.compile(r'"library": ("(?:[^"\\]|\\.)*")')
_PATH_FIELD = re.compile(r'"path": ("(?:[^"\\]|\\.)*")')
_BY_HAND = "correct it in the file (one item per line), or "  # a damage a person can mend

# The file as ``dump_queue`` lays it out, as ``read_layout`` reads it a line at a time for
# the reports (``reading.py``) and for a store (``loading.py``): an item a line between these.
_ITEMS_OPEN = b'  "items": [\n'
_ITEMS_EMPTY = (b'  "items": [],\n', b'  "items": []\n')
_ITEMS_CLOSE = (b"  ]\n", b"  ],\n")
_JSON_SPACE = b" \t\n\r"
Item = tuple[bytes, bytes, dict[str, Any]]  # an item's line as read, its JSON, the item
Known = Callable[[bytes], "str | None"]  # an item's JSON -> its key, for a line read before
T = TypeVar("T")


class Unusual(Exception):
    """A file not laid out as ``dump_queue`` writes it, or not passing the store's checks:
    a line-at-a-time reader then leaves it to a whole parse, which says what is wrong."""


class NotJSON(ValueError):
    """Text that json cannot read, with the reason worded for a person."""


def loads(text: str | bytes) -> Any:
    """``json.loads``, with every way it fails as NotJSON: besides bad syntax, nesting too
    deep for the parser (RecursionError) and a number too long to convert (ValueError)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise NotJSON(str(err)) from None
    except RecursionError:
        raise NotJSON("nested too deeply to be read") from None
    except ValueError as err:
        if "integer string conversion" in str(err):
            limit = sys.get_int_max_str_digits()
            raise NotJSON(f"holds a number longer than {limit} digits") from None
        raise NotJSON(str(err)) from None


def _line_json(line: bytes) -> Any:
    """One line's JSON, read strictly as UTF-8 (as ``parse_queue`` reads the file)."""
    try:
        return loads(line.decode("utf-8"))
    except (UnicodeDecodeError, NotJSON):
        raise Unusual from None


def _field_line(raw: bytes) -> dict[str, Any]:
    """One ``  "key": value,`` line of the file's top level."""
    line = raw.rstrip(b"\n")
    found = _line_json(b"{" + (line[:-1] if line.endswith(b",") else line) + b"}")
    if not isinstance(found, dict) or len(found) != 1 or "items" in found:
        raise Unusual  # the items are one a line, never in a field's line
    return found


def _item_line(raw: bytes, position: int, seen: Keys | None,
               known: Known | None = None) -> tuple[bytes, bool, dict[str, Any]]:  # fmt: skip
    """One item's line: its JSON without the comma that may end it, whether one did, and the
    item, checked as ``parse_queue`` checks it (``seen``: the keys met before it, which a
    check of duplicates adds it to; None: no such check). A line ``known`` gives the key of
    (the caller read it before, byte for byte, and checked it then) is not decoded: its item
    is ``{"key": key}``, its key checked against ``seen`` alone."""
    line = raw.rstrip(b"\n").strip(_JSON_SPACE)
    comma = line.endswith(b",")
    line = line[:-1] if comma else line
    if known is not None and (key := known(line)) is not None:
        if seen is not None:
            if key in seen:
                raise Unusual
            seen.add(key)
        return line, comma, {"key": key}
    item = _line_json(line)
    if item_problems(item, position, seen):
        raise Unusual
    return line, comma, item


def read_layout(
    f: IO[bytes],
    take_items: Callable[[Iterator[Item], dict[str, Any]], T],
    seen: Keys | None = None,
    known: Known | None = None,
) -> tuple[dict[str, Any], T]:
    """The top level of a file laid out as ``dump_queue`` writes it, read a line at a time:
    its fields (the items' place among them held by an empty list) and what ``take_items``
    made of the items. ``take_items(lines, fields)`` is handed the items' lines
    (``_item_lines``, with ``seen``) where the list opens, with the fields before it, and
    must read them to the list's end (``known``: the lines not to decode, ``_item_line``).
    Unusual for anything else: commas missing or to spare,
    a field met twice, text after the end, fields that fail ``structure_problems``: the same
    checks for every reader."""
    if f.readline() != b"{\n":
        raise Unusual
    fields: dict[str, Any] = {}
    taken: Any = None  # take_items' (an end is refused before the items are met)
    comma = True  # the element before ended with a comma (the first needs none)
    for raw in f:
        if raw == b"}\n":
            if comma or "items" not in fields or structure_problems(fields):
                raise Unusual
            if f.read().strip(_JSON_SPACE):
                raise Unusual
            return fields, taken
        if not comma:
            raise Unusual
        comma = raw.endswith(b",\n")
        if raw == _ITEMS_OPEN or raw in _ITEMS_EMPTY:
            if "items" in fields:
                raise Unusual
            fields["items"] = []  # in its place among the fields, checked as a list
            ended: list[bytes] = []
            lines = _item_lines(f, seen, ended, known) if raw == _ITEMS_OPEN else iter(())
            taken = take_items(lines, fields)
            if raw == _ITEMS_OPEN:
                if not ended:
                    raise Unusual  # cut short, or not read to its end
                comma = ended[0] == _ITEMS_CLOSE[1]
        else:
            field = _field_line(raw)
            if field.keys() & fields.keys():
                raise Unusual
            fields.update(field)
    raise Unusual  # cut short


def _item_lines(f: IO[bytes], seen: Keys | None, ended: list[bytes],
                known: Known | None = None) -> Iterator[Item]:  # fmt: skip
    """``(raw, line, item)`` of each item's line up to the list's end, checked as
    ``parse_queue`` checks it (``_item_line``; ``seen`` None: duplicates are the caller's to
    find); ``ended`` gets the list's closing line."""
    comma = True
    for position, raw in enumerate(f):
        if raw in _ITEMS_CLOSE:
            if comma and position:
                raise Unusual  # a comma after the last item
            ended.append(raw)
            return
        if not comma:
            raise Unusual
        line, comma, item = _item_line(raw, position, seen, known)
        yield raw, line, item
    raise Unusual  # cut short


def dump_queue(data: Mapping[str, Any], *, item: Callable[[Any], str] = dumps_one) -> str:
    """Human-readable JSON with one item per line: greppable, diffable, quick to parse.
    ``item`` encodes one item (a store hands out the encodings it keeps)."""
    return dumps_by_line(data, record=item)


def queue_chunks(
    data: Mapping[str, Any], *, item: Callable[[Any], str] = dumps_one, size: int = 65536
) -> Iterator[bytes]:
    """:func:`dump_queue`'s file as bytes, about ``size`` at a time: what a fold and a
    checkpoint write. Joined whole, the text and then its bytes were twice the queue's JSON
    held at once, with every item held too: the batch's peak at its end grew with the queue."""
    block: list[bytes] = []
    held = 0
    for piece in pieces_by_line(data, record=item):
        block.append(piece if type(piece) is bytes else encode_text(piece))
        held += len(piece)
        if held >= size:
            yield b"".join(block)
            block, held = [], 0
    yield b"".join(block)


def file_signature(path: Path) -> tuple:
    """What tells a cached copy that the file was rewritten. Inode, size and mtime alone can
    repeat (ext4 reuses a freed inode at once; many kernels stamp mtimes in 4 ms ticks), so the
    generation near the top of the file, which every rewrite raises, is part of it."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        match = _GENERATION_LINE.search(f.read(4096))
    return (st.st_ino, st.st_size, st.st_mtime_ns, match and match.group(1))


def items_laid_out(path: Path) -> int | None:
    """How many items a queue file laid out as ``dump_queue`` lays it out holds, told by its
    lines (one an item) without decoding one: what a first read of it says it is reading
    through. None for a file laid out otherwise (``read_layout`` then says what it is)."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
        if not head.startswith(b"{\n") or any(b"\n" + empty in head for empty in _ITEMS_EMPTY):
            return 0 if head.startswith(b"{\n") else None
        opened = head.find(_ITEMS_OPEN)
        if opened < 0:
            return None
        lines = head.count(b"\n", opened + len(_ITEMS_OPEN))
        tail = head
        for block in iter(lambda: f.read(1 << 20), b""):
            lines += block.count(b"\n")
            tail = tail[-(1 << 16):] + block  # the last lines: where the list closes
    closed = max(tail.rfind(b"\n" + close) for close in _ITEMS_CLOSE)
    # The list's closing line and the fields after it are no item.
    return lines - tail.count(b"\n", closed + 1) if closed >= 0 else None


def restore_hint(manager: str = "", *, by_hand: bool = False) -> str:
    """How a person gets a damaged queue back, naming the queue manager's command if given;
    ``by_hand``: the damage is one a person can correct in the file (a field of an item)."""
    command = f"{manager} --restore-checkpoint latest".lstrip()
    edit = by_hand_hint(by_hand)
    return f"nothing was changed; {edit}`{command}` brings back the last good state"


def by_hand_hint(by_hand: bool) -> str:
    return _BY_HAND if by_hand else ""


def parse_queue(
    text: str | bytes, source: Path, hint_for: Callable[..., str] = restore_hint
) -> dict[str, Any]:
    """Parse and structurally check queue JSON (every item's fields and types too), or raise
    QueueCorrupt saying how to recover: ``hint_for(by_hand=...)``, by default the bare flag
    (``by_hand``: the damage is one a person can correct in the file)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise QueueCorrupt(
                f"{source} is not UTF-8 text (byte {err.start})", hint_for()
            ) from None
    if not text.strip():
        raise QueueCorrupt(f"{source} is empty", hint_for())
    try:
        data = loads(text)
    except NotJSON as err:
        raise QueueCorrupt(f"{source} is not valid JSON ({err})", hint_for()) from None
    problems = structure_problems(data)
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise QueueCorrupt(f"{source}: {problems[0]}{more}", hint_for(by_hand=True))
    return data


def journal_entry(raw: bytes, source: Path, at: int, hint: Callable[[], str]) -> dict:
    """One complete journal line (``at``: its first byte in the file), checked: an object
    with its generation and the full state of every item it changed. Anything else raises
    QueueCorrupt naming the file and the line: a line of the wrong shape must never be
    replayed into the queue, nor folded into its file."""
    try:
        entry = loads(raw)
    except NotJSON as err:
        problem = f"not JSON ({err})"
    else:
        problem = entry_problem(entry)
    if problem:
        line = _line_number(source, at)
        raise QueueCorrupt(f"{source} has a damaged line (line {line}): {problem}", hint())
    return entry


def _line_number(path: Path, at: int) -> int:
    """The number (from 1) of the line starting at byte ``at``: counted only for a message,
    so the store keeps no count of the lines it passed."""
    try:
        with open(path, "rb") as f:
            return 1 + f.read(at).count(b"\n")
    except OSError:
        return 0


def entry_problem(entry: Any) -> str | None:
    """What is wrong with a parsed journal line, or None."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    if type(entry.get("gen")) is not int:
        return "'gen' is missing or not a whole number"
    if "at" in entry and not isinstance(entry["at"], str):
        return "'at' is not text"
    items = entry.get("items")
    if not isinstance(items, list):
        return "'items' is missing or not a list"
    for n, item in enumerate(items):
        problems = item_problems(item, n, None)
        if problems:
            return problems[0]
    return None


def library_on_disk(queue_path: Path, journal_path: Path) -> str | None:
    """The library a damaged queue was for, read leniently: named near the top of the
    queue file, or else the folder holding an item the journal recorded."""
    for path, pattern, folder in (
        (queue_path, _LIBRARY_LINE, False),
        (journal_path, _PATH_FIELD, True),
    ):
        try:
            with open(path, "rb") as f:
                head = f.read(65536).decode("utf-8", errors="replace")
            match = pattern.search(head)
            if match:
                found = json.loads(match.group(1))
                return os.path.dirname(found) if folder else found
        except (OSError, ValueError):
            continue
    return None


def generation_of(text: str | bytes, field: str) -> int | None:
    """The generation a queue file (``field`` "generation") or a journal line ("gen")
    holds, read leniently: None for anything that is not one."""
    try:
        data = loads(text)
    except NotJSON:
        return None
    value = data.get(field, 1) if isinstance(data, dict) else None
    return value if type(value) is int else None
