"""mediakeeper.tags on real files: one contract over every format, then per-format details."""

from __future__ import annotations

import errno
import grp
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import mutagen
import pytest
from mutagen.id3 import (
    ID3,
    TALB,
    TCON,
    TDAT,
    TDRC,
    TIME,
    TIT2,
    TPE1,
    TRCK,
    TSIZ,
    TSOP,
    TSOT,
    TYER,
    MakeID3v1,
    ParseID3v1,
)
from mutagen.mp4 import MP4

from mediakeeper import tags
from mediakeeper.core.errors import AudioError
from mediakeeper.demo import templates
from mediakeeper.demo import tracks as synth
from mediakeeper.fs import safewrite
from mediakeeper.tags import FileWrite
from mediakeeper.tags.formats import KINDS
from tests.helpers import FAMILY, tag_by_hand

REPO = Path(__file__).resolve().parents[2]

FULL = {
    "title": "Tïtle — “quoted”",
    "artist": "Björk",
    "albumartist": "Björk & Friends",
    "album": "Homogenic",
    "tracknumber": "3",
    "tracktotal": "12",
    "discnumber": "1",
    "disctotal": "2",
    "date": "1997",
    "genre": "Electronic",
    "musicbrainz_artistid": "87c5dedd-371d-4a53-9f7f-80522fb7f3cb",
    "musicbrainz_albumartistid": "87c5dedd-371d-4a53-9f7f-80522fb7f3cb",
    "musicbrainz_albumid": "0a4a0b4b-8e3f-4a0f-9b0e-5f2d6f7c1e11",
    "musicbrainz_releasegroupid": "a1f5b0b2-2b8f-3f0c-9b0e-7c1d2e3f4a55",
    "musicbrainz_trackid": "f3c5e8a1-6f0e-4d2a-8b7c-1e2d3f4a5b66",
}
TAG_VERSION = {"id3": "ID3v2.4", "vorbis": "vorbis", "mp4": "mp4", "ape": "apev2", "asf": "asf"}
LOSSLESS = {"flac", "wav", "aiff", "dsf", "dff", "tta", "ape", "wv", "tak", "ofr", "oggflac"}

every_format = pytest.mark.parametrize("fmt", synth.FORMATS)


def track(tmp_path: Path, fmt: str, values=FULL, **kwargs) -> Path:
    return synth.make_track(tmp_path / f"song{synth.suffix(fmt)}", fmt, values, **kwargs)


@every_format
def test_template_is_untagged_audio(tmp_path, fmt):
    info = tags.read(track(tmp_path, fmt, {}))
    assert info.format == fmt
    assert info.tags == {}
    assert info.has_picture is False
    assert info.lossless is (fmt in LOSSLESS)
    assert 0.9 < info.duration < 1.2


@every_format
def test_every_tag_round_trips(tmp_path, fmt):
    info = tags.read(track(tmp_path, fmt))
    assert info.tags == FULL
    assert info.tag_version == TAG_VERSION[FAMILY[fmt]]


@every_format
def test_writing_one_tag_leaves_the_others(tmp_path, fmt):
    path = track(tmp_path, fmt)
    tags.write(path, {"title": "New"})
    assert tags.read(path).tags == {**FULL, "title": "New"}


@every_format
def test_none_and_empty_string_delete(tmp_path, fmt):
    path = track(tmp_path, fmt)
    tags.write(path, {"genre": None, "musicbrainz_trackid": None, "album": ""})
    expected = {k: v for k, v in FULL.items() if k not in {"genre", "musicbrainz_trackid", "album"}}
    assert tags.read(path).tags == expected


@every_format
def test_number_and_total_change_independently(tmp_path, fmt):
    path = track(tmp_path, fmt)
    tags.write(path, {"tracknumber": "4"})
    assert tags.read(path).tags["tracktotal"] == "12"
    tags.write(path, {"tracktotal": None, "disctotal": "3"})
    got = tags.read(path).tags
    assert (got["tracknumber"], "tracktotal" in got) == ("4", False)
    assert (got["discnumber"], got["disctotal"]) == ("1", "3")


@every_format
def test_embedded_picture_is_seen(tmp_path, fmt):
    info = tags.read(track(tmp_path, fmt, picture=True))
    assert info.has_picture
    assert info.tags == FULL


@every_format
def test_write_replaces_the_file_atomically(tmp_path, fmt):
    path = track(tmp_path, fmt)
    path.chmod(0o640)
    inode = path.stat().st_ino
    tags.write(path, {"artist": "Other"})
    assert path.stat().st_ino != inode  # a new file was renamed over the old one
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files away")


@needs_root
@pytest.mark.parametrize("large", [False, True], ids=["in-memory", "copied"])
def test_a_write_keeps_the_files_owner_and_group(tmp_path, monkeypatch, large):
    """Run as root (a NAS, a container), a fix must not take the file from its owner."""
    if large:
        monkeypatch.setattr(safewrite, "IN_MEMORY_BYTES", 0)
    path = track(tmp_path, "flac")
    os.chown(path, 1000, 1001)
    path.chmod(0o664)
    tags.write(path, {"title": "New"})
    st = path.stat()
    assert (st.st_uid, st.st_gid, oct(st.st_mode & 0o777)) == (1000, 1001, oct(0o664))
    assert tags.read(path).tags["title"] == "New"


