"""Writing tags into files: each file's change made by its style on the file's bytes (the one
write of every field, ``set_values``), the file replaced crash-safely by
``mediakeeper.fs.safewrite`` (which knows nothing of tags).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, NamedTuple, TypeVar

from mediakeeper.core import writemode
from mediakeeper.core.errors import AudioError, FileError
from mediakeeper.fs import safewrite
from mediakeeper.fs.patchfile import PatchFile
from mediakeeper.fs.recorded import Recorded, Span
from mediakeeper.tags.cover import COVER, as_value, embedded_cover, set_cover
from mediakeeper.tags.formats import KINDS, STYLE_OF_FORMAT
from mediakeeper.tags.reading import (
    Parsed,
    chosen,
    load,
    stat_signature,
    translated,
    values_of,
    with_info,
)
from mediakeeper.tags.table import FIELD_OF, TABLE, WRITABLE
from mediakeeper.text import wording


def version_after_write(fmt: str, version: str) -> str:
    """The tag version a file of ``fmt`` has once :func:`write` saved it: MP3 keeps ID3v2.3
    and gets ID3v2.4 otherwise (so an ID3v1-only or v2.2 file is upgraded by any write)."""
    return STYLE_OF_FORMAT[fmt].saved_version(version)


class FileWrite(NamedTuple):
    """One file for ``write_many``: the values to set; the scan's kept parse, if any; what
    the named tags held when they were read (None: not checked); the library it is in (a
    symlinked file is written through its target only inside it). A file whose kept parse
    no longer matches it, or that has none, is parsed again and refused if one of those tags
    changed since: a fix never overwrites someone else's edit. ``size``: the size to give
    the file back through its padding (an undo: the size it had before the change undone),
    where the padding can make it so (``_room``).

    ``back``: an undo's, the bytes to put back instead of saving ``values``, newest first
    (see :class:`BytesBack`). ``made``: given, what the write replaced is put in it under the
    file's path (``Recorded.spans``), so that an undo can put those bytes back."""

    path: Path
    values: Mapping[str, str | None]
    parsed: Parsed | None = None
    expect: Mapping[str, str | None] | None = None
    root: Path | None = None
    size: int | None = None
    back: Sequence[BytesBack] | None = None
    made: dict[Path, list[Span] | None] | None = None


class BytesBack(NamedTuple):
    """The bytes an earlier write replaced, to be put back where the file still holds what
    that write left: ``size`` bytes long, each span's bytes those it wrote."""

    size: int
    spans: Sequence[Span]


def write(path: Path | str, values: Mapping[str, str | None], *, parsed: Parsed | None = None):
    """Set each named logical tag (None deletes it) and leave every other tag alone.

    The file is replaced crash-safely (``mediakeeper.fs.safewrite``): a crash at any instant
    leaves the old file or the new one, never a mix. MP3 files keep ID3v2.3 when they have
    it; all others (untagged, ID3v1, v2.2) get v2.4. ``parsed`` (from ``read(keep=True)``)
    is saved instead of parsing the file again if the file has not changed since.
    AudioError if the file cannot be written.
    """
    path = Path(path)
    failed = write_many([FileWrite(path, values, parsed)])
    if path in failed:
        raise failed[path]


def write_many(
    writes: Iterable[FileWrite],
    *,
    flush_first: Sequence[Path] = (),
    owner: str = "",
    sweep: bool = True,
    policy: writemode.WritePolicy | None = None,
    rewritten: set[Path] | None = None,
) -> dict[Path, AudioError]:
    """``write`` for several files, in groups (``safewrite.replace_many``, which says what
    ``flush_first``, ``owner``, ``sweep``, ``policy`` and ``rewritten`` do).
    Returns the files that could not be written, with the reason; every other one is written."""
    # A str path too: the results are keyed by Path (made once here, not again below).
    todo = [w if isinstance(w.path, Path) else w._replace(path=Path(w.path)) for w in writes]
    if len({w.path for w in todo}) < len(todo):  # two copies of one file: one lost
        raise ValueError("write_many takes each file once; merge its values")
    for w in todo:
        unknown = set(w.values) - WRITABLE
        if unknown:
            raise ValueError(f"unknown logical tags: {sorted(unknown)}")
    failed = safewrite.replace_many(
        (_replacement(w) for w in todo if w.values),
        flush_first=flush_first,
        owner=owner,
        sweep=sweep,
        policy=policy,
        rewritten=rewritten,
    )
    return {path: _audio_error(err) for path, err in failed.items()}


def _audio_error(err: FileError) -> AudioError:
    """A file left alone, as the AudioError a tag write raises."""
    if isinstance(err, AudioError):
        return err
    audio = AudioError(err.path, err.reason)
    audio.code, audio.touched = err.code, err.touched
    return audio


