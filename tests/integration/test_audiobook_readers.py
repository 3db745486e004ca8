"""Audiobooks for every player (issue 34): the narrator from the chapters' composer, the
index first, chapters read by ffprobe, mutagen and music-metadata alike, the source's
channels and bit rate kept."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from mutagen.mp4 import MP4

from mediakeeper.audiobooks.job import AudiobookJob
from mediakeeper.media import ffmpeg

EXE = ffmpeg.find()


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
