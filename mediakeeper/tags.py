"""One table maps each logical tag to its key in every format; read and write go through it.

Like beets' mediafile, the table is the spec: ``TABLE["albumartist"]`` names the ID3 frame,
the Vorbis comment keys and the MP4 atom. A style per tag container (ID3, Vorbis comments,
MP4 atoms) knows how to get and set one key; the style is picked by a dict keyed by the
mutagen class, so adding a format is one entry there plus its fixtures.

MusicBrainz keys follow MusicBrainz Picard's tag mapping, so files tagged by Picard read as
tagged here and the other way round.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import mutagen
from mutagen.flac import FLAC
from mutagen.id3 import TDAT, TIME, TXXX, TYER, UFID, Encoding, Frames, ID3TimeStamp
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, AtomDataType, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

from mediakeeper import safewrite, wording
from mediakeeper.errors import AudioError, FileError
from mediakeeper.filechecks import cannot_read, open_regular
from mediakeeper.music.model import LOGICAL_TAGS

# .mp4 is left out on purpose: in a music folder it is usually a video.
# Set from the parsers per extension below (_BY_EXTENSION).
AUDIO_EXTENSIONS: frozenset[str]


@dataclass(frozen=True)
class Key:
    """Where one logical tag lives. Vorbis lists aliases after the key that is written."""

    id3: str
    vorbis: tuple[str, ...]
    mp4: str


_ITUNES = "----:com.apple.iTunes:"

TABLE: dict[str, Key] = {
    "title": Key("TIT2", ("TITLE",), "\xa9nam"),
    "artist": Key("TPE1", ("ARTIST",), "\xa9ART"),
    "albumartist": Key("TPE2", ("ALBUMARTIST", "ALBUM ARTIST"), "aART"),
    "album": Key("TALB", ("ALBUM",), "\xa9alb"),
    # Number and total share one ID3 frame ("3/12") and one MP4 atom ((3, 12)); see PAIRS.
    "tracknumber": Key("TRCK", ("TRACKNUMBER",), "trkn"),
    "tracktotal": Key("TRCK", ("TRACKTOTAL", "TOTALTRACKS"), "trkn"),
    "discnumber": Key("TPOS", ("DISCNUMBER",), "disk"),
    "disctotal": Key("TPOS", ("DISCTOTAL", "TOTALDISCS"), "disk"),
    # mutagen reads ID3v2.3 TYER/TDAT as TDRC and writes TDRC back as TYER/TDAT for v2.3.
    "date": Key("TDRC", ("DATE",), "\xa9day"),
    "genre": Key("TCON", ("GENRE",), "\xa9gen"),
    "musicbrainz_artistid": Key(
        "TXXX:MusicBrainz Artist Id", ("MUSICBRAINZ_ARTISTID",), _ITUNES + "MusicBrainz Artist Id"
    ),
    "musicbrainz_albumartistid": Key(
        "TXXX:MusicBrainz Album Artist Id",
        ("MUSICBRAINZ_ALBUMARTISTID",),
        _ITUNES + "MusicBrainz Album Artist Id",
    ),
    "musicbrainz_albumid": Key(
        "TXXX:MusicBrainz Album Id", ("MUSICBRAINZ_ALBUMID",), _ITUNES + "MusicBrainz Album Id"
    ),
    "musicbrainz_releasegroupid": Key(
        "TXXX:MusicBrainz Release Group Id",
        ("MUSICBRAINZ_RELEASEGROUPID",),
        _ITUNES + "MusicBrainz Release Group Id",
    ),
    # Picard stores the recording id in UFID, not TXXX.
    "musicbrainz_trackid": Key(
        "UFID:http://musicbrainz.org", ("MUSICBRAINZ_TRACKID",), _ITUNES + "MusicBrainz Track Id"
    ),
}

# (number, total) tags read and written together.
PAIRS: tuple[tuple[str, str], ...] = (("tracknumber", "tracktotal"), ("discnumber", "disctotal"))
_PAIRED = frozenset(name for pair in PAIRS for name in pair)
_SINGLES = tuple((name, key) for name, key in TABLE.items() if name not in _PAIRED)
# The same, with the ID3 or MP4 key at hand (``_present_firsts`` runs over them per file).
_ID3_SINGLES = tuple((name, key.id3, key) for name, key in _SINGLES)
_MP4_SINGLES = tuple((name, key.mp4, key) for name, key in _SINGLES)
_PAIR_KEYS = tuple((number, total, TABLE[number], TABLE[total]) for number, total in PAIRS)
assert set(TABLE) == set(LOGICAL_TAGS)


@dataclass(frozen=True)
class AudioInfo:
    """What one file says about itself. ``tags``: logical tag -> first stored value."""

    format: str  # "mp3" | "flac" | "m4a" | "ogg" | "opus"
    tags: dict[str, str]
    duration: float
    bitrate: int  # bits per second, 0 when unknown
    lossless: bool
    tag_version: str  # "ID3v2.4" | "ID3v2.3" | "ID3v2.2" | "ID3v1" | "vorbis" | "mp4" | "none"
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


def _signature(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _first(values: Iterable[object] | None) -> str | None:
    """The first non-empty value of a stored list; an empty string counts as missing."""
    for value in values or ():
        text = value if isinstance(value, str) else str(value)
        if text:
            return text
    return None


def _present_firsts(style, view, singles) -> dict[str, str]:
    """The single tags of a format with one key per tag (ID3, MP4): ``get`` asked only for
    the keys the file has."""
    found: dict[str, str] = {}
    for name, stored, key in singles:
        if stored in view and (value := style.get(view, key)):
            found[name] = value
    return found


def _others(values) -> list:
    """A tag's values after its first: the toolkit reads and changes the first value only,
    and a second artist or genre stays as it was (also through an undo)."""
    return list(values)[1:]


def _split(text: str | None) -> tuple[str | None, str | None]:
    number, _, total = (text or "").partition("/")
    return number or None, total or None


def _join(number: str | None, total: str | None) -> str | None:
    if total:
        return f"{number or ''}/{total}"
    return number or None


_ID3_VERSIONS = {(1, 1): "ID3v1", (2, 2, 0): "ID3v2.2", (2, 3, 0): "ID3v2.3", (2, 4, 0): "ID3v2.4"}


def _snapshot(tags) -> dict[str, Any]:
    """A mutagen tag container (ID3, MP4) as a plain dict: a read asks it for some fifteen
    keys, most of them absent, and each miss there raises and catches a KeyError."""
    return {key: tags[key] for key in tags.keys()}  # noqa: SIM118 (it is not a dict)


def _is_v23(tags) -> bool:
    return tags is not None and tuple(tags.version[:2]) == (2, 3)


def _set_v23_date(tags, value: str | None) -> None:
    """A date in an ID3v2.3 tag: a year in TYER, a day in TDAT, a time in TIME."""
    for frame in ("TDRC", "TYER", "TDAT", "TIME"):
        tags.delall(frame)
    if not value:
        return
    when = ID3TimeStamp(value)
    if when.year:
        tags.add(TYER(encoding=Encoding.LATIN1, text=f"{when.year:04d}"))
    if when.month and when.day:
        tags.add(TDAT(encoding=Encoding.LATIN1, text=f"{when.day:02d}{when.month:02d}"))
    if when.hour is not None and when.minute is not None:
        tags.add(TIME(encoding=Encoding.LATIN1, text=f"{when.hour:02d}{when.minute:02d}"))


class _ID3Style:
    view = staticmethod(_snapshot)

    def tag_version(self, audio) -> str:
        version = None if audio.tags is None else tuple(audio.tags.version)
        return _ID3_VERSIONS.get(version, "none")

    def get(self, tags, key: Key) -> str | None:
        frame = tags.get(key.id3)
        if frame is None:
            return None
        if key.id3.startswith("UFID:"):
            return frame.data.decode("utf-8", "replace") or None
        # TCON may hold ID3v1 genre numbers such as "(13)"; genres spells them out.
        return _first(frame.genres if key.id3 == "TCON" else frame.text)

    def get_pair(self, tags, number: Key, total: Key) -> tuple[str | None, str | None]:
        return _split(self.get(tags, number))

    def firsts(self, view) -> dict[str, str]:
        return _present_firsts(self, view, _ID3_SINGLES)

    def writable(self, audio, work: BinaryIO):
        """What a change is made in: the parse, or for ID3v2.3 the file parsed again as it is
        on disk. Every read sees an MP3 through mutagen's translation to v2.4, and saving that
        back as v2.3 would drop the frames v2.3 lacks (the sort orders Picard writes) and a
        time of day, and join a frame's values with "/"."""
        if not _is_v23(audio.tags):
            return audio
        work.seek(0)
        return MP3(work, translate=False)

    def set(self, tags, key: Key, value: str | None) -> None:
        if key.id3 == "TDRC" and _is_v23(tags):  # v2.3 has no TDRC: its own date frames
            _set_v23_date(tags, value)
        elif value is None:
            tags.delall(key.id3)
        elif key.id3.startswith("UFID:"):
            tags.add(UFID(owner=key.id3[5:], data=value.encode("utf-8")))
        else:
            old = tags.get(key.id3)
            text = [value, *_others(old.text if old is not None else ())]
            if key.id3.startswith("TXXX:"):
                tags.add(TXXX(encoding=Encoding.UTF8, desc=key.id3[5:], text=text))
            else:
                tags.add(Frames[key.id3](encoding=Encoding.UTF8, text=text))

    def set_pair(self, tags, number: Key, total: Key, values: tuple[str | None, str | None]):
        self.set(tags, number, _join(*values))

    def has_picture(self, audio, view) -> bool:
        return any(key.startswith("APIC") for key in view)

    def picture_bytes(self, audio, view) -> int:
        return sum(len(frame.data) for key, frame in view.items() if key.startswith("APIC"))

    def lossless(self, audio) -> bool:
        return False

    def saved_version(self, version: str) -> str:
        # Keep v2.3 files v2.3 (older players); everything else is written as v2.4.
        return "ID3v2.3" if version == "ID3v2.3" else "ID3v2.4"

    def save(self, audio, target: Path) -> None:
        if self.saved_version(self.tag_version(audio)) == "ID3v2.3":
            # Parsed untranslated (see _save_changed): its frames are saved as they are, and
            # a frame with several values keeps them apart, as it was read.
            audio.save(target, v2_version=3, v23_sep=None)
        else:
            audio.save(target, v2_version=4)