def _replacement(w: FileWrite) -> safewrite.Replacement:
    def change(work: BinaryIO, st: os.stat_result) -> None:
        with translated(w.path):
            _save_changed(w, work, st)

    size = w.parsed.signature[1] if w.parsed is not None else None
    return safewrite.Replacement(w.path, change, size, w.root)


def _save_changed(w: FileWrite, work: BinaryIO, st: os.stat_result) -> None:
    """Make the change in ``work`` (the file's bytes): the bytes given back, or the values
    saved; what it replaced kept in ``w.made`` when asked."""
    # A patch (in place) knows what it changed; a copy is watched as the save writes it.
    patch = isinstance(work, PatchFile)
    kept = Recorded(work, st.st_size) if w.made is not None and not patch else work
    # A write that may change an MP3's tag version moves its audio: its ends are kept whole
    # (not from a patch: one whose size changes is swapped, and that write keeps them).
    ends = None
    if w.made is not None and not patch:
        # Loaded here, as fs.splice below: every batch's start and dry run loads this module,
        # and only a copied write or an undo uses them.
        from mediakeeper.tags import regions

        resizes = w.back is not None and any(s.written != len(s.old) for b in w.back
                                             for s in b.spans)  # fmt: skip
        ends = regions.before(w.path.suffix, kept, st.st_size, always=resizes)
    if w.back is not None:
        _put_back(w.path, w.back, kept, st.st_size)
    else:
        _save_values(w, kept, st)
    if w.made is not None:
        spans = _patched(work, st.st_size) if patch else kept.spans()
        w.made[w.path] = ends.replaced(kept) if spans is None and ends is not None else spans


def _patched(patch: PatchFile, size: int) -> list[Span] | None:
    """What a patch replaced, as a recorder says it (None: it changed the file's size)."""
    if patch.size != size:
        return None
    return [Span(at, old, hashlib.sha256(new).hexdigest()) for at, old, new in patch.changes()]


def holds(path: Path, back: Sequence[BytesBack]) -> bool:
    """Whether ``back`` can be put back in the file: it holds what each write left."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        with open(fd, "rb", buffering=0, closefd=False) as f:
            _check(path, back, f, os.fstat(fd).st_size)
    except (AudioError, OSError):
        return False
    finally:
        os.close(fd)
    return True


def _put_back(path: Path, back: Sequence[BytesBack], work: BinaryIO, size: int) -> None:
    """The old bytes written over what each earlier write left, newest first; refused if the
    file holds anything else (changed since: its values are then undone one by one)."""
    from mediakeeper.fs.splice import splice

    _check(path, back, work, size)
    for write in back:
        for span in _from_the_end(write.spans):
            size = splice(work, span.offset, span.written, span.old, size)


def _check(path: Path, back: Sequence[BytesBack], work: BinaryIO, size: int) -> None:
    """AudioError (``CHANGED``) unless the file holds what each write of ``back`` left, as
    the newer ones' put-backs would leave it: checked whole before anything is written."""
    from mediakeeper.fs.splice import Spliced

    view = Spliced(work, size)
    for write in back:
        ok = view.size == write.size and all(
            hashlib.sha256(view.read(span.offset, span.written)).hexdigest() == span.new_sha256
            for span in write.spans
        )
        if not ok:
            why = "changed since the undo read it: left alone"
            raise AudioError(str(path), why, safewrite.CHANGED)
        for span in _from_the_end(write.spans):
            view.splice(span.offset, span.written, span.old)


def _from_the_end(spans: Sequence[Span]) -> list[Span]:
    """A write's spans, the last first: one put back with another length moves only the
    bytes after it, never where an earlier span is."""
    return sorted(spans, key=lambda span: span.offset, reverse=True)


def _save_values(w: FileWrite, work: BinaryIO, st: os.stat_result) -> None:
    """Save the new values into ``work``, from the kept parse if the file is as it was when
    parsed; else parsed again, refused if a tag changed since."""
    work.seek(0)
    if w.parsed is not None and w.parsed.signature == stat_signature(st):
        audio = w.parsed.audio
    else:
        audio = _parsed_again(w, work)
        _refuse_if_changed(w.path, audio, w.expect, work)
    style = KINDS[type(audio)][1]
    audio = style.writable(audio, work)
    set_values(audio, w.values)
    now = st.st_size
    for _ in range(3):
        work.seek(0)  # mutagen saves from where the file object stands
        style.save(audio, work, padding=lambda info, now=now: _room(info, w.size, now))
        if w.size is None:
            return
        # A container's alignment (RIFF's even chunks, Ogg's lacing) may miss the size by a
        # few bytes: saved again from what the save left, until it is met or comes no nearer.
        size = work.seek(0, os.SEEK_END)
        if size in (w.size, now):
            return
        now = size
        work.seek(0)
        audio = style.writable(load(work, w.path.suffix), work)


