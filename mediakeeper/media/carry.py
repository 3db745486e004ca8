"""What a converted track carries beyond the tags a scan reads (which ``convert`` writes
through ``tags.write``): every value of the tag table's other fields (composer, ISRC,
labels, ... every field beets' mediafile maps) under the target's standard keys
(``tags.all_values``, ``tags.set_values``), the further values of a tag a scan reads as one
(``SEVERAL``: a second genre), every other text field of its source
(ReplayGain, anything of a tagger's own) in the target's convention, every embedded
picture (a front and a back cover, a booklet's pages: each with its type and description
where the container holds them) and a single-file rip's cue sheet (``cuesheet``). Each
container keeps these its own way: Vorbis comments (FLAC, Ogg, Opus: the pictures as
``METADATA_BLOCK_PICTURE``), ID3 ``TXXX`` frames and ``APIC`` (MP3), MP4 freeform atoms and
``covr``; what one cannot hold (an MP4's pictures' types) is said, not dropped unsaid.
ReplayGain goes into Opus as ``R128_*`` gains (Q7.8, relative to -23 LUFS, where
ReplayGain's reference is -18 LUFS), as RFC 7845 asks.

Used on a converted file before it is renamed into place, so it is saved in place.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import mutagen
from mutagen.flac import FLAC, CueSheet
from mutagen.id3 import ID3, TXXX
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4FreeForm

from mediakeeper import tags
from mediakeeper.media import cuesheet
from mediakeeper.tags.cover import Cover, embedded_pictures, put_pictures

_ITUNES = "----:com.apple.iTunes:"
_PICTURE = "METADATA_BLOCK_PICTURE"
_GAIN = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(?:dB)?\s*$", re.IGNORECASE)
R128_OFFSET = -5.0  # dB from a ReplayGain 2 gain (-18 LUFS) to an Opus R128 gain (-23 LUFS)


# The table's fields a conversion carries here: those a scan does not read (``convert``
# writes those) and not loudness (carried as other fields: to Opus as R128 gains).
CARRIED = tuple(
    name for name in tags.FIELD_OF if name not in tags.LOGICAL_TAGS and name not in tags.LOUDNESS
)


# The tags a scan reads are one value each, which ``convert`` writes (its first); those that
# may hold several (two genres, a collaboration's two artists) are carried here, every value.
SEVERAL = tuple(name for name in tags.LOGICAL_TAGS if tags.FIELD_OF[name].total is None)


def _table_names() -> set[str]:
    """Every key the tag table's fields (loudness aside) are kept under in the containers a
    conversion reads (Vorbis comments, ID3, MP4), upper-cased, whole and without its
    ``TXXX:`` or freeform prefix: the rest is 'other'."""
    names: set[str] = set()
    for field in tags.TABLE.values():
        if field.names[0] in tags.LOUDNESS:
            continue
        for part in (field, field.total) if field.total else (field,):
            names.update(n.upper() for n in part.vorbis)
            for key in (part.id3, part.mp4):
                names.add(key.upper())
                names.add(key.removeprefix("TXXX:").removeprefix(_ITUNES).upper())
    names.discard("")
    return names


@dataclass(frozen=True)
class Rest:
    """What a source holds beyond the tags a scan reads: the table's other fields (name ->
    values), others (KEY -> values), its embedded pictures, and a FLAC's CUESHEET block
    with its sample rate."""

    more: dict[str, list[str]]
    fields: dict[str, list[str]]
    pictures: list[Cover] = dataclasses.field(default_factory=list)
    cue_block: CueSheet | None = None
    rate: int = 0


@dataclass(frozen=True)
class Carried:
    """What ``carry_rest`` wrote: the fields, the pictures, and what the target could not
    hold, in words."""

    fields: list[str] = dataclasses.field(default_factory=list)
    pictures: int = 0
    not_carried: list[str] = dataclasses.field(default_factory=list)


def read_rest(source: Path) -> Rest:
    """The source's fields outside the tag table, its embedded pictures and cue sheet."""
    try:
        audio = mutagen.File(source)
    except Exception:  # a damaged or untagged source carries nothing more
        return Rest({}, {})
    block = getattr(audio, "cuesheet", None) if isinstance(audio, FLAC) else None
    rate = int(getattr(getattr(audio, "info", None), "sample_rate", 0) or 0)
    if audio is None or audio.tags is None:
        return Rest({}, {}, cue_block=block, rate=rate)
    more = tags.all_values(audio, CARRIED)
    more.update((name, values) for name, values in tags.all_values(audio, SEVERAL).items()
                if len(values) > 1)  # fmt: skip
    return Rest(more, _other_fields(audio), embedded_pictures(audio), block, rate)