class _VorbisStyle:
    def view(self, tags) -> dict[str, list[str]]:
        """The comments as a dict, built in one pass: mutagen looks each key up by walking
        the whole list, and a read asks for some twenty keys."""
        view: dict[str, list[str]] = {}
        for name, value in tags:
            view.setdefault(name.upper(), []).append(value)
        return view

    def tag_version(self, audio) -> str:
        return "none" if audio.tags is None else "vorbis"

    def writable(self, audio, work: BinaryIO):
        return audio

    def get(self, tags, key: Key) -> str | None:
        for name in key.vorbis:
            if name in tags and (value := _first(tags[name])):
                return value
        return None

    def get_pair(self, tags, number: Key, total: Key) -> tuple[str | None, str | None]:
        # Some taggers store "3/12" in TRACKNUMBER; a separate total wins over it.
        num, embedded_total = _split(self.get(tags, number))
        return num, self.get(tags, total) or embedded_total

    def firsts(self, view) -> dict[str, str]:
        # get() for every tag: the view is a plain dict, so checking first which tags the
        # file has (as ID3 and MP4 do) saves nothing. An inline copy of get() saved 10 K
        # instructions a file, not worth a second place deciding which value counts.
        return {name: value for name, key in _SINGLES if (value := self.get(view, key))}

    def set(self, tags, key: Key, value: str | None) -> None:
        primary, *aliases = key.vorbis
        if value is None:
            for name in key.vorbis:
                if name in tags:
                    del tags[name]
            return
        tags[primary] = [value, *_others(tags.get(primary, ()))]
        for name in aliases:  # keep aliases that exist in step, never add new ones
            if name in tags:
                tags[name] = [value, *_others(tags[name])]

    def set_pair(self, tags, number: Key, total: Key, values: tuple[str | None, str | None]):
        # Only a part that changes, kept where the file keeps it ("3/12" in TRACKNUMBER, or a
        # total of its own): a tag the change did not name would outlive its undo.
        (num, of), separate = values, self.get(tags, total)
        embedded = (stored := _split(self.get(tags, number)))[1]
        if of != (separate or embedded):
            if separate or not embedded:
                self.set(tags, total, of)
            embedded = embedded and of
        if (num, embedded) != stored:
            self.set(tags, number, _join(num, embedded))

    def has_picture(self, audio, view) -> bool:
        if getattr(audio, "pictures", None):
            return True
        return "METADATA_BLOCK_PICTURE" in view or "COVERART" in view

    def picture_bytes(self, audio, view) -> int:
        blocks = sum(len(p.data) for p in getattr(audio, "pictures", None) or ())
        encoded = view.get("METADATA_BLOCK_PICTURE", []) + view.get("COVERART", [])
        return blocks + sum(len(value) for value in encoded)

    def lossless(self, audio) -> bool:
        return isinstance(audio, FLAC)

    def saved_version(self, version: str) -> str:
        return "vorbis"

    def save(self, audio, target: Path) -> None:
        audio.save(target)


