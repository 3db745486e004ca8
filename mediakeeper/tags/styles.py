"""A style per tag container (ID3, Vorbis comments, MP4 atoms): how any field of the tag
table (``table.TABLE``) is read and written there, and how a file of that container is
saved. APEv2 and ASF, keyed like Vorbis comments, build on the Vorbis style (``ape``, ``asf``).

Every style answers the same calls for every field, whatever its type:

- ``get(view, field)``: its first stored value, as text; ``texts(view, field)``: every one;
- ``firsts(view, fields)``: ``get`` for several fields at once (what a read runs);
- ``get_pair`` / ``set_pair``: a number and its total (``field.total``), as one value;
- ``set(tags, field, value)``: the field's first value, or its first values (a list), its
  other stored values kept; None removes it. A value is written where the field stands, as
  the file spells its key and in its frame's encoding, so a change changed back is the
  same bytes again; a container that stores a type itself (MP4's integers and flags,
  ID3v2.3's date frames) is given the value as that type (``values``).

The style is picked by a dict keyed by the mutagen class (``formats.KINDS``), so adding a
format is one entry there plus its fixtures.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any, BinaryIO

from mutagen.flac import FLAC
from mutagen.id3 import (
    COMM,
    TDAT,
    TIME,
    TIPL,
    TXXX,
    TYER,
    UFID,
    USLT,
    WXXX,
    Encoding,
    Frames,
    ID3TimeStamp,
    MakeID3v1,
    ParseID3v1,
)
from mutagen.mp3 import MP3
from mutagen.mp4 import AtomDataType, MP4FreeForm
from mutagen.oggflac import OggFLAC
from mutagen.trueaudio import TrueAudio

from mediakeeper.tags.table import TABLE, Field
from mediakeeper.tags.values import Flag, Malformed, WholeNumber, whole

# ID3 frames a field shares with others of its kind: one without a description (COMM, USLT,
# WXXX: comments, lyrics, a URL) or a role of a people list (TIPL:arranger).
_SHARED = frozenset({"COMM", "USLT", "WXXX", "TIPL"})
# The table's ID3 keys of such fields: never a key of the view (a frame's key there holds
# its description and language: "COMM::eng").
_SHARED_KEYS = frozenset(field.id3 for field in TABLE.values() if field.id3[:4] in _SHARED)


def first(values: Iterable[object] | None) -> str | None:
    """The first non-empty value of a stored list; an empty string counts as missing."""
    for value in values or ():
        text = value if isinstance(value, str) else str(value)
        if text:
            return text
    return None


def values_list(value: str | Sequence[str] | None) -> list[str] | None:
    """What ``set`` is given, as a list: one value, several, or None (remove the field)."""
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def leading(values: Sequence[Any], stored: Iterable[Any]) -> list[Any]:
    """``values`` in place of the first stored values, the others kept: the toolkit reads
    and changes a field's first value, and a second artist or genre stays as it was (also
    through an undo)."""
    return [*values, *list(stored)[len(values) :]]


def split_pair(text: str | None) -> tuple[str | None, str | None]:
    """ "3/12" as its number and total, each None where missing."""
    number, _, total = (text or "").partition("/")
    return number or None, total or None


def join_pair(number: str | None, total: str | None) -> str | None:
    if total:
        return f"{number or ''}/{total}"
    return number or None


# The formats whose ID3v1 tag is the file's last bytes (in WAV and AIFF, ID3 is a chunk).
_ID3_AT_THE_ENDS = (MP3, TrueAudio)
_V1_SIZE = 128
# Set on a parse for a write: the file's ID3v1 tag and the v2 frames as parsed, for ``save``.
_ID3V1 = "mediakeeper_id3v1"

# Set on a parse whose ID3 tag is as the file stores it (``reading._load_id3``): a write
# saves that parse (``ID3Style.writable``). One without it was translated for its read.
AS_STORED = "mediakeeper_as_stored"

_ID3_VERSIONS = {(1, 1): "ID3v1", (2, 2, 0): "ID3v2.2", (2, 3, 0): "ID3v2.3", (2, 4, 0): "ID3v2.4"}


def _snapshot(tags) -> dict[str, Any]:
    """A mutagen tag container (ID3, MP4) as a plain dict: a read asks it for some fifteen
    keys, most of them absent, and each miss there raises and catches a KeyError."""
    return {key: tags[key] for key in tags.keys()}  # noqa: SIM118 (it is not a dict)


def _is_v23(tags) -> bool:
    return tags is not None and tuple(tags.version[:2]) == (2, 3)


def _set_v23_date(tags, value: str | None) -> None:
    """A date in an ID3v2.3 tag: a year in TYER, a day in TDAT, a time in TIME (v2.3 has no
    TDRC). A value with no year cannot be stored there: refused, the date kept."""
    when = ID3TimeStamp(value) if value else None
    if when is not None and not when.year:
        raise ValueError(f"an ID3v2.3 tag stores a date from its year, not {value!r}")
    for frame in ("TDRC", "TYER", "TDAT", "TIME"):
        tags.delall(frame)
    if when is None:
        return
    tags.add(TYER(encoding=Encoding.LATIN1, text=f"{when.year:04d}"))
    if when.month and when.day:
        tags.add(TDAT(encoding=Encoding.LATIN1, text=f"{when.day:02d}{when.month:02d}"))
    if when.hour is not None and when.minute is not None:
        tags.add(TIME(encoding=Encoding.LATIN1, text=f"{when.hour:02d}{when.minute:02d}"))


def encoding_for(old, text: list[str]) -> Encoding:
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


class ID3Style:
    view = staticmethod(_snapshot)

    def tag_version(self, audio) -> str:
        version = None if audio.tags is None else tuple(audio.tags.version)
        return _ID3_VERSIONS.get(version, "none")

    def get(self, tags, field: Field) -> str | None:
        frame = tags.get(field.id3)  # a text frame, TXXX:<desc> or UFID:<owner>
        if frame is None:
            return first(self.texts(tags, field)) if field.id3[:4] in _SHARED else None
        if field.id3[:4] == "UFID":
            return frame.data.decode("utf-8", "replace") or None
        # TCON may hold ID3v1 genre numbers such as "(13)"; genres spells them out.
        return first(frame.genres if field.id3 == "TCON" else frame.text)

    def texts(self, tags, field: Field) -> list[str]:
        frame_id, _, desc = field.id3.partition(":")
        if frame_id == "TIPL":
            frame = tags.get("TIPL")
            people = frame.people if frame is not None else ()
            return [who for role, who in people if role == desc and who]
        if frame_id in _SHARED:
            frames = _undescribed(tags, frame_id)
            if frame_id == "WXXX":
                found = [f.url for f in frames]
            elif frame_id == "USLT":
                found = [f.text for f in frames]
            else:
                found = [str(t) for f in frames for t in f.text]
            return [text for text in found if text]
        frame = tags.get(field.id3)
        if frame is None:
            return []
        if frame_id == "UFID":
            return [text] if (text := frame.data.decode("utf-8", "replace")) else []
        stored = frame.genres if frame_id == "TCON" else frame.text
        return [text for text in map(str, stored) if text]

    def get_pair(self, tags, field: Field) -> tuple[str | None, str | None]:
        return split_pair(self.get(tags, field))

    def firsts(self, view, fields: Iterable[Field]) -> dict[str, str]:
        # Only the keys the file has are asked for (most of a read's fields are absent).
        return {
            field.name: value
            for field in fields
            if ((key := field.id3) in view or key in _SHARED_KEYS)
            and (value := self.get(view, field))
        }

    def writable(self, audio, work: BinaryIO):
        """What a change is made in: the parse, or for ID3v2.3, for a v2.4 tag the read
        translated (``reading._load_id3``) and for a file with an ID3v1 tag too, the file's
        ID3v2 tag parsed again as it is on disk. A read sees ID3 through mutagen's
        translation to v2.4: saving that back as v2.3 would drop the frames v2.3 lacks (the
        sort orders Picard writes) and a time of day, and join a frame's values with "/"; as
        v2.4, it would spell out a genre kept as an ID3v1 number and delete the v2.3 frames a
        tagger left in it. And a read takes what the ID3v1 tag holds and the v2 tag lacks (a
        year, a genre): saved, the v2 tag would gain them. (An older tag, v2.2 or ID3v1 only,
        is written as its translation: mutagen writes neither.)"""
        version = None if audio.tags is None else tuple(audio.tags.version[:2])
        if version not in ((2, 3), (2, 4)):
            return audio
        v1 = _id3v1_tag(work) if isinstance(audio, _ID3_AT_THE_ENDS) else None
        if v1 is None and version == (2, 4) and getattr(audio, AS_STORED, False):
            return audio
        work.seek(0)
        stored = type(audio)(work, translate=False, load_v1=False)  # MP3, AIFF, WAVE, ...
        if v1 is not None:
            setattr(stored, _ID3V1, (v1, dict(stored.tags.items())))
        return stored

    def set(self, tags, field: Field, value: str | Sequence[str] | None) -> None:
        values = values_list(value)
        frame_id, _, desc = field.id3.partition(":")
        if frame_id == "TDRC" and _is_v23(tags):  # v2.3 has no TDRC: its own date frames
            _set_v23_date(tags, values[0] if values else None)
        elif frame_id in _SHARED:
            _set_shared(tags, frame_id, desc, values)
        elif values is None:
            tags.delall(field.id3)
        elif frame_id == "UFID":
            tags.add(UFID(owner=desc, data=values[0].encode("utf-8")))
        else:
            old = tags.get(field.id3)
            # A genre's values are its genres: "(17)(18)" is Rock and Techno in one text
            # (as a write parses it: ``writable``), and the second must stay.
            stored = () if old is None else old.genres if frame_id == "TCON" else old.text
            text = leading(values, stored)
            encoding = encoding_for(old, text)
            if frame_id == "TXXX":
                tags.add(TXXX(encoding=encoding, desc=desc, text=text))
            else:
                tags.add(Frames[frame_id](encoding=encoding, text=text))

    def set_pair(self, tags, field: Field, values: tuple[str | None, str | None]):
        self.set(tags, field, join_pair(*values))

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
        kept = getattr(audio, _ID3V1, None)
        if kept is not None:
            # mutagen wrote the whole ID3v1 tag (the file's last 128 bytes) from the v2 tag:
            # the v1 tag as it was instead, but for the fields whose frames the change set.
            v1, frames = kept
            made = MakeID3v1(audio.tags)
            for keys, part in _V1_FIELDS:
                if any(audio.tags.get(key) is not frames.get(key) for key in keys):
                    v1[part] = made[part]
            target.seek(-_V1_SIZE, os.SEEK_END)
            target.write(v1)


# The fields of an ID3v1 tag (MakeID3v1 writes them) and the v2 frames each is made from.
_V1_FIELDS = (
    (("TIT2",), slice(3, 33)),
    (("TPE1",), slice(33, 63)),
    (("TALB",), slice(63, 93)),
    (("TDRC", "TYER"), slice(93, 97)),
    (("TRCK",), slice(125, 127)),  # ID3v1.1: a zero byte, then the track number
    (("TCON",), slice(127, 128)),
)


def _id3v1_tag(work: BinaryIO) -> bytearray | None:
    """The ID3v1 tag that ends ``work``, where mutagen's save finds one to write over (its
    "TAG" the first in the last 131 bytes, not the end of an APEv2 tag's "APETAGEX"); None
    without one, or one shorter than 128 bytes (an old mutagen's): mutagen writes that."""
    size = work.seek(0, os.SEEK_END)
    if size < _V1_SIZE:
        return None
    work.seek(max(size - _V1_SIZE - 3, 0))
    data = work.read()
    at = data.find(b"TAG")
    if at != len(data) - _V1_SIZE or data.startswith(b"APETAGEX"):
        return None
    return bytearray(data[at:]) if ParseID3v1(data[at:]) is not None else None


def _undescribed(tags, frame_id: str) -> list:
    """The frames of ``frame_id`` without a description (a tagger's own comments carry one)."""
    prefix = frame_id + ":"
    return [frame for key, frame in tags.items() if key.startswith(prefix) and not frame.desc]


def _set_shared(tags, frame_id: str, role: str, values: list[str] | None) -> None:
    """A field kept in a frame shared with others of its kind, edited where it stands."""
    if frame_id == "TIPL":
        frame = tags.get("TIPL")
        people = [list(p) for p in (frame.people if frame is not None else ())]
        at = [n for n, (who, _) in enumerate(people) if who == role]
        if values is None:
            people = [p for p in people if p[0] != role]
        else:
            for n, value in enumerate(values):
                if n < len(at):
                    people[at[n]] = [role, value]
                else:
                    people.append([role, value])
        if frame is not None and people:
            frame.encoding = encoding_for(frame, [who for p in people for who in p])
            frame.people = people
        elif people:
            tags.add(TIPL(encoding=Encoding.UTF8, people=people))
        else:
            tags.delall("TIPL")
        return
    frames = _undescribed(tags, frame_id)
    if values is None:
        for frame in frames:
            del tags[frame.HashKey]
    elif not frames:
        tags.add(_new_shared(frame_id, values))
    elif frame_id == "COMM":
        text = leading(values, frames[0].text)
        frames[0].encoding, frames[0].text = encoding_for(frames[0], text), text
    elif frame_id == "USLT":  # one text a frame
        frames[0].encoding, frames[0].text = encoding_for(frames[0], values[:1]), values[0]
    else:
        frames[0].url = values[0]


def _new_shared(frame_id: str, values: list[str]):
    if frame_id == "COMM":
        return COMM(encoding=Encoding.UTF8, lang="eng", desc="", text=values)
    if frame_id == "USLT":
        return USLT(encoding=Encoding.UTF8, lang="eng", desc="", text=values[0])
    return WXXX(encoding=Encoding.UTF8, desc="", url=values[0])


class VorbisStyle:
    # The keys of a field in this container, the one written first.
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

    def get(self, tags, field: Field) -> str | None:
        for name in self.names(field):
            if name in tags and (value := first(tags[name])):
                return value
        return None

    def texts(self, tags, field: Field) -> list[str]:
        """The values of the first of the field's keys that holds any (as ``get`` reads)."""
        for name in self.names(field):
            if name in tags and (found := [value for value in tags[name] if value]):
                return found
        return []

    def get_pair(self, tags, field: Field) -> tuple[str | None, str | None]:
        # Some taggers store "3/12" in TRACKNUMBER; a separate total wins over it.
        num, embedded_total = split_pair(self.get(tags, field))
        return num, self.get(tags, field.total) or embedded_total

    def firsts(self, view, fields: Iterable[Field]) -> dict[str, str]:
        # get() for every field: the view is a plain dict, so checking first which fields
        # the file has (as ID3 and MP4 do) saves nothing.
        return {field.name: value for field in fields if (value := self.get(view, field))}

    def set(self, tags, field: Field, value: str | Sequence[str] | None) -> None:
        values = values_list(value)
        primary, *aliases = self.names(field)
        if values is None:
            for name in self.names(field):
                if name in tags:
                    del tags[name]
            return
        if not self.put(tags, primary, values):
            tags[primary] = [self.new_value(field, v) for v in values]  # new: after the others
        for name in aliases:  # keep aliases that exist in step, never add new ones
            self.put(tags, name, values)

    def put(self, tags, name: str, values: Sequence[str]) -> bool:
        """The fields under ``name`` given ``values`` where they stand (any more after the
        last), under its key as the file spells it (its later values stay as they are);
        whether there was one. A field deleted and added again would move to the end, and
        its key to the table's case: undoing the change must give the file its bytes back,
        not just its values."""
        placed, last = 0, None
        for at, (stored, old) in enumerate(tags):  # (key, value) pairs, in the file's order
            if self.same_key(stored, name):
                list.__setitem__(tags, at, (stored, self.value_like(old, values[placed])))
                placed, last = placed + 1, (at, stored, old)
                if placed == len(values):
                    return True
        if last is None:
            return False
        at, stored, old = last
        for offset, value in enumerate(values[placed:], start=1):
            list.insert(tags, at + offset, (stored, self.value_like(old, value)))
        return True

    def same_key(self, stored: str, name: str) -> bool:
        return stored.upper() == name.upper()  # Vorbis comment keys ignore case

    def value_like(self, old, value: str):
        """``value`` stored as ``old`` was (a Vorbis comment is text)."""
        return value

    def new_value(self, field: Field, value: str):
        """``value`` stored in a field new to the file (a Vorbis comment is text)."""
        return value

    def set_pair(self, tags, field: Field, values: tuple[str | None, str | None]):
        # Only a part that changes, kept where the file keeps it ("3/12" in TRACKNUMBER, or a
        # total of its own): a tag the change did not name would outlive its undo.
        (num, of), separate = values, self.get(tags, field.total)
        embedded = (stored := split_pair(self.get(tags, field)))[1]
        if of != (separate or embedded):
            if separate or not embedded:
                self.set(tags, field.total, of)
            embedded = embedded and of
        if (num, embedded) != stored:
            self.set(tags, field, join_pair(num, embedded))

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


def _mp4_texts(stored) -> list[str]:
    """An atom's values as text: freeform atoms hold bytes, ``tmpo`` integers, ``cpil`` a
    boolean."""
    if stored is None:
        return []
    if isinstance(stored, bool):
        return ["1" if stored else "0"]
    return [bytes(v).decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in stored]


class MP4Style:
    view = staticmethod(_snapshot)

    def tag_version(self, audio) -> str:
        return "none" if audio.tags is None else "mp4"

    def writable(self, audio, work: BinaryIO):
        return audio

    def get(self, tags, field: Field) -> str | None:
        values = tags.get(field.mp4)
        if type(values) is list and values and isinstance(values[0], str):
            return first(values)  # a text atom, as most are
        return first(_mp4_texts(values))

    def texts(self, tags, field: Field) -> list[str]:
        return [text for text in _mp4_texts(tags.get(field.mp4)) if text]

    def firsts(self, view, fields: Iterable[Field]) -> dict[str, str]:
        return {
            field.name: value
            for field in fields
            if field.mp4 in view and (value := self.get(view, field))
        }

    def get_pair(self, tags, field: Field) -> tuple[str | None, str | None]:
        values = tags.get(field.mp4)
        if not values:
            return None, None
        num, tot = (*values[0], 0, 0)[:2]
        return (str(num) if num else None), (str(tot) if tot else None)

    def refuses(self, field: Field, value: str) -> str:
        """Why ``value`` cannot be stored ("": it can): an atom of a type of its own holds
        that type (a track or disc number and its total, BPM, the compilation flag)."""
        if field.mp4.startswith("----:"):
            return ""
        if field.total is not None:
            return "" if not value.strip() or whole(value) is not None else _not_whole(value)
        if isinstance(field.type, (Flag, WholeNumber)) and isinstance(
            field.type.parse(value), Malformed
        ):
            return f"MP4 stores {field.name} as {field.type.words}, not {value!r}"
        return ""

    def set(self, tags, field: Field, value: str | Sequence[str] | None) -> None:
        values = values_list(value)
        if values is None:
            tags.pop(field.mp4, None)
            return
        atom = field.mp4
        if atom.startswith("----:"):
            new = [MP4FreeForm(v.encode("utf-8"), dataformat=AtomDataType.UTF8) for v in values]
        elif not isinstance(field.type, (Flag, WholeNumber)):  # text, as a date is
            new = values
        else:  # an atom of a type of its own: cpil one boolean, tmpo integers
            for why in filter(None, (self.refuses(field, v) for v in values)):
                raise ValueError(why)
            if isinstance(field.type, Flag):
                tags[atom] = field.type.parse(values[0])
                return
            new = [field.type.parse(v) for v in values]
        tags[atom] = leading(new, tags.get(atom, ()))

    def set_pair(self, tags, field: Field, values: tuple[str | None, str | None]):
        num, tot = (_whole_number(v) for v in values)
        if num or tot:
            tags[field.mp4] = [(num, tot)]
        else:
            tags.pop(field.mp4, None)

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
    number = whole(value)
    if number is None:
        raise ValueError(_not_whole(value))
    return number


def _not_whole(value: str) -> str:
    return f"MP4 stores track and disc numbers as whole numbers, not {value!r}"


ID3_STYLE, VORBIS_STYLE, MP4_STYLE = ID3Style(), VorbisStyle(), MP4Style()
