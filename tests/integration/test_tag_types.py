"""The tag table's typed values on real files (issue 72): a number with its total, a date, a
flag and a whole number go through the one write into every container and are read back by
beets' mediafile as what they are; a container that stores a type itself (MP4's ``trkn``,
``tmpo`` and ``cpil``, an ASF boolean) is given that type; a field's other values stay when
its first changes; and a malformed stored value is read without raising, its text kept for
the findings that report it."""

from __future__ import annotations

import datetime
import json

import mutagen
import pytest
from mutagen.asf import ASF, ASFBoolAttribute
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TBPM, TCMP, TCOM, TRCK
from mutagen.mp4 import MP4

import mediakeeper
from mediakeeper import tags
from mediakeeper.core.errors import AudioError
from mediakeeper.demo import tracks as synth
from mediakeeper.tags.values import Date, Malformed, Numbered
from tests.helpers import run_script

mediafile = pytest.importorskip("mediafile", reason="the test extra installs mediafile")

# The formats beets' mediafile reads (DSDIFF, TTA, TAK, OptimFROG and Ogg FLAC/Speex it
# does not); the APEv2 ones keep a total in its number's key, where mediafile reads none.
READ_BY_MEDIAFILE = ("mp3", "flac", "m4a", "ogg", "opus", "wav", "aiff", "dsf", "wma", "m4b")
APE_FAMILY = ("ape", "wv", "mpc")


def track(tmp_path, fmt, values, **kwargs):
    return synth.make_track(tmp_path / f"song{synth.suffix(fmt)}", fmt, values, **kwargs)


def read_back(path):
    return mediafile.MediaFile(str(path))


@pytest.mark.parametrize("fmt", READ_BY_MEDIAFILE + APE_FAMILY)
def test_a_number_and_its_total_are_one_value_in_every_container(tmp_path, fmt):
    numbers = {"tracknumber": "3", "tracktotal": "12", "discnumber": "1", "disctotal": "2"}
    path = track(tmp_path, fmt, {"title": "Song", **numbers})
    tags.write(path, {"tracktotal": "14"})  # the total alone: its number stays
    read = read_back(path)
    if fmt in APE_FAMILY:
        assert (read.track, read.disc) == (3, 1)
        stored = mutagen.File(path).tags
        assert (str(stored["Track"]), str(stored["Disc"])) == ("3/14", "1/2")
    else:
        assert (read.track, read.tracktotal, read.disc, read.disctotal) == (3, 14, 1, 2)
    typed = tags.typed(tags.read(path).tags)
    assert typed["tracknumber"] == Numbered(3, 14) and typed["discnumber"] == Numbered(1, 2)


def test_mp4_keeps_a_number_and_its_total_as_an_integer_pair(tmp_path):
    path = track(tmp_path, "m4a", {"tracknumber": "3", "tracktotal": "12"})
    tags.write(path, {"tracknumber": "4"})
    assert MP4(path)["trkn"] == [(4, 12)]


@pytest.mark.parametrize(
    ("fmt", "id3_version"), [("mp3", 3), ("mp3", 4), ("flac", 4), ("m4a", 4), ("wma", 4)]
)
def test_a_date_is_read_and_written_as_a_date(tmp_path, fmt, id3_version):
    path = track(tmp_path, fmt, {"title": "Song"}, id3_version=id3_version)
    tags.write(path, {"date": "2001-05-02", "original_date": "1999-03-04"})
    read = read_back(path)
    assert read.date == datetime.date(2001, 5, 2)
    assert read.original_date == datetime.date(1999, 3, 4)
    if id3_version == 3:  # v2.3 has no TDRC: a year and a day of their own
        raw = ID3(path, translate=False)
        assert (raw.version, str(raw["TYER"]), str(raw["TDAT"])) == ((2, 3, 0), "2001", "0205")
    found = tags.read_fields(path, ("date", "original_date"))
    assert tags.typed(found) == {"date": Date(2001, 5, 2), "original_date": Date(1999, 3, 4)}


def test_a_date_an_id3v23_tag_cannot_hold_is_refused_and_the_file_kept(tmp_path):
    path = track(tmp_path, "mp3", {"date": "1997"}, id3_version=3)
    before = path.read_bytes()
    with pytest.raises(AudioError, match=r"an ID3v2\.3 tag stores a date from its year"):
        tags.write(path, {"date": "someday"})
    assert path.read_bytes() == before