class _MP4Style:
    view = staticmethod(_snapshot)

    def tag_version(self, audio) -> str:
        return "none" if audio.tags is None else "mp4"

    def writable(self, audio, work: BinaryIO):
        return audio

    def get(self, tags, key: Key) -> str | None:
        values = tags.get(key.mp4)
        if values and isinstance(values[0], bytes):  # freeform atoms hold bytes
            values = [bytes(v).decode("utf-8", "replace") for v in values]
        return _first(values)

    def firsts(self, view) -> dict[str, str]:
        return _present_firsts(self, view, _MP4_SINGLES)

    def get_pair(self, tags, number: Key, total: Key) -> tuple[str | None, str | None]:
        values = tags.get(number.mp4)
        if not values:
            return None, None
        num, tot = (*values[0], 0, 0)[:2]
        return (str(num) if num else None), (str(tot) if tot else None)

    def set(self, tags, key: Key, value: str | None) -> None:
        if value is None:
            tags.pop(key.mp4, None)
        elif key.mp4.startswith("----:"):
            new = MP4FreeForm(value.encode("utf-8"), dataformat=AtomDataType.UTF8)
            tags[key.mp4] = [new, *_others(tags.get(key.mp4, ()))]
        else:
            tags[key.mp4] = [value, *_others(tags.get(key.mp4, ()))]

    def set_pair(self, tags, number: Key, total: Key, values: tuple[str | None, str | None]):
        num, tot = (_whole_number(v) for v in values)
        if num or tot:
            tags[number.mp4] = [(num, tot)]
        else:
            tags.pop(number.mp4, None)

    def has_picture(self, audio, view) -> bool:
        return bool(view.get("covr"))

    def picture_bytes(self, audio, view) -> int:
        return sum(len(c) for c in view.get("covr", ()))

    def lossless(self, audio) -> bool:
        return audio.info.codec == "alac"

    def saved_version(self, version: str) -> str:
        return "mp4"

    def save(self, audio, target: Path) -> None:
        audio.save(target)


