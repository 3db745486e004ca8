"""The bytes each journaled write replaced, kept beside the change journal so an undo gives a
file back byte for byte, not only its values.

A tag library that saves a value back does not write the bytes the file had: it orders the
frames its own way, re-encodes them, pads them as it likes. So each write of a session that
kept the file's size (the change fitted the tag's padding: nearly all), or that changed an
MP3's tag version (its head and tail kept whole, ``mediakeeper.tags.regions``) or an MP4's
size (its movie atom kept whole, where it is last), appends one
line to ``changes/originals/<session>.jsonl``: the file, its size and the spans it replaced,
with the SHA-256 of what it wrote there (and its length, where not the span's). An undo of
that session puts the spans back where the file still holds exactly those bytes; anywhere
else (changed since, or another write that moved the audio) it puts the values back.

The lines are appended after the write, each with a CRC-32: one a crash kept from the disk,
or one damaged, only means that file's undo goes by its values.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from pathlib import Path

from mediakeeper.changes.journal import CHANGES_DIR, checked_line, line_checked
from mediakeeper.core.bounded import TooLarge, read_bounded
from mediakeeper.fs.atomic import append_lines, encode_text
from mediakeeper.fs.recorded import Span
from mediakeeper.tags.writing import BytesBack

FOLDER = "originals"  # in the change journals' folder: not a journal of its own
MAX_BYTES = 256 << 20  # a session's originals read back, at most


def folder_of(status_kind_dir: Path) -> Path:
    return status_kind_dir / CHANGES_DIR / FOLDER


def record(status_kind_dir: Path, session: str, made: Mapping[Path, list[Span] | None]) -> None:
    """Append what each write replaced (files whose write moved their audio, but for an MP3's
    tag version changed, are left out: their spans are None)."""
    lines = [
        checked_line({"path": str(path), "size": size, "spans": [_span(s) for s in spans]})
        for path, spans in made.items()
        if spans and (size := _size(path)) is not None
    ]
    if not lines:
        return
    folder = folder_of(status_kind_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        append_lines(folder / f"{session}.jsonl", encode_text("".join(lines)), durable=False)
    except OSError:
        pass  # the file is written and journaled: its undo goes by its values


def read(status_kind_dir: Path, session: str) -> dict[str, list[BytesBack]]:
    """Each file's kept writes of ``session``, in the order they were made."""
    path = folder_of(status_kind_dir) / f"{session}.jsonl"
    try:
        data = read_bounded(path, MAX_BYTES, "kept bytes")
    except (OSError, TooLarge):
        return {}
    found: dict[str, list[BytesBack]] = {}
    for raw in data.splitlines():
        entry = line_checked(raw)
        back = _back(entry) if entry is not None else None
        if back is not None:
            found.setdefault(entry["path"], []).append(back)
    return found


def _span(span: Span) -> list:
    kept = [span.offset, base64.b64encode(span.old).decode("ascii"), span.new_sha256]
    return kept if span.new_length is None else [*kept, span.new_length]


def _back(entry: dict) -> BytesBack | None:
    try:
        spans = [_span_of(*fields) for fields in entry["spans"]]
        return BytesBack(int(entry["size"]), spans)
    except (KeyError, TypeError, ValueError, binascii.Error):
        return None


def _span_of(offset, old, sha, new_length=None) -> Span:
    """A span as ``_span`` kept it (a fourth field: the bytes the write left there, where
    not as many as it replaced)."""
    length = None if new_length is None else int(new_length)
    if length is not None and length < 0:
        raise ValueError("a negative length")
    return Span(int(offset), base64.b64decode(old, validate=True), str(sha), length)


def _size(path: Path) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None
