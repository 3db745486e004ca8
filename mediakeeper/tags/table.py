"""The tag table: every field the toolkit reads and writes, defined once, each with its type
and where every container keeps it.

As in beets' mediafile, one record per field is the spec: ``TABLE["albumartist"]`` names the
ID3 frame, the Vorbis comment keys, the MP4 atom, the APEv2 keys and the ASF attributes, and
its type (``values``) says how a typed value is stored where a container stores the type
itself. Unlike mediafile's fields, each container's style (``styles``, ``ape``, ``asf``)
changes only the stored value a change names, where it stands, so that a change is written in
place and its undo gives the file its bytes back.

MusicBrainz keys (and the APEv2 and ASF keys of every field) follow MusicBrainz Picard's tag
mapping, so files tagged by Picard read as tagged here and the other way round; the other
fields sit under each container's standard key, as mediafile and Picard write them, never
under a name only this toolkit would know (``TXXX:COMPOSER``).

Every field goes through the one read (``read.values_of``) and the one write
(``write.set_values``); which fields a scan reads is the field's ``group``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from mediakeeper.tags.values import (
    DATE,
    NUMBER_WITH_TOTAL,
    TEXT,
    Flag,
    Text,
    WholeNumber,
)

# Which fields a read takes: every scan (the columns of the music CSV, checked by its rules),
# the loudness a ReplayGain pass reads, or the others, read where a change names them.
SCANNED, LOUDNESS_GROUP, ASKED = "scanned", "loudness", "asked"


@dataclass(frozen=True, eq=False)  # each field is one object: compared and hashed as such
class Field:
    """One field: its name, its type and its keys. Vorbis, APEv2 and ASF list aliases after
    the key that is written. ID3 keys: a text frame ("TCOM"), ``TXXX:<desc>``,
    ``UFID:<owner>``, ``TIPL:<role>``, or one of ``COMM``, ``USLT``, ``WXXX`` (the frame
    without a description). MP4: an atom ("\\xa9wrt") or a freeform one (``----:...``).

    A number with its total (``total``: a field of the total's own keys, where a container
    has them) is one value: "3/12" in one ID3 frame or APEv2 key, an integer pair in one MP4
    atom, two keys in Vorbis comments and ASF. Its parts keep their names (``names``:
    tracknumber, tracktotal), as the music CSV, the change journal and ``decide --set``
    name them."""

    name: str
    id3: str
    vorbis: tuple[str, ...]
    mp4: str
    ape: tuple[str, ...]
    asf: tuple[str, ...]
    type: Text = TEXT
    group: str = ASKED
    total: Field | None = None

    @cached_property  # asked by every write
    def names(self) -> tuple[str, ...]:
        return (self.name,) if self.total is None else (self.name, self.total.name)

    def value(self, texts: Mapping[str, str]) -> object:
        """The typed value of the field's stored text (``texts``: name -> first stored
        value, as a read gives them): None where it holds none, ``Malformed`` where its text
        does not read as its type."""
        if self.total is not None:
            return self.type.parse_pair(texts.get(self.name), texts.get(self.total.name))
        text = texts.get(self.name)
        return None if text is None else self.type.parse(text)


_ITUNES = "----:com.apple.iTunes:"
# The atoms of their own among the fields' MP4 keys given to ``_field``; any other name is a
# freeform atom's.
_ATOMS = frozenset(
    {"\xa9wrt", "\xa9grp", "\xa9cmt", "\xa9lyr", "\xa9url", "\xa9too", "soco", "soar", "soaa",
     "cprt", "tmpo", "cpil"}
)  # fmt: skip


def _field(name, id3, vorbis, mp4, asf, ape=None, **more) -> Field:
    """A field under ``vorbis`` (a key or keys) in Vorbis comments and, unless told
    otherwise, in APEv2; ``mp4`` an atom of its own or a freeform atom's name."""
    names = (vorbis,) if isinstance(vorbis, str) else vorbis
    atom = mp4 if mp4 in _ATOMS else _ITUNES + mp4
    return Field(name, id3, names, atom, names if ape is None else ape, (asf,), **more)