def _whole_number(value: str | None) -> int:
    if not value:
        return 0
    if not value.strip().isdigit():
        raise ValueError(f"MP4 stores track and disc numbers as whole numbers, not {value!r}")
    return int(value)


_ID3, _VORBIS, _MP4 = _ID3Style(), _VorbisStyle(), _MP4Style()

# The strategy per mutagen class (exact class, so subclasses must be listed on purpose).
_KINDS: dict[type, tuple[str, _ID3Style | _VorbisStyle | _MP4Style]] = {
    MP3: ("mp3", _ID3),
    FLAC: ("flac", _VORBIS),
    OggVorbis: ("ogg", _VORBIS),
    OggOpus: ("opus", _VORBIS),
    MP4: ("m4a", _MP4),
}

_STYLE_OF_FORMAT = {fmt: style for fmt, style in _KINDS.values()}

# What mutagen raises on damaged files besides its own errors.
# A parser fed damaged files can fail in any way (mutagen recurses on nested MP4 boxes until
# RecursionError, divides by a zero sample rate, ...): every such failure is the file's.
_FOREIGN = (Exception,)


class _translated:  # named as what it is used for: ``with _translated(path):``
    """The one place where mutagen's and the OS's exceptions become AudioError. A class, not
    a generator: a scan enters one for every file, and a generator's costs 1.4 us more."""

    __slots__ = ("path",)

    def __init__(self, path: Path | str):
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, traceback) -> bool:
        if exc is None or isinstance(exc, AudioError) or not isinstance(exc, _FOREIGN):
            return False  # nothing wrong, already worded, or not the file's (Ctrl+C)
        reason = str(exc).strip() or "damaged or truncated file"
        if isinstance(exc, RecursionError):
            reason = "damaged file (its structure nests without end)"
        if isinstance(exc, OSError) and exc.strerror:
            reason = exc.strerror
        with contextlib.suppress(OSError):
            if os.stat(self.path).st_size == 0:
                reason = "empty file"
        raise AudioError(str(self.path), reason) from exc


