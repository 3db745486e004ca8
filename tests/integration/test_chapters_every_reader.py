"""A book's chapters for every reader (issue 63, point 10): the toolkit writes them both as a
QuickTime chapter track (one chunk and one ``stts`` entry per chapter) and as Nero's
``chpl``, both exact to the millisecond, with both ffmpegs; read back by ffprobe, mutagen
(``chpl``) and music-metadata 11.x (the chapter track alone; what npm installs on Node 20)
and 12.x, a file read at will and a stream read front to back."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from mutagen.mp4 import MP4

from mediakeeper.media import chapters, ffmpeg, merge_m4b
from tests.integration.test_audiobook_readers import MUSIC_METADATA, ffprobe, music_metadata


def make(exe: str, dest: Path, source: str, *extra: str) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    made = ffmpeg.run(exe, ["-f", "lavfi", "-i", source, *extra, "-y", os.fspath(dest)])
    assert made.returncode == 0, made.last_error
    return dest


def probed(path: Path, *options: str) -> list[tuple[str, float]]:
    listed = json.loads(subprocess.run(
        [ffprobe(), "-v", "error", *options, "-show_chapters", "-of", "json", os.fspath(path)],
        capture_output=True, text=True, check=True).stdout)["chapters"]  # fmt: skip
    return [(c["tags"]["title"], round(float(c["start_time"]), 3)) for c in listed]


def every_reader(path: Path) -> dict[str, list[tuple[str, float]]]:
    """The chapters as each reader reads them: (title, start rounded to the millisecond)."""
    read = {"ffprobe": probed(path),
            "mutagen": [(c.title, round(c.start, 3)) for c in MP4(path).chapters]}  # fmt: skip
    for package in MUSIC_METADATA:
        for mode in ((), ("--stream",)):
            found = music_metadata(path, *mode, package=package)["chapters"]
            read[f"{package} {mode}"] = [(c["title"], round(c["start"], 3)) for c in found]
    return read


@pytest.mark.parametrize("codec", ["mp3", "aac"])
def test_every_reader_reads_every_chapter_where_its_file_begins(any_ffmpeg, tmp_path, codec):
    extra, suffix = (["-c:a", "aac"], "m4a") if codec == "aac" else (["-ac", "1"], "mp3")
    lengths = (1, 2, 2, 1, 3)  # two alike in a row: one stts entry each all the same
    paths = [make(any_ffmpeg, tmp_path / "in" / f"0{n}.{suffix}", f"sine=d={s}", *extra)
             for n, s in enumerate(lengths, 1)]  # fmt: skip
    inputs = [merge_m4b.measure(any_ffmpeg, p, f"Part {n}") for n, p in enumerate(paths, 1)]
    book = tmp_path / "book.m4b"
    merged = merge_m4b.merge(any_ffmpeg, inputs, book, tmp_path / "links", merge_m4b.Audio())
    wanted = [(f"Part {n}", round(s, 3)) for n, s in enumerate(merged.starts, 1)]
    for reader, found in every_reader(book).items():
        assert found == wanted, reader


def plain_book(tmp_path: Path, seconds: float = 4.0) -> Path:
    """An M4B without chapters, its index after its audio, as ffmpeg writes it."""
    exe = ffmpeg.find()
    source = make(exe, tmp_path / "tone.m4a", f"sine=d={seconds}", "-c:a", "aac")
    book = tmp_path / "plain.m4b"
    made = ffmpeg.run(exe, ["-i", os.fspath(source), "-c", "copy", *merge_m4b.MUXER, "-y",
                            os.fspath(book)])  # fmt: skip
    assert made.returncode == 0, made.last_error
    return book


def test_three_hundred_chapters_are_all_in_the_track_and_255_in_the_nero_list(tmp_path):
    marks = [(f"Chapter {n}", n * 0.01) for n in range(300)]
    book = tmp_path / "book.m4b"
    chapters.write(plain_book(tmp_path), book, marks, 4.0)
    wanted = [(title, round(start, 3)) for title, start in marks]
    assert probed(book) == wanted  # the chapter track
    assert [(c.title, round(c.start, 3)) for c in MP4(book).chapters] == wanted[:255]
    for package in MUSIC_METADATA:
        found = music_metadata(book, package=package)["chapters"]
        assert [(c["title"], round(c["start"], 3)) for c in found] == wanted, package


def test_titles_of_any_script_and_length_are_kept_whole(tmp_path):
    long = "Ä" * 200  # 400 bytes: the Nero list holds 255, cut between characters
    marks = [("Prólogo — 序章", 0.0), (long, 1.5), ("Épilogue", 2.25)]
    book = tmp_path / "book.m4b"
    chapters.write(plain_book(tmp_path), book, marks, 4.0)
    assert probed(book) == [(t, s) for t, s in marks]
    nero = [(c.title, c.start) for c in MP4(book).chapters]
    assert nero == [marks[0], ("Ä" * 127, 1.5), marks[2]]
    for package in MUSIC_METADATA:
        found = music_metadata(book, "--stream", package=package)["chapters"]
        assert [(c["title"], c["start"]) for c in found] == marks, package


def test_the_index_comes_first_and_the_audio_is_the_same(tmp_path):
    plain = plain_book(tmp_path)
    book = tmp_path / "book.m4b"
    chapters.write(plain, book, [("One", 0.0), ("Two", 2.0)], 4.0)
    tops = []
    data, at = book.read_bytes(), 0
    while at < len(data):
        tops.append(data[at + 4 : at + 8])
        at += int.from_bytes(data[at : at + 4], "big")
    assert tops == [b"ftyp", b"moov", b"mdat"]
    listed = []
    for path in (plain, book):
        listing = path.with_suffix(".crc")
        ffmpeg.run(ffmpeg.find(), ["-i", os.fspath(path), "-map", "0:a:0", "-c", "copy", "-f",
                                   "framecrc", "-y", os.fspath(listing)])  # fmt: skip
        listed.append([row for row in listing.read_text().splitlines() if row[:1] != "#"])
    assert listed[0] == listed[1] and len(listed[0]) > 100


def test_what_is_not_an_mp4_is_refused_in_a_sentence(tmp_path):
    bogus = tmp_path / "bogus.m4b"
    bogus.write_bytes(b"\x00\x00\x00\x10ftypM4A \x00\x00\x00\x00" + b"\x00\x00\x00\x08free")
    with pytest.raises(chapters.ChaptersFailed, match="not an MP4 of one index"):
        chapters.write(bogus, tmp_path / "out.m4b", [("One", 0.0)], 1.0)