@needs_root
def test_a_write_that_cannot_keep_the_owner_is_refused_and_changes_nothing():
    """A user may write a file whose group they are not in; the copy would lose that group."""
    with tempfile.TemporaryDirectory() as where:  # pytest's own folders are root's alone
        folder = Path(where)
        folder.chmod(0o777)
        _refused_as_nobody(folder, track(folder, "mp3"))


def _refused_as_nobody(folder: Path, path: Path) -> None:
    os.chown(path, 65534, 1001)  # nobody's file, in a group nobody is not in
    path.chmod(0o664)
    before = path.read_bytes()
    code = (
        "import sys; from mediakeeper import tags; from mediakeeper.core.errors import AudioError\n"
        "try:\n    tags.write(sys.argv[1], {'title': 'New'})\n"
        "except AudioError as err:\n    print(err.message)\n"
    )
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    done = subprocess.run(
        [*nobody, sys.executable, "-c", code, str(path)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    group = grp.getgrgid(1001).gr_name if 1001 in {g.gr_gid for g in grp.getgrall()} else "1001"
    assert done.stdout.strip() == (  # the file is nobody's own: its group is what fails
        f"{path}: cannot keep its group {group} (gid 1001): you are not in that group; "
        "add yourself to it or run as root"
    ), done.stderr
    assert path.read_bytes() == before
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 1001)
    assert sorted(p.name for p in folder.iterdir()) == [path.name]  # no copy left behind


@every_format
@pytest.mark.parametrize("damage", ["empty", "truncated", "text"])
def test_unreadable_files_raise_audio_error(tmp_path, fmt, damage):
    path = track(tmp_path, fmt)
    # mutagen reads only the header of these (a file cut in its audio reads fine): cut there.
    cut = 12 if fmt in {"wav", "aiff", "dsf", "dff", "ape", "wv", "mpc", "tak", "ofr"} else 100
    data = {"empty": b"", "truncated": path.read_bytes()[:cut], "text": b"not audio\n" * 40}
    path.write_bytes(data[damage])
    with pytest.raises(AudioError) as err:
        tags.read(path)
    assert err.value.path == str(path)
    if damage == "empty":
        assert str(err.value).endswith("empty file")
    with pytest.raises(AudioError):
        tags.write(path, {"title": "x"})
    assert path.read_bytes() == data[damage]
    assert len(list(tmp_path.iterdir())) == 1  # the temp copy is gone


def test_missing_file_raises_audio_error(tmp_path):
    with pytest.raises(AudioError):
        tags.read(tmp_path / "nope.mp3")


def test_unknown_logical_tag_is_a_caller_bug(tmp_path):
    path = track(tmp_path, "flac")
    with pytest.raises(ValueError, match="comment"):
        tags.write(path, {"comment": "x"})


def test_low_bitrate_template(tmp_path):
    path = synth.make_track(tmp_path / "low.mp3", "mp3", {}, template="silence_64k.mp3")
    assert tags.read(path).bitrate == 64000
    assert tags.read(track(tmp_path, "mp3")).bitrate == 128000


# --- the keys on disk follow MusicBrainz Picard's tag mapping ---------------------------


def _raw_id3(path: Path) -> dict:
    id3 = mutagen.File(path).tags  # in an MP3, AIFF, WAV, DSF or TTA file
    return {
        "TXXX:MusicBrainz Artist Id": id3["TXXX:MusicBrainz Artist Id"].text,
        "TXXX:MusicBrainz Album Artist Id": id3["TXXX:MusicBrainz Album Artist Id"].text,
        "TXXX:MusicBrainz Album Id": id3["TXXX:MusicBrainz Album Id"].text,
        "TXXX:MusicBrainz Release Group Id": id3["TXXX:MusicBrainz Release Group Id"].text,
        "UFID:http://musicbrainz.org": id3["UFID:http://musicbrainz.org"].data.decode(),
        "TRCK": id3["TRCK"].text,
        "TPOS": id3["TPOS"].text,
        "TPE2": id3["TPE2"].text,
        "TDRC": [str(t) for t in id3["TDRC"].text],
    }


_VORBIS_KEYS = (
    "MUSICBRAINZ_ARTISTID",
    "MUSICBRAINZ_ALBUMARTISTID",
    "MUSICBRAINZ_ALBUMID",
    "MUSICBRAINZ_RELEASEGROUPID",
    "MUSICBRAINZ_TRACKID",
    "TRACKNUMBER",
    "TRACKTOTAL",
    "DISCNUMBER",
    "DISCTOTAL",
    "ALBUMARTIST",
    "DATE",
)


def _raw_vorbis(path: Path) -> dict:
    audio = mutagen.File(path)
    return {key: audio[key] for key in _VORBIS_KEYS}


def _raw_mp4(path: Path) -> dict:
    audio = MP4(path)
    names = ("Artist", "Album Artist", "Album", "Release Group", "Track")
    raw = {f"MusicBrainz {n} Id": audio[f"----:com.apple.iTunes:MusicBrainz {n} Id"] for n in names}
    return {**raw, "trkn": audio["trkn"], "disk": audio["disk"], "aART": audio["aART"]}


def _raw_ape(path: Path) -> dict:
    tags = mutagen.File(path).tags
    return {key: str(value) for key, value in tags.items()}  # as stored, case and all


def _raw_asf(path: Path) -> dict:
    tags = mutagen.File(path).tags
    return {key: [str(v) for v in values] for key, values in tags.as_dict().items()}


_ids = {k: FULL[f"musicbrainz_{k}"] for k in ("artistid", "albumartistid", "albumid")}
_rg, _rec = FULL["musicbrainz_releasegroupid"], FULL["musicbrainz_trackid"]
_AA = FULL["albumartist"]
RAW = {
    "id3": (
        _raw_id3,
        {
            "TXXX:MusicBrainz Artist Id": [_ids["artistid"]],
            "TXXX:MusicBrainz Album Artist Id": [_ids["albumartistid"]],
            "TXXX:MusicBrainz Album Id": [_ids["albumid"]],
            "TXXX:MusicBrainz Release Group Id": [_rg],
            "UFID:http://musicbrainz.org": _rec,
            "TRCK": ["3/12"],
            "TPOS": ["1/2"],
            "TPE2": [_AA],
            "TDRC": ["1997"],
        },
    ),
    "vorbis": (
        _raw_vorbis,
        {
            "MUSICBRAINZ_ARTISTID": [_ids["artistid"]],
            "MUSICBRAINZ_ALBUMARTISTID": [_ids["albumartistid"]],
            "MUSICBRAINZ_ALBUMID": [_ids["albumid"]],
            "MUSICBRAINZ_RELEASEGROUPID": [_rg],
            "MUSICBRAINZ_TRACKID": [_rec],
            "TRACKNUMBER": ["3"],
            "TRACKTOTAL": ["12"],
            "DISCNUMBER": ["1"],
            "DISCTOTAL": ["2"],
            "ALBUMARTIST": [_AA],
            "DATE": ["1997"],
        },
    ),
    "mp4": (
        _raw_mp4,
        {
            "MusicBrainz Artist Id": [_ids["artistid"].encode()],
            "MusicBrainz Album Artist Id": [_ids["albumartistid"].encode()],
            "MusicBrainz Album Id": [_ids["albumid"].encode()],
            "MusicBrainz Release Group Id": [_rg.encode()],
            "MusicBrainz Track Id": [_rec.encode()],
            "trkn": [(3, 12)],
            "disk": [(1, 2)],
            "aART": [_AA],
        },
    ),
    "ape": (  # every tag: the keys Picard writes, as it spells them
        _raw_ape,
        {
            "Title": FULL["title"],
            "Artist": FULL["artist"],
            "Album Artist": _AA,
            "Album": FULL["album"],
            "Track": "3/12",
            "Disc": "1/2",
            "Year": "1997",
            "Genre": FULL["genre"],
            "MUSICBRAINZ_ARTISTID": _ids["artistid"],
            "MUSICBRAINZ_ALBUMARTISTID": _ids["albumartistid"],
            "MUSICBRAINZ_ALBUMID": _ids["albumid"],
            "MUSICBRAINZ_RELEASEGROUPID": _rg,
            "MUSICBRAINZ_TRACKID": _rec,
        },
    ),
    "asf": (
        _raw_asf,
        {
            "Title": [FULL["title"]],
            "Author": [FULL["artist"]],
            "WM/AlbumArtist": [_AA],
            "WM/AlbumTitle": [FULL["album"]],
            "WM/TrackNumber": ["3"],
            "TotalTracks": ["12"],
            "WM/PartOfSet": ["1"],
            "TotalDiscs": ["2"],
            "WM/Year": ["1997"],
            "WM/Genre": [FULL["genre"]],
            "MusicBrainz/Artist Id": [_ids["artistid"]],
            "MusicBrainz/Album Artist Id": [_ids["albumartistid"]],
            "MusicBrainz/Album Id": [_ids["albumid"]],
            "MusicBrainz/Release Group Id": [_rg],
            "MusicBrainz/Track Id": [_rec],
        },
    ),
}


@every_format
def test_keys_on_disk_follow_picard(tmp_path, fmt):
    raw, expected = RAW[FAMILY[fmt]]
    assert raw(track(tmp_path, fmt)) == expected


# --- ID3 versions -------------------------------------------------------------------------


def test_id3v23_stays_v23_and_keeps_full_dates(tmp_path):
    path = track(tmp_path, "mp3", id3_version=3)
    assert tags.read(path).tag_version == "ID3v2.3"
    tags.write(path, {"date": "2001-05-03", "title": "Ünïcode"})
    info = tags.read(path)
    assert info.tag_version == "ID3v2.3"
    assert info.tags == {**FULL, "date": "2001-05-03", "title": "Ünïcode"}
    raw = ID3(path, translate=False)
    assert raw.version == (2, 3, 0)
    assert raw["TYER"].text == ["2001"]
    assert raw["TIT2"].encoding == 1  # UTF-16: v2.3 has no UTF-8


def test_id3v1_only_is_read(tmp_path):
    values = {"title": "T", "artist": "A", "album": "B", "date": "1999", "tracknumber": "4"}
    path = synth.make_id3v1_only(tmp_path / "old.mp3", {**values, "genre": "Rock"})
    info = tags.read(path)
    assert info.tag_version == "ID3v1"
    assert info.tags == {**values, "genre": "Rock"}


def test_id3v22_is_read_and_upgraded_to_v24_on_write(tmp_path):
    values = {"title": "Tï", "artist": "A€", "album": "B", "tracknumber": "4", "tracktotal": "9"}
    path = synth.make_id3v22(tmp_path / "old.mp3", values)
    info = tags.read(path)
    assert (info.tag_version, info.tags) == ("ID3v2.2", values)
    tags.write(path, {"genre": "Jazz"})
    info = tags.read(path)
    assert (info.tag_version, info.tags) == ("ID3v2.4", {**values, "genre": "Jazz"})


def test_a_v24_tag_with_v23_frames_still_reads_them(tmp_path):
    # Some taggers leave a v2.3 year frame in a v2.4 tag: mutagen's translation to v2.4 makes
    # it the date, which a v2.4 tag without such frames may skip.
    path = track(tmp_path, "mp3", {"title": "x"})
    id3 = ID3(path)
    id3.add(TYER(encoding=0, text=["1987"]))
    id3.save(v2_version=4)
    raw = ID3(path, translate=False)
    assert raw.version == (2, 4, 0) and "TYER" in raw and "TDRC" not in raw
    assert tags.read(path).tags == {"title": "x", "date": "1987"}


def test_untagged_mp3_gets_v24(tmp_path):
    path = track(tmp_path, "mp3", {})
    assert tags.read(path).tag_version == "none"
    tags.write(path, {"title": "x"})
    assert tags.read(path).tag_version == "ID3v2.4"


def test_id3_genre_numbers_and_bare_track_totals(tmp_path):
    path = track(tmp_path, "mp3", {"title": "x"})
    id3 = ID3(path)
    id3.add(TCON(encoding=0, text=["(17)"]))
    id3.add(TRCK(encoding=0, text=["5"]))
    id3.save()
    assert tags.read(path).tags == {"title": "x", "genre": "Rock", "tracknumber": "5"}
    tags.write(path, {"tracktotal": "10"})
    assert ID3(path)["TRCK"].text == ["5/10"]


# --- Vorbis comments written by other taggers -----------------------------------------------


@pytest.mark.parametrize("fmt", ["flac", "ogg", "opus"])
def test_vorbis_slash_numbers_and_alias_totals(tmp_path, fmt):
    path = track(tmp_path, fmt, {"title": "x"})
    audio = mutagen.File(path)
    audio["TRACKNUMBER"] = ["3/12"]
    audio["TOTALDISCS"] = ["2"]
    audio["DISCNUMBER"] = ["1"]
    audio.save()
    got = tags.read(path).tags
    assert got == {
        "title": "x",
        "tracknumber": "3",
        "tracktotal": "12",
        "discnumber": "1",
        "disctotal": "2",
    }
    tags.write(path, {"tracknumber": "4", "disctotal": "3"})
    audio = mutagen.File(path)
    # The number is written where the file keeps it, with its total: no TRACKTOTAL is added
    # that the change never named (and that an undo would leave behind).
    assert audio["TRACKNUMBER"] == ["4/12"] and "TRACKTOTAL" not in audio
    assert (audio["DISCTOTAL"], audio["TOTALDISCS"]) == (["3"], ["3"])  # alias kept in step


def test_failed_write_leaves_the_file_and_no_temp_file(tmp_path):
    path = track(tmp_path, "m4a")
    before = path.read_bytes()
    with pytest.raises(AudioError, match="whole numbers"):  # MP4 cannot store "two"
        tags.write(path, {"title": "fine", "disctotal": "two"})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]