def _scanned(name, id3, vorbis, mp4, ape, asf, **more) -> Field:
    return Field(name, id3, vorbis, mp4, ape, asf, group=SCANNED, **more)


def _total(name: str, vorbis: tuple[str, ...], asf: str) -> Field:
    """A total's own keys: Vorbis and ASF have them; ID3, APEv2 and MP4 keep it with its
    number."""
    return Field(name, "", vorbis, "", (), (asf,), group=SCANNED)


def _mbid(name, id3, vorbis, mp4, asf, group=SCANNED) -> Field:
    """A MusicBrainz id: APEv2 uses the Vorbis key (as Picard does)."""
    return Field(name, id3, (vorbis,), _ITUNES + mp4, (vorbis,), (asf,), group=group)


_FIELDS = (
    # -- read by every scan: the columns of the music CSV, in its order ------------------
    _scanned("title", "TIT2", ("TITLE",), "\xa9nam", ("Title",), ("Title",)),
    _scanned("artist", "TPE1", ("ARTIST",), "\xa9ART", ("Artist",), ("Author",)),
    _scanned("albumartist", "TPE2", ("ALBUMARTIST", "ALBUM ARTIST"), "aART",
             ("Album Artist", "ALBUMARTIST"), ("WM/AlbumArtist",)),
    _scanned("album", "TALB", ("ALBUM",), "\xa9alb", ("Album",), ("WM/AlbumTitle",)),
    _scanned("tracknumber", "TRCK", ("TRACKNUMBER",), "trkn", ("Track",), ("WM/TrackNumber",),
             type=NUMBER_WITH_TOTAL,
             total=_total("tracktotal", ("TRACKTOTAL", "TOTALTRACKS"), "TotalTracks")),
    _scanned("discnumber", "TPOS", ("DISCNUMBER",), "disk", ("Disc",), ("WM/PartOfSet",),
             type=NUMBER_WITH_TOTAL,
             total=_total("disctotal", ("DISCTOTAL", "TOTALDISCS"), "TotalDiscs")),
    # mutagen reads ID3v2.3 TYER/TDAT as TDRC; the ID3 style writes a v2.3 file's date back
    # into its own frames.
    _scanned("date", "TDRC", ("DATE",), "\xa9day", ("Year",), ("WM/Year",), type=DATE),
    _scanned("genre", "TCON", ("GENRE",), "\xa9gen", ("Genre",), ("WM/Genre",)),
    _mbid("musicbrainz_artistid", "TXXX:MusicBrainz Artist Id", "MUSICBRAINZ_ARTISTID",
          "MusicBrainz Artist Id", "MusicBrainz/Artist Id"),
    _mbid("musicbrainz_albumartistid", "TXXX:MusicBrainz Album Artist Id",
          "MUSICBRAINZ_ALBUMARTISTID", "MusicBrainz Album Artist Id",
          "MusicBrainz/Album Artist Id"),
    _mbid("musicbrainz_albumid", "TXXX:MusicBrainz Album Id", "MUSICBRAINZ_ALBUMID",
          "MusicBrainz Album Id", "MusicBrainz/Album Id"),
    _mbid("musicbrainz_releasegroupid", "TXXX:MusicBrainz Release Group Id",
          "MUSICBRAINZ_RELEASEGROUPID", "MusicBrainz Release Group Id",
          "MusicBrainz/Release Group Id"),
    # Picard stores the recording id in UFID, not TXXX (and as "Track Id" elsewhere).
    _mbid("musicbrainz_trackid", "UFID:http://musicbrainz.org", "MUSICBRAINZ_TRACKID",
          "MusicBrainz Track Id", "MusicBrainz/Track Id"),
    # -- loudness, written by the replaygain processor (mediakeeper.media.replaygain) -----
    # ReplayGain 2.0 at -18 LUFS (MP4 keeps it in lower-case freeform atoms, as iTunes-era
    # taggers do) and, for Opus, R128 gains at -23 LUFS. In the table so a change is
    # journaled and undone like any other; not columns of the music CSV.
    *(
        Field(name.lower(), f"TXXX:{name}", (name,), _ITUNES + name.lower(), (name,), (name,),
              group=LOUDNESS_GROUP)
        for name in ("REPLAYGAIN_TRACK_GAIN", "REPLAYGAIN_TRACK_PEAK", "REPLAYGAIN_ALBUM_GAIN",
                     "REPLAYGAIN_ALBUM_PEAK", "R128_TRACK_GAIN", "R128_ALBUM_GAIN")
    ),
    # -- every other field beets' mediafile maps (cover and loudness aside): what a
    # conversion carries, and a person sets by hand (``decide --set composer=...``) --------
    _field("composer", "TCOM", "COMPOSER", "\xa9wrt", "WM/Composer"),
    _field("composer_sort", "TSOC", "COMPOSERSORT", "soco", "WM/Composersortorder"),
    _field("lyricist", "TEXT", "LYRICIST", "LYRICIST", "WM/Writer"),
    _field("arranger", "TIPL:arranger", "ARRANGER", "Arranger", "beets/Arranger"),
    _field("remixer", "TPE4", "REMIXER", "REMIXERS", "WM/REMIXERS"),
    _field("grouping", "TIT1", "GROUPING", "\xa9grp", "WM/ContentGroupDescription"),
    _field("subtitle", "TIT3", "SUBTITLE", "SUBTITLE", "Subtitle"),
    _field("comments", "COMM", ("COMMENT", "DESCRIPTION"), "\xa9cmt", "WM/Comments"),
    _field("lyrics", "USLT", "LYRICS", "\xa9lyr", "WM/Lyrics"),
    _field("url", "WXXX", "URL", "\xa9url", "WM/URL"),
    _field("copyright", "TCOP", "COPYRIGHT", "cprt", "Copyright"),
    _field("bpm", "TBPM", "BPM", "tmpo", "WM/BeatsPerMinute",
           type=WholeNumber("beats per minute")),
    _field("comp", "TCMP", "COMPILATION", "cpil", "WM/IsCompilation",
           type=Flag("a compilation")),
    _field("artists", "TXXX:ARTISTS", "ARTISTS", "ARTISTS", "WM/ARTISTS"),
    _field("albumartists", "TXXX:ALBUMARTISTS", "ALBUMARTISTS", "ALBUMARTISTS",
           "WM/AlbumArtists"),
    _field("artist_sort", "TSOP", "ARTISTSORT", "soar", "WM/ArtistSortOrder"),
    _field("albumartist_sort", "TSO2", "ALBUMARTISTSORT", "soaa", "WM/AlbumArtistSortOrder"),
    _field("artists_sort", "TXXX:ARTISTS_SORT", "ARTISTS_SORT", "ARTISTS_SORT",
           "beets/ArtistsSort"),
    _field("albumartists_sort", "TXXX:ALBUMARTISTS_SORT", "ALBUMARTISTS_SORT",
           "ALBUMARTISTS_SORT", "beets/AlbumArtistsSort"),
    _field("artist_credit", "TXXX:Artist Credit", "ARTIST_CREDIT", "Artist Credit",
           "beets/Artist Credit"),
    _field("artists_credit", "TXXX:ARTISTS_CREDIT", "ARTISTS_CREDIT", "ARTISTS_CREDIT",
           "beets/ArtistsCredit"),
    _field("albumartist_credit", "TXXX:Album Artist Credit", "ALBUMARTIST_CREDIT",
           "Album Artist Credit", "beets/Album Artist Credit"),
    _field("albumartists_credit", "TXXX:ALBUMARTISTS_CREDIT", "ALBUMARTISTS_CREDIT",
           "ALBUMARTISTS_CREDIT", "beets/AlbumArtistsCredit"),
    _field("albumtype", "TXXX:MusicBrainz Album Type", ("RELEASETYPE", "MUSICBRAINZ_ALBUMTYPE"),
           "MusicBrainz Album Type", "MusicBrainz/Album Type"),
    _field("albumstatus", "TXXX:MusicBrainz Album Status",
           ("RELEASESTATUS", "MUSICBRAINZ_ALBUMSTATUS"), "MusicBrainz Album Status",
           "MusicBrainz/Album Status"),
    _field("albumdisambig", "TXXX:MusicBrainz Album Comment", "MUSICBRAINZ_ALBUMCOMMENT",
           "MusicBrainz Album Comment", "MusicBrainz/Album Comment"),
    _field("country", "TXXX:MusicBrainz Album Release Country", "RELEASECOUNTRY",
           "MusicBrainz Album Release Country", "MusicBrainz/Album Release Country"),
    _field("label", "TPUB", ("LABEL", "PUBLISHER"), "LABEL", "WM/Publisher"),
    _field("catalognum", "TXXX:CATALOGNUMBER", "CATALOGNUMBER", "CATALOGNUMBER", "WM/CatalogNo"),
    _field("barcode", "TXXX:BARCODE", "BARCODE", "BARCODE", "WM/Barcode"),
    _field("asin", "TXXX:ASIN", "ASIN", "ASIN", "MusicBrainz/ASIN"),
    _field("isrc", "TSRC", "ISRC", "ISRC", "WM/ISRC"),
    _field("media", "TMED", "MEDIA", "MEDIA", "WM/Media"),
    _field("disctitle", "TSST", "DISCSUBTITLE", "DISCSUBTITLE", "WM/SetSubTitle"),
    _field("script", "TXXX:Script", "SCRIPT", "SCRIPT", "WM/Script"),
    _field("language", "TLAN", "LANGUAGE", "LANGUAGE", "WM/Language"),
    _field("original_date", "TDOR", ("ORIGINALDATE", "ORIGINALYEAR"), "ORIGINALDATE",
           "WM/OriginalReleaseYear", type=DATE),
    _field("encoder", "TENC", "ENCODEDBY", "\xa9too", "WM/EncodedBy"),
    _field("initial_key", "TKEY", "INITIALKEY", "initialkey", "INITIALKEY"),
    _field("musicbrainz_releasetrackid", "TXXX:MusicBrainz Release Track Id",
           "MUSICBRAINZ_RELEASETRACKID", "MusicBrainz Release Track Id",
           "MusicBrainz/Release Track Id"),
    _field("musicbrainz_workid", "TXXX:MusicBrainz Work Id", "MUSICBRAINZ_WORKID",
           "MusicBrainz Work Id", "MusicBrainz/Work Id"),
    _field("acoustid_id", "TXXX:Acoustid Id", "ACOUSTID_ID", "Acoustid Id", "Acoustid/Id"),
    _field("acoustid_fingerprint", "TXXX:Acoustid Fingerprint", "ACOUSTID_FINGERPRINT",
           "Acoustid Fingerprint", "Acoustid/Fingerprint"),
)  # fmt: skip