# The frames mutagen's translation to ID3v2.4 (``update_to_v24``) changes: TYER and its kin
# become TDRC, "(17)"-style genres are spelled out, and so on. A v2.4 tag with none of them
# comes out of it as it went in, so it is skipped there (8% of an MP3's parse, measured).
_TRANSLATED_FRAMES = frozenset(
    {"TCON", "APIC", "TYER", "TDAT", "TIME", "TORY", "IPLS", "RVAD", "EQUA", "TRDA", "TSIZ"}
    | {"CHAP", "CTOC"}  # chapters hold frames of their own
)


def _load_mp3(source: Path | str | io.IOBase) -> MP3:
    audio = MP3(source, translate=False)
    tags = audio.tags
    if tags is not None and (
        tags.version < (2, 4, 0) or any(key[:4] in _TRANSLATED_FRAMES for key in tags)
    ):
        tags.update_to_v24()
    return audio


# How to parse the format a file's extension promises. Trying it first skips mutagen.File's
# sniffing of every format; a file whose name lies (an .ogg holding Opus, an .m4a that is an
# MP3) falls back to the sniffing.
_BY_EXTENSION: dict[str, Callable[[Path | str | io.IOBase], Any]] = {
    ".mp3": _load_mp3,
    ".flac": FLAC,
    ".m4a": MP4,
    ".ogg": OggVorbis,
    ".oga": OggVorbis,
    ".opus": OggOpus,
}

AUDIO_EXTENSIONS = frozenset(_BY_EXTENSION)


def _load(source: Path | str | io.IOBase, suffix: str):
    """Parse a file (a path or an open file object) whose name ends in ``suffix``."""
    parse = _BY_EXTENSION.get(suffix.lower())
    if parse is not None:
        try:
            return parse(source)
        except mutagen.MutagenError:  # not what its name says: let mutagen sniff the format
            if isinstance(source, io.IOBase):
                source.seek(0)  # from the start, like the parse that failed
    audio = mutagen.File(source, options=list(_KINDS))
    if audio is None:  # no format claimed the file; _translated words the reason
        raise mutagen.MutagenError("not a supported audio file")
    return audio


