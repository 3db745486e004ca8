"""Every album there: a folder whose name begins with a dot is media; only the documented
system folders are passed over, and every --init, --refresh and queue-making batch says
what it found, queued and skipped, naming each skipped folder and why (issue 34)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediakeeper.audiobooks import books
from mediakeeper.media import albums


def _album(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names or ("01 Track.flac",):
        (folder / name).write_bytes(b"")  # finders go by name: nothing here is decoded
    return folder


@pytest.fixture
def library(tmp_path) -> Path:
    lib = tmp_path / "lib"
    _album(lib / "Metallica" / "...And Justice for All")
    _album(lib / "Metallica" / "Master of Puppets")
    _album(lib / "Queens of the Stone Age" / "...Like Clockwork")
    _album(lib / ".Hidden Gem")  # a person's own dot-folder: media too
    _album(lib / ".Trash-1000" / "Deleted Album")  # a desktop's trash on a USB disk
    _album(lib / "Metallica" / "@eaDir")  # a Synology's thumbnails
    _album(lib / "lost+found" / "#1234")
    _album(lib / ".mediakeeper-partial-x")  # our own copy not yet in place
    return lib


FOUND = [
    ".Hidden Gem",
    "Metallica/...And Justice for All",
    "Metallica/Master of Puppets",
    "Queens of the Stone Age/...Like Clockwork",
]
SKIPPED = {
    ".Trash-1000": "a system folder",
    ".mediakeeper-partial-x": "the toolkit's own working folder",
    "Metallica/@eaDir": "a system folder",
    "lost+found": "a system folder",
}


def test_albums_whose_names_begin_with_a_dot_are_found(library):
    found = sorted(p.relative_to(library).as_posix() for p in albums.find(library))
    assert found == FOUND


def test_books_whose_names_begin_with_a_dot_are_found(library):
    found = sorted(p.relative_to(library).as_posix() for p in books.find(library))
    assert found == FOUND


def test_a_books_dot_disc_folder_is_its_own(tmp_path):
    book = _album(tmp_path / "lib" / "Author" / "Title", "01.mp3")
    _album(book / ".Trashes", "99.mp3")
    assert [p.name for p in books.book_files(book)] == ["01.mp3"]
    assert books.find(tmp_path / "lib") == [book]


@pytest.mark.parametrize("kind", ["conversion", "audiobook"])
def test_init_says_found_queued_and_skipped_with_each_name_and_why(
    library, tmp_path, music_script, kind
):
    run = music_script(
        f"{kind}_queue_manager.py", "--home", tmp_path / "home", "--init", "--library", library
    )
    assert run.returncode == 0, run.stderr
    noun = {"conversion": "albums", "audiobook": "books"}[kind]
    assert f"4 {noun} found, 4 queued, 4 skipped:" in run.stdout
    for name, why in SKIPPED.items():
        assert f"  {name}: {why}\n" in run.stdout

    (library / "Newcomer" / "...Baby One More Time").mkdir(parents=True)
    _album(library / "Newcomer" / "...Baby One More Time")
    again = music_script(f"{kind}_queue_manager.py", "--home", tmp_path / "home", "--refresh")
    assert again.returncode == 0, again.stderr
    assert f"5 {noun} found, 1 queued, 4 skipped:" in again.stdout


def test_a_batch_that_makes_its_queue_says_what_it_skipped(library, tmp_path, music_script):
    home = tmp_path / "home"
    made = music_script(
        "process_music_batch.py", "--home", home, "--library", library, "--batch-size", "1",
        "--offline",
    )  # fmt: skip
    assert "Traceback" not in made.stderr, made.stderr
    # Music items are artists: the dot-folder one too; the system folders are named.
    assert "3 artists found, 3 queued, 3 skipped:" in made.stdout
    assert "  .Trash-1000: a system folder\n" in made.stdout


HOME_SKIPPED = (
    "  mkhome: the data home (its reports and working copies are no media of the library)\n"
)


@pytest.mark.parametrize("kind", ["music", "verify", "conversion", "movie"])
def test_a_data_home_inside_the_library_is_passed_over_and_said(library, music_script, kind):
    """A home given inside the library (``--home lib/mkhome``) is no artist, and the album
    copies of its working folder are no albums: passed over at --init, --refresh and a
    batch's first run, each saying so."""
    home = library / "mkhome"
    _album(home / "working" / "conversions" / "album-1234" / "_source")  # a working copy
    manager = f"{kind}_queue_manager.py"
    run = music_script(manager, "--home", home, "--init", "--library", library)
    assert run.returncode == 0, run.stderr
    assert HOME_SKIPPED in run.stdout
    queue = (home / "status").glob("*/processing_queue.json")
    assert "mkhome" not in next(queue).read_text(encoding="utf-8")
    again = music_script(manager, "--home", home, "--refresh")
    assert HOME_SKIPPED in again.stdout and ", 0 queued," in again.stdout


