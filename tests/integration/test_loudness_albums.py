"""Loudness per album (issue 34): each album stands alone (a TTA album, whose decoder names
no channel layout, measured like any other; one that cannot be measured is a finding naming
its file while the artist's other albums get their gains), and silence gets no gain."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import mutagen
import pytest

from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg
from mediakeeper.music.job import MusicJob

EXE = ffmpeg.find()
DATA = Path(__file__).resolve().parents[2] / "mediakeeper" / "data"


def fields(path: Path) -> dict[str, str]:
    tags = mutagen.File(path).tags
    if hasattr(tags, "getall"):  # ID3
        return {f.desc.upper(): str(f.text[0]) for f in tags.getall("TXXX")
                if f.desc.upper().startswith("REPLAYGAIN")}  # fmt: skip
    return {k.upper(): v[0] for k, v in tags.items() if k.upper().startswith("REPLAYGAIN")}


def make(path: Path, source: str, *extra: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    made = ffmpeg.run(EXE, ["-f", "lavfi", "-i", source, *extra, "-y", os.fspath(path)])
    assert made.returncode == 0, made.last_error
    return path


def run(tmp_path: Path, artist: Path) -> list[dict]:
    item = {"key": artist.name, "name": artist.name, "path": str(artist), "run_token": "t"}
    MusicJob(tmp_path / "home", "s1", replaygain=True).process(item)
    (document,) = (tmp_path / "home" / "outputs" / "music" / "artists").glob("*.json")
    return json.loads(document.read_text())["findings"]


def test_a_tta_album_is_measured_and_the_mp3_album_too(tmp_path):
    artist = tmp_path / "Music" / "Artist"
    for n in (1, 2):
        make(artist / "2001 - Lossless" / f"0{n}.tta", f"sine=d=1:frequency={300 * n}")
        make(artist / "2002 - Lossy" / f"0{n}.mp3", f"sine=d=1:frequency={300 * n}")
    found = run(tmp_path, artist)
    assert not [f for f in found if f["code"] == "loudness-not-measured"]
    mp3 = fields(artist / "2002 - Lossy" / "01.mp3")
    assert mp3["REPLAYGAIN_ALBUM_GAIN"].endswith(" dB")
    assert fields(artist / "2001 - Lossless" / "01.tta")["REPLAYGAIN_ALBUM_GAIN"].endswith(" dB")


def an_album_that_cannot_be_measured(tmp_path: Path) -> None:
    """A finding naming its file; the artist's other album gets its gains."""
    artist = tmp_path / "Music" / "Artist"
    good = [synth.tone(EXE, artist / "2002 - Good" / f"0{n}.flac", 1.0) for n in (1, 2)]
    # OptimFROG: mutagen reads it, ffmpeg has no decoder for it
    (artist / "2001 - Bad").mkdir(parents=True)
    shutil.copy(DATA / "silence.ofr", artist / "2001 - Bad" / "01 Broken.ofr")
    synth.tone(EXE, artist / "2001 - Bad" / "02 Fine.flac", 1.0)
    found = run(tmp_path, artist)
    (failed,) = [f for f in found if f["code"] == "loudness-not-measured"]
    assert failed["path"] == "2001 - Bad" and "01 Broken.ofr" in failed["message"]
    assert all(fields(p)["REPLAYGAIN_ALBUM_GAIN"] for p in good)


def a_silent_track(tmp_path: Path) -> None:
    """No track gain, and the one it had goes; the album's gain it keeps."""
    artist = tmp_path / "Music" / "Artist"
    album = artist / "2001 - Quiet"
    loud = synth.tone(EXE, album / "01 Tone.flac", 1.0)
    silent = make(album / "02 Silence.flac", "anullsrc=d=2")
    audio = mutagen.File(silent)
    audio["REPLAYGAIN_TRACK_GAIN"] = ["+52.00 dB"]  # from an earlier run
    audio.save()
    found = run(tmp_path, artist)
    assert [f["path"] for f in found if f["code"] == "silent-track"] == [
        "2001 - Quiet/02 Silence.flac"]
    assert "REPLAYGAIN_TRACK_GAIN" not in fields(silent)
    assert fields(silent)["REPLAYGAIN_ALBUM_GAIN"] == fields(loud)["REPLAYGAIN_ALBUM_GAIN"]
    assert fields(loud)["REPLAYGAIN_TRACK_GAIN"].endswith(" dB")


# The loudness findings' firing cases (tests/contracts/test_findings.py reads them): each code, and
# a scenario that makes it fire and checks what follows.
FIRES = [
    pytest.param("loudness-not-measured", an_album_that_cannot_be_measured, id="not-measured"),
    pytest.param("silent-track", a_silent_track, id="silent-track"),
]


@pytest.mark.parametrize(("code", "scenario"), FIRES)
def test_each_loudness_finding_fires(tmp_path, code, scenario):
    scenario(tmp_path)