# --- file names that lie about the format ---------------------------------------------------


@pytest.mark.parametrize(("fmt", "named"), [("opus", "ogg"), ("mp3", "m4a"), ("m4a", "ogg")])
def test_a_file_whose_extension_lies_is_read_and_written_as_what_it_is(tmp_path, fmt, named):
    real = track(tmp_path, fmt, {"title": "Real", "tracknumber": "2"})
    path = real.rename(tmp_path / f"misnamed.{named}")
    info = tags.read(path)
    assert (info.format, info.tags) == (fmt, {"title": "Real", "tracknumber": "2"})
    tags.write(path, {"album": "Found"})
    assert tags.read(path).tags == {"title": "Real", "tracknumber": "2", "album": "Found"}


def test_vorbis_keys_are_read_whatever_their_case(tmp_path):
    path = track(tmp_path, "flac", {})
    audio = mutagen.File(path)
    audio.add_tags()
    audio.tags["title"] = ["lower"]
    audio.tags["Album"] = ["Mixed"]
    audio.tags["TrackNumber"] = ["7/9"]
    audio.save()
    assert tags.read(path).tags == {
        "title": "lower",
        "album": "Mixed",
        "tracknumber": "7",
        "tracktotal": "9",
    }


def _legacy_file(tmp_path: Path, kind: str) -> Path:
    values = {"title": "T", "artist": "A"}
    if kind == "ID3v1":
        return synth.make_id3v1_only(tmp_path / "v1.mp3", values)
    if kind == "ID3v2.2":
        return synth.make_id3v22(tmp_path / "v22.mp3", values)
    fmt, version = {"ID3v2.3": ("mp3", 3), "ID3v2.4": ("mp3", 4)}.get(kind, (kind, 4))
    return track(tmp_path, fmt, {} if fmt == kind else values, id3_version=version)


