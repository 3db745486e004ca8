"""Names of one file are one copy (issue 69, point 18): hard links are never listed as a
duplicate, never counted as space to free, never set aside. Real files, real links, the
real command in a subprocess."""

from __future__ import annotations

import os

from tests.helpers.dupes import mediakeeper, scanned
from tests.helpers.melody import encode, melody_wav


def test_hard_links_are_one_copy_never_waste_nor_set_aside(tmp_path):
    """Two names of one file were listed as a duplicate with 673 kB to free, and set-aside
    "freed 690 kB" that the disk never got back."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    wavs = [melody_wav(tmp_path / f"{n}.wav", n, 12) for n in (1, 2, 3)]
    album = [encode(w, lib / "Artist" / "Album" / f"0{n} - Song.flac")
             for n, w in enumerate(wavs, 1)]  # fmt: skip
    # the whole album again under another folder, as links (a "by genre" tree), and one
    # track linked loose
    for path in album:
        linked = lib / "Genres" / "Jazz" / "Album" / path.name
        linked.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, linked)
    os.link(album[0], lib / "loose.flac")
    # a real copy of song 2: the one duplicate, whose waste is its own size
    mp3 = encode(wavs[1], lib / "Rips" / "02 - Song.mp3", "-b:a", "128k")
    (group,) = scanned(home, lib)
    assert group["level"] == "track", group
    assert {c["path"] for c in group["copies"]} == {str(album[1]), str(mp3)}
    assert group["waste"] == mp3.stat().st_size
    listed = mediakeeper(home, "dupes")
    assert "Genres" not in listed.stdout and "loose" not in listed.stdout, listed.stdout
    done = mediakeeper(home, "dupes", "set-aside", "--all")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not mp3.exists()
    assert all(p.exists() for p in album)
    assert all((lib / "Genres" / "Jazz" / "Album" / p.name).exists() for p in album)
    assert (lib / "loose.flac").exists()
    assert "1 file of 1 group set aside" in done.stdout, done.stdout
