"""What holds a folder back from the queue, with real inotify and a real watcher: a download
under a temporary name, the ignore list (built in and ``[watch] ignore``), the longest wait
(ended with a note), and a file or folder that cannot be read yet (looked at again, queued once
it can be, never taken for broken or gone).

Each test ends the folders it holds back with a plain folder made after them: once that one
is queued, those made before it have had their look too."""

from __future__ import annotations

import os

from tests.helpers import build_library
from tests.integration.watching import (
    STRANGER,
    home_for,
    in_user_namespace,
    items,
    library,
    track,
)

TEMPORARY = {"Part": ".part", "Qbit": ".!qB", "Chrome": ".crdownload", "Copy": ".tmp"}


def test_a_download_under_a_temporary_name_holds_its_folder_until_it_is_renamed(tmp_path, watching):
    music = library(tmp_path / "Music")
    home = home_for(tmp_path, music=music)
    watcher = watching(home)
    assert watcher.said("music: caught up"), watcher.text()
    for artist, suffix in TEMPORARY.items():
        album = library(music, artist) / artist / "Album"
        (album / "01 - One.flac").rename(album / f"01 - One.flac{suffix}")
    library(music, "Plain")
    assert watcher.said("music: queued Plain (new)"), watcher.text()
    assert set(items(home)) == {"Plain"}, watcher.text()
    for artist, suffix in TEMPORARY.items():
        album = music / artist / "Album"
        (album / f"01 - One.flac{suffix}").rename(album / "01 - One.flac")
    for artist in TEMPORARY:
        assert watcher.said(f"music: queued {artist} (new)"), watcher.text()
    assert watcher.stop() == 0


def test_the_ignore_list_built_in_and_set(tmp_path, watching):
    music = library(tmp_path / "Music")
    home = home_for(tmp_path, '[watch]\nignore = "Incoming*, *.partial"\n', music=music)
    watcher = watching(home)
    assert watcher.said("music: caught up"), watcher.text()
    library(music, "@eaDir", ".hidden", "Incoming 2024", "Unsorted.partial", "Marked")
    (music / "Marked" / ".mediakeeperignore").write_text("")
    library(music, "Plain")
    assert watcher.said("music: queued Plain (new)"), watcher.text()
    assert set(items(home)) == {"Plain"}, watcher.text()
    assert watcher.stop() == 0


def test_a_folder_still_changing_after_the_longest_wait_is_left_with_a_note(tmp_path, watching):
    music = library(tmp_path / "Music")
    home = home_for(tmp_path, "[watch]\nmax_wait_seconds = 4\n", music=music)
    watcher = watching(home)
    assert watcher.said("music: caught up"), watcher.text()
    album = library(music, "Stalled") / "Stalled" / "Album"
    (album / "01 - One.flac").rename(album / "01 - One.flac.part")  # a download that stalled
    assert watcher.said(f"{music / 'Stalled'} has not settled in 4 seconds (a file is still "
                        "being written under a temporary name: 01 - One.flac.part): not "
                        "queued; looked at on its next change"), watcher.text()  # fmt: skip
    assert "Stalled" not in items(home)
    (album / "01 - One.flac.part").rename(album / "01 - One.flac")  # it finished after all
    assert watcher.said("music: queued Stalled (new)"), watcher.text()
    assert watcher.stop() == 0


def test_a_file_or_folder_that_cannot_be_read_yet_is_looked_at_again_until_it_can(
    tmp_path, watching
):
    """Run as a user who may not read what another user's copy is still writing (the
    watcher in a user namespace, the files another user's)."""
    music = library(tmp_path / "Music")
    home = home_for(tmp_path, music=music)
    watcher = watching(home, within=in_user_namespace(10_000))
    assert watcher.said("music: caught up"), watcher.text()
    locked_file = library(music, "Locked File") / "Locked File" / "Album" / "01 - One.flac"
    os.chown(locked_file, STRANGER, STRANGER)
    locked_file.chmod(0o600)
    locked_folder = build_library(music / "Locked Folder", {"01 - One.flac": track("One")})
    os.chown(locked_folder, STRANGER, STRANGER)
    locked_folder.chmod(0o700)
    library(music, "Plain")
    assert watcher.said("music: queued Plain (new)"), watcher.text()
    assert set(items(home)) == {"Plain"}, watcher.text()
    locked_file.chmod(0o644)  # the copier let go of it
    locked_folder.chmod(0o755)
    assert watcher.said("music: queued Locked File (new)"), watcher.text()
    assert watcher.said("music: queued Locked Folder (new)"), watcher.text()
    assert not any(i.get("missing") for i in items(home).values())
    assert watcher.stop() == 0