def test_a_data_home_that_is_the_library_is_refused(library, music_script):
    run = music_script("verify_queue_manager.py", "--home", library, "--init", "--library",
                       library)  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"the data home {library} is the library {library}" in run.stderr
    assert not (library / "status" / "verify" / "processing_queue.json").exists()


def test_a_batch_that_makes_its_queue_passes_over_a_home_in_the_library(library, music_script):
    made = music_script("process_music_batch.py", "--home", library / "mkhome", "--library",
                        library, "--batch-size", "1", "--offline")  # fmt: skip
    assert "Traceback" not in made.stderr, made.stderr
    assert "3 artists found, 3 queued, 4 skipped:" in made.stdout and HOME_SKIPPED in made.stdout


def test_a_home_inside_an_artist_folder_is_not_read_as_the_artists(library, music_script):
    """Deeper than an item (``Metallica/mkhome``), the home is passed over by the artist's
    scan: its working copies are neither read as the artist's tracks nor fixed."""
    import mutagen

    from mediakeeper.demo.tracks import make_track

    home = library / "Metallica" / "mkhome"
    copy = make_track(home / "working" / "conversions" / "a-1" / "_source" / "01 Copy.flac",
                      "flac", {"title": "Copy ", "artist": "Metallica"})  # fmt: skip
    before = copy.read_bytes()
    made = music_script("process_music_batch.py", "--home", home, "--library", library,
                        "--artist", "Metallica", "--offline")  # fmt: skip
    assert "Traceback" not in made.stderr, made.stderr
    assert copy.read_bytes() == before and mutagen.File(copy)["title"] == ["Copy "]
    outputs = "".join(p.read_text(encoding="utf-8") for p in home.glob("outputs/music/**/*.json"))
    assert "Metallica" in outputs and "01 Copy.flac" not in outputs
    assert '"reason": "the data home (its reports' in outputs  # a skipped-folder finding
    # Its files change at every command: no change of the artist's files for --refresh.
    again = music_script("music_queue_manager.py", "--home", home, "--refresh")
    assert "0 changed since completed" in again.stdout, again.stdout + again.stderr


NFC, NFD = "Bj\u00f6rk", "Bjo\u0308rk"  # one name: as Linux and Windows write it, as a Mac does
TWINS = (f"Warning: same name in two Unicode forms: {NFC} (composed) and {NFD} (decomposed, "
         "as a Mac writes names) are 2 folders, queued as 2 artists: move one's contents "
         "into the other, or rename one")  # fmt: skip


def test_a_name_in_two_unicode_forms_is_said_as_one_concern(tmp_path, music_script):
    """A folder copied from a Mac beside its Linux twin: "Björk" twice, two artists that
    every list showed as the same name, with nothing said. Said once, as one concern, by
    --init, --refresh and a batch that makes its queue; both stay queued (no silent merge)."""
    lib = tmp_path / "lib"
    _album(lib / NFC / "Homogenic")
    _album(lib / NFD / "Post")
    _album(lib / "Metallica" / "Master of Puppets")
    home = tmp_path / "home"
    made = music_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert made.returncode == 0, made.stderr
    assert "3 artists found, 3 queued, 0 skipped" in made.stdout
    said = [line for line in made.stderr.splitlines() if "Unicode" in line]
    assert said == [TWINS], made.stderr
    again = music_script("music_queue_manager.py", "--home", home, "--refresh")
    assert [line for line in again.stderr.splitlines() if "Unicode" in line] == [TWINS]
    batch = music_script("process_music_batch.py", "--home", tmp_path / "other", "--library",
                         lib, "--offline", "--batch-size", "1")  # fmt: skip
    assert [line for line in batch.stderr.splitlines() if "Unicode" in line] == [TWINS]
