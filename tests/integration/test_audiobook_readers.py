"""Audiobooks for every player (issue 34): the narrator from the chapters' composer, the
index first, chapters read by ffprobe, mutagen and music-metadata alike (both majors: 11.x,
what npm installs on Node 20, reads only the QuickTime chapter track, one chapter per chunk;
issue 63), the source's channels and bit rate kept."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from mutagen.mp4 import MP4

from mediakeeper.audiobooks.job import AudiobookJob
from mediakeeper.media import ffmpeg, merge_m4b

EXE = ffmpeg.find()
READERS = Path(__file__).resolve().parents[1] / "readers"  # music-metadata's script, its node
# The majors installed side by side (tests/readers/package.json: 11.x under an npm alias).
MUSIC_METADATA = ("music-metadata", "music-metadata-11")


def ffprobe() -> str:
    """Debian's ffprobe (``make readers`` installs it when missing)."""
    found = shutil.which("ffprobe")
    if found is None:
        pytest.skip("no ffprobe: `make readers` installs Debian's ffmpeg package")
    return found


def music_metadata(path: Path, *mode: str, package: str = "music-metadata") -> dict:
    """What music-metadata (``package``: one of MUSIC_METADATA) reads of ``path``
    (tests/readers/chapters.mjs)."""
    if shutil.which("node") is None or not (READERS / "node_modules" / package).is_dir():
        pytest.skip(f"no {package}: `make readers` installs it into tests/readers")
    run = subprocess.run(["node", os.fspath(READERS / "chapters.mjs"), os.fspath(path), *mode,
                          "--package", package], capture_output=True, text=True,
                         check=True)  # fmt: skip
    return json.loads(run.stdout)


def atoms(path: Path) -> list[str]:
    """The top-level atoms of an MP4 file, in order."""
    names, data, at = [], path.read_bytes(), 0
    while at < len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        names.append(data[at + 4 : at + 8].decode("latin-1"))
        at += size if size else len(data)
    return names


def make(dest: Path, source: str, *extra: str) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    result = ffmpeg.run(EXE, ["-f", "lavfi", "-i", source, *extra, "-y", os.fspath(dest)])
    assert result.returncode == 0, result.last_error
    return dest


def run_book(tmp_path: Path, library: Path, folder: Path, **fields) -> Path:
    """The book made of ``folder``: the M4B's path."""
    job = AudiobookJob(home=tmp_path / "home", session="s", output=tmp_path / "out", **fields)
    key = folder.relative_to(library).as_posix()
    job.process({"key": key, "name": key, "path": os.fspath(folder),
                 "run_token": uuid.uuid4().hex})  # fmt: skip
    return next((tmp_path / "out").rglob("*.m4b"))


def test_the_narrator_comes_from_the_chapters_composer(tmp_path):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - The First"
    for n in (1, 2):
        make(book / f"0{n}.mp3", f"sine=d=1:frequency={400 * n}", "-metadata",
             "composer=Nick Narrator", "-metadata", f"title=Part {n}")  # fmt: skip
    tags = MP4(run_book(tmp_path, lib, book)).tags
    assert tags["\xa9nrt"] == tags["\xa9wrt"] == ["Nick Narrator"]


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    """A book of five MP3 chapters of 1, 1.5, 1.5, 2 and 1 s (64 kb/s mono)."""
    tmp = tmp_path_factory.mktemp("book")
    lib = tmp / "lib"
    folder = lib / "Jane Doe - The First"
    for n, seconds in ((1, 1.0), (2, 1.5), (3, 1.5), (4, 2.0), (5, 1.0)):
        make(folder / f"0{n}.mp3", f"sine=d={seconds}:frequency={300 * n}", "-ac", "1",
             "-b:a", "64k", "-metadata", f"title=Part {n}")  # fmt: skip
    return run_book(tmp, lib, folder)


def test_the_index_comes_before_the_audio(book):
    order = atoms(book)
    assert order.index("moov") < order.index("mdat"), order


def test_mutagen_ffprobe_and_music_metadata_read_the_same_chapters(book):
    marks = [(c.title, round(c.start, 3)) for c in MP4(book).chapters]
    assert marks == [("Part 1", 0.0), ("Part 2", 1.0), ("Part 3", 2.5), ("Part 4", 4.0),
                     ("Part 5", 6.0)]
    probed = json.loads(subprocess.run(
        [ffprobe(), "-v", "error", "-show_chapters", "-of", "json", os.fspath(book)],
        capture_output=True, text=True, check=True).stdout)["chapters"]  # fmt: skip
    assert [(c["tags"]["title"], round(float(c["start_time"]), 3)) for c in probed] == marks
    for package in MUSIC_METADATA:
        for mode in ((), ("--stream",)):  # a file read at will, and one read front to back
            read = music_metadata(book, *mode, package=package)["chapters"]
            assert [(c["title"], round(c["start"], 3)) for c in read] == marks, (package, mode)


def test_a_book_keeps_its_sources_channels_and_bit_rate(book):
    # As ffmpeg decodes it (the AAC configuration): an MP4's sample entry says 2 channels
    # whatever the stream holds, in the ISO template older muxers (ffmpeg 5.1) keep.
    stream = merge_m4b.measure(EXE, book, "book")
    assert stream.channels == 1
    assert stream.bitrate <= 64_000 * 1.1
    assert music_metadata(book)["format"]["bitrate"] <= 64_000 * 1.1


def test_a_low_rate_mono_book_keeps_its_sample_rate_and_does_not_grow(tmp_path):
    lib = tmp_path / "lib"
    folder = lib / "Jane Doe - Small"
    sources = [make(folder / f"0{n}.mp3", f"sine=d=3:frequency={300 * n}", "-ac", "1", "-ar",
                    "22050", "-b:a", "32k") for n in (1, 2)]  # fmt: skip
    made = run_book(tmp_path, lib, folder)
    stream = merge_m4b.measure(EXE, made, "book")
    assert (stream.channels, stream.rate) == (1, 22050)
    assert made.stat().st_size <= 1.25 * sum(p.stat().st_size for p in sources)
