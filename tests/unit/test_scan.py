"""scan_artist on a real artist folder built from the audio templates."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mediakeeper.core.errors import LibraryError
from mediakeeper.demo import tracks as synth
from mediakeeper.music.scan import PARSE_OVERHEAD, disc_number, scan_artist
from tests.helpers import refuse_scandir

ODD_ALBUM = "Ünïcødé 'quoted' \"album\" ..and more"


def tagged(title: str, number: str) -> dict[str, str]:
    return {"title": title, "artist": "The Band", "tracknumber": number}


@pytest.fixture
def artist(tmp_path: Path) -> Path:
    root = tmp_path / "The Band"
    synth.make_track(root / "2001 - First" / "01 - One.mp3", "mp3", tagged("One", "1"))
    synth.make_track(root / "2001 - First" / "02 - Two.mp3", "mp3", tagged("Two", "2"))
    (root / "2001 - First" / "cover.jpg").write_bytes(synth.PNG_1X1)
    (root / "2001 - First" / "garbage.flac").write_text("not audio at all\n")
    (root / "2001 - First" / "notes.txt").write_text("liner notes")
    (root / "2001 - First" / "back.jpg").write_bytes(synth.PNG_1X1)  # not a cover name
    double = root / "2005 - Double"
    synth.make_track(double / "CD1" / "01 - A.flac", "flac", tagged("A", "1"), picture=True)
    synth.make_track(double / "CD 2" / "01 - B.m4a", "m4a", tagged("B", "1"))
    synth.make_track(double / "Disk3" / "01 - C.ogg", "ogg", tagged("C", "1"))
    (double / "Folder.PNG").write_bytes(synth.PNG_1X1)
    synth.make_track(root / ODD_ALBUM / "-01 - ..x.opus", "opus", tagged("Odd", "1"))
    synth.make_track(root / "Loose Single.mp3", "mp3", tagged("Loose", "1"))
    (root / "empty.mp3").write_bytes(b"")
    (root / "._Loose Single.mp3").write_bytes(b"\x00\x05\x16\x07")  # macOS fork: passed over
    (root / ".mediakeeper.abc.tmp.mp3").write_bytes(b"")  # a killed write's temp: passed over
    (root / "desktop.ini").write_text("[x]")
    (root / "2001 - First" / "loop").symlink_to("..")  # leads back to the artist folder
    (double / "CD1" / "self").symlink_to(".")
    (root / "gone.mp3").symlink_to(root / "missing.mp3")
    return root


def test_scan_reads_albums_discs_and_loose_tracks(artist):
    scan = scan_artist(artist)
    assert scan.folder == "The Band"
    got = [(t.path, t.album, t.format, t.disc_folder, t.tags.get("title")) for t in scan.tracks]
    assert got == [
        ("2001 - First/01 - One.mp3", "2001 - First", "mp3", None, "One"),
        ("2001 - First/02 - Two.mp3", "2001 - First", "mp3", None, "Two"),
        ("2005 - Double/CD 2/01 - B.m4a", "2005 - Double", "m4a", 2, "B"),
        ("2005 - Double/CD1/01 - A.flac", "2005 - Double", "flac", 1, "A"),
        ("2005 - Double/Disk3/01 - C.ogg", "2005 - Double", "ogg", 3, "C"),
        ("Loose Single.mp3", "", "mp3", None, "Loose"),
        (f"{ODD_ALBUM}/-01 - ..x.opus", ODD_ALBUM, "opus", None, "Odd"),
    ]


def test_track_records_carry_file_facts(artist):
    tracks = {t.path: t for t in scan_artist(artist).tracks}
    flac = tracks["2005 - Double/CD1/01 - A.flac"]
    assert flac.lossless and flac.has_picture and flac.tag_version == "vorbis"
    assert flac.size == (artist / flac.path).stat().st_size
    mp3 = tracks["Loose Single.mp3"]
    assert (mp3.bitrate, mp3.tag_version, mp3.lossless) == (128000, "ID3v2.4", False)
    assert 0.9 < mp3.duration < 1.2
    assert dict(mp3.tags) == tagged("Loose", "1")


def test_unreadable_files_are_recorded_not_raised(artist):
    unreadable = {u.path: (u.album, u.reason) for u in scan_artist(artist).unreadable}
    assert set(unreadable) == {"2001 - First/garbage.flac", "empty.mp3", "gone.mp3"}
    assert unreadable["empty.mp3"] == ("", "empty file")
    assert unreadable["2001 - First/garbage.flac"][0] == "2001 - First"
    assert "valid FLAC" in unreadable["2001 - First/garbage.flac"][1]


def test_covers_and_symlink_loops(artist):
    scan = scan_artist(artist)
    assert scan.cover_albums == {"2001 - First", "2005 - Double"}
    assert scan.skipped == (
        ("2001 - First/loop", "a link to a folder that loops, not followed"),
        ("2005 - Double/CD1/self", "a link to a folder that loops, not followed"),
    )


def test_a_killed_writes_temp_copies_are_listed_as_leftovers_not_tracks(artist):
    deeper = artist / "2005 - Double" / "CD1" / ".mediakeeper.k3y.tmp.flac"
    deeper.write_bytes(b"half a copy")
    scan = scan_artist(artist)
    assert scan.leftovers == (
        str(artist / ".mediakeeper.abc.tmp.mp3"),
        str(deeper),
    )
    assert not any(".mediakeeper." in t.path for t in scan.tracks)
    assert not any(".mediakeeper." in u.path for u in scan.unreadable)


def test_parses_are_kept_for_writing_within_the_memory_asked(artist):
    everything = scan_artist(artist, keep_bytes=1 << 20)
    assert set(everything.parsed) == {t.path for t in everything.tracks}
    assert scan_artist(artist).parsed == {}  # not asked: nothing kept

    # Room for two plain parses: the first two files scanned; the rest are parsed again.
    two = scan_artist(artist, keep_bytes=2 * PARSE_OVERHEAD + 10)
    assert sorted(two.parsed) == ["2001 - First/01 - One.mp3", "2001 - First/02 - Two.mp3"]


def test_embedded_pictures_count_against_the_parses_kept(tmp_path):
    synth.make_track(tmp_path / "A" / "01 - Art.flac", "flac", tagged("Art", "1"), picture=True)
    synth.make_track(tmp_path / "A" / "02 - Plain.flac", "flac", tagged("Plain", "2"))
    scan = scan_artist(tmp_path / "A", keep_bytes=PARSE_OVERHEAD + 10)
    assert list(scan.parsed) == ["02 - Plain.flac"]


def test_scan_is_deterministic(artist):
    assert scan_artist(artist) == scan_artist(artist)


def test_links_to_folders_are_never_followed_and_say_where_they_lead(tmp_path):
    """An album folder that is a link is passed over: one outside the library would have its
    files rewritten there, one inside would be processed twice, one up the tree loops."""
    library, elsewhere = tmp_path / "Music", tmp_path / "elsewhere"
    synth.make_track(elsewhere / "01.mp3", "mp3", tagged("X", "1"))
    synth.make_track(library / "Other" / "Album" / "01.mp3", "mp3", tagged("Y", "1"))
    artist = library / "Artist"
    synth.make_track(artist / "Real" / "01.mp3", "mp3", tagged("Z", "1"))
    (artist / "Away").symlink_to(elsewhere)
    (artist / "Borrowed").symlink_to(library / "Other" / "Album")
    (artist / "Real" / "Up").symlink_to(library)
    scan = scan_artist(artist)
    assert [t.path for t in scan.tracks] == ["Real/01.mp3"]
    assert scan.skipped == (
        ("Away", f"a link to a folder outside the library ({elsewhere}), not followed"),
        (
            "Borrowed",
            "a link to 'Other/Album' in the library, not followed "
            "(its files would be processed twice)",
        ),
        ("Real/Up", "a link to a folder that loops, not followed"),
    )


def test_an_artist_folder_that_is_a_link_is_refused(tmp_path):
    """A queue made before the folder became a link: the scan refuses it, saying why."""
    synth.make_track(tmp_path / "elsewhere" / "A" / "01.mp3", "mp3", tagged("X", "1"))
    (tmp_path / "Music").mkdir()
    (tmp_path / "Music" / "Linked").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(LibraryError, match="a link to a folder outside the library"):
        scan_artist(tmp_path / "Music" / "Linked")


def test_a_linked_file_is_read_and_one_leading_outside_the_library_is_marked(tmp_path):
    library = tmp_path / "Music"
    synth.make_track(tmp_path / "elsewhere" / "01.mp3", "mp3", tagged("X", "1"))
    synth.make_track(library / "Artist" / "A" / "02.mp3", "mp3", tagged("Y", "2"))
    (library / "Artist" / "A" / "01.mp3").symlink_to(tmp_path / "elsewhere" / "01.mp3")
    (library / "Artist" / "A" / "03.mp3").symlink_to("02.mp3")
    scan = scan_artist(library / "Artist")
    assert [t.path for t in scan.tracks] == ["A/01.mp3", "A/02.mp3", "A/03.mp3"]
    assert scan.outside == {"A/01.mp3": str(tmp_path / "elsewhere" / "01.mp3")}
    assert scan.elsewhere == {}  # a link within the artist's own folder is fixed through it
    synth.make_track(library / "Other" / "B" / "04.mp3", "mp3", tagged("Z", "4"))
    (library / "Artist" / "A" / "04.mp3").symlink_to(library / "Other" / "B" / "04.mp3")
    assert scan_artist(library / "Artist").elsewhere == {"A/04.mp3": "Other/B/04.mp3"}


def test_disc_folder_at_top_level_is_an_album(tmp_path):
    synth.make_track(tmp_path / "A" / "CD1" / "01.mp3", "mp3", {})
    (track,) = scan_artist(tmp_path / "A").tracks
    assert (track.album, track.disc_folder, track.tags) == ("CD1", None, {})


def test_unreadable_subfolder_is_skipped(tmp_path, monkeypatch):
    locked = tmp_path / "A" / "Locked"
    synth.make_track(locked / "01.mp3", "mp3", {})
    if os.geteuid() == 0:  # root reads a mode-000 folder: have the OS refuse as it would
        refuse_scandir(monkeypatch, locked)
    locked.chmod(0)
    try:
        scan = scan_artist(tmp_path / "A")
    finally:
        locked.chmod(0o755)
    assert scan.tracks == ()
    assert scan.skipped == (("Locked", "Permission denied"),)


def test_empty_artist_folder(tmp_path):
    assert scan_artist(tmp_path).tracks == ()


@pytest.mark.parametrize("name", ["missing", "file.mp3"])
def test_bad_artist_folder_raises_library_error(tmp_path, name):
    (tmp_path / "file.mp3").write_bytes(b"x")
    with pytest.raises(LibraryError):
        scan_artist(tmp_path / name)


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("CD1", 1),
        ("CD 2", 2),
        ("cd02", 2),
        ("Disc 1", 1),
        ("Disk2", 2),
        ("DISC_3", 3),
        ("Disc 2 - Live", 2),
        ("CD1 (Bonus)", 1),
        ("Disc 1 of 2", 1),  # "of N" names the set's size, not another disc
        ("disc 2 of 2 - Live", 2),
        ("Disc 1of2", 1),  # as an album name's disc suffix reads it (fixplan.disc_suffix)
        ("CD101", 101),
        ("Disc 101 of 155", 101),
        ("Disc 1 of", None),
        ("CDs", None),
        ("Discography", None),
        ("CD1999", None),
        ("2001 - Disc", None),
    ],
)
def test_disc_number(name, number):
    assert disc_number(name) == number


def test_every_format_mutagen_reads_is_a_track(tmp_path):
    """The formats a library holds besides MP3, FLAC, M4A and Ogg: each file is read, none
    passed over (the read-only AAC and AC-3 too)."""
    root = tmp_path / "Mixed"
    for fmt in synth.FORMATS + synth.READ_ONLY:
        values = {} if fmt in synth.READ_ONLY else tagged(fmt, "1")
        synth.make_track(root / "Album" / f"{fmt}{synth.suffix(fmt)}", fmt, values)
    scan = scan_artist(root)
    assert (scan.unreadable, scan.unsupported) == ((), ())
    assert sorted(t.format for t in scan.tracks) == sorted(synth.FORMATS + synth.READ_ONLY)
    for t in scan.tracks:
        assert t.tags.get("title") == (None if t.format in synth.READ_ONLY else t.format)


def test_nothing_but_junk_and_companions_is_passed_over_in_silence(tmp_path):
    """Files the toolkit does not read are reported as what they are; an audio extension
    mutagen cannot identify is unreadable; pictures, cue sheets, logs and junk say nothing."""
    album = tmp_path / "The Band" / "Album"
    synth.make_track(album / "01 - One.mp3", "mp3", tagged("One", "1"))
    for name in ("cover.jpg", "back.png", "rip.log", "disc.cue", "notes.txt", "list.m3u"):
        (album / name).write_bytes(b"x")
    for name in (".DS_Store", "Thumbs.db", "desktop.ini"):
        (album / name).write_bytes(b"x")
    for name in ("live.mka", "score.mid", "clip.mkv", "data.xyz", "README"):
        (album / name).write_bytes(b"x" * 64)
    (album / "noise.wv").write_bytes(b"not a wavpack file" * 8)
    # An .mp4 is music when it holds no picture track: this one's only track is a video's.
    video = synth.template_bytes("silence.mp4").replace(b"soun", b"vide")
    (album / "film.mp4").write_bytes(video)
    synth.make_track(album / "02 - Two.mp4", "mp4", tagged("Two", "2"))

    scan = scan_artist(tmp_path / "The Band")
    assert [t.path for t in scan.tracks] == ["Album/01 - One.mp3", "Album/02 - Two.mp4"]
    assert [(u.path, u.reason) for u in scan.unsupported] == [
        ("Album/README", "a file with no extension"),
        ("Album/clip.mkv", "a Matroska file (.mkv)"),
        ("Album/data.xyz", "a .xyz file"),
        ("Album/film.mp4", "an MP4 video (it has a picture track), not music"),
        ("Album/live.mka", "a Matroska file (.mka)"),
        ("Album/score.mid", "a MIDI score file (.mid)"),
    ]
    assert [u.path for u in scan.unreadable] == ["Album/noise.wv"]