@pytest.mark.parametrize("kind", ["ID3v1", "ID3v2.2", "ID3v2.3", "ID3v2.4", *synth.FORMATS])
def test_version_after_write_says_what_a_write_leaves(tmp_path, kind):
    path = _legacy_file(tmp_path, kind)
    before = tags.read(path)
    tags.write(path, {"genre": "Jazz"})
    after = tags.read(path).tag_version
    assert tags.version_after_write(before.format, before.tag_version) == after


@pytest.mark.parametrize(
    "kind", ["ID3v1", "ID3v2.2", "ID3v2.3", "ID3v2.4", "pictured", *synth.FORMATS]
)
def test_a_kept_parse_writes_the_same_bytes_as_parsing_again(tmp_path, kind):
    if kind == "pictured":
        original = track(tmp_path, "flac", picture=True)
    else:
        original = _legacy_file(tmp_path, kind)
    kept, fresh = tmp_path / f"kept{original.suffix}", tmp_path / f"fresh{original.suffix}"
    kept.write_bytes(original.read_bytes())
    fresh.write_bytes(original.read_bytes())
    change = {"title": "New", "tracknumber": "7", "date": None}

    tags.write(kept, change, parsed=tags.read(kept, keep=True).parsed)
    tags.write(fresh, change)

    assert kept.read_bytes() == fresh.read_bytes()
    assert tags.read(kept).tags["title"] == "New"


