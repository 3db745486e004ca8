"""Every field beets' mediafile maps is read back by mediafile after a conversion to each
profile (issue 34): composer, ISRC, the MusicBrainz release-track id and the rest sit under
each format's standard key (MP3 ``TCOM``, ``TSRC``, ``TXXX:MusicBrainz Release Track Id``;
MP4 ``\xa9wrt``, ...), never under a name only this toolkit knows (``TXXX:COMPOSER``)."""

from __future__ import annotations

import datetime

import mutagen
import pytest

from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg
from mediakeeper.media.convert import PROFILES, convert
from mediakeeper.tags.table import ASKED
from mediakeeper.tags.table import TABLE as FIELDS

mediafile = pytest.importorskip("mediafile", reason="the test extra installs mediafile")

EXE = ffmpeg.find()
TABLE = {
    "title": "Song", "artist": "Artist A", "albumartist": "Artist A", "album": "Hits",
    "tracknumber": "3", "tracktotal": "12", "discnumber": "1", "disctotal": "2",
    "date": "2001-05-02", "genre": "Rock",
    "musicbrainz_artistid": "a0000000-0000-4000-8000-000000000001",
    "musicbrainz_albumartistid": "a0000000-0000-4000-8000-000000000001",
    "musicbrainz_albumid": "b0000000-0000-4000-8000-000000000002",
    "musicbrainz_releasegroupid": "c0000000-0000-4000-8000-000000000003",
    "musicbrainz_trackid": "d0000000-0000-4000-8000-000000000004",
}  # fmt: skip
# The fields a scan does not read (composer, ISRC, ...): what a conversion carries beside it.
OTHERS = {name: field for name, field in FIELDS.items() if field.group == ASKED}
# Each of them, as the source's Vorbis comment holds it, and as mediafile reads it back.
SOURCE = {name: f"{name} value" for name in OTHERS}
SOURCE.update(bpm="120", comp="1", original_date="1999-03-04", url="https://example.org/x",
              language="eng")  # fmt: skip
SOURCE.update(musicbrainz_releasetrackid="e0000000-0000-4000-8000-000000000005")
# mediafile's attribute for a field of ours, where the names differ.
ATTRIBUTE = {
    "musicbrainz_releasetrackid": "mb_releasetrackid",
    "musicbrainz_workid": "mb_workid",
    "remixer": "remixers",
}
EXPECTED = {
    **{name: value for name, value in SOURCE.items()},
    "bpm": 120,
    "comp": True,
    "original_date": datetime.date(1999, 3, 4),
    "remixer": ["remixer value"],
    "artists": ["artists value"], "albumartists": ["albumartists value"],
    "artists_sort": ["artists_sort value"], "albumartists_sort": ["albumartists_sort value"],
    "artists_credit": ["artists_credit value"],
    "albumartists_credit": ["albumartists_credit value"],
}  # fmt: skip
# What mediafile itself has no key for in a container (it reads None whatever is written).
UNMAPPED = {"m4a": {"subtitle"}}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = synth.tone(EXE, tmp_path_factory.mktemp("src") / "03 Song.flac", 1.0)
    extra = {OTHERS[name].vorbis[0]: value for name, value in SOURCE.items()}
    return synth.tagged(path, TABLE, extra={**extra, "REPLAYGAIN_TRACK_GAIN": "-6.50 dB"})


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_mediafile_reads_every_field_after_a_conversion(source, tmp_path, name):
    profile = PROFILES[name]
    output = tmp_path / f"03 Song{profile.extension}"
    convert(EXE, source, output, profile)
    read = mediafile.MediaFile(str(output))
    container = profile.extension.lstrip(".")
    wrong = {}
    for field, wanted in EXPECTED.items():
        if field in UNMAPPED.get(container, ()):
            continue
        got = getattr(read, ATTRIBUTE.get(field, field))
        if got != wanted:
            wrong[field] = got
    assert wrong == {}
    table = (read.title, read.artist, read.albumartist, read.album, read.track,
             read.tracktotal, read.disc, read.disctotal, read.date, read.genre, read.mb_artistid,
             read.mb_albumartistid, read.mb_albumid, read.mb_releasegroupid, read.mb_trackid)
    assert table == ("Song", "Artist A", "Artist A", "Hits", 3, 12, 1, 2,
                     datetime.date(2001, 5, 2), "Rock", *(TABLE[k] for k in list(TABLE)[10:]))
    if name == "opus":
        assert read.r128_track_gain == -11.5
    else:
        assert read.rg_track_gain == -6.5


def test_mp3_keeps_composer_isrc_and_release_track_id_under_the_standard_frames(
    source, tmp_path
):
    output = tmp_path / "03 Song.mp3"
    convert(EXE, source, output, PROFILES["mp3"])
    frames = mutagen.File(output).tags
    assert str(frames["TCOM"]) == "composer value"
    assert str(frames["TSRC"]) == "isrc value"
    assert str(frames["TXXX:MusicBrainz Release Track Id"]) == SOURCE[
        "musicbrainz_releasetrackid"
    ]
    assert "TXXX:COMPOSER" not in frames and "TXXX:ISRC" not in frames


def test_m4a_keeps_composer_under_its_atom(source, tmp_path):
    output = tmp_path / "03 Song.m4a"
    convert(EXE, source, output, PROFILES["aac"])
    atoms = mutagen.File(output).tags
    assert atoms["\xa9wrt"] == ["composer value"]
    assert "----:com.apple.iTunes:COMPOSER" not in atoms


def test_fields_read_from_mp3_and_m4a_sources_reach_a_flac(source, tmp_path):
    """Each container's standard keys are read as well as written: an MP3's or an M4A's
    fields, converted again, arrive whole."""
    for first in ("mp3", "aac"):
        middle = tmp_path / f"{first}{PROFILES[first].extension}"
        convert(EXE, source, middle, PROFILES[first])
        again = tmp_path / f"{first}.flac"
        convert(EXE, middle, again, PROFILES["flac"])
        read = mediafile.MediaFile(str(again))
        skipped = UNMAPPED.get(PROFILES[first].extension.lstrip("."), set())
        got = {f: getattr(read, ATTRIBUTE.get(f, f)) for f in EXPECTED if f not in skipped}
        assert got == {f: v for f, v in EXPECTED.items() if f in got}, first
