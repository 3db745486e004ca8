"""The logical tags, defined once, and where each lives in every format.

Like beets' mediafile, the table is the spec: ``TABLE["albumartist"]`` names the ID3 frame,
the Vorbis comment keys, the MP4 atom, the APEv2 keys and the ASF attributes. MusicBrainz
keys (and the APEv2 and ASF keys of every tag) follow MusicBrainz Picard's tag mapping, so
files tagged by Picard read as tagged here and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """Where one logical tag lives. Vorbis, APEv2 and ASF list aliases after the key that is
    written. APEv2 keeps a total in its number's key ("3/12", as ID3 does): its totals have
    no key of their own."""

    id3: str
    vorbis: tuple[str, ...]
    mp4: str
    ape: tuple[str, ...]
    asf: tuple[str, ...]


_ITUNES = "----:com.apple.iTunes:"


def _mbid(id3: str, vorbis: str, mp4: str, asf: str) -> Key:
    """A MusicBrainz id: APEv2 uses the Vorbis key (as Picard does)."""
    return Key(id3, (vorbis,), _ITUNES + mp4, (vorbis,), (asf,))


TABLE: dict[str, Key] = {
    "title": Key("TIT2", ("TITLE",), "\xa9nam", ("Title",), ("Title",)),
    "artist": Key("TPE1", ("ARTIST",), "\xa9ART", ("Artist",), ("Author",)),
    "albumartist": Key(
        "TPE2",
        ("ALBUMARTIST", "ALBUM ARTIST"),
        "aART",
        ("Album Artist", "ALBUMARTIST"),
        ("WM/AlbumArtist",),
    ),
    "album": Key("TALB", ("ALBUM",), "\xa9alb", ("Album",), ("WM/AlbumTitle",)),
    # Number and total share one ID3 frame and one APEv2 key ("3/12") and one MP4 atom
    # ((3, 12)); see PAIRS.
    "tracknumber": Key("TRCK", ("TRACKNUMBER",), "trkn", ("Track",), ("WM/TrackNumber",)),
    "tracktotal": Key("TRCK", ("TRACKTOTAL", "TOTALTRACKS"), "trkn", (), ("TotalTracks",)),
    "discnumber": Key("TPOS", ("DISCNUMBER",), "disk", ("Disc",), ("WM/PartOfSet",)),
    "disctotal": Key("TPOS", ("DISCTOTAL", "TOTALDISCS"), "disk", (), ("TotalDiscs",)),
    # mutagen reads ID3v2.3 TYER/TDAT as TDRC and writes TDRC back as TYER/TDAT for v2.3.
    "date": Key("TDRC", ("DATE",), "\xa9day", ("Year",), ("WM/Year",)),
    "genre": Key("TCON", ("GENRE",), "\xa9gen", ("Genre",), ("WM/Genre",)),
    "musicbrainz_artistid": _mbid(
        "TXXX:MusicBrainz Artist Id",
        "MUSICBRAINZ_ARTISTID",
        "MusicBrainz Artist Id",
        "MusicBrainz/Artist Id",
    ),
    "musicbrainz_albumartistid": _mbid(
        "TXXX:MusicBrainz Album Artist Id",
        "MUSICBRAINZ_ALBUMARTISTID",
        "MusicBrainz Album Artist Id",
        "MusicBrainz/Album Artist Id",
    ),
    "musicbrainz_albumid": _mbid(
        "TXXX:MusicBrainz Album Id",
        "MUSICBRAINZ_ALBUMID",
        "MusicBrainz Album Id",
        "MusicBrainz/Album Id",
    ),
    "musicbrainz_releasegroupid": _mbid(
        "TXXX:MusicBrainz Release Group Id",
        "MUSICBRAINZ_RELEASEGROUPID",
        "MusicBrainz Release Group Id",
        "MusicBrainz/Release Group Id",
    ),
    # Picard stores the recording id in UFID, not TXXX (and as "Track Id" elsewhere).
    "musicbrainz_trackid": _mbid(
        "UFID:http://musicbrainz.org",
        "MUSICBRAINZ_TRACKID",
        "MusicBrainz Track Id",
        "MusicBrainz/Track Id",
    ),
}

# Loudness, written by the replaygain processor (mediakeeper.media.replaygain):
# ReplayGain 2.0 at -18 LUFS (MP4 keeps it in lower-case freeform atoms, as iTunes-era
# taggers do) and, for Opus, R128 gains at -23 LUFS. In the table so a change is journaled
# and undone like any other; not columns of the music CSV.
LOUDNESS: dict[str, Key] = {
    name.lower(): Key(f"TXXX:{name}", (name,), _ITUNES + name.lower(), (name,), (name,))
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