@every_format
def test_write_saves_the_kept_parse_itself(tmp_path, fmt):
    path = track(tmp_path, fmt)
    info = tags.read(path, keep=True)
    # A value set on the parse in memory reaches the file: the parse was saved, not re-read.
    KINDS[type(info.parsed.audio)][1].set(info.parsed.audio.tags, tags.TABLE["genre"], "Kept")
    tags.write(path, {"title": "New"}, parsed=info.parsed)
    assert tags.read(path).tags["genre"] == "Kept"


@every_format
def test_a_kept_parse_of_a_file_changed_since_is_not_used(tmp_path, fmt):
    path = track(tmp_path, fmt)
    stale = tags.read(path, keep=True).parsed
    inode = path.stat().st_ino
    tag_by_hand(path, "album", "Homogenix")  # in place, same length: inode and size stay
    assert (path.stat().st_ino, path.stat().st_size) == (inode, stale.signature[1])
    tags.write(path, {"title": "New"}, parsed=stale)
    got = tags.read(path).tags
    assert (got["album"], got["title"]) == ("Homogenix", "New")


@every_format
def test_a_kept_parse_counts_its_pictures(tmp_path, fmt):
    plain = tags.read(track(tmp_path, fmt), keep=True).parsed
    pictured = tags.read(track(tmp_path / "p", fmt, picture=True), keep=True).parsed
    assert plain.picture_bytes == 0
    assert pictured.picture_bytes >= 60  # the 1x1 PNG (base64'd in Ogg comments)
    assert tags.read(track(tmp_path / "n", fmt)).parsed is None  # only when asked


def test_write_many_writes_every_file_it_can_and_says_why_not_the_others(tmp_path, monkeypatch):
    monkeypatch.setattr(safewrite, "WRITE_GROUP", 3)  # several groups, the last one short
    paths = [track(tmp_path / str(n), synth.FORMATS[n % 5]) for n in range(7)]
    damaged = paths[4]
    damaged.write_bytes(damaged.read_bytes()[:40])
    before = damaged.read_bytes()

    failed = tags.write_many([FileWrite(p, {"title": f"New {n}"}) for n, p in enumerate(paths)])

    assert list(failed) == [damaged] and isinstance(failed[damaged], AudioError)
    assert damaged.read_bytes() == before
    for n, path in enumerate(paths):
        if path != damaged:
            assert tags.read(path).tags == {**FULL, "title": f"New {n}"}
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".mediakeeper.")]


def test_a_disk_that_fails_the_flush_leaves_every_file_of_the_group_old(tmp_path, monkeypatch):
    paths = [track(tmp_path / str(n), fmt) for n, fmt in enumerate(("mp3", "flac"))]
    before = [p.read_bytes() for p in paths]

    def failing(fd):  # the OS's answer to a flush the disk could not do
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", failing)
    monkeypatch.setattr(os, "fdatasync", failing)
    open_before = len(os.listdir("/proc/self/fd"))
    failed = tags.write_many([FileWrite(p, {"title": "New"}) for p in paths])
    assert len(os.listdir("/proc/self/fd")) == open_before  # every copy's descriptor closed
    assert {p: e.message for p, e in failed.items()} == {
        p: f"{p}: Input/output error" for p in paths
    }
    assert [p.read_bytes() for p in paths] == before
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".mediakeeper.")]


