"""Sources are verified before they are carried (issue 34): a damaged track fails its album
with the file and the place it fails named, never passes as converted or copied; a video
file is not carried into the portable library. Real files made by ffmpeg, damaged the way
disks and cut-off copies damage them, through the real conversion script."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mediakeeper.demo import damage
from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg

EXE = ffmpeg.find()


@pytest.fixture
def convert(music_script, tmp_path):
    def run(library: Path, *args):
        return music_script("process_conversion_batch.py", "--home", tmp_path / "home",
                            "--output", tmp_path / "out", "--library", library, *args)  # fmt: skip

    return run


def _album(lib: Path, name: str, damaged: str, *, seconds: float = 20.0) -> Path:
    """An album of a healthy FLAC and ``damaged``, each a 20 s tone."""
    folder = lib / "Band" / name
    synth.tone(EXE, folder / "01 Fine.flac", 2.0)
    return synth.tone(EXE, folder / damaged, seconds)


def _last_error(home: Path, key: str) -> dict:
    data = json.loads((home / "status" / "conversions" / "processing_queue.json").read_text())
    item = next(i for i in data["items"] if i["key"] == key)
    assert item["status"] == "error", item
    return item["error_history"][-1]


@pytest.mark.parametrize(
    ("name", "damage_it", "says"),
    [
        ("02 Rot.flac", damage.flip_bytes, "does not decode at 0:09"),
        ("02 Cut.wav", damage.cut, "does not decode at 0:09"),
        ("02 Cut.ogg", damage.cut, "cut short at 0:09"),
        # An MP3 decodes what is left without a word: its LAME header's count tells (issue 63).
        ("02 Cut.mp3", damage.cut, "header says 20.00 s: cut short at 0:"),
    ],
)
def test_a_damaged_source_fails_its_album_naming_the_file_and_where(
    tmp_path, convert, name, damage_it, says
):
    lib = tmp_path / "lib"
    damage_it(_album(lib, "Album", name))
    result = convert(lib)
    assert result.returncode == 1, result.stdout
    last = _last_error(tmp_path / "home", "Band/Album")
    assert last["message"].startswith(f"{name}: "), last
    assert says in last["message"], last
    assert not (tmp_path / "out" / "Band" / "Album").exists()  # never passed on


def test_a_flac_whose_audio_no_longer_matches_its_md5_fails_its_album(tmp_path, convert):
    """A change that still decodes (a bit flipped inside a frame's samples would, in a
    format without checksums) shows only against the MD5 the encoder stored."""
    lib = tmp_path / "lib"
    rotten = _album(lib, "Album", "02 Rot.flac")
    other = synth.tone(EXE, tmp_path / "other.flac", 20.0, frequency=500)
    # The other tone's frames under this file's STREAMINFO: decodes cleanly, another MD5.
    head = rotten.read_bytes()[:8192].split(b"\xff\xf8")[0]
    frames = other.read_bytes()[len(other.read_bytes()[:8192].split(b"\xff\xf8")[0]) :]
    rotten.write_bytes(head + frames)
    result = convert(lib)
    assert result.returncode == 1, result.stdout
    assert "MD5" in _last_error(tmp_path / "home", "Band/Album")["message"]


def test_a_video_file_is_not_carried_into_the_portable_library(tmp_path, convert):
    lib = tmp_path / "lib"
    _album(lib, "Album", "02 Fine.flac", seconds=1.0)
    video = lib / "Band" / "Album" / "Making of.mkv"
    shutil.copy(synth.tone(EXE, tmp_path / "v.mkv", 1.0), video)
    dry = convert(lib, "--dry-run")  # says what the run does (it said "copied")
    assert "  Making of.mkv: left out (a video: it stays where it is)" in dry.stdout, dry.stdout
    result = convert(lib)
    assert result.returncode == 0, result.stdout
    out = tmp_path / "out" / "Band" / "Album"
    assert sorted(p.name for p in out.iterdir()) == ["01 Fine.opus", "02 Fine.opus"]
    assert video.exists()  # left where it is
    document = json.loads(next((tmp_path / "home" / "outputs" / "conversions").glob("*.json"))
                          .read_text())  # fmt: skip
    assert [f["code"] for f in document["findings"]] == ["video-left-out"]


def test_the_setting_leaves_a_damaged_source_out_with_a_warning_and_keeps_it(
    tmp_path, convert
):
    """``[conversions] damaged = "leave-out"``: the album is carried without the damaged
    track, which is said as a warning; with --delete-originals and no archive, the damaged
    original and the video (no copy of either exists) are kept, the carried ones deleted."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    home.mkdir()
    (home / "mediakeeper.toml").write_text('[conversions]\ndamaged = "leave-out"\n')
    rotten = damage.flip_bytes(_album(lib, "Album", "02 Rot.flac"))
    video = rotten.with_name("Making of.mkv")
    shutil.copy(synth.tone(EXE, tmp_path / "v.mkv", 1.0), video)
    result = convert(lib, "--delete-originals")
    # The damaged track left out is a warning: a decision waiting, so exit 1 (issue 36).
    assert result.returncode == 1, result.stdout
    assert "needs you: 1 decision in 1 album" in result.stdout
    out = tmp_path / "out" / "Band" / "Album"
    assert sorted(p.name for p in out.iterdir()) == ["01 Fine.opus"]
    assert sorted(p.name for p in rotten.parent.iterdir()) == ["02 Rot.flac", "Making of.mkv"]
    document = json.loads(next((home / "outputs" / "conversions").glob("*.json")).read_text())
    left = [f for f in document["findings"] if f["code"] == "damaged-source-left-out"]
    assert [(f["path"], f["severity"]) for f in left] == [("02 Rot.flac", "warning")]
    assert "does not decode at 0:09" in left[0]["message"]


def test_an_unknown_damaged_setting_is_refused_before_anything(tmp_path, convert):
    lib, home = tmp_path / "lib", tmp_path / "home"
    home.mkdir()
    (home / "mediakeeper.toml").write_text('[conversions]\ndamaged = "ignore"\n')
    _album(lib, "Album", "02 Fine.flac", seconds=1.0)
    result = convert(lib)
    assert result.returncode == 2
    assert "damaged is 'ignore'" in result.stderr and "Traceback" not in result.stderr
