"""Reading one file: its tags and stream properties, and the parse kept for a write.

Every field of the tag table is read the one way (``values_of``: a container's style asked
for the fields chosen); a scan chooses the fields it checks (``read``), a change the fields
it names (``read_fields``), a conversion every value of the fields it carries
(``all_values``). Every parse goes through ``load`` (the parser the extension promises,
else mutagen's sniffing) inside ``translated``, the one place where mutagen's and the OS's
exceptions become AudioError.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.wave import WAVE

from mediakeeper.core.errors import AudioError
from mediakeeper.fs.checks import cannot_read, open_regular
from mediakeeper.tags.formats import BY_EXTENSION, KINDS, MP4_NAMES, NotMusic
from mediakeeper.tags.styles import AS_STORED, ID3_STYLE
from mediakeeper.tags.table import FIELD_OF, LOGICAL_TAGS, LOUDNESS, Field

# Every extension of a format mutagen reads, set from the parsers below (_BY_EXTENSION).
# An .mp4 is music when it holds no picture track (formats.load_mp4_audio); else a video.
AUDIO_EXTENSIONS: frozenset[str]


@dataclass(frozen=True)
class AudioInfo:
    """What one file says about itself. ``tags``: each field a scan reads (``LOGICAL_TAGS``)
    -> its first stored value, as text (``table.typed`` gives the typed values)."""

    format: str  # "mp3", "flac", "m4a", "ogg", "opus", "wav", ...: see formats.KINDS
    tags: dict[str, str]
    duration: float
    bitrate: int  # bits per second, 0 when unknown
    lossless: bool
    # "ID3v2.4" | "ID3v2.3" | "ID3v2.2" | "ID3v1" | "vorbis" | "mp4" | "apev2" | "asf" | "none"
    tag_version: str
    has_picture: bool
    parsed: Parsed | None = field(default=None, compare=False, repr=False)  # read(keep=True)


@dataclass(frozen=True, eq=False)
class Parsed:
    """A file as mutagen parsed it, and the file's signature at that moment. ``write`` saves
    it instead of parsing the file again (a third of a write's cost) while the file still has
    that signature. ``picture_bytes``: embedded art, most of what keeping it costs."""

    audio: Any
    signature: tuple[int, ...]
    picture_bytes: int


def stat_signature(st: os.stat_result) -> tuple[int, ...]:
    """What tells a file changed since it was parsed (a write checks it before saving)."""
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


# What mutagen raises on damaged files besides its own errors.
# A parser fed damaged files can fail in any way (mutagen recurses on nested MP4 boxes until
# RecursionError, divides by a zero sample rate, ...): every such failure is the file's.
_FOREIGN = (Exception,)


class translated:  # named as what it is used for: ``with translated(path):``
    """The one place where mutagen's and the OS's exceptions become AudioError. A class, not
    a generator: a scan enters one for every file, and a generator's context costs more."""

    __slots__ = ("path",)

    def __init__(self, path: Path | str):
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, traceback) -> bool:
        if exc is None or isinstance(exc, AudioError) or not isinstance(exc, _FOREIGN):
            return False  # nothing wrong, already worded, or not the file's (Ctrl+C)
        if isinstance(exc, NotMusic):  # not damaged: a format of its own
            raise AudioError(str(self.path), str(exc), "unsupported-format") from exc
        reason = str(exc).strip() or "damaged or truncated file"
        if isinstance(exc, RecursionError):
            reason = "damaged file (its structure nests without end)"
        if isinstance(exc, OSError) and exc.strerror:
            reason = exc.strerror
        with contextlib.suppress(OSError):
            if os.stat(self.path).st_size == 0:
                reason = "empty file"
        raise AudioError(str(self.path), reason) from exc


# The frames of a v2.3 tag that mutagen's translation to ID3v2.4 (``update_to_v24``) turns
# into v2.4 ones (TYER and its kin into TDRC, TORY into TDOR, IPLS into TIPL) or deletes (RVAD,
# TSIZ, ...). Some taggers leave them in a v2.4 tag too.
_V23_FRAMES = frozenset(
    {"TYER", "TDAT", "TIME", "TORY", "IPLS", "RVAD", "EQUA", "TRDA", "TSIZ"}
)