def test_write_many_refuses_one_file_twice(tmp_path):
    path = track(tmp_path, "flac")
    before = path.read_bytes()
    with pytest.raises(ValueError, match="each file once"):
        tags.write_many([FileWrite(path, {"title": "A"}), FileWrite(str(path), {"album": "B"})])
    assert path.read_bytes() == before


@every_format
def test_a_large_file_is_changed_in_its_copy_to_the_same_bytes(tmp_path, monkeypatch, fmt):
    small, large = track(tmp_path / "s", fmt), track(tmp_path / "l", fmt)
    change = {"title": "New title that needs more room than the old one " * 20, "date": None}
    tags.write(small, change)  # in memory
    monkeypatch.setattr(safewrite, "IN_MEMORY_BYTES", 0)  # every file counts as large
    tags.write(large, change)  # copied, then changed in the copy
    assert large.read_bytes() == small.read_bytes()
    assert tags.read(large).tags["title"] == change["title"]


@every_format
def test_a_write_is_refused_when_a_tag_changed_since_it_was_read(tmp_path, fmt):
    path = track(tmp_path, fmt)
    stale = tags.read(path, keep=True).parsed
    tag_by_hand(path, "artist", "Björn")  # another tagger, in place, after our read
    expect = {"title": FULL["title"], "artist": FULL["artist"]}
    for parsed in (stale, None):  # a kept parse out of date, or none at all: parsed again
        values = {"title": "New", "artist": "Fixed"}
        failed = tags.write_many([FileWrite(path, values, parsed, expect)])
        assert failed[path].message == f"{path}: artist changed since it was read (now 'Björn')"
        assert tags.read(path).tags == {**FULL, "artist": "Björn"}
    # What was read still holds: the write goes ahead.
    assert not tags.write_many([FileWrite(path, {"title": "New"}, None, {"title": FULL["title"]})])
    assert tags.read(path).tags["title"] == "New"


def test_groups_are_bounded_by_files_and_by_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(safewrite, "WRITE_GROUP", 3)
    monkeypatch.setattr(safewrite, "GROUP_BYTES", 100)
    sizes = [10, 10, 10, 10, 60, 50, 500, 10]
    writes = []
    for n, size in enumerate(sizes):
        path = tmp_path / f"{n}.mp3"
        path.write_bytes(b"x" * size)
        writes.append(safewrite.Replacement(path, lambda work, st: None))
    groups = [[r.path.name for r in group] for group in safewrite._groups(writes)]
    assert groups == [
        ["0.mp3", "1.mp3", "2.mp3"],  # three files
        ["3.mp3", "4.mp3"],  # 70 bytes; 50 more would pass 100
        ["5.mp3"],
        ["6.mp3"],  # larger than a group: on its own
        ["7.mp3"],
    ]


