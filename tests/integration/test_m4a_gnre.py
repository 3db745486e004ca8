"""An M4A whose genre is the old numeric ``gnre`` atom (an ID3v1 genre's number plus one, as
iTunes once wrote it). Read as the genre's name, as ffprobe shows it; where a tagger added a
``©gen`` and left the ``gnre``, the ``©gen`` wins (ffmpeg reads whichever atom comes last).
A genre set writes ``©gen`` and drops ``gnre``; any write of such a file keeps the ``©gen``
genre alone, so every reader agrees; an undo gives the file back byte for byte."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from mutagen.mp4 import MP4

from mediakeeper import tags
from mediakeeper.demo.tracks import make_track
from mediakeeper.media import ffmpeg
from tests.helpers import run_script

ROCK = 18  # gnre: ID3v1's genre 17 ("Rock"), plus one


def with_gnre(path: Path, values: dict[str, str], number: int, *, instead_of: str) -> Path:
    """An M4A with ``values`` whose tag ``instead_of`` (a two-letter value; first in the
    tag list for "title", last for "albumartist") is made a ``gnre`` atom holding ``number``:
    mutagen writes no gnre, so its bytes are changed in place (an atom of the same size)."""
    atom = {"title": b"\xa9nam", "genre": b"\xa9gen", "albumartist": b"aART"}[instead_of]
    make_track(path, "m4a", {**values, instead_of: "ab"})
    data = bytearray(path.read_bytes())
    at = data.index(atom)
    assert data[at + 4 : at + 12] == (18).to_bytes(4, "big") + b"data"  # one 2-byte value
    data[at : at + 4] = b"gnre"
    data[at + 12 : at + 16] = bytes(4)  # version and flags 0: a number, not text
    data[at + 20 : at + 22] = number.to_bytes(2, "big")
    path.write_bytes(bytes(data))
    return path


def ffprobe_genre(path: Path) -> str | None:
    probe = shutil.which("ffprobe") or ffmpeg.find().replace("ffmpeg", "ffprobe")
    out = subprocess.run([probe, "-v", "error", "-show_entries", "format_tags", "-of", "json",
                          str(path)], check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(out.stdout)["format"].get("tags", {}).get("genre")


def atoms(path: Path) -> dict:
    return dict(MP4(path).tags)


TAGS = {"artist": "Abba", "albumartist": "Abba", "album": "Arrival", "date": "1976",
        "tracknumber": "1"}  # fmt: skip


@pytest.fixture
def library(tmp_path) -> Path:
    return tmp_path / "Music"


def track_path(library: Path) -> Path:
    return library / "Abba" / "1976 - Arrival" / "01 - Dancing Queen.m4a"


def test_a_gnre_genre_is_read_as_its_name_and_a_genre_set_writes_the_text_atom(library, tmp_path):
    path = with_gnre(track_path(library), {**TAGS, "title": "Dancing Queen"}, ROCK,
                     instead_of="genre")  # fmt: skip
    before = path.read_bytes()
    assert b"gnre" in before and b"\xa9gen" not in before
    assert tags.read(path).tags["genre"] == "Rock" == ffprobe_genre(path)

    home = tmp_path / "home"
    ran = run_script("process_music_batch.py", "--home", home, "--library", library, "--offline")
    assert ran.returncode in (0, 1), ran.stdout + ran.stderr
    assert path.read_bytes() == before  # nothing to fix
    took = run_script("decide.py", "--home", home, "music", "Abba", "--set", "genre=Disco")
    assert took.returncode == 0, took.stdout + took.stderr
    after = path.read_bytes()
    assert b"gnre" not in after, "players would disagree: gnre Rock beside a ©gen"
    assert atoms(path)["\xa9gen"] == ["Disco"] and ffprobe_genre(path) == "Disco"

    session = re.search(r"--session (\S+)$", took.stdout, re.M).group(1)
    undone = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert path.read_bytes() == before


def test_where_both_are_stored_the_text_genre_wins_and_a_write_keeps_it(library, tmp_path):
    """gnre (Rock) stored before ©gen (Jazz): ffprobe shows Jazz; the toolkit said Rock, and
    a title fix saved both into ©gen, Rock first, so players then showed Rock."""
    path = with_gnre(track_path(library), {**TAGS, "genre": "Jazz"}, ROCK, instead_of="title")
    before = path.read_bytes()
    assert before.index(b"gnre") < before.index(b"\xa9gen")
    assert ffprobe_genre(path) == "Jazz"
    assert tags.read(path).tags["genre"] == "Jazz"

    home = tmp_path / "home"  # the batch fills the title in from the file's name
    ran = run_script("process_music_batch.py", "--home", home, "--library", library, "--offline")
    assert ran.returncode in (0, 1), ran.stdout + ran.stderr
    assert atoms(path)["\xa9nam"] == ["Dancing Queen"], atoms(path)
    assert atoms(path)["\xa9gen"] == ["Jazz"] and b"gnre" not in path.read_bytes()
    assert ffprobe_genre(path) == "Jazz"
    undone = run_script("undo_changes.py", "--home", home, "--artist", "Abba")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize("place", ["title", "albumartist"])  # gnre before ©gen, or after it
def test_the_text_genre_is_read_wherever_the_numbered_one_stands(tmp_path, place):
    path = with_gnre(tmp_path / "a.m4a", {"genre": "Jazz"}, ROCK, instead_of=place)
    data = path.read_bytes()
    assert (data.index(b"gnre") < data.index(b"\xa9gen")) == (place == "title")
    # (ffprobe 5.1 says the later atom's: Jazz in the first order, Rock in the second)
    assert tags.read(path).tags["genre"] == "Jazz"
    tags.write(path, {"album": "Spirits"})
    assert atoms(path)["\xa9gen"] == ["Jazz"] and b"gnre" not in path.read_bytes()
    assert ffprobe_genre(path) == "Jazz"  # once written, every reader agrees