@pytest.mark.parametrize("fmt", ["mp3", "flac", "m4a", "ogg", "wma"])
def test_the_compilation_flag_is_a_boolean(tmp_path, fmt):
    path = track(tmp_path, fmt, {"title": "Song"})
    tags.write(path, {"comp": "1"})
    assert read_back(path).comp is True
    if fmt == "m4a":
        assert MP4(path)["cpil"] is True  # a boolean atom, not text
    if fmt == "wma":
        assert isinstance(ASF(path)["WM/IsCompilation"][0], ASFBoolAttribute)
    tags.write(path, {"comp": "0"})
    assert read_back(path).comp is False
    if fmt == "wma":  # changed where it stands, as the boolean it was
        assert ASF(path)["WM/IsCompilation"] == [ASFBoolAttribute(False)]
    found = tags.read_fields(path, ("comp",))
    assert found == {"comp": "0"} and tags.typed(found) == {"comp": False}


def test_an_mp4_flag_stored_false_reads_as_0_so_a_change_to_it_is_undone_byte_for_byte(
    tmp_path,
):
    path = track(tmp_path, "m4a", {"title": "Song"})
    audio = MP4(path)
    audio["cpil"] = False  # as iTunes writes an album that is not a compilation
    audio.save()
    before = path.read_bytes()
    old = tags.read_fields(path, ("comp",)).get("comp")
    assert old == "0"  # stored, so its undo writes it back rather than removing the atom
    tags.write(path, {"comp": "1"})
    assert MP4(path)["cpil"] is True
    tags.write(path, {"comp": old})
    assert path.read_bytes() == before


def test_mp4_keeps_bpm_as_an_integer_and_refuses_text(tmp_path):
    path = track(tmp_path, "m4a", {"title": "Song"})
    tags.write(path, {"bpm": "120"})
    assert MP4(path)["tmpo"] == [120] and read_back(path).bpm == 120
    before = path.read_bytes()
    with pytest.raises(AudioError, match="MP4 stores bpm as a whole number of beats per minute"):
        tags.write(path, {"bpm": "fast"})
    assert path.read_bytes() == before


def test_malformed_vorbis_values_are_read_without_raising_and_kept_as_text(tmp_path):
    path = track(tmp_path, "flac", {"title": "Song"})
    audio = FLAC(path)
    audio.update({"TRACKNUMBER": "A1", "TRACKTOTAL": "twelve", "DISCNUMBER": "1/x",
                  "DATE": "someday", "BPM": "fast", "COMPILATION": "maybe"})  # fmt: skip
    audio.save()
    info = tags.read(path)  # a scan's read: no exception
    assert info.tags["tracknumber"] == "A1" and info.tags["tracktotal"] == "twelve"
    assert info.tags["discnumber"] == "1" and info.tags["disctotal"] == "x"
    assert info.tags["date"] == "someday"
    found = {**info.tags, **tags.read_fields(path, ("bpm", "comp"))}
    assert tags.typed(found) == {
        "title": "Song",
        "tracknumber": Malformed("A1/twelve"),
        "discnumber": Malformed("1/x"),
        "date": Malformed("someday"),
        "bpm": Malformed("fast"),
        "comp": Malformed("maybe"),
    }
    read = read_back(path)  # beets sees no number or date in them either
    assert (read.track, read.date, read.bpm) == (0, None, 0)


def test_malformed_id3_values_are_read_without_raising_and_kept_as_text(tmp_path):
    path = track(tmp_path, "mp3", {"title": "Song"})
    frames = ID3(path)
    for frame in (TRCK(encoding=3, text="A1/xx"), TBPM(encoding=3, text="fast"),
                  TCMP(encoding=3, text="maybe")):  # fmt: skip
        frames.add(frame)
    frames.save(path)
    info = tags.read(path)
    assert (info.tags["tracknumber"], info.tags["tracktotal"]) == ("A1", "xx")
    found = {**info.tags, **tags.read_fields(path, ("bpm", "comp"))}
    assert tags.typed(found)["tracknumber"] == Malformed("A1/xx")
    assert (found["bpm"], found["comp"]) == ("fast", "maybe")
    assert read_back(path).track == 0