def _changed_by_translation(tags) -> bool:
    """Whether mutagen's translation to ID3v2.4 would change a v2.4 tag: a frame of v2.3
    in it, a genre stored as an ID3v1 number ("(17)", "17", "(17)Rock"), a picture whose
    type is "JPG" or "PNG", or such a frame in a chapter. A tag with none of them comes out
    of the translation as it went in."""
    for key, frame in tags.items():
        frame_id = key[:4]
        if frame_id in _V23_FRAMES:
            return True
        if frame_id == "TCON" and [str(text) for text in frame.text] != frame.genres:
            return True
        if frame_id == "APIC" and frame.mime in ("JPG", "PNG"):
            return True
        if frame_id in ("CHAP", "CTOC") and _changed_by_translation(frame.sub_frames):
            return True
    return False


def _load_id3(kind: type) -> Callable[[Path | str | io.IOBase], Any]:
    """The parser of a format that keeps ID3 (``kind``: MP3, WAVE, AIFF, ...): its tag parsed
    as stored, and translated to v2.4 for the read only where that changes it (an older
    version, or a v2.4 tag holding what ``_changed_by_translation`` names). Only a parse left
    as stored is marked ``AS_STORED``: a write saves it, where a translated one would write
    the translation back (a genre spelled out, v2.3 frames deleted) over frames it never
    named."""

    def parse(source: Path | str | io.IOBase):
        audio = kind(source, translate=False)
        tags = audio.tags
        if tags is not None and (tags.version < (2, 4, 0) or _changed_by_translation(tags)):
            tags.update_to_v24()
        else:
            setattr(audio, AS_STORED, True)
        return audio

    return parse


# How to parse the format a file's extension promises. Trying it first skips mutagen.File's
# sniffing of every format; a file whose name lies (an .ogg holding Opus, an .m4a that is an
# MP3) falls back to the sniffing.
_BY_EXTENSION: dict[str, Callable[[Path | str | io.IOBase], Any]] = {
    ".mp3": _load_id3(MP3),
    ".mp2": _load_id3(MP3),  # MPEG layer II: mutagen's MP3 reads it
    **{
        suffix: _load_id3(parse) if KINDS.get(parse, (None, None))[1] is ID3_STYLE else parse
        for suffix, parse in BY_EXTENSION.items()
    },
}

AUDIO_EXTENSIONS = frozenset(_BY_EXTENSION)


class _Unnamed:
    """An open file that tells mutagen no name to sniff its format by."""

    name = ""

    def __init__(self, source: io.IOBase):
        self._source = source

    def __getattr__(self, attribute: str):
        return getattr(self._source, attribute)


def load(source: Path | str | io.IOBase, suffix: str):
    """Parse a file (a path or an open file object) whose name ends in ``suffix``; an MP4's
    genre as players read it (``mp4_genre``)."""
    audio = _parsed(source, suffix)
    # Two genres or more: one may be the old gnre atom's, merged by mutagen. (Looked at, and
    # its module loaded, only then: a genre of one value is the file's either way.)
    tags = audio.tags if isinstance(audio, MP4) else None
    if tags is not None and len(tags.get(FIELD_OF["genre"].mp4, ())) > 1:
        from mediakeeper.tags import mp4_genre

        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as opened:
                mp4_genre.settle(audio, opened)
        else:
            mp4_genre.settle(audio, source)
    return audio


def _parsed(source: Path | str | io.IOBase, suffix: str):
    parse = _BY_EXTENSION.get(suffix.lower())
    named_error = None
    if parse is not None:
        try:
            return parse(source)
        except mutagen.MutagenError as err:  # not what its name says: let mutagen sniff it
            named_error = err
            if isinstance(source, io.IOBase):
                source.seek(0)  # from the start, like the parse that failed
                # by its bytes alone: mutagen's sniff weighs the name too, which chose the
                # format that just failed (an MP3 named .flac was "not a valid FLAC file")
                source = _Unnamed(source)
    audio = mutagen.File(source, options=list(KINDS))
    if audio is None:  # no format claimed the file; translated words the reason
        # Of a file no format claims, why it is not what its name says ("not a valid FLAC
        # file") tells more than that nothing else claims it either.
        raise named_error or mutagen.MutagenError("not a supported audio file")
    return audio


