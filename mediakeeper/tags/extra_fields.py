"""The fields of ``table.MORE`` (composer, ISRC, labels, sort orders, ...) read from a file
mutagen opened and written into another, each under its container's standard key: what a
conversion carries so that players and beets read it (``TCOM``, ``\xa9wrt``, ``COMPOSER``),
never under a name only this toolkit would know (``TXXX:COMPOSER``).

Values are lists of strings (a field may hold several: two composers); MP4's number and
flag atoms (``tmpo``, ``cpil``) are kept as their digits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import mutagen
from mutagen.id3 import COMM, ID3, TIPL, TXXX, USLT, WXXX, Frames
from mutagen.mp4 import MP4FreeForm, MP4Tags

from mediakeeper.tags.styles import _encoding_for
from mediakeeper.tags.table import MORE, Key

_ITUNES = "----:com.apple.iTunes:"
_NO_DESC = ("COMM", "USLT", "WXXX")  # read and written without a description


def names_used() -> set[str]:
    """Every name a MORE field is kept under, upper-cased, in any container: what a
    conversion does not carry again as an unknown field."""
    names: set[str] = set()
    for key in MORE.values():
        names.update(n.upper() for n in (*key.vorbis, *key.ape, *key.asf))
        names.add(key.id3.removeprefix("TXXX:").upper())
        names.add(key.mp4.removeprefix(_ITUNES).upper())
    return names


def read_more(tags: Any) -> dict[str, list[str]]:
    """The MORE fields a file's tags hold (field -> values), whatever the container."""
    if tags is None:
        return {}
    read, _ = _access(tags)
    found = {}
    for name, key in MORE.items():
        values = [v for v in read(tags, key) if v]
        if values:
            found[name] = values
    return found


def read_file(path: Path) -> dict[str, list[str]]:
    """The MORE fields of the file at ``path``; none for a file mutagen cannot read."""
    try:
        audio = mutagen.File(path)
    except Exception:  # mutagen raises many kinds for a damaged file: it holds none we read
        return {}
    return read_more(audio.tags) if audio is not None else {}


def write_more(tags: Any, fields: dict[str, list[str]]) -> None:
    """Set ``fields`` (field -> values) in a file's tags, each under its standard key."""
    _, write = _access(tags)
    for name, values in fields.items():
        write(tags, MORE[name], values)


def firsts(tags: Any) -> dict[str, str]:
    """Each MORE field's first value, as the logical tags are read (``read.logical``)."""
    return {name: values[0] for name, values in read_more(tags).items() if values[0]}


def set_first(tags: Any, style: Any, name: str, value: str | None) -> None:
    """Give the MORE field ``name`` the first value ``value`` in a file's tags, its other
    values kept (None: the field removed), edited where it stands so that an undo gives the
    file its bytes back: what ``decide --set`` writes. Keys one container reads as the
    logical tags' are set by its ``style``; ID3's frames without a description and its
    people list, and MP4's number and flag atoms, here."""
    key = MORE[name]
    if isinstance(tags, ID3) and key.id3.partition(":")[0] in (*_NO_DESC, "TIPL"):
        _id3_edit(tags, key, value)
    elif isinstance(tags, MP4Tags) and key.mp4 in ("tmpo", "cpil"):
        if value is None:
            tags.pop(key.mp4, None)
        else:
            _mp4_set(tags, key, [value])
    else:
        style.set(tags, key, value)


