"""A library 1,000 folders deep (issue 63): every command that walks a tree walks it by a
loop, never by a call per level, so none stops on Python's recursion limit with a
traceback. Each kind's --init, --refresh and batch find what is there, the album at the
bottom of the chain included, and a conversion places it as deep as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mediakeeper.audiobooks import backups
from mediakeeper.demo.tracks import template_bytes
from mediakeeper.fs import tree
from mediakeeper.media import albums
from mediakeeper.queue import fingerprints
from tests.helpers import REPO_ROOT, decisions_alone, deeper_than_path_max, step, write_pipeline

DEPTH = 1000


@pytest.fixture(autouse=True)
def _removed_after(tmp_path):
    """Each test's trees removed as it ends: pytest removes old test folders with
    ``shutil.rmtree``, which a tree this deep stops with a RecursionError."""
    yield
    for inner in tmp_path.iterdir():
        if inner.is_dir() and not inner.is_symlink():
            tree.remove_tree(inner, ignore_errors=True)


def chain(top: Path, depth: int = DEPTH) -> Path:
    """``top/d/d/.../d``, ``depth`` folders below ``top``: made one level at a time from an
    open folder (``os.makedirs`` itself recurses once per level)."""
    top.mkdir(parents=True, exist_ok=True)
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)
    return top.joinpath(*["d"] * depth)


def track(path: Path) -> Path:
    path.write_bytes(template_bytes("silence.flac"))
    return path


def mediakeeper(home: Path, *args, code: int = 0) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("MEDIAKEEPER_HOME", "TMDB_API_KEY")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "mediakeeper", "--home", str(home), *map(str, args)]
    run = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         timeout=600, check=False)  # fmt: skip
    said = run.stdout + run.stderr
    assert "Traceback" not in said and "RecursionError" not in said, said[-3000:]
    assert run.returncode == code, said[-3000:]
    return said


@pytest.fixture
def deep_library(tmp_path) -> tuple[Path, Path]:
    """``lib/Artist/Album`` and ``lib/Artist/d/.../d`` (an album at the bottom); returns the
    library and the deep album."""
    lib = tmp_path / "lib"
    (lib / "Artist" / "Album").mkdir(parents=True)
    track(lib / "Artist" / "Album" / "01 Top.flac")
    bottom = chain(lib / "Artist")
    track(bottom / "01 Deep.flac")
    return lib, bottom


DEEP_KEY = "Artist/" + "/".join(["d"] * DEPTH)


def test_the_finders_and_fingerprints_reach_the_bottom(deep_library):
    lib, bottom = deep_library
    assert albums.find(lib) == [lib / "Artist" / "Album", bottom]
    files = fingerprints.files_of(lib / "Artist")
    deep = DEEP_KEY.removeprefix("Artist/") + "/01 Deep.flac"
    assert sorted(files) == ["Album/01 Top.flac", deep]
    walked = [where for where, _, _ in tree.walk(lib)]
    assert len(walked) == DEPTH + 3 and walked[-1] == str(bottom)
    assert sorted(tree.files_below(lib)) == sorted(
        [str(lib / "Artist" / "Album" / "01 Top.flac"), str(bottom / "01 Deep.flac")]
    )


def test_a_deep_tree_is_made_and_removed(tmp_path):
    deep = tmp_path.joinpath("top", *["d"] * DEPTH)
    tree.make_folders(deep)
    assert deep.is_dir()
    (deep / "x").write_bytes(b"x")
    os.symlink(tmp_path, deep / "loop")  # a link is removed, never followed
    tree.remove_tree(tmp_path / "top")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kind", ["verify", "conversions", "audiobooks"])
def test_an_album_kind_queues_refreshes_and_works_a_deep_library(tmp_path, deep_library, kind):
    lib, _ = deep_library
    home = tmp_path / "home"
    home.mkdir()
    said = mediakeeper(home, kind, "queue", "--init", "--library", lib)
    assert " 2 pending " in said and ", 0 skipped" in said
    output = ["--output", tmp_path / "out"] if kind != "verify" else []
    mediakeeper(home, kind, "batch", "--library", lib, *output)
    said = mediakeeper(home, kind, "queue", "--refresh", "--library", lib)
    assert "0 changed since completed" in said and "0 marked missing" in said
    if kind == "conversions":  # placed as deep as it was in the library
        assert [p.name for p in (tmp_path / "out").joinpath(DEEP_KEY).iterdir()] == ["01 Deep.opus"]


def test_a_book_holding_a_deep_tree_is_backed_up_whole(tmp_path):
    lib = tmp_path / "books"
    book = lib / "Jane Doe - Deep"
    book.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "mediakeeper" / "data" / "silence.mp3", book / "01 Chapter.mp3")
    (chain(book / "notes") / "readme.txt").write_text("deep", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    mediakeeper(home, "audiobooks", "queue", "--init", "--library", lib)
    mediakeeper(home, "audiobooks", "batch", "--library", lib, "--output", tmp_path / "out")
    copied = [p for p in tree.files_below(home) if p.endswith("readme.txt")]  # its backup
    assert len(copied) == 1
    assert copied[0].endswith("/".join(["notes", *["d"] * DEPTH, "readme.txt"]))
    later = datetime.now(UTC) + timedelta(days=2)
    assert len(backups.prune(home / "backup", 1, later)) == 1  # and pruned whole
    assert os.listdir(home / "backup") == []


def test_music_and_movies_queue_refresh_and_work_a_deep_library(tmp_path, deep_library):
    lib, _ = deep_library
    home = tmp_path / "home"
    home.mkdir()
    said = mediakeeper(home, "music", "queue", "--init", "--library", lib)
    assert "1 artist found, 1 queued, 0 skipped" in said
    said = mediakeeper(home, "music", "batch", "--library", lib, "--offline", code=1)
    assert decisions_alone(said), said[-3000:]  # untagged tracks: decisions
    tracks = (home / "outputs" / "music").rglob("*.json")
    assert any("01 Deep.flac" in p.read_text(encoding="utf-8") for p in tracks)
    said = mediakeeper(home, "music", "queue", "--refresh", "--library", lib)
    assert "0 changed since completed" in said

    movies = tmp_path / "movies"
    film = movies / "Deep Film (2001)"
    film.mkdir(parents=True)
    (film / "Deep Film (2001).mkv").write_bytes(b"not really a video")
    (chain(film / "extras") / "behind.mkv").write_bytes(b"not really a video")
    mediakeeper(home, "movies", "queue", "--init", "--library", movies)
    said = mediakeeper(home, "movies", "batch", "--library", movies, "--offline", code=1)
    assert decisions_alone(said), said[-3000:]  # offline: not identified, a decision
    said = mediakeeper(home, "movies", "queue", "--refresh", "--library", movies)
    assert "0 changed since completed" in said


def test_a_pipeline_carries_an_album_from_the_bottom_of_a_deep_library(tmp_path, deep_library):
    lib, _ = deep_library
    pipeline = write_pipeline(tmp_path / "phone.yaml", step("to-opus", "convert", codec="opus"),
                              input=lib, output=tmp_path / "out")  # fmt: skip
    mediakeeper(tmp_path / "home", "pipeline", "run", pipeline)
    assert [p.name for p in (tmp_path / "out").joinpath(DEEP_KEY).iterdir()] == ["01 Deep.opus"]


@pytest.mark.parametrize(
    "kind", ["music", "movies", "verify", "conversions", "audiobooks", "dupes"]
)
def test_a_corner_deeper_than_path_max_is_noted_and_the_rest_queued(tmp_path, kind):
    """A folder chain of 4,200 bytes (past PATH_MAX) stops no kind's queue: that corner is
    passed over with a note, every item beside it queued (issue 69, point 9)."""
    lib = tmp_path / "lib"
    (lib / "Artist" / "Album").mkdir(parents=True)
    track(lib / "Artist" / "Album" / "01 Top.flac")
    (lib / "Other" / "Album").mkdir(parents=True)
    track(lib / "Other" / "Album" / "01 Beside.flac")
    deeper_than_path_max(lib / "Artist")
    home = tmp_path / "home"
    home.mkdir()
    said = mediakeeper(home, kind, "queue", "--init", "--library", lib)
    assert "File name too long" not in said, said[-2000:]
    assert " 2 pending " in said, said[-2000:]
    if kind not in ("music", "movies"):  # those read the library's top levels only
        assert ", 1 skipped:" in said and "bytes long, longer than the system lets a program " \
            "open: move it higher up to have it read" in said, said[-2000:]
    said = mediakeeper(home, kind, "queue", "--refresh", "--library", lib)
    assert "0 marked missing" in said, said[-2000:]


def test_the_watcher_queues_a_folder_beside_a_corner_deeper_than_path_max(tmp_path, watching):
    from tests.integration.watching import home_for, items

    lib = tmp_path / "lib"
    (lib / "Artist" / "Album").mkdir(parents=True)
    home = home_for(tmp_path, verify=lib)
    watcher = watching(home, "--kind", "verify")
    assert watcher.said("verify: caught up"), watcher.text()
    deeper_than_path_max(lib / "Artist")
    track(lib / "Artist" / "Album" / "01 Top.flac")
    assert watcher.said("verify: queued Artist/Album (new)"), watcher.text()
    assert set(items(home, "verify")) == {"Artist/Album"}
    assert watcher.stop() == 0


def test_a_refresh_holds_back_the_albums_under_a_folder_it_cannot_read(tmp_path):
    """A whole-library refresh that cannot read one artist folder (another user's, here in
    a user namespace where root reads no file of an unmapped user) notes it, queues the
    rest and never marks the albums under it missing."""
    from tests.integration.watching import STRANGER, in_user_namespace, library

    albums = library(tmp_path / "Albums", "Open", "Shut")
    home = tmp_path / "home"
    home.mkdir()
    mediakeeper(home, "verify", "queue", "--init", "--library", albums)
    os.chown(albums / "Shut", STRANGER, STRANGER)
    (albums / "Shut").chmod(0o700)
    library(albums, "New")
    env = {k: v for k, v in os.environ.items() if k != "MEDIAKEEPER_HOME"}
    run = subprocess.run(
        [*in_user_namespace(10_000), sys.executable, "-m", "mediakeeper", "--home", str(home),
         "verify", "queue", "--refresh"],
        cwd=REPO_ROOT, env={**env, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    assert "Shut: cannot be read: Permission denied" in said, said
    assert "Shut/Album: cannot read its folder (Shut cannot be read); left as it was" in said
    assert "0 marked missing" in said, said
    from tests.integration.watching import items

    found = items(home, "verify")
    assert set(found) == {"Open/Album", "Shut/Album", "New/Album"}
    assert not found["Shut/Album"].get("missing")


def test_an_artist_holding_a_corner_deeper_than_path_max_is_processed_and_refreshed(tmp_path):
    """The corner inside an item's own folder (music: every file below the artist's folder
    is the artist's): the item is still processed, and a refresh tells its files as they
    are, never "cannot read its folder" for ever after."""
    lib = tmp_path / "lib"
    album = lib / "Band" / "Album"
    album.mkdir(parents=True)
    track(album / "01 Top.flac")
    deeper_than_path_max(album)
    home = tmp_path / "home"
    home.mkdir()
    said = mediakeeper(home, "music", "queue", "--init", "--library", lib)
    assert " 1 pending " in said, said[-2000:]
    said = mediakeeper(home, "music", "batch", "--offline", code=1)
    assert decisions_alone(said), said[-3000:]  # an untagged track: decisions
    said = mediakeeper(home, "music", "queue", "--refresh")
    assert "cannot read its folder" not in said, said[-2000:]
    assert "No record of the files yet" not in said, said[-2000:]  # its files were recorded
    assert "0 changed since completed" in said, said[-2000:]