def _parsed_again(w: FileWrite, work: BinaryIO):
    """The file parsed again. One the scan parsed that no longer parses has changed since,
    and may be changing now (a tagger's save truncates a file, then writes it again): left
    alone as changed (``CHANGED``, run again later), not as damaged."""
    try:
        return load(work, w.path.suffix)
    except Exception as err:
        if w.parsed is None:
            raise  # nothing to compare with: the file is as damaged as it reads
        why = "changed by another program since it was read, and unreadable as it is now"
        raise AudioError(str(w.path), f"{why}: left alone", safewrite.CHANGED) from err


def _room(info, goal: int | None = None, now: int = 0) -> int:
    """The padding a save leaves (mutagen's ``PaddingInfo``): the tag's as it is wherever
    the change fits, so the file keeps its layout and is written in place; where it does
    not, mutagen's default (1 KiB and 0.1% of the audio), so the next fix fits.

    With a ``goal`` size (the file is ``now`` bytes), the padding that gives the file that
    size (none where even none leaves it larger: another program grew it since), unless that
    is more than either rule gives (a file shrunk since is not padded out): an undo of a fix
    that outgrew the padding takes back the room that fix added, so the file is its old
    bytes again."""
    room = info.padding if info.padding >= 0 else info.get_default_padding()
    if goal is None:
        return room
    sized = info.padding + goal - now
    return max(0, sized) if sized <= max(room, info.get_default_padding()) else room


def _refuse_if_changed(path: Path, audio, expect: Mapping[str, str | None] | None,
                       work: BinaryIO) -> None:  # fmt: skip
    """AudioError if a tag no longer holds the value it had when it was read (as a read
    reads it: a WAV's INFO chunk too)."""
    if not expect:
        return
    style = KINDS[type(audio)][1]
    view = style.view(audio.tags) if audio.tags is not None else {}
    fields = chosen(tag for tag in expect if tag != COVER)
    now = with_info(values_of(style, view, fields), audio, work, fields)
    if COVER in expect:
        now[COVER] = as_value(embedded_cover(audio))
    for tag, value in expect.items():
        if now.get(tag) != value:
            why = f"{tag} changed since it was read (now {wording.value(now.get(tag))})"
            raise AudioError(str(path), why)


# The numbers with their totals, in the table's order, with their names: each written as one
# value.
_NUMBERED = tuple((field, *field.names) for field in TABLE.values() if field.total is not None)


def set_values(audio, values: Mapping[str, str | Sequence[str] | None]) -> None:
    """Set each named field in a file mutagen parsed (saved by the caller): its first value,
    or its first values (a list; the field's later stored values kept); None or empty removes
    it. A number and its total are one value: a change to either keeps the other. The one
    write of every field: fixes, ``decide --set``, undo and a conversion's carried fields."""
    style = KINDS[type(audio)][1]
    if audio.tags is None:
        audio.add_tags()
    for name, value in values.items():
        if name == COVER:
            set_cover(audio, value)
        elif (field := FIELD_OF[name]).total is None:
            style.set(audio.tags, field, value or None)
    for field, number, total in _NUMBERED:
        if number in values or total in values:
            old = style.get_pair(audio.tags, field)
            new = (values.get(number, old[0]) or None, values.get(total, old[1]) or None)
            style.set_pair(audio.tags, field, new)


Value = TypeVar("Value", str, list[str])


def storable(values: Mapping[str, Value], target: Path) -> dict[str, Value]:
    """The values a file named ``target`` can hold (each value of a list on its own:
    ``refused_by``)."""
    kept: dict[str, Value] = {}
    for name, value in values.items():
        if isinstance(value, str):
            if not refused_by(target, name, value):
                kept[name] = value
        elif fitting := [v for v in value if not refused_by(target, name, v)]:
            kept[name] = fitting
    return kept


def refused_by(target: Path, name: str, value: str) -> str:
    """Why a file named ``target`` cannot hold ``value`` as the field ``name`` ("": it can),
    in the words its write would refuse it with: MP4 keeps track and disc numbers, BPM and
    the compilation flag as integers, and a write of other text there is refused. Every
    other container holds any text."""
    refuses = getattr(STYLE_OF_FORMAT.get(target.suffix.lower().lstrip(".")), "refuses", None)
    return refuses(FIELD_OF[name], value) if refuses is not None else ""