@pytest.mark.parametrize("fmt", ["mp3", "flac", "m4a", "wma"])
def test_a_fields_other_values_stay_when_its_first_changes(tmp_path, fmt):
    path = track(tmp_path, fmt, {"title": "Song"})
    audio = mutagen.File(path)
    tags.set_values(audio, {"composer": ["First", "Second"]})  # a conversion's carry
    audio.save()
    assert tags.all_values(mutagen.File(path), ("composer",)) == {"composer": ["First", "Second"]}
    tags.write(path, {"composer": "New"})  # a fix or ``decide --set``: the first value
    assert tags.all_values(mutagen.File(path), ("composer",)) == {"composer": ["New", "Second"]}
    assert read_back(path).composer == "New"
    if fmt == "mp3":
        assert ID3(path)["TCOM"] == TCOM(encoding=3, text=["New", "Second"])


def test_decide_set_leaves_a_file_that_cannot_hold_the_value_as_it_was(tmp_path, music_library):
    """``decide --set tracknumber=A1`` (a vinyl side) over an album of an M4A and a FLAC: the
    FLAC takes any text, MP4 only whole numbers, so the answer is refused with the reason
    before anything is written, its dry run too, as a file the write would leave alone
    (before: the FLAC written, the M4A left alone, nothing decided; earlier still the M4A's
    value dropped). A date no container's readers take is refused for every file."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    album = {"artist": "Abba", "albumartist": "Abba", "album": "Gold", "date": "1992"}
    music_library(lib, {
        "Abba/Gold/01 - One.m4a": {"tags": {**album, "title": "One", "tracknumber": "1"}},
        "Abba/Gold/02 - Two.flac": {"tags": {**album, "title": "Two", "tracknumber": "2"}},
    })  # fmt: skip
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 0, batch.stdout + batch.stderr
    m4a, flac = lib / "Abba" / "Gold" / "01 - One.m4a", lib / "Abba" / "Gold" / "02 - Two.flac"
    before = {m4a: m4a.read_bytes(), flac: flac.read_bytes()}
    refused = run_script("decide.py", "--home", home, "music", "Abba", "--set", "date=someday")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "date takes a date as YYYY, YYYY-MM or YYYY-MM-DD" in refused.stderr
    assert {path: path.read_bytes() for path in before} == before
    for dry in (("--dry-run",), ()):
        took = run_script("decide.py", "--home", home, "music", "Abba", "--set",
                          "tracknumber=A1", *dry)  # fmt: skip
        assert took.returncode == 1, took.stdout + took.stderr
        assert ("left alone tracknumber of Gold/01 - One.m4a: MP4 stores track and disc numbers "
                "as whole numbers, not 'A1'") in took.stderr  # fmt: skip
        assert "Nothing decided, nothing written" in took.stderr
        # The dry run says no "would set" the take, refused whole, never makes (it said the
        # FLAC's and the M4A's both, beside the refusal).
        assert took.stdout == "", took.stdout
        assert {path: path.read_bytes() for path in before} == before
    assert read_back(m4a).track == 1 and read_back(flac).mgfile["TRACKNUMBER"] == ["2"]


def test_a_year_0000_is_no_year(tmp_path):
    """Rippers and taggers write "0000" for a year they do not know: there is no year 0 (a
    write of one is refused), yet a batch read it as a year and found nothing to say."""
    album = tmp_path / "Music" / "Artist" / "2001 - Album"
    for n in (1, 2):
        values = {"title": f"Song {n}", "artist": "Artist", "albumartist": "Artist",
                  "album": "Album", "tracknumber": str(n), "date": "0000"}  # fmt: skip
        synth.make_track(album / f"0{n} - Song {n}.flac", "flac", values)

    result = mediakeeper.run_batch(tmp_path / "home", "music", offline=True,
                                   library=str(tmp_path / "Music"))  # fmt: skip

    assert result.completed == 1
    (output,) = (tmp_path / "home" / "outputs" / "music" / "artists").glob("*.json")
    years = [f for f in json.loads(output.read_text())["findings"] if f["code"] == "missing-year"]
    assert len(years) == 2 and all(f["fixed"] for f in years)
    assert "'0000' is not a year" in years[0]["message"]
    assert [FLAC(path)["DATE"] for path in sorted(album.iterdir())] == [["2001"], ["2001"]]
