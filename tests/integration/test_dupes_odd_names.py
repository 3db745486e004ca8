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
    # the path as the file system has it: its undecodable byte as it is (surrogateescape)
    listed = mediakeeper(home, "dupes", "--json", text=False)
    assert listed.returncode == 0, listed.stderr
    (group,) = json.loads(listed.stdout.decode("utf-8", "surrogateescape"))["groups"]
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

