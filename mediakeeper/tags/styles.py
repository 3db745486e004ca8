"""A style per tag container (ID3, Vorbis comments, MP4 atoms): how to get and set one
logical tag's key (from ``table.TABLE``) there, and how a file of that container is saved.
APEv2 and ASF, keyed like Vorbis comments, build on the Vorbis style (``ape``, ``asf``).

The style is picked by a dict keyed by the mutagen class (``formats.KINDS``), so adding a
format is one entry there plus its fixtures.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter
from pathlib import Path
from typing import Any, BinaryIO

from mutagen.flac import FLAC
from mutagen.id3 import TDAT, TIME, TXXX, TYER, UFID, Encoding, Frames, ID3TimeStamp
from mutagen.mp3 import MP3
from mutagen.mp4 import AtomDataType, MP4FreeForm
from mutagen.oggflac import OggFLAC

from mediakeeper.tags.table import SINGLES, Key

# The single tags with the ID3 or MP4 key at hand (``_present_firsts`` runs over them per file).
_ID3_SINGLES = tuple((name, key.id3, key) for name, key in SINGLES)
_MP4_SINGLES = tuple((name, key.mp4, key) for name, key in SINGLES)


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


def _encoding_for(old, text: list[str]) -> Encoding:
    """The text encoding of a frame written again: the one it had, where the new text fits
    it (Latin-1 holds only its own characters), else UTF-8. A frame changed and changed back
    is then the same bytes again, so an undo gives the file back as it was."""
    encoding = getattr(old, "encoding", Encoding.UTF8)
    if encoding == Encoding.LATIN1 and not all(map(_latin1, text)):
        return Encoding.UTF8
    return encoding


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


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
        on disk. Every read sees ID3 through mutagen's translation to v2.4, and saving that
        back as v2.3 would drop the frames v2.3 lacks (the sort orders Picard writes) and a
        time of day, and join a frame's values with "/"."""
        if not _is_v23(audio.tags):
            return audio
        work.seek(0)
        return type(audio)(work, translate=False)  # MP3, AIFF, WAVE, DSF, ...

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
            encoding = _encoding_for(old, text)
            if key.id3.startswith("TXXX:"):
                tags.add(TXXX(encoding=encoding, desc=key.id3[5:], text=text))
            else:
                tags.add(Frames[key.id3](encoding=encoding, text=text))

    def set_pair(self, tags, number: Key, total: Key, values: tuple[str | None, str | None]):
        self.set(tags, number, _join(*values))

    def has_picture(self, audio, view) -> bool:
        return any(key.startswith("APIC") for key in view)

    def picture_bytes(self, audio, view) -> int:
        return sum(len(frame.data) for key, frame in view.items() if key.startswith("APIC"))

    def lossless(self, audio) -> bool:
        return not isinstance(audio, MP3)  # ID3 in AIFF, WAV, DSF, DSDIFF, TTA: PCM and kin

    def saved_version(self, version: str) -> str:
        # Keep v2.3 files v2.3 (older players); everything else is written as v2.4.
        return "ID3v2.3" if version == "ID3v2.3" else "ID3v2.4"

    def save(self, audio, target: Path, padding=None) -> None:
        if self.saved_version(self.tag_version(audio)) == "ID3v2.3":
            # Parsed untranslated (see writable): its frames are saved as they are, and
            # a frame with several values keeps them apart, as it was read.
            audio.save(target, v2_version=3, v23_sep=None, padding=padding)
        else:
            audio.save(target, v2_version=4, padding=padding)


class _VorbisStyle:
    # The keys of a logical tag in this container, the one written first.
    names = staticmethod(attrgetter("vorbis"))

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
        for name in self.names(key):
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
        return {name: value for name, key in SINGLES if (value := self.get(view, key))}

    def set(self, tags, key: Key, value: str | None) -> None:
        primary, *aliases = self.names(key)
        if value is None:
            for name in self.names(key):
                if name in tags:
                    del tags[name]
            return
        if not self.put(tags, primary, value):
            tags[primary] = [value]  # a field new to the file: after the others
        for name in aliases:  # keep aliases that exist in step, never add new ones
            self.put(tags, name, value)

    def put(self, tags, name: str, value: str) -> bool:
        """The first field under ``name`` given ``value`` where it stands, under its key as
        the file spells it (its other values stay as they are); whether there was one. A
        field deleted and added again would move to the end, and its key to the table's
        case: undoing the change must give the file its bytes back, not just its values."""
        for at, (stored, old) in enumerate(tags):
            if self.same_key(stored, name):
                list.__setitem__(tags, at, (stored, self.value_like(old, value)))
                return True
        return False

    def same_key(self, stored: str, name: str) -> bool:
        return stored.upper() == name.upper()  # Vorbis comment keys ignore case

    def value_like(self, old, value: str):
        """``value`` stored as ``old`` was (a Vorbis comment is text)."""
        return value

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
        return isinstance(audio, (FLAC, OggFLAC))

    def saved_version(self, version: str) -> str:
        return "vorbis"

    def save(self, audio, target: Path, padding=None) -> None:
        audio.save(target, padding=padding)


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

    def save(self, audio, target: Path, padding=None) -> None:
        audio.save(target, padding=padding)


def _whole_number(value: str | None) -> int:
    if not value:
        return 0
    if not value.strip().isdigit():
        raise ValueError(f"MP4 stores track and disc numbers as whole numbers, not {value!r}")
    return int(value)


ID3_STYLE, VORBIS_STYLE, MP4_STYLE = _ID3Style(), _VorbisStyle(), _MP4Style()