def read(path: Path | str, *, keep: bool = False, st: os.stat_result | None = None) -> AudioInfo:
    """Read one file's tags and stream properties; AudioError if it cannot be parsed.
    ``keep``: the result carries the parse (``parsed``), for a ``write`` that follows; ``st``:
    the file's stat, when the caller took it just before (a scan has it from its listing)."""
    path = os.fspath(path)
    with translated(path), _source(path) as source:
        if keep:  # taken before the parse: a change after it shows
            signature = stat_signature(st if st is not None else os.fstat(source.fileno()))
        suffix = os.path.splitext(path)[1]
        audio = load(source, suffix)
        fmt, style = KINDS[type(audio)]
        if type(audio) is MP4:
            fmt = MP4_NAMES.get(suffix.lower(), fmt)
        view = style.view(audio.tags) if audio.tags is not None else {}
        info = audio.info
        pictured = style.has_picture(audio, view)
        return AudioInfo(
            format=fmt,
            tags=with_info(values_of(style, view, SCANNED), audio, source, SCANNED),
            duration=float(info.length or 0.0),
            bitrate=int(getattr(info, "bitrate", 0) or 0),
            lossless=style.lossless(audio),
            tag_version=style.tag_version(audio),
            has_picture=pictured,
            parsed=(
                Parsed(audio, signature, style.picture_bytes(audio, view) if pictured else 0)
                if keep
                else None
            ),
        )


def _source(path: str) -> io.BufferedReader:
    """The file opened for a read: a regular file only (a FIFO put in a track's place would
    block the read); AudioError if it cannot be."""
    try:
        fd = open_regular(path)
    except OSError as err:
        raise AudioError(path, cannot_read(err)) from None
    raw = io.FileIO(fd, "rb")
    raw.name = path  # mutagen sniffs a format by its name too
    return io.BufferedReader(raw)


class Chosen:
    """Fields a read takes: those of one value, and the numbers with their totals (a style
    reads each pair at once)."""

    __slots__ = ("numbered", "singles")

    def __init__(self, fields: Iterable[Field]):
        fields = tuple(dict.fromkeys(fields))  # each once
        self.singles = tuple(field for field in fields if field.total is None)
        self.numbered = tuple(field for field in fields if field.total is not None)


def chosen(names: Iterable[str]) -> Chosen:
    """The fields ``names`` name (tracktotal names the tracknumber field)."""
    return Chosen(FIELD_OF[name] for name in names)


SCANNED = chosen(LOGICAL_TAGS)  # what every scan reads


def values_of(style, view, fields: Chosen) -> dict[str, str]:
    """Name -> first stored value of each of ``fields`` a style's view of a file's tags holds
    (a number and its total under their own names): the one read of every field. (Each
    style's ``firsts`` loops over the fields itself, rather than a ``get`` call per field,
    most of them absent.)"""
    if not view:
        return {}
    found = style.firsts(view, fields.singles)
    for numbered in fields.numbered:
        value, of = style.get_pair(view, numbered)
        if value:
            found[numbered.name] = value
        if of:
            found[numbered.total.name] = of
    return found


def with_info(found: dict[str, str], audio, source: io.IOBase, fields: Chosen
              ) -> dict[str, str]:  # fmt: skip
    """``found`` (what a WAV's ID3 chunk holds of ``fields``) with what its LIST/INFO chunk
    holds of the others (``riff_info``): the ID3 chunk wins where both say, a track number
    and its total as one. Any other format's values as they are."""
    if type(audio) is not WAVE:
        return found
    names = {f.name for f in fields.singles}
    for numbered in fields.numbered:
        if numbered.name not in found and numbered.total.name not in found:
            names.update((numbered.name, numbered.total.name))
    from mediakeeper.tags import riff_info  # (a WAV's only)

    info = riff_info.info_tags(source)
    return {**{name: value for name, value in info.items() if name in names}, **found}


def read_fields(path: Path | str, names: Iterable[str]) -> dict[str, str]:
    """The first stored value of each field ``names`` names that ``path`` holds (composer,
    ISRC, a loudness tag, ...); AudioError if unreadable."""
    path = os.fspath(path)
    with translated(path), _source(path) as source:
        audio = load(source, os.path.splitext(path)[1])
        style = KINDS[type(audio)][1]
        view = style.view(audio.tags) if audio.tags is not None else {}
        fields = chosen(names)
        return with_info(values_of(style, view, fields), audio, source, fields)


def loudness(path: Path | str) -> dict[str, str]:
    """The loudness tags (``table.LOUDNESS``) ``path`` holds; AudioError if unreadable."""
    return read_fields(path, LOUDNESS)


def all_values(audio, names: Iterable[str]) -> dict[str, list[str]]:
    """Every stored value of each field ``names`` names (fields without a total) that a file
    mutagen parsed holds: what a conversion carries (two composers stay two)."""
    style = KINDS.get(type(audio), (None, None))[1]
    if style is None or audio.tags is None:
        return {}
    view = style.view(audio.tags)
    return {name: found for name in names if (found := style.texts(view, FIELD_OF[name]))}
