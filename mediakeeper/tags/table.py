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

# Every other field beets' mediafile maps (cover and loudness aside), each under its standard
# key in every container, as mediafile and Picard write it: what a conversion carries
# (``mediakeeper.tags.extra_fields``), read back under these keys by players and by beets. Not
# columns of the music CSV, not checked by its rules. ID3 keys: a text frame ("TCOM"),
# ``TXXX:<desc>``, or one of ``COMM``, ``USLT``, ``WXXX`` (no description), ``TIPL:<role>``;
# MP4: an atom ("\xa9wrt", ``tmpo`` a number, ``cpil`` a flag) or a freeform one.


# The MP4 atoms of these fields; any other MP4 name is a freeform atom's.
_ATOMS = frozenset(
    {"\xa9wrt", "\xa9grp", "\xa9cmt", "\xa9lyr", "\xa9url", "\xa9too", "soco", "soar", "soaa",
     "cprt", "tmpo", "cpil"}
)  # fmt: skip


def _field(id3: str, vorbis: str | tuple[str, ...], mp4: str, asf: str) -> Key:
    names = (vorbis,) if isinstance(vorbis, str) else vorbis
    return Key(id3, names, mp4 if mp4 in _ATOMS else _ITUNES + mp4, names, (asf,))


MORE: dict[str, Key] = {
    "composer": _field("TCOM", "COMPOSER", "\xa9wrt", "WM/Composer"),
    "composer_sort": _field("TSOC", "COMPOSERSORT", "soco", "WM/Composersortorder"),
    "lyricist": _field("TEXT", "LYRICIST", "LYRICIST", "WM/Writer"),
    "arranger": _field("TIPL:arranger", "ARRANGER", "Arranger", "beets/Arranger"),
    "remixer": _field("TPE4", "REMIXER", "REMIXERS", "WM/REMIXERS"),
    "grouping": _field("TIT1", "GROUPING", "\xa9grp", "WM/ContentGroupDescription"),
    "subtitle": _field("TIT3", "SUBTITLE", "SUBTITLE", "Subtitle"),
    "comments": _field("COMM", ("COMMENT", "DESCRIPTION"), "\xa9cmt", "WM/Comments"),
    "lyrics": _field("USLT", "LYRICS", "\xa9lyr", "WM/Lyrics"),
    "url": _field("WXXX", "URL", "\xa9url", "WM/URL"),
    "copyright": _field("TCOP", "COPYRIGHT", "cprt", "Copyright"),
    "bpm": _field("TBPM", "BPM", "tmpo", "WM/BeatsPerMinute"),
    "comp": _field("TCMP", "COMPILATION", "cpil", "WM/IsCompilation"),
    "artists": _field("TXXX:ARTISTS", "ARTISTS", "ARTISTS", "WM/ARTISTS"),
    "albumartists": _field("TXXX:ALBUMARTISTS", "ALBUMARTISTS", "ALBUMARTISTS",
                           "WM/AlbumArtists"),
    "artist_sort": _field("TSOP", "ARTISTSORT", "soar", "WM/ArtistSortOrder"),
    "albumartist_sort": _field("TSO2", "ALBUMARTISTSORT", "soaa", "WM/AlbumArtistSortOrder"),
    "artists_sort": _field("TXXX:ARTISTS_SORT", "ARTISTS_SORT", "ARTISTS_SORT",
                           "beets/ArtistsSort"),
    "albumartists_sort": _field("TXXX:ALBUMARTISTS_SORT", "ALBUMARTISTS_SORT",
                                "ALBUMARTISTS_SORT", "beets/AlbumArtistsSort"),
    "artist_credit": _field("TXXX:Artist Credit", "ARTIST_CREDIT", "Artist Credit",
                            "beets/Artist Credit"),
    "artists_credit": _field("TXXX:ARTISTS_CREDIT", "ARTISTS_CREDIT", "ARTISTS_CREDIT",
                             "beets/ArtistsCredit"),
    "albumartist_credit": _field("TXXX:Album Artist Credit", "ALBUMARTIST_CREDIT",
                                 "Album Artist Credit", "beets/Album Artist Credit"),
    "albumartists_credit": _field("TXXX:ALBUMARTISTS_CREDIT", "ALBUMARTISTS_CREDIT",
                                  "ALBUMARTISTS_CREDIT", "beets/AlbumArtistsCredit"),
    "albumtype": _field("TXXX:MusicBrainz Album Type", ("RELEASETYPE", "MUSICBRAINZ_ALBUMTYPE"),
                        "MusicBrainz Album Type", "MusicBrainz/Album Type"),
    "albumstatus": _field("TXXX:MusicBrainz Album Status",
                          ("RELEASESTATUS", "MUSICBRAINZ_ALBUMSTATUS"),
                          "MusicBrainz Album Status", "MusicBrainz/Album Status"),
    "albumdisambig": _field("TXXX:MusicBrainz Album Comment", "MUSICBRAINZ_ALBUMCOMMENT",
                            "MusicBrainz Album Comment", "MusicBrainz/Album Comment"),
    "country": _field("TXXX:MusicBrainz Album Release Country", "RELEASECOUNTRY",
                      "MusicBrainz Album Release Country", "MusicBrainz/Album Release Country"),
    "label": _field("TPUB", ("LABEL", "PUBLISHER"), "LABEL", "WM/Publisher"),
    "catalognum": _field("TXXX:CATALOGNUMBER", "CATALOGNUMBER", "CATALOGNUMBER", "WM/CatalogNo"),
    "barcode": _field("TXXX:BARCODE", "BARCODE", "BARCODE", "WM/Barcode"),
    "asin": _field("TXXX:ASIN", "ASIN", "ASIN", "MusicBrainz/ASIN"),
    "isrc": _field("TSRC", "ISRC", "ISRC", "WM/ISRC"),
    "media": _field("TMED", "MEDIA", "MEDIA", "WM/Media"),
    "disctitle": _field("TSST", "DISCSUBTITLE", "DISCSUBTITLE", "WM/SetSubTitle"),
    "script": _field("TXXX:Script", "SCRIPT", "SCRIPT", "WM/Script"),
    "language": _field("TLAN", "LANGUAGE", "LANGUAGE", "WM/Language"),
    "original_date": _field("TDOR", ("ORIGINALDATE", "ORIGINALYEAR"), "ORIGINALDATE",
                            "WM/OriginalReleaseYear"),
    "encoder": _field("TENC", "ENCODEDBY", "\xa9too", "WM/EncodedBy"),
    "initial_key": _field("TKEY", "INITIALKEY", "initialkey", "INITIALKEY"),
    "musicbrainz_releasetrackid": _field(
        "TXXX:MusicBrainz Release Track Id", "MUSICBRAINZ_RELEASETRACKID",
        "MusicBrainz Release Track Id", "MusicBrainz/Release Track Id"),
    "musicbrainz_workid": _field("TXXX:MusicBrainz Work Id", "MUSICBRAINZ_WORKID",
                                 "MusicBrainz Work Id", "MusicBrainz/Work Id"),
    "acoustid_id": _field("TXXX:Acoustid Id", "ACOUSTID_ID", "Acoustid Id", "Acoustid/Id"),
    "acoustid_fingerprint": _field("TXXX:Acoustid Fingerprint", "ACOUSTID_FINGERPRINT",
                                   "Acoustid Fingerprint", "Acoustid/Fingerprint"),
}  # fmt: skip

COVER = "cover"  # a file's embedded cover, as a value (``tags.cover``)

# Every tag a change may name (journaled, and undone like any other): the table's, the
# fields above, which a person sets by hand (``decide --set composer=...``), and the cover.
WRITABLE: frozenset[str] = frozenset(TABLE) | frozenset(MORE) | {COVER}