def _id3_edit(tags: ID3, key: Key, value: str | None) -> None:
    frame_id, _, role = key.id3.partition(":")
    if frame_id == "TIPL":
        frame = tags.get("TIPL")
        people = [list(p) for p in (frame.people if frame is not None else ())]
        at = next((n for n, (who, _) in enumerate(people) if who == role), None)
        if value is None:
            people = [p for p in people if p[0] != role]
        elif at is None:
            people.append([role, value])
        else:
            people[at] = [role, value]
        if frame is not None and people:
            frame.encoding = _encoding_for(frame, [who for p in people for who in p])
            frame.people = people
        elif people:
            tags.add(TIPL(encoding=3, people=people))
        else:
            tags.delall("TIPL")
        return
    frames = [f for f in tags.getall(frame_id) if not f.desc]
    if value is None:
        for frame in frames:
            del tags[frame.HashKey]
    elif not frames:
        _id3_set(tags, key, [value])
    elif frame_id == "COMM":
        text = [value, *frames[0].text[1:]]
        frames[0].encoding, frames[0].text = _encoding_for(frames[0], text), text
    elif frame_id == "USLT":
        frames[0].encoding, frames[0].text = _encoding_for(frames[0], [value]), value
    else:
        frames[0].url = value


def _access(tags: Any) -> tuple[Callable[..., list[str]], Callable[..., None]]:
    """How a container's MORE fields are read and written: ID3 frames, MP4 atoms, or named
    keys (Vorbis comments, APEv2, ASF)."""
    if isinstance(tags, ID3):
        return _id3_get, _id3_set
    if isinstance(tags, MP4Tags):
        return _mp4_get, _mp4_set
    return _named_get, _named_set


def _id3_get(tags: ID3, key: Key) -> list[str]:
    frame_id, _, desc = key.id3.partition(":")
    if frame_id in _NO_DESC:
        frames = [f for f in tags.getall(frame_id) if not f.desc]
        if frame_id == "WXXX":
            return [f.url for f in frames]
        return [str(t) for f in frames for t in ([f.text] if frame_id == "USLT" else f.text)]
    if frame_id == "TIPL":
        return [who for f in tags.getall("TIPL") for role, who in f.people if role == desc]
    frame = tags.get(key.id3)
    return [str(t) for t in frame.text] if frame is not None else []


def _id3_set(tags: ID3, key: Key, values: list[str]) -> None:
    frame_id, _, desc = key.id3.partition(":")
    if frame_id == "TXXX":
        tags.add(TXXX(encoding=3, desc=desc, text=values))
    elif frame_id == "COMM":
        tags.add(COMM(encoding=3, lang="eng", desc="", text=values))
    elif frame_id == "USLT":
        tags.add(USLT(encoding=3, lang="eng", desc="", text=values[0]))
    elif frame_id == "WXXX":
        tags.add(WXXX(encoding=3, desc="", url=values[0]))
    elif frame_id == "TIPL":
        tags.add(TIPL(encoding=3, people=[[desc, who] for who in values]))
    else:
        tags.add(Frames[frame_id](encoding=3, text=values))


def _mp4_get(tags: MP4Tags, key: Key) -> list[str]:
    stored = tags.get(key.mp4) or []
    if key.mp4 == "cpil":
        return ["1" if stored else ""]
    if isinstance(stored, (bool, int)):
        stored = [stored]
    return [bytes(v).decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
            for v in stored]  # fmt: skip


def _mp4_set(tags: MP4Tags, key: Key, values: list[str]) -> None:
    if key.mp4 == "cpil":
        tags["cpil"] = values[0].strip() not in ("", "0")
    elif key.mp4 == "tmpo":
        whole = [int(float(v)) for v in values if _is_number(v)]
        if whole:
            tags["tmpo"] = whole[:1]
    elif key.mp4.startswith(_ITUNES):
        tags[key.mp4] = [MP4FreeForm(v.encode("utf-8")) for v in values]
    else:
        tags[key.mp4] = values


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _named_get(tags: Any, key: Key) -> list[str]:
    """Vorbis comments, APEv2 and ASF: keys compared case aside, the first name present."""
    wanted = [n.upper() for n in (*key.vorbis, *key.ape, *key.asf)]
    present = {k.upper(): k for k in tags.keys()}  # noqa: SIM118 (not a dict)
    for name in wanted:
        if name in present:
            stored = tags[present[name]]
            stored = stored if isinstance(stored, list) else [stored]
            return [str(getattr(v, "value", v)) for v in stored]
    return []


def _named_set(tags: Any, key: Key, values: list[str]) -> None:
    tags[key.vorbis[0]] = values