def read(path: Path | str, *, keep: bool = False, st: os.stat_result | None = None) -> AudioInfo:
    """Read one file's tags and stream properties; AudioError if it cannot be parsed.
    ``keep``: the result carries the parse (``parsed``), for a ``write`` that follows; ``st``:
    the file's stat, when the caller took it just before (a scan has it from its listing)."""
    path = os.fspath(path)
    try:  # a regular file only: a FIFO put in a track's place would block the read
        fd = open_regular(path)
    except OSError as err:
        raise AudioError(path, cannot_read(err)) from None
    raw = io.FileIO(fd, "rb")
    raw.name = path  # mutagen sniffs a format by its name too
    with _translated(path), io.BufferedReader(raw) as source:
        if keep:  # taken before the parse: a change after it shows
            signature = _signature(st if st is not None else os.fstat(fd))
        audio = _load(source, os.path.splitext(path)[1])
        fmt, style = _KINDS[type(audio)]
        view = style.view(audio.tags) if audio.tags is not None else {}
        info = audio.info
        pictured = style.has_picture(audio, view)
        return AudioInfo(
            format=fmt,
            tags=_logical(style, view),
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


def _logical(style, view) -> dict[str, str]:
    """Logical tag -> first stored value, from a style's view of a file's tags. (Each
    style's ``firsts`` loops over the single tags itself: a ``get`` call per tag, most of
    them absent, cost two fifths of what a read does besides mutagen's parse.)"""
    if not view:
        return {}
    tags = style.firsts(view)
    for number, total, number_key, total_key in _PAIR_KEYS:
        value, of = style.get_pair(view, number_key, total_key)
        if value:
            tags[number] = value
        if of:
            tags[total] = of
    return tags


def version_after_write(fmt: str, version: str) -> str:
    """The tag version a file of ``fmt`` has once :func:`write` saved it: MP3 keeps ID3v2.3
    and gets ID3v2.4 otherwise (so an ID3v1-only or v2.2 file is upgraded by any write)."""
    return _STYLE_OF_FORMAT[fmt].saved_version(version)


class FileWrite(NamedTuple):
    """One file for ``write_many``: the values to set; the scan's kept parse, if any; what
    the named tags held when they were read (None: not checked); the library it is in (a
    symlinked file is written through its target only inside it). A file whose kept parse
    no longer matches it, or that has none, is parsed again and refused if one of those tags
    changed since: a fix never overwrites someone else's edit."""

    path: Path
    values: Mapping[str, str | None]
    parsed: Parsed | None = None
    expect: Mapping[str, str | None] | None = None
    root: Path | None = None


def write(path: Path | str, values: Mapping[str, str | None], *, parsed: Parsed | None = None):
    """Set each named logical tag (None deletes it) and leave every other tag alone.

    The file is replaced crash-safely (``mediakeeper.safewrite``): a crash at any instant
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
    spares: Path | None = None,
    owner: str = "",
) -> dict[Path, AudioError]:
    """``write`` for several files, in groups (``safewrite.replace_many``, which says what
    ``flush_first``, ``spares`` and ``owner`` do). Returns the files that could not be
    written, with the reason; every other one is written."""
    # A str path too: the results are keyed by Path. (Making a Path costs 6 us: not twice.)
    todo = [w if isinstance(w.path, Path) else w._replace(path=Path(w.path)) for w in writes]
    if len({w.path for w in todo}) < len(todo):  # two copies of one file: one lost
        raise ValueError("write_many takes each file once; merge its values")
    for w in todo:
        unknown = set(w.values) - set(TABLE)
        if unknown:
            raise ValueError(f"unknown logical tags: {sorted(unknown)}")
    failed = safewrite.replace_many(
        (_replacement(w) for w in todo if w.values),
        flush_first=flush_first,
        spares=spares,
        owner=owner,
    )
    return {path: _audio_error(err) for path, err in failed.items()}


def _audio_error(err: FileError) -> AudioError:
    """A file left alone, as the AudioError a tag write raises."""
    if isinstance(err, AudioError):
        return err
    audio = AudioError(err.path, err.reason)
    audio.code = err.code
    return audio


def _replacement(w: FileWrite) -> safewrite.Replacement:
    def change(work: BinaryIO, st: os.stat_result) -> None:
        with _translated(w.path):
            _save_changed(w, work, st)

    size = w.parsed.signature[1] if w.parsed is not None else None
    return safewrite.Replacement(w.path, change, size, w.root)


def _save_changed(w: FileWrite, work: BinaryIO, st: os.stat_result) -> None:
    """Save the new values into ``work`` (the file's bytes), from the kept parse if the file
    is as it was when parsed; else parsed again, refused if a tag changed since."""
    work.seek(0)
    if w.parsed is not None and w.parsed.signature == _signature(st):
        audio = w.parsed.audio
    else:
        audio = _load(work, w.path.suffix)
        _refuse_if_changed(w.path, audio, w.expect)
    style = _KINDS[type(audio)][1]
    audio = style.writable(audio, work)
    _set(audio, w.values)
    work.seek(0)  # mutagen saves from where the file object stands
    style.save(audio, work)


def _refuse_if_changed(path: Path, audio, expect: Mapping[str, str | None] | None) -> None:
    """AudioError if a tag no longer holds the value it had when it was read."""
    if not expect:
        return
    style = _KINDS[type(audio)][1]
    now = _logical(style, style.view(audio.tags) if audio.tags is not None else {})
    for tag, value in expect.items():
        if now.get(tag) != value:
            why = f"{tag} changed since it was read (now {wording.value(now.get(tag))})"
            raise AudioError(str(path), why)


def _set(audio, values: Mapping[str, str | None]) -> None:
    _fmt, style = _KINDS[type(audio)]
    if audio.tags is None:
        audio.add_tags()
    for name, value in values.items():
        if name not in _PAIRED:
            style.set(audio.tags, TABLE[name], value or None)
    for number, total in PAIRS:
        if number in values or total in values:
            old = style.get_pair(audio.tags, TABLE[number], TABLE[total])
            new = (values.get(number, old[0]) or None, values.get(total, old[1]) or None)
            style.set_pair(audio.tags, TABLE[number], TABLE[total], new)
