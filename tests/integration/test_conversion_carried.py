"""What a converted track carries besides its tags: every embedded picture (a front and a
back cover, each with its type and description where the container holds them) and the
track points of a single-file album rip (a FLAC CUESHEET block, or a CUESHEET tag).

Real FLAC made by ffmpeg, its pictures and cue sheet put in by ``metaflac`` (Debian's
flac), converted by the real job with ffmpeg, read back with mutagen."""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from pathlib import Path

import mutagen
import pytest
from mutagen.flac import Picture

from mediakeeper.conversions.job import ConversionJob
from mediakeeper.demo import sound as synth
from mediakeeper.demo.tracks import PNG_1X1
from mediakeeper.media import ffmpeg

EXE = ffmpeg.find()

CUE = """PERFORMER "Artist"
TITLE "Whole"
FILE "Whole.wav" WAVE
  TRACK 01 AUDIO
    TITLE "One"
    INDEX 01 00:00:00
  TRACK 02 AUDIO
    TITLE "Two"
    INDEX 01 00:01:00
  TRACK 03 AUDIO
    TITLE "Three"
    INDEX 00 00:01:50
    INDEX 01 00:02:00
"""


def _png(path: Path, colour: str) -> Path:
    subprocess.run([EXE, "-v", "error", "-f", "lavfi", "-i", f"color=c={colour}:s=2x2",
                    "-frames:v", "1", "-y", str(path)], check=True)  # fmt: skip
    return path


def _metaflac(*args) -> None:
    subprocess.run(["metaflac", *map(str, args)], check=True)


def _convert(tmp_path: Path, album: Path, profile: str) -> tuple[Path, dict]:
    out, home = tmp_path / f"out-{profile}", tmp_path / f"home-{profile}"
    job = ConversionJob(home, "s", out, profile=profile, threads=1)
    item = {"key": "Artist/Album", "name": "Artist/Album", "path": str(album),
            "run_token": uuid.uuid4().hex}  # fmt: skip
    job.process(item)
    document = json.loads(next((home / "outputs" / "conversions").glob("*.json")).read_text())
    return out / "Artist" / "Album", document


@pytest.fixture
def covered(tmp_path) -> Path:
    """An album of one track with a front cover, a back cover and a booklet page, each
    described."""
    album = tmp_path / "lib" / "Artist" / "Album"
    track = synth.tagged(synth.tone(EXE, album / "01 Song.flac", 1.0), {"title": "Song"})
    front = tmp_path / "front.png"
    front.write_bytes(PNG_1X1)
    back, booklet = _png(tmp_path / "back.png", "red"), _png(tmp_path / "page.png", "blue")
    _metaflac(f"--import-picture-from=3|image/png|Front side||{front}",
              f"--import-picture-from=4|image/png|Back side||{back}",
              f"--import-picture-from=8|image/png|||{booklet}", track)  # fmt: skip
    return album


WANTED = [(3, "Front side", "front.png"), (4, "Back side", "back.png"), (8, "", "page.png")]


def _expected(tmp_path: Path) -> list[tuple[int, str, bytes]]:
    return [(kind, desc, (tmp_path / name).read_bytes()) for kind, desc, name in WANTED]


@pytest.mark.parametrize("profile", ["opus", "flac"])
def test_every_picture_is_carried_with_its_type_and_description_vorbis(
    tmp_path, covered, profile
):
    folder, _ = _convert(tmp_path, covered, profile)
    audio = mutagen.File(next(folder.glob("01 Song.*")))
    if profile == "flac":
        pictures = audio.pictures
    else:
        pictures = [Picture(base64.b64decode(v)) for v in audio["metadata_block_picture"]]
    got = [(p.type, p.desc, p.data) for p in pictures]
    assert got == _expected(tmp_path)
    assert all(p.mime == "image/png" for p in pictures)


def test_every_picture_is_carried_into_an_mp3_each_in_its_own_apic(tmp_path, covered):
    folder, _ = _convert(tmp_path, covered, "mp3")
    apics = mutagen.File(folder / "01 Song.mp3").tags.getall("APIC")
    got = sorted((int(a.type), a.desc, a.data) for a in apics)
    assert got == sorted(_expected(tmp_path))


def test_an_m4a_holds_every_picture_and_the_album_says_their_types_are_not_kept(
    tmp_path, covered
):
    folder, document = _convert(tmp_path, covered, "aac")
    covers = mutagen.File(folder / "01 Song.m4a").tags["covr"]
    assert [bytes(c) for c in covers] == [data for _, _, data in _expected(tmp_path)]
    said = [f for f in document["findings"] if f["code"] == "not-carried"]
    assert len(said) == 1 and said[0]["severity"] == "info", document["findings"]
    assert "01 Song.flac" in said[0]["message"] and "type" in said[0]["message"]


@pytest.fixture
def cued(tmp_path) -> Path:
    """A single-file album rip: one FLAC whose CUESHEET block holds three track points."""
    album = tmp_path / "lib" / "Artist" / "Album"
    track = synth.tagged(synth.tone(EXE, album / "Whole.flac", 3.0), {"title": "Whole"})
    cue = tmp_path / "whole.cue"
    cue.write_text(CUE)
    _metaflac(f"--import-cuesheet-from={cue}", track)
    return album


# The block's track points (in CD frames, 75 a second), with its lead-out dropped.
POINTS = ["INDEX 01 00:00:00", "INDEX 01 00:01:00", "INDEX 00 00:01:50", "INDEX 01 00:02:00"]


def _indexes(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("INDEX")]


@pytest.mark.parametrize(
    ("profile", "name", "key"),
    [("opus", "Whole.opus", "cuesheet"), ("mp3", "Whole.mp3", "TXXX:CUESHEET"),
     ("aac", "Whole.m4a", "----:com.apple.iTunes:CUESHEET")],
)  # fmt: skip
def test_a_cuesheet_block_is_carried_as_the_targets_cuesheet_tag(
    tmp_path, cued, profile, name, key
):
    folder, document = _convert(tmp_path, cued, profile)
    tags = mutagen.File(folder / name).tags
    value = tags[key]
    text = bytes(value[0]).decode() if profile == "aac" else str(value[0] if profile == "opus"
                                                                 else value.text[0])
    assert _indexes(text) == POINTS
    assert f'FILE "{name}"' in text  # the sheet names the file it is in now
    assert not [f for f in document["findings"] if f["code"] == "not-carried"]


def test_a_cuesheet_block_stays_a_block_in_a_flac_and_its_tag_names_the_new_file(tmp_path, cued):
    track = cued / "Whole.flac"
    _metaflac(f"--set-tag-from-file=CUESHEET={tmp_path / 'whole.cue'}", track)
    folder, _ = _convert(tmp_path, cued, "flac")
    audio = mutagen.File(folder / "Whole.flac")
    source = mutagen.File(track)
    assert audio.cuesheet is not None
    assert [(t.track_number, t.start_offset, [(i.index_number, i.index_offset) for i in t.indexes])
            for t in audio.cuesheet.tracks] == [
        (t.track_number, t.start_offset, [(i.index_number, i.index_offset) for i in t.indexes])
        for t in source.cuesheet.tracks]  # fmt: skip
    # The ripper's own sheet (its titles) is the tag carried, naming the file it is in now.
    assert "TITLE \"Two\"" in audio["cuesheet"][0] and 'FILE "Whole.flac"' in audio["cuesheet"][0]
    assert _indexes(audio["cuesheet"][0]) == POINTS
