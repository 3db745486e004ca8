"""Video files cut short, told from their containers' own sizes: real files made by ffmpeg,
whole and cut at the places a copy or a download stops."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mediakeeper.movies.cut_short import cut_short
from mediakeeper.movies.videos import scan_videos

# (file name, ffmpeg options before the output): the containers a movie library holds.
MADE = {
    "movie.mp4": [],
    "faststart.mp4": ["-movflags", "+faststart"],  # moov before mdat
    "fragmented.mp4": ["-movflags", "frag_keyframe+empty_moov"],
    "movie.mov": [],
    "movie.m4v": ["-f", "mp4"],
    "movie.mkv": [],
    "movie.webm": ["-c:v", "libvpx", "-b:v", "50k"],
    "movie.avi": [],
}


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("videos")
    made = {}
    for name, options in MADE.items():
        path = folder / name
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc=size=64x48:rate=10", "-t", "3", *options, str(path)],
                       check=True)  # fmt: skip
        made[name] = path.read_bytes()
    return made


def _written(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", MADE)
def test_a_whole_video_is_not_cut(videos, tmp_path, name):
    assert cut_short(_written(tmp_path, name, videos[name])) == ""


@pytest.mark.parametrize("name", MADE)
@pytest.mark.parametrize("kept", [0.5, 0.9, "all but one byte"])
def test_a_video_cut_short_is_told(videos, tmp_path, name, kept):
    data = videos[name]
    n = len(data) - 1 if kept == "all but one byte" else int(len(data) * kept)
    said = cut_short(_written(tmp_path, name, data[:n]))
    assert said.endswith(f" missing (the file has {n:,})"), said


def test_an_mp4_that_stops_where_its_index_begins_is_told(videos, tmp_path):
    """A muxer writes the moov box (the index) last: a copy that stops just before it has
    every box whole, and nothing a player can open."""
    data = videos["movie.mp4"]
    cut = data[: data.index(b"moov") - 4]
    said = cut_short(_written(tmp_path, "movie.mp4", cut))
    assert said == "it ends without its moov box (the index a player needs, written last)"


def test_what_cannot_be_told_is_not_guessed(tmp_path):
    """A Matroska written to a pipe (its Segment size unknown), an MPEG-TS, text named .mkv,
    an empty file: nothing said."""
    piped = subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                            "testsrc=size=64x48:rate=10", "-t", "2", "-f", "matroska", "-"],
                           check=True, capture_output=True).stdout  # fmt: skip
    assert cut_short(_written(tmp_path, "piped.mkv", piped[: len(piped) // 2])) == ""
    assert cut_short(_written(tmp_path, "stream.ts", b"\x47" + bytes(187) * 3)) == ""
    assert cut_short(_written(tmp_path, "text.mkv", b"not really a video")) == ""
    assert cut_short(_written(tmp_path, "empty.mp4", b"")) == ""
    assert cut_short(tmp_path / "gone.mp4") == ""


def test_the_scan_names_the_main_videos_cut_short(videos, tmp_path):
    """Only the main movie's files are checked: an extra or a sample cut short is not the
    movie."""
    half = videos["movie.mkv"][: len(videos["movie.mkv"]) // 2]
    _written(tmp_path, "Movie.cd1.mkv", videos["movie.mkv"])
    _written(tmp_path, "Movie.cd2.mkv", half)
    (tmp_path / "Extras").mkdir()
    _written(tmp_path / "Extras", "making of.mkv", half)
    _written(tmp_path, "sample.mkv", half)
    scan = scan_videos(tmp_path)
    assert [path for path, _ in scan.cut] == ["Movie.cd2.mkv"]
    assert " of its Segment missing" in scan.cut[0][1]
