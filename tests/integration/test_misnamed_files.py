"""Files that are not what their names say: an MP3 named .flac (renamed by hand, a tool that
named every download .flac). Its bytes tell its format; it is read as what it is, its fixes
land in that file, and its undo gives its bytes back. Real files, the real scripts."""

from __future__ import annotations

import re

import mutagen

from mediakeeper.demo.tracks import make_track
from tests.helpers.processes import run_script


def test_an_mp3_named_flac_is_read_fixed_and_undone_as_the_mp3_it_is(tmp_path):
    """It was an unreadable-file ('... is not a valid FLAC file'; 'replace it or delete it':
    a good track, to be deleted), though the reader falls back to sniffing a file whose
    name lies: the sniff went by the name too, and the name said FLAC."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    album = lib / "Artist" / "Album"
    album.mkdir(parents=True)
    tags = {"artist": "Artist", "albumartist": "Artist", "album": "Album", "date": "2000"}
    make_track(album / "01 - One.mp3", "mp3", {**tags, "title": "One  ", "tracknumber": "1"})
    (album / "01 - One.mp3").rename(album / "01 - One.flac")
    make_track(album / "02 - Two.flac", "flac", {**tags, "title": "Two", "tracknumber": "2"})
    misnamed = album / "01 - One.flac"
    before = misnamed.read_bytes()
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert "unreadable-file" not in batch.stdout + batch.stderr
    report = next((home / "issues" / "music").glob("artist-*.md")).read_text(encoding="utf-8")
    assert "unreadable-file" not in report, report
    assert str(mutagen.File(misnamed, options=[mutagen.mp3.MP3])["TIT2"]) == "One"
    session = re.search(r"\(session (\S+?)\)", report).group(1)
    undone = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert misnamed.read_bytes() == before