def _other_fields(audio) -> dict[str, list[str]]:
    table = _table_names()
    fields: dict[str, list[str]] = {}
    if isinstance(audio, MP3) or isinstance(audio.tags, ID3):
        for frame in audio.tags.getall("TXXX"):
            if frame.desc.upper() not in table and f"TXXX:{frame.desc}".upper() not in table:
                fields[frame.desc.upper()] = [str(t) for t in frame.text]
    elif isinstance(audio, MP4):
        for key, values in audio.tags.items():
            if key.startswith(_ITUNES) and key.upper() not in table:
                name = key[len(_ITUNES) :].upper()
                fields[name] = [bytes(v).decode("utf-8", "replace") for v in values]
    else:  # Vorbis comments: FLAC, Ogg Vorbis, Opus
        for key, values in audio.tags.items():  # key -> its values
            upper = key.upper()
            if upper != _PICTURE and upper not in table:
                fields.setdefault(upper, []).extend(values)
    return fields


def carry_rest(source: Path, target: Path, name: str = "") -> Carried:
    """Write the source's other fields, pictures and cue sheet into ``target`` (to be
    renamed ``name``: the file a cue sheet names)."""
    rest = read_rest(source)
    fields = _cue_sheet(rest, name or target.name)
    if target.suffix.lower() == ".opus":
        fields = _as_r128(fields)
    if not fields and not rest.more and not rest.pictures and rest.cue_block is None:
        return Carried()
    audio = mutagen.File(target)
    if audio.tags is None:
        audio.add_tags()
    tags.set_values(audio, tags.storable(rest.more, target))
    if isinstance(audio, MP3):
        for name, values in fields.items():
            audio.tags.add(TXXX(encoding=3, desc=name, text=values))
    elif isinstance(audio, MP4):
        for name, values in fields.items():
            key = _ITUNES + (name.lower() if name.startswith("REPLAYGAIN_") else name)
            audio.tags[key] = [MP4FreeForm(v.encode("utf-8")) for v in values]
    else:
        for name, values in fields.items():
            audio.tags[name] = values
    lost = put_pictures(audio, rest.pictures) if rest.pictures else []
    same_rate = getattr(audio.info, "sample_rate", 0) == rest.rate
    if isinstance(audio, FLAC) and rest.cue_block is not None and same_rate:
        audio.cuesheet = rest.cue_block  # (its offsets are samples: they hold at one rate)
    audio.save()
    return Carried(sorted([*fields, *rest.more]), len(rest.pictures), lost)


def _cue_sheet(rest: Rest, name: str) -> dict[str, list[str]]:
    """The other fields with the source's cue sheet as the CUESHEET tag of the file ``name``:
    its own tag's text (the ripper's, with its titles) naming that file, else its block's
    written out as text."""
    fields = dict(rest.fields)
    if "CUESHEET" in fields:
        fields["CUESHEET"] = [cuesheet.naming(text, name) for text in fields["CUESHEET"]]
    elif rest.cue_block is not None and rest.rate:
        fields["CUESHEET"] = [cuesheet.from_block(rest.cue_block, rest.rate, name)]
    return fields


def _as_r128(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """ReplayGain gains as Opus R128 gains; peaks and the reference level dropped (Opus has
    no place for them)."""
    out = {k: v for k, v in fields.items() if not k.startswith("REPLAYGAIN_")}
    for scope in ("TRACK", "ALBUM"):
        raw = fields.get(f"REPLAYGAIN_{scope}_GAIN")
        match = _GAIN.match(raw[0]) if raw else None
        if match:
            q78 = round((float(match.group(1)) + R128_OFFSET) * 256)
            out[f"R128_{scope}_GAIN"] = [str(max(-32768, min(32767, q78)))]
    return out
