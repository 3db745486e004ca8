"""Long names (issue 63): a name may be 255 bytes, and a folder too. Every temp, record and
report name the toolkit makes stays within 255 bytes, whatever the name it stands for:
tag fixes written in place and by copy, a conversion's working records, an audiobook, a
pipeline, a verify, a movie's NFO and artwork, and the toolkit's own atomic writes; names
of ASCII and of two-byte 'é' alike."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import mutagen
import pytest

from mediakeeper.demo import sound as synth
from mediakeeper.fs import safewrite
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.fs.names import NAME_MAX, cut_to_fit, fitted, name_bytes
from mediakeeper.media import ffmpeg
from mediakeeper.text.slug import slugify
from tests.helpers import REPO_ROOT, step, write_pipeline
from tests.integration.test_movie_batch import API_KEY, FakeTMDb, tmdb_env


def sized(letter: str, size: int, suffix: str = "") -> str:
    """A name of exactly ``size`` bytes in UTF-8: ``letter`` repeated, ``x`` to make up an
    odd byte, then ``suffix``."""
    stem = letter * ((size - name_bytes(suffix)) // name_bytes(letter))
    stem += "x" * (size - name_bytes(stem + suffix))
    assert name_bytes(stem + suffix) == size
    return stem + suffix


# (letter, bytes): ASCII and two-byte names, of 245 bytes (a temp prefix no longer fits
# beside them) and of 255 (the most a name may have).
SIZES = [("b", 245), ("é", 245), ("c", 255), ("é", 255)]


def long_names(suffix: str) -> list[str]:
    return [sized(letter, size, suffix) for letter, size in SIZES]


def every_name(root: Path) -> list[str]:
    names = []
    for _where, folders, files in os.walk(root):
        names += folders + files
    return names


def assert_no_temp_left(root: Path) -> None:
    left = [n for n in every_name(root) if ".tmp" in n or n.startswith(".mediakeeper")]
    assert left == [], left


def mediakeeper(home: Path, *args, code: int = 0, env=None) -> str:
    env = dict(env or os.environ)
    for name in ("MEDIAKEEPER_HOME", "PYTHONPATH"):
        env.pop(name, None)
    command = [sys.executable, "-m", "mediakeeper", "--home", str(home), *map(str, args)]
    run = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         timeout=300, check=False)  # fmt: skip
    said = run.stdout + run.stderr
    assert "Traceback" not in said and "too long" not in said, said[-3000:]
    assert run.returncode == code, said[-3000:]
    return said


# ---- the names themselves -----------------------------------------------------------------


@pytest.mark.parametrize(("letter", "size"), SIZES)
def test_an_atomic_write_of_a_long_name_leaves_it_whole_and_nothing_else(tmp_path, letter, size):
    target = tmp_path / sized(letter, size, ".json")
    atomic_write_text(target, "{}")
    atomic_write_text(target, '{"again": 1}')  # a replacement too
    assert os.listdir(tmp_path) == [target.name]
    assert target.read_text(encoding="utf-8") == '{"again": 1}'


def test_a_temp_or_record_name_stands_in_for_a_name_that_leaves_no_room():
    for name in long_names(".opus"):
        made = fitted(".", name, ".json", room=24)
        assert name_bytes(made) + 24 <= NAME_MAX and made.endswith(".opus.json")
        assert made == fitted(".", name, ".json", room=24)  # the same each time
    assert fitted(".", "01 Song.opus", ".json", room=24) == ".01 Song.opus.json"
    converted = cut_to_fit(sized("é", 255, ".mp3")[: -len(".mp3")], ".opus")
    assert name_bytes(converted) <= NAME_MAX and converted.endswith("é.opus")


def test_a_slug_is_bounded_in_bytes_as_in_letters():
    four_bytes = slugify("𠀀" * 100)  # a letter of four bytes in UTF-8
    assert name_bytes(four_bytes) <= 189 and name_bytes(f".{four_bytes}.html.4194304-99.tmp") <= 255
    assert slugify("中" * 100).startswith("中" * 60)  # three-byte letters: as they were


def test_a_file_whose_long_name_ends_in_a_long_suffix_is_replaced(tmp_path):
    """A temp copy keeps its original's suffix, but not one a long name's dots make."""
    target = tmp_path / ("a." + "é" * 126)
    target.write_bytes(b"old")

    def change(work, st):
        work.seek(0)
        work.truncate()
        work.write(b"new")

    safewrite.replace(target, change)
    assert target.read_bytes() == b"new" and os.listdir(tmp_path) == [target.name]


# ---- every kind ---------------------------------------------------------------------------


def tagged_album(album: Path, artist: str, suffix: str = ".flac") -> list[Path]:
    """Four tracks of long names; the first's title has a trailing space, the last has no
    album artist and no padding left: one fix is written in place, one by a copy."""
    from mediakeeper.demo.tracks import make_track

    tracks = []
    for n, name in enumerate(long_names(suffix), start=1):
        tags = {"title": f"Song {n}" + (" " if n == 1 else ""), "artist": artist,
                "albumartist": artist, "album": album.name[:40], "tracknumber": str(n),
                "date": "2000"}  # fmt: skip
        if n == 4:
            del tags["albumartist"]
        tracks.append(make_track(album / name, suffix.lstrip("."), tags))
    mutagen.File(tracks[-1]).save(padding=lambda info: 0)
    return tracks


@pytest.mark.parametrize("mode", ["in-place", "copy"])
def test_music_fixes_reach_long_names_in_long_folders(tmp_path, mode):
    lib = tmp_path / "Music"
    artist = sized("é", 255)
    album = lib / artist / sized("a", 255)
    tracks = tagged_album(album, artist)
    home = tmp_path / "home"
    home.mkdir()
    if mode == "copy":
        (home / "mediakeeper.toml").write_text('[music]\nwrite_mode = "copy"\n', encoding="utf-8")
    said = mediakeeper(home, "music", "batch", "--library", lib, "--offline")
    assert "tags written to 2 files" in said, said
    assert mutagen.File(tracks[0])["title"] == ["Song 1"]
    assert mutagen.File(tracks[-1])["albumartist"] == [artist]
    assert_no_temp_left(lib)
    assert all(name_bytes(n) <= NAME_MAX for n in every_name(home))


@pytest.fixture(scope="module")
def exe() -> str:
    return ffmpeg.find()


def tone_album(exe: str, album: Path) -> Path:
    album.mkdir(parents=True)
    one = synth.tone(exe, album.parent / "tone.flac", 1.0)
    for name in long_names(".flac"):
        shutil.copyfile(one, album / name)
    one.unlink()
    return album


@pytest.mark.parametrize("kind", ["conversions", "verify", "audiobooks"])
@pytest.mark.parametrize("letter", ["é", "中"])
def test_an_album_of_long_names_is_converted_verified_and_made_a_book(tmp_path, exe, kind,
                                                                      letter):  # fmt: skip
    lib = tmp_path / "lib"
    tone_album(exe, lib / sized("a", 255) / sized(letter, 255))
    home = tmp_path / "home"
    home.mkdir()
    output = [] if kind == "verify" else ["--output", tmp_path / "out"]
    said = mediakeeper(home, kind, "batch", "--library", lib, *output)
    noun = "book" if kind == "audiobooks" else "album"
    assert f"1 {noun} completed, 0 failed" in said, said
    if kind == "conversions":  # each track, its name cut to fit where the suffix grew
        made = sorted(p.name for p in (tmp_path / "out").rglob("*.opus"))
        assert len(made) == 4 and all(name_bytes(n) <= NAME_MAX for n in made)
    assert_no_temp_left(lib)
    assert all(name_bytes(n) <= NAME_MAX for n in every_name(home))


def test_a_pipeline_carries_long_names_through_its_steps(tmp_path, exe):
    lib = tmp_path / "lib"
    tone_album(exe, lib / sized("é", 255))
    pipeline = write_pipeline(tmp_path / "phone.yaml", step("to-opus", "convert", codec="opus"),
                              step("loudness", "replaygain", album=True), input=lib,
                              output=tmp_path / "out")  # fmt: skip
    home = tmp_path / "home"
    mediakeeper(home, "pipeline", "run", pipeline)
    made = list((tmp_path / "out").rglob("*.opus"))
    assert len(made) == 4 and all(name_bytes(p.name) <= NAME_MAX for p in made)
    assert all(name_bytes(n) <= NAME_MAX for n in every_name(home))


def test_a_movie_in_a_long_named_folder_gets_its_nfo_and_artwork(tmp_path):
    lib = tmp_path / "Movies"
    folder = lib / sized("é", 255, " (1999) [tmdbid-603]")
    folder.mkdir(parents=True)
    (folder / sized("é", 245, ".mkv")).write_bytes(b"not really a video")
    home = tmp_path / "home"
    home.mkdir()
    with FakeTMDb() as fake:
        env = tmdb_env(fake, API_KEY)
        mediakeeper(home, "movies", "batch", "--library", lib, "--artwork", env=env)
    assert {"movie.nfo", "poster.jpg", "fanart.jpg"} <= set(os.listdir(folder))
    assert_no_temp_left(lib)
    reports = [n for n in every_name(home / "issues") if n.endswith(".md")]
    assert reports and all(name_bytes(n) <= NAME_MAX for n in every_name(home))


def test_a_pipeline_splits_long_named_files_into_parts_whose_names_fit(tmp_path, exe):
    """Each part is named ``<stem> - 001.flac``: of a 255-byte name, the step failed with
    "File name too long: 000.flac", a temp name the person never sees; the stem is cut
    instead, as a conversion's is."""
    lib = tmp_path / "lib"
    album = tone_album(exe, lib / "Book")
    pipeline = write_pipeline(tmp_path / "cut.yaml", step("cut", "split", mode="fixed", seconds=5),
                              input=lib, output=tmp_path / "out")  # fmt: skip
    mediakeeper(tmp_path / "home", "pipeline", "run", pipeline)
    parts = sorted(os.listdir(tmp_path / "out" / "Book"))
    expected = sorted(cut_to_fit(Path(name).stem, " - 001.flac") for name in os.listdir(album))
    assert parts == expected
    assert all(name_bytes(p) <= NAME_MAX for p in parts)
