"""Limits real libraries hit (issue 34): a file name of 245 bytes (valid: 255 is the most)
converts and is copied though the toolkit's temporary names carry a prefix; a book of more
than 255 chapters (Nero's chapter list holds no more) is made and checked whole; names that
are not UTF-8 make a book; device names (AUX, CON) are made safe for FAT and exFAT; a
volume that fills during an encode is said to be full."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mutagen.mp4 import MP4

from mediakeeper.audiobooks import metadata
from mediakeeper.audiobooks.job import AudiobookJob
from mediakeeper.demo import sound as synth
from mediakeeper.fs.names import beside
from mediakeeper.fs.workdir import PARTIAL, copy_verified, place_folder
from mediakeeper.media import ffmpeg, merge_m4b
from mediakeeper.media.convert import PROFILES, ConvertFailed, DamagedSource, convert
from mediakeeper.text.slug import fat_safe
from tests.helpers import small_tmpfs

EXE = ffmpeg.find()


def long_name(suffix: str, size: int = 245) -> str:
    """A name of ``size`` bytes in UTF-8, accents included, ending in ``suffix``."""
    stem = "Über " + "x" * size
    while len((stem + suffix).encode()) > size:
        stem = stem[:-1]
    return stem + suffix


def test_a_245_byte_name_converts_and_is_copied_and_placed(tmp_path):
    name = long_name(".flac")
    assert len(name.encode()) == 245
    source = synth.tone(EXE, tmp_path / "src" / name, 1.0)
    output = tmp_path / "out" / long_name(".opus")
    output.parent.mkdir()
    result = convert(EXE, source, output, PROFILES["opus"])
    assert result.action == "encoded" and output.exists()
    assert os.listdir(output.parent) == [output.name]  # no temporary left

    copy = tmp_path / "copy" / name
    copy.parent.mkdir()
    copy_verified(source, copy)
    assert copy.read_bytes() == source.read_bytes()

    album = tmp_path / "placed" / long_name("", 250)
    place_folder(source.parent, album, move=False, overwrite=False)
    assert os.listdir(album) == [name]


def test_a_temporary_name_stays_within_255_bytes_and_is_the_same_each_time(tmp_path):
    short = tmp_path / "01 Song.opus"
    assert beside(short, PARTIAL).name == ".mediakeeper-partial-01 Song.opus"
    long = tmp_path / long_name(".opus")
    temp = beside(long, PARTIAL)
    assert len(temp.name.encode()) <= 255 and temp.name.endswith(".opus")
    assert beside(long, PARTIAL) == temp
    assert beside(tmp_path / long_name(".opus", 244), PARTIAL) != temp


def test_a_book_of_more_than_255_chapters_is_made_and_checked_whole(tmp_path):
    one = tmp_path / "in" / "0001.mp3"
    one.parent.mkdir()
    made = ffmpeg.run(EXE, ["-f", "lavfi", "-i", "sine=d=0.3", "-ac", "1", "-b:a", "32k", "-y",
                            os.fspath(one)])  # fmt: skip
    assert made.returncode == 0, made.last_error
    measured = merge_m4b.measure(EXE, one, "Chapter 1")
    inputs = [measured]
    for n in range(2, 301):
        path = one.with_name(f"{n:04d}.mp3")
        os.link(one, path)
        inputs.append(merge_m4b.Input(os.fspath(path), f"Chapter {n}", measured.seconds,
                                      measured.codec, measured.rate, measured.channels))
    out = tmp_path / "book.m4b"
    merged = merge_m4b.merge(EXE, inputs, out, tmp_path / "links", merge_m4b.Audio(), "Book")
    assert len(merged.starts) == 300
    starts = ffmpeg.chapter_starts(EXE, out)  # the QuickTime chapter track: every chapter
    assert [round(s, 2) for s in starts] == [round(s, 2) for s in merged.starts]
    assert len(MP4(out).chapters) == 255  # Nero's list: its first 255, all it can hold
    assert [c.title for c in MP4(out).chapters][-1] == "Chapter 255"


def test_a_book_whose_names_are_not_utf8_is_made_with_readable_titles(tmp_path):
    """Names written in a legacy code page (bytes that are not UTF-8) convert as an album
    does; the book's title and chapters read them as Windows-1252."""
    lib = tmp_path / "lib"
    folder = lib / os.fsdecode(b"Jane Doe - Caf\xe9")
    folder.mkdir(parents=True)
    for n in (1, 2):
        made = ffmpeg.run(EXE, ["-f", "lavfi", "-i", "sine=d=1", "-ac", "1", "-y", "x.mp3"],
                          cwd=tmp_path)  # fmt: skip
        assert made.returncode == 0
        os.rename(tmp_path / "x.mp3", folder / os.fsdecode(b"0%d Caf\xe9 \xff.mp3" % n))
    job = AudiobookJob(home=tmp_path / "home", session="s", output=tmp_path / "out")
    key = folder.name
    job.process({"key": key, "name": key, "path": os.fspath(folder), "run_token": "t"})
    book = tmp_path / "out" / "Jane Doe" / "Café" / "Café.m4b"
    assert [c.title for c in MP4(book).chapters] == ["Café ÿ", "Café ÿ"]
    assert MP4(book).tags["\xa9nam"] == ["Café"]


def test_device_names_are_made_safe_for_fat_and_exfat():
    book = metadata.Book(title="CON", author="AUX")
    assert metadata.relative_output(book) == Path("AUX_", "CON_", "CON_.m4b")
    assert [fat_safe(n) for n in ("nul.txt", "COM1", "Lpt9", "Console", "a:b?.")] == [
        "nul_.txt", "COM1_", "Lpt9_", "Console", "a_b_"]


@pytest.fixture
def small_volume(tmp_path):
    with small_tmpfs(tmp_path / "small", "64k") as where:
        yield where


@pytest.mark.parametrize("profile", ["opus", "aac", "flac"])
def test_a_volume_that_fills_during_an_encode_says_disk_full(tmp_path, small_volume, profile):
    source = synth.tone(EXE, tmp_path / "01 Song.flac", 8.0)
    output = small_volume / f"01 Song{PROFILES[profile].extension}"
    with pytest.raises(ConvertFailed) as failed:
        convert(EXE, source, output, PROFILES[profile])
    message = failed.value.message
    assert message.startswith(f"{output.name}: disk full: ") and str(small_volume) in message
    assert "partial" not in message
    assert os.listdir(small_volume) == []  # nothing partial left


def test_a_failed_encode_names_the_output_not_its_temporary_name(tmp_path):
    source = synth.tone(EXE, tmp_path / "01 Song.flac", 1.0)
    output = tmp_path / "gone" / "01 Song.opus"  # a folder that is not there
    with pytest.raises(ConvertFailed) as failed:
        convert(EXE, source, output, PROFILES["opus"], retries=0)
    message = failed.value.message  # ffmpeg 5.1 names the file it could not open
    assert message.startswith("01 Song.flac: ") and "partial" not in message, message
    # The output's failure, not the source's: the source is whole, nothing to replace.
    assert not isinstance(failed.value, DamagedSource) and "replace it" not in message, message
