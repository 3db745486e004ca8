"""The logical tags, defined once, and where each lives in every format.

Like beets' mediafile, the table is the spec: ``TABLE["albumartist"]`` names the ID3 frame,
the Vorbis comment keys and the MP4 atom. MusicBrainz keys follow MusicBrainz Picard's tag
mapping, so files tagged by Picard read as tagged here and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass


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

# Loudness, written by the replaygain processor (mediakeeper.media.processors.replaygain):
# ReplayGain 2.0 at -18 LUFS (MP4 keeps it in lower-case freeform atoms, as iTunes-era
# taggers do) and, for Opus, R128 gains at -23 LUFS. In the table so a change is journaled
# and undone like any other; not columns of the music CSV.
LOUDNESS: dict[str, Key] = {
    name.lower(): Key(f"TXXX:{name}", (name,), _ITUNES + name.lower())
    for name in ("REPLAYGAIN_TRACK_GAIN", "REPLAYGAIN_TRACK_PEAK", "REPLAYGAIN_ALBUM_GAIN",
                 "REPLAYGAIN_ALBUM_PEAK", "R128_TRACK_GAIN", "R128_ALBUM_GAIN")
}  # fmt: skip
TABLE.update(LOUDNESS)

# The logical tag names, in the table's order (the columns of the music CSV follow it).
LOGICAL_TAGS: tuple[str, ...] = tuple(name for name in TABLE if name not in LOUDNESS)

# (number, total) tags read and written together.
PAIRS: tuple[tuple[str, str], ...] = (("tracknumber", "tracktotal"), ("discnumber", "disctotal"))
PAIRED = frozenset(name for pair in PAIRS for name in pair)
# Read by every scan; loudness only where asked for (``read.loudness_of``).
SINGLES = tuple(
    (name, key) for name, key in TABLE.items() if name not in PAIRED and name not in LOUDNESS
)
PAIR_KEYS = tuple((number, total, TABLE[number], TABLE[total]) for number, total in PAIRS)
