"""Duplicates in a library that came from many machines: a folder named on Linux in Latin-1
(its bytes not UTF-8), a copy named in macOS's decomposed accents, a name of 255 bytes. Real
files, the real command in a subprocess; each copy is named so that it pastes back."""

from __future__ import annotations

import json
import os
import re

from tests.helpers.dupes import mediakeeper
from tests.helpers.melody import encode, melody_wav


def test_a_copy_whose_name_is_not_utf8_is_grouped_listed_set_aside_and_put_back(tmp_path):
    """A group holding a file in a Latin-1 folder ('Bj\\xf6rk') crashed the scan with a
    traceback (UnicodeEncodeError: surrogates not allowed) and the groups were lost: the
    listing then said 'No duplicates found'."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    song = melody_wav(tmp_path / "1.wav", 1, 12)
    latin = os.fsdecode(b"Bj\xf6rk")
    flac = encode(song, lib / "Björk" / "Debut" / "01 - Human.flac")
    mp3 = encode(song, lib / latin / "Debut" / "01 - Human.mp3", "-b:a", "128k")
    before = mp3.read_bytes()
    scan = mediakeeper(home, "dupes", "scan", "--library", lib)
    assert scan.returncode == 0 and "Traceback" not in scan.stderr, scan.stdout + scan.stderr
    # UTF-8 JSON (jq reads it), the name's undecodable byte as its escape, "Bj\udcf6rk",
    # which gives the path back (it was written as the raw byte: no UTF-8 at all)
    listed = mediakeeper(home, "dupes", "--json", text=False)
    assert listed.returncode == 0, listed.stderr
    (group,) = json.loads(listed.stdout.decode("utf-8"))["groups"]
    assert group["best"] == str(flac)
    assert {c["path"] for c in group["copies"]} == {str(flac), str(mp3)}
    # set aside and put back, each file named as it is, byte for byte
    done = mediakeeper(home, "dupes", "set-aside", "--all")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not mp3.exists()
    session = re.search(r"--session (\S+)", done.stdout).group(1)
    back = mediakeeper(home, "undo", "--session", session)
    assert back.returncode == 0, back.stdout + back.stderr
    assert mp3.read_bytes() == before


def test_a_name_of_255_bytes_set_aside_where_its_name_is_taken_keeps_to_255(tmp_path):
    """A 255-byte name set aside where the holding folder had that name already (a copy set
    aside before, ripped again) was refused: 'file name too long: .../L...L (2).mp3 (a name of
    259 bytes ...): give a shorter name', a name the toolkit made itself; the reference says a
    name taken gets ' (2)'."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    song = melody_wav(tmp_path / "1.wav", 1, 12)
    long = "L" * (255 - len(".mp3")) + ".mp3"
    encode(song, lib / "Artist" / "Album" / "01 - Song.flac")
    spare = encode(song, tmp_path / "spare.mp3", "-b:a", "128k")
    copy = lib / "Rips" / "Album" / long
    for _ in range(2):  # ripped again after the first was set aside
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(spare.read_bytes())
        assert mediakeeper(home, "dupes", "scan", "--library", lib).returncode == 0
        done = mediakeeper(home, "dupes", "set-aside", "--all")
        assert done.returncode == 0, done.stdout + done.stderr
        assert not copy.exists()
    held = sorted(p.name for p in (home / "set-aside" / "Rips" / "Album").iterdir())
    assert len(held) == 2 and long in held, held
    second = next(name for name in held if name != long)
    assert second.endswith(" (2).mp3") and len(os.fsencode(second)) == 255, second


def test_a_set_aside_from_a_read_only_library_moves_nothing_and_names_its_mount(tmp_path):
    """From a library on a read-only mount, set-aside copied the copy into the holding folder,
    failed to remove it from the library ('the file system mounted at / is read-only': the
    root, not the read-only bind mount), and listed a session '1 file set aside' whose file
    never left: each file was then in two places, and each run failed the same way."""
    from tests.helpers import read_only_bind

    source, home = tmp_path / "Music", tmp_path / "home"
    song = melody_wav(tmp_path / "1.wav", 1, 12)
    encode(song, source / "Artist" / "Album" / "01 - Song.flac")
    encode(song, source / "Rips" / "Album" / "01 - Song.mp3", "-b:a", "128k")
    before = {p: p.read_bytes() for p in source.rglob("*.*")}
    with read_only_bind(source, tmp_path / "ro") as lib:
        assert mediakeeper(home, "dupes", "scan", "--library", lib).returncode == 0
        done = mediakeeper(home, "dupes", "set-aside", "--all")
        assert done.returncode == 1, done.stdout + done.stderr
        said = done.stderr.strip().splitlines()
        assert len(said) == 1 and f"mounted at {lib} is read-only" in said[0], said
        assert "nothing was moved" in said[0], said
        listed = mediakeeper(home, "undo", "--list")
        assert "set aside" not in listed.stdout, listed.stdout
    assert not list((home / "set-aside").rglob("*.*")) if (home / "set-aside").exists() else True
    assert {p: p.read_bytes() for p in source.rglob("*.*")} == before