# The one table: field name -> field (a number with its total under its number's name).
TABLE: dict[str, Field] = {field.name: field for field in _FIELDS}

# Each name a value goes by -> its field (tracktotal -> the tracknumber field).
FIELD_OF: dict[str, Field] = {name: field for field in _FIELDS for name in field.names}


def _names(group: str) -> tuple[str, ...]:
    return tuple(name for field in _FIELDS if field.group == group for name in field.names)


# The names a scan reads, in the table's order (the columns of the music CSV follow it).
LOGICAL_TAGS: tuple[str, ...] = _names(SCANNED)
LOUDNESS: tuple[str, ...] = _names(LOUDNESS_GROUP)

COVER = "cover"  # a file's embedded cover, as a value (``tags.cover``)

# Every name a change may set (journaled, and undone like any other): the table's, and the
# cover.
WRITABLE: frozenset[str] = frozenset(FIELD_OF) | {COVER}


def typed(texts: Mapping[str, str]) -> dict[str, object]:
    """The typed value of each field ``texts`` (name -> first stored value, as a read gives
    them) holds: text, ``values.Numbered``, ``values.Date``, a bool, an int, or
    ``values.Malformed`` with the stored text."""
    found = {}
    for field in _FIELDS:
        if any(name in texts for name in field.names):
            found[field.name] = field.value(texts)
    return found
