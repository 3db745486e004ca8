"""Links in a library, through the real scripts in real subprocesses: a link to a folder is
never followed (at --init, at --refresh, by a batch, by the scan inside an artist), and
says where it leads; a linked file leading outside the library is read, never written; one
leading into another artist's folder is fixed there, never through the link.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.deciding import decide, groups_of
from tests.integration.test_movie_batch import library_of, queue_of
from tests.integration.test_movie_batch import run as movie_batch
from tests.servers.tmdb import FakeTMDb


@pytest.fixture
def fake():
    with FakeTMDb() as server:
        yield server


def messy(track: int, title: str) -> dict:
    """A track whose title has a doubled space: a fix the batch would make."""
    return {
        "tags": {
            "title": title.replace(" ", "  "),
            "artist": "Someone",
            "albumartist": "Someone",
            "album": "Album",
            "tracknumber": str(track),
            "date": "2001",
        }
    }


def findings_of(home: Path, folder: str) -> list[dict]:
    for path in (home / "outputs/music/artists").glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc["folder_name"] == folder:
            return doc["findings"]
    raise AssertionError(f"no output for {folder}")


def test_a_batch_follows_no_folder_link_and_writes_nothing_outside_the_library(
    tmp_path, music_library, music_script, music_queue, tree_bytes
):
    lib, outside, home = tmp_path / "Music", tmp_path / "Elsewhere", tmp_path / "home"
    music_library(lib, {"Someone/Album/01 - Real Song.flac": messy(1, "Real Song")})
    music_library(outside, {f"Album/0{n} - Far Song.flac": messy(n, "Far Song") for n in (1, 2)})
    (lib / "Away").symlink_to(outside)  # an artist folder elsewhere
    (lib / "Self Loop").symlink_to(".")  # the whole library again
    (lib / "Alias").symlink_to("Someone")  # the same artist under a second name
    (lib / "Someone" / "Borrowed").symlink_to(outside / "Album")  # an album elsewhere
    (lib / "Someone" / "Album" / "02 - Far.flac").symlink_to(outside / "Album/01 - Far Song.flac")
    before = tree_bytes(outside)

    run = music_script("process_music_batch.py", "--home", home, "--library", lib)
    assert run.returncode == 1, run.stdout + run.stderr  # decisions left
    assert f"Away: a link to a folder outside the library ({outside}), not followed" in run.stdout
    assert "Self Loop: a link to a folder that loops, not followed" in run.stdout
    assert (
        "Alias: a link to 'Someone' in the library, not followed "
        "(its files would be processed twice)" in run.stdout
    )
    assert [item["name"] for item in music_queue(home)["items"]] == ["Someone"]
    assert tree_bytes(outside) == before  # not one byte written outside the library

    findings = findings_of(home, "Someone")
    [skipped] = [f for f in findings if f["code"] == "skipped-folder"]
    assert skipped["path"] == "Borrowed"
    assert f"a link to a folder outside the library ({outside / 'Album'})" in skipped["message"]
    spaces = {f["path"]: f for f in findings if f["code"] == "whitespace"}
    assert spaces["Album/01 - Real Song.flac"]["fixed"] is True
    far = spaces["Album/02 - Far.flac"]
    assert far["fixable"] is False and far["fixed"] is False
    assert "Not fixed: Album/02 - Far.flac is a link to a file outside the library" in (
        far["message"]
    )

    # The folder passed over is a decision a person may leave as it is: the batch listed no
    # file there to tell a change by, so it is not "changed since the batch read it".
    shown = decide(home, "music", "Someone", "--dismiss", "skipped-folder", "--dry-run")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    took = decide(home, "music", "Someone", "--dismiss", "skipped-folder")
    assert took.returncode == 0, took.stdout + took.stderr
    assert ("music", "skipped-folder") not in groups_of(home)


def test_init_and_refresh_say_which_links_they_pass_over(tmp_path, music_script, music_queue):
    lib, home = tmp_path / "Music", tmp_path / "home"
    (lib / "Someone").mkdir(parents=True)
    (lib / "Self Loop").symlink_to(lib)
    init = music_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0, init.stdout + init.stderr
    assert "1 pending artist" in init.stdout
    assert "Self Loop: a link to a folder that loops, not followed" in init.stdout

    (lib / "Up").symlink_to(tmp_path)  # a folder that holds the library: a loop too
    refresh = music_script("music_queue_manager.py", "--home", home, "--refresh")
    assert refresh.returncode == 0, refresh.stdout + refresh.stderr
    assert "0 added" in refresh.stdout
    assert "Up: a link to a folder that loops, not followed" in refresh.stdout
    assert [item["name"] for item in music_queue(home)["items"]] == ["Someone"]


def test_a_compilation_track_linked_into_an_artist_folder_is_left_to_the_compilation(
    tmp_path, music_library, music_script, tree_bytes
):
    """An artist's view of a compilation's track (a link in the artist's own album): the
    artist's album tells other values for it (its album, album artist and number) than the
    compilation does. Fixed through the link, the compilation's file took the artist's
    album's values, and the compilation's next run took them back, run after run."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    spec = {}
    for n in (1, 2, 3):
        tags = {"title": f"Song {n}", "artist": f"Singer {n}", "albumartist": "Various Artists",
                "album": "Now 5", "tracknumber": str(n), "date": "2001"}  # fmt: skip
        spec[f"Various Artists/2001 - Now 5/0{n} - Song {n}.mp3"] = {"tags": tags}
    for n in (1, 2):
        tags = {"title": f"Own {n}", "artist": "Singer 1", "albumartist": "Singer 1",
                "album": "Singles", "tracknumber": str(n), "date": "2001"}  # fmt: skip
        spec[f"Singer 1/2001 - Singles/0{n} - Own {n}.mp3"] = {"tags": tags}
    music_library(lib, spec)
    compilation = lib / "Various Artists/2001 - Now 5/01 - Song 1.mp3"
    (lib / "Singer 1/2001 - Singles/03 - Song 1.mp3").symlink_to(compilation)
    before = tree_bytes(lib)

    run = music_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert run.returncode == 1, run.stdout + run.stderr  # the artist's album: decisions
    for artist in ("Singer 1", "Various Artists", "Singer 1"):
        again = music_script("process_music_batch.py", "--home", home, "--artist", artist,
                             "--offline")  # fmt: skip
        assert again.returncode in (0, 1), again.stdout + again.stderr
    assert tree_bytes(lib) == before
    held = [f for f in findings_of(home, "Singer 1") if "not_fixed" in f.get("details", {})]
    assert {f["code"] for f in held} == {"inconsistent-album", "inconsistent-albumartist",
                                         "duplicate-tracknumber"}  # fmt: skip
    link = "2001 - Singles/03 - Song 1.mp3"
    for found in held:
        assert found["details"]["not_fixed"] == (
            f"{link} is a link to 'Various Artists/2001 - Now 5/01 - Song 1.mp3', which is "
            "fixed with the folder that holds it"
        )


def test_an_item_that_became_a_link_is_refused_by_its_job(
    tmp_path, music_library, music_script, music_queue, tree_bytes
):
    """Queued as a folder, then moved elsewhere and linked back: the job names the link and
    writes nothing there."""
    lib, outside, home = tmp_path / "Music", tmp_path / "Elsewhere", tmp_path / "home"
    music_library(lib, {"Someone/Album/01 - Song.flac": messy(1, "Song")})
    init = music_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0, init.stdout + init.stderr
    (lib / "Someone").rename(outside)
    (lib / "Someone").symlink_to(outside)
    before = tree_bytes(outside)
    run = music_script("process_music_batch.py", "--home", home)
    assert run.returncode == 1, run.stdout + run.stderr
    [item] = music_queue(home)["items"]
    assert item["status"] == "error"
    assert "a link to a folder outside the library" in item["last_error"]
    assert tree_bytes(outside) == before


def test_movie_folders_follow_the_same_rule(fake, tmp_path):
    lib = library_of(tmp_path / "Movies", ["Heat (1995)/heat.mkv"])
    elsewhere = library_of(tmp_path / "Elsewhere", ["Alien (1979)/alien.mkv"])
    (lib / "Alien (1979)").symlink_to(elsewhere / "Alien (1979)")
    (lib / "Again").symlink_to(lib)
    home = tmp_path / "home"
    run = movie_batch(fake, home, lib, "--offline", key=None)
    assert run.returncode == 1, run.stdout + run.stderr  # decisions left
    assert "Again: a link to a folder that loops, not followed" in run.stdout
    assert "Alien (1979): a link to a folder outside the library" in run.stdout
    assert list(queue_of(home)) == ["Heat (1995)"]
    assert sorted(p.name for p in (elsewhere / "Alien (1979)").iterdir()) == ["alien.mkv"]
