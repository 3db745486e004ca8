"""ReplayGain as loudgain measures it (issue 34): the gains the toolkit writes are within
0.05 dB of loudgain's (libebur128: the reference many taggers and players use), for each
track and for the album, on an album of other lengths, formats and channel counts; the
peaks within 0.1 dB. loudgain is Debian's (`make readers` installs it); it only measures
here (``-s s``), it writes nothing."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mediakeeper.media import ffmpeg, replaygain

EXE = ffmpeg.find()
LOUDGAIN = shutil.which("loudgain")
pytestmark = pytest.mark.skipif(LOUDGAIN is None, reason="no loudgain: `make readers` installs it")


def make(path: Path, source: str, *extra: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    made = ffmpeg.run(EXE, ["-f", "lavfi", "-i", source, *extra, "-y", os.fspath(path)])
    assert made.returncode == 0, made.last_error
    return path


def loudgain(files: list[Path]) -> dict[str, tuple[float, float]]:
    """loudgain's album scan: file name (and "Album") -> (gain dB, true peak linear)."""
    out = subprocess.run([LOUDGAIN, "-a", "-s", "s", "-O", "-q", *map(os.fspath, files)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    rows = [line.split("\t") for line in out.splitlines()[1:]]
    return {Path(r[0]).name: (float(r[8].split()[0]), float(r[3])) for r in rows}


def db(peak: float) -> float:
    return 20 * math.log10(peak)


def test_gains_are_within_0_05_db_of_loudgains(tmp_path):
    album = tmp_path / "Album"
    files = [
        make(album / "01.flac", "anoisesrc=color=pink:amplitude=0.3:d=6:seed=1", "-ac", "2"),
        make(album / "02.flac", "sine=f=440:d=4", "-af", "volume=0.5", "-ac", "2"),
        make(album / "03.flac", "anoisesrc=color=brown:amplitude=0.05:d=5:seed=2", "-ac", "2"),
        make(album / "04.mp3", "anoisesrc=color=pink:amplitude=0.2:d=3.05:seed=5", "-ac", "1"),
        make(album / "05.m4a", "anoisesrc=color=white:amplitude=0.1:d=7.33:seed=7", "-c:a", "aac"),
    ]
    expected = loudgain(files)
    written = replaygain.tag_album(EXE, files, album=True)
    for path in files:
        tags = written[path.name]
        gain, peak = expected[path.name]
        assert abs(float(tags["REPLAYGAIN_TRACK_GAIN"].split()[0]) - gain) <= 0.05, (path, tags)
        assert abs(db(float(tags["REPLAYGAIN_TRACK_PEAK"])) - db(peak)) <= 0.1, (path, tags)
        album_gain, album_peak = expected["Album"]
        assert abs(float(tags["REPLAYGAIN_ALBUM_GAIN"].split()[0]) - album_gain) <= 0.05, tags
        assert abs(db(float(tags["REPLAYGAIN_ALBUM_PEAK"])) - db(album_peak)) <= 0.1, tags
        held = {k.upper().rpartition(":")[2]: v for k, v in replaygain.read(path).items()}
        assert held == tags  # what was written is what the file holds