def test_a_file_larger_than_the_memory_bound_is_changed_in_its_copy(tmp_path):
    import tracemalloc

    path = track(tmp_path, "mp3")
    data = path.read_bytes()
    tag_end = 10 + sum((b & 0x7F) << (7 * (3 - n)) for n, b in enumerate(data[6:10]))  # synchsafe
    frames = data[tag_end:]
    audio = frames * (safewrite.IN_MEMORY_BYTES // len(frames) + 2)
    path.write_bytes(data[:tag_end] + audio)
    size = path.stat().st_size
    assert size > safewrite.IN_MEMORY_BYTES

    tracemalloc.start()
    try:
        tags.write(path, {"title": "Large"})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < size / 2, peak  # a copy in chunks, never the whole file in memory
    assert tags.read(path).tags == {**FULL, "title": "Large"}
    assert path.read_bytes().endswith(audio)  # every byte of the audio kept


@pytest.mark.parametrize("fmt", ["flac", "ogg", "opus"])
def test_vorbis_single_tags_read_the_first_alias_with_a_value(tmp_path, fmt):
    """foobar2000's "ALBUM ARTIST" counts when ALBUMARTIST is missing or empty,
    and within one comment the first non-empty value counts."""
    path = track(tmp_path, fmt, {"title": "x"})
    audio = mutagen.File(path)
    audio["ALBUM ARTIST"] = ["Spaced"]
    audio["ARTIST"] = ["", "Second"]
    audio.save()
    assert tags.read(path).tags == {"title": "x", "albumartist": "Spaced", "artist": "Second"}
    audio["ALBUMARTIST"] = [""]
    audio.save()
    assert tags.read(path).tags["albumartist"] == "Spaced"
    audio["ALBUMARTIST"] = ["Joined"]
    audio.save()
    assert tags.read(path).tags["albumartist"] == "Joined"


def _raw_values(path: Path, fmt: str, name: str) -> list[str]:
    """A tag's values as stored, every one of them."""
    audio = mutagen.File(path)
    if FAMILY[fmt] == "id3":
        return list(type(audio)(path, translate=False).tags[name].text)
    return [str(v) for v in audio.tags[name]]


MULTI = {"id3": "TPE1", "vorbis": "ARTIST", "mp4": "©ART", "ape": "Artist", "asf": "Author"}
MULTI_KEY = {fmt: MULTI[FAMILY[fmt]] for fmt in synth.FORMATS}


@every_format
def test_a_change_to_a_tag_with_several_values_keeps_the_others(tmp_path, fmt):
    """The toolkit reads and changes a tag's first value; a second artist must survive a fix
    and its undo (a fix used to keep the first value only, and undo could not bring the
    rest back: the journal holds the first)."""
    path = track(tmp_path, fmt, {"title": "T", "artist": "Daft Punk "})
    audio = mutagen.File(path)
    if FAMILY[fmt] == "id3":
        audio.tags.add(TPE1(encoding=3, text=["Daft Punk ", "Pharrell Williams"]))
    else:
        audio.tags[MULTI_KEY[fmt]] = ["Daft Punk ", "Pharrell Williams"]
    audio.save()
    assert tags.read(path).tags["artist"] == "Daft Punk "

    tags.write(path, {"artist": "Daft Punk"})
    assert _raw_values(path, fmt, MULTI_KEY[fmt]) == ["Daft Punk", "Pharrell Williams"]
    tags.write(path, {"artist": "Daft Punk "})  # what an undo writes
    assert _raw_values(path, fmt, MULTI_KEY[fmt]) == ["Daft Punk ", "Pharrell Williams"]


def test_a_fix_to_an_id3v23_file_changes_its_own_frame_and_no_other(tmp_path):
    """Picard and Mp3tag write sort orders into v2.3 files, and a frame may hold several
    values; a fix went through mutagen's v2.4 translation and back, which dropped the sort
    frames and the time of day and joined the values with '/'."""
    path = track(tmp_path, "mp3", {"title": "Crazy in Love "}, id3_version=3)
    raw = ID3(path, translate=False)
    raw.add(TPE1(encoding=1, text=["Beyoncé", "Jay-Z"]))
    raw.add(TCON(encoding=1, text=["R&B", "Pop"]))
    raw.add(TSOP(encoding=1, text=["Knowles, Beyoncé"]))
    raw.add(TSOT(encoding=1, text=["Crazy"]))
    raw.delall("TDRC")
    raw.add(TYER(encoding=0, text=["2003"]))
    raw.add(TDAT(encoding=0, text=["0812"]))
    raw.add(TIME(encoding=0, text=["1200"]))
    raw.save(path, v2_version=3, v23_sep=None)
    before = {key: frame for key, frame in ID3(path, translate=False).items() if key != "TIT2"}

    tags.write(path, {"title": "Crazy in Love"})

    after = ID3(path, translate=False)
    assert after.version[:2] == (2, 3)
    assert after["TIT2"].text == ["Crazy in Love"]
    assert {key: frame for key, frame in after.items() if key != "TIT2"} == before


@pytest.mark.parametrize("fmt", ["mp3", "wav", "aiff"])
def test_a_fix_to_an_id3v24_tag_changes_its_own_frame_and_no_other(tmp_path, fmt):
    """A v2.4 tag as other taggers leave it: a genre kept as an ID3v1 number ("(17)Rock"), a
    v2.3 date frame and size frame left in it. A fix of the title went through mutagen's
    v2.4 translation, which spelled the genre out and deleted TDAT and TSIZ: frames the fix
    never named, changed without a word in the journal."""
    path = track(tmp_path, fmt, {"title": "Song "})
    audio = mutagen.File(path)
    audio.tags.add(TCON(encoding=0, text=["(17)Rock"]))
    audio.tags.add(TDAT(encoding=0, text=["0302"]))
    audio.tags.add(TSIZ(encoding=0, text=["123456"]))
    audio.save()  # saved as it is: mutagen translates on load, not on save
    raw = type(audio)(path, translate=False).tags
    assert raw.version == (2, 4, 0) and raw["TCON"].text == ["(17)Rock"] and "TSIZ" in raw
    before = {key: frame for key, frame in raw.items() if key != "TIT2"}
    assert tags.read(path).tags["genre"] == "Rock"

    tags.write(path, {"title": "Song"})

    after = type(audio)(path, translate=False).tags
    assert after.version == (2, 4, 0) and after["TIT2"].text == ["Song"]
    assert {key: frame for key, frame in after.items() if key != "TIT2"} == before


@pytest.mark.parametrize("version", [3, 4])
def test_a_fix_leaves_an_id3v1_tag_s_values_out_of_the_id3v2_tag(tmp_path, version):
    """An old rip's ID3v1 tag holds a year and a genre its ID3v2 tag lacks. mutagen reads
    them into the v2 tag it parses, and a fix of the title saved them there: the file's v2
    tag gained a year and a genre (as "17") no one wrote into it."""
    path = track(tmp_path, "mp3", {"title": " Song", "artist": "A"}, id3_version=version)
    old = ID3()
    old.add(TIT2(encoding=0, text=["Song"]))
    old.add(TDRC(encoding=0, text=["1999"]))
    old.add(TCON(encoding=0, text=["Rock"]))
    with open(path, "ab") as f:
        f.write(MakeID3v1(old))
    before = ID3(path, translate=False, load_v1=False)
    assert "TCON" not in before and tags.read(path).tags["date"] == "1999"

    tags.write(path, {"title": "Song"})

    after = ID3(path, translate=False, load_v1=False)
    assert after.version == before.version and after["TIT2"].text == ["Song"]
    assert sorted(after) == sorted(before)
    v1 = ParseID3v1(path.read_bytes()[-128:])  # still there, with its year and genre
    assert (v1["TIT2"].text, v1["TCON"].genres) == (["Song"], ["Rock"])
    assert v1["TDRC"].text[0].text == "1999"
    assert tags.read(path).tags["date"] == "1999"


def test_a_fix_changes_an_id3v1_tag_only_where_it_holds_the_fixed_tag(tmp_path):
    """The ID3v1 tag of an old rip names the album as the rip did and holds a comment; a fix
    of the title wrote the whole v1 tag again from the v2 tag, so its album became the v2
    tag's and its comment was lost."""
    path = track(tmp_path, "mp3", {"title": " Song", "artist": "A", "album": "Album (Deluxe)"})
    old = ID3()
    for frame in (TIT2(encoding=0, text=[" Song"]), TALB(encoding=0, text=["Album"])):
        old.add(frame)
    v1 = bytearray(MakeID3v1(old))
    v1[97:125] = b"ripped by EAC".ljust(28, b"\0")  # the comment (v1.1: its first 28 bytes)
    with open(path, "ab") as f:
        f.write(v1)

    tags.write(path, {"title": "Song"})

    after = path.read_bytes()[-128:]
    assert after[3:33] == b"Song".ljust(30, b"\0")
    assert after[33:] == bytes(v1[33:])  # album, comment and the rest as they were


@pytest.mark.parametrize("fmt", ["wv", "ape", "mpc"])
def test_a_fix_to_an_apev2_file_keeps_its_id3v1_tag(tmp_path, fmt):
    """Old Musepack and Monkey's Audio rips end with an APEv2 tag then an ID3v1 tag; mutagen's
    save of the APEv2 tag deletes what follows it, so a fix of the title deleted the ID3v1
    tag, and the undo put the title back but not that tag."""
    path = track(tmp_path, fmt, {"title": " Song", "artist": "A", "date": "1999"})
    old = ID3()
    for frame in (TIT2(encoding=0, text=[" Song"]), TDRC(encoding=0, text=["1999"])):
        old.add(frame)
    v1 = MakeID3v1(old)
    with open(path, "ab") as f:
        f.write(v1)
    size = path.stat().st_size

    tags.write(path, {"title": "Song"})

    assert path.read_bytes()[-128:] == v1 and path.stat().st_size == size - 1
    assert tags.read(path).tags["title"] == "Song"


@pytest.mark.parametrize("version", [3, 4])
def test_a_genre_set_keeps_the_other_genres_an_id3v1_number_list_names(tmp_path, version):
    """A TCON of "(17)(18)" names two genres, Rock and Techno, in one text; a genre set on it
    replaced the whole text, and Techno was lost."""
    path = track(tmp_path, "mp3", {"title": "x"}, id3_version=version)
    raw = ID3(path, translate=False)
    raw.add(TCON(encoding=0, text=["(17)(18)"]))
    raw.save(path, v2_version=version)
    assert tags.read(path).tags["genre"] == "Rock"

    tags.write(path, {"genre": "Jazz"})

    assert ID3(path)["TCON"].genres == ["Jazz", "Techno"]


def test_a_date_written_into_an_id3v23_file_goes_into_its_own_frames(tmp_path):
    path = track(tmp_path, "mp3", {"title": "T", "date": "1999"}, id3_version=3)
    tags.write(path, {"date": "2003-08-12T12:00"})
    raw = ID3(path, translate=False)
    assert (raw["TYER"].text, raw["TDAT"].text, raw["TIME"].text) == (["2003"], ["1208"], ["1200"])
    assert "TDRC" not in raw
    assert tags.read(path).tags["date"].startswith("2003-08-12")
    tags.write(path, {"date": "2004"})
    raw = ID3(path, translate=False)
    assert raw["TYER"].text == ["2004"] and "TDAT" not in raw and "TIME" not in raw


# --- formats read but never tagged, and templates ----------------------------------------


@pytest.mark.parametrize("fmt", synth.READ_ONLY)
def test_a_format_that_cannot_hold_tags_is_read_and_a_write_refused(tmp_path, fmt):
    path = track(tmp_path, fmt, {})
    info = tags.read(path)
    assert (info.format, info.tags, info.tag_version) == (fmt, {}, "none")
    assert 0.9 < info.duration < 1.2 and not tags.writable(fmt)
    before = path.read_bytes()
    with pytest.raises(AudioError, match="cannot hold tags"):
        tags.write(path, {"title": "x"})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]


def test_an_mp4_with_a_video_track_is_not_music(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(synth.template_bytes("silence.mp4").replace(b"soun", b"vide"))
    with pytest.raises(AudioError) as err:
        tags.read(path)
    assert err.value.code == "unsupported-format"
    assert "video" in err.value.reason


def test_the_header_only_templates_are_what_templates_py_builds():
    for name, build in templates.HEADERS.items():
        assert synth.template_bytes(name) == build(), name
