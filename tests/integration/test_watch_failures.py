"""A watcher whose inotify fails says so and scans that library instead, never silently
stopping: the kernel's watch limit reached (at start, or later as folders arrive) and a folder
it may not read, each for real, in a user namespace of the watcher's own whose inotify limit
is lowered (``watching.in_user_namespace``)."""

from __future__ import annotations

import os

from mediakeeper.watch.state import watch_status
from tests.helpers import build_library, wait_until
from tests.integration.watching import (
    STRANGER,
    home_for,
    in_user_namespace,
    items,
    library,
    track,
)

LIMIT = "the inotify watch limit is reached (fs.inotify.max_user_watches)"


def folders_below(root) -> int:
    return 1 + sum(len(dirs) for _, dirs, _ in os.walk(root))


def test_the_watch_limit_reached_at_start_is_said_and_only_that_library_is_scanned(
    tmp_path, watching
):
    albums = library(tmp_path / "Albums", *(f"Band {n}" for n in range(12)))  # 25 folders
    music = library(tmp_path / "Music", "A")  # 3 folders
    home = home_for(tmp_path, music=music, verify=albums)
    limit = folders_below(albums) - 5  # too few for the albums, enough for the music
    watcher = watching(home, within=in_user_namespace(limit))
    assert watcher.said(f"verify: cannot watch {albums} with inotify ({LIMIT}): scanning it "
                        "for changes every 1 seconds instead"), watcher.text()  # fmt: skip
    assert watcher.said("verify: caught up"), watcher.text()
    assert wait_until(  # told to the other faces (serve's health) too
        lambda: watch_status(home / "status").get("scanned") == {str(albums): LIMIT}
    ), watch_status(home / "status")
    library(albums, "Scanned Band")
    assert watcher.said("verify: queued Scanned Band/Album (new)"), watcher.text()
    library(music, "Heard")
    assert watcher.said("music: queued Heard (new)"), watcher.text()
    assert "music: cannot watch" not in watcher.text()  # inotify still follows the music
    assert watcher.stop() == 0


def test_the_watch_limit_reached_as_folders_arrive_is_said_and_nothing_is_missed(
    tmp_path, watching
):
    music = library(tmp_path / "Music", "A", "B")  # 5 folders
    home = home_for(tmp_path, music=music)
    watcher = watching(home, within=in_user_namespace(folders_below(music) + 3))
    assert watcher.said("music: caught up"), watcher.text()
    arrivals = [f"New {n}" for n in range(4)]  # 8 folders more: past the limit
    library(music, *arrivals)
    assert watcher.said(f"music: cannot watch {music} with inotify ({LIMIT})"), watcher.text()
    for name in arrivals:
        assert watcher.said(f"music: queued {name} (new)"), watcher.text()
    library(music, "After")  # heard by the scan now
    assert watcher.said("music: queued After (new)"), watcher.text()
    assert {n for n, i in items(home).items() if i["status"] == "pending"} >= {*arrivals, "After"}
    assert watcher.stop() == 0


def test_a_folder_the_watcher_may_not_read_is_said_and_the_rest_of_its_library_still_seen(
    tmp_path, watching
):
    """Told to pass over a folder it cannot read, ``watchfiles`` stops watching the rest of
    the library too, silently (a ``lost+found`` at the top of a disk is enough)."""
    music = library(tmp_path / "Music", "A", "B")
    lost = music / "lost+found"
    lost.mkdir(mode=0o700)
    os.chown(lost, STRANGER, STRANGER)
    home = home_for(tmp_path, music=music)
    watcher = watching(home, within=in_user_namespace(10_000))
    assert watcher.said(f"music: cannot watch {music} with inotify (a folder in it cannot be "
                        f"read: {lost})"), watcher.text()  # fmt: skip
    assert watcher.said("music: caught up"), watcher.text()
    library(music, "C")
    assert watcher.said("music: queued C (new)"), watcher.text()
    assert watcher.stop() == 0


def test_an_artist_folder_that_cannot_be_read_holds_back_only_itself(tmp_path, watching):
    """Albums are two levels down: a refresh reads each artist folder. One it cannot read
    (a share gone stale, another user's) is never taken for its albums gone, and the rest
    of the library is still queued."""
    spec = {f"{band}/Album/01 - One.flac": track("One", band) for band in ("Open", "Shut")}
    albums = build_library(tmp_path / "Albums", spec)
    home = home_for(tmp_path, verify=albums)
    watcher = watching(home, within=in_user_namespace(10_000))
    assert watcher.said("verify: queued Shut/Album (new)"), watcher.text()
    os.chown(albums / "Shut", STRANGER, STRANGER)
    (albums / "Shut").chmod(0o700)
    (albums / "Shut" / "Album" / "02 - Two.flac").write_bytes(b"")  # a change: a look due
    library(albums, "Later")
    assert watcher.said("verify: queued Later/Album (new)"), watcher.text()
    assert not items(home, "verify")["Shut/Album"].get("missing")
    (albums / "Shut").chmod(0o755)
    library(albums, "After")
    assert watcher.said("verify: queued After/Album (new)"), watcher.text()
    assert not items(home, "verify")["Shut/Album"].get("missing")
    assert "Shut/Album is gone" not in watcher.text()
    assert watcher.stop() == 0


def test_a_share_mounted_inside_the_library_that_goes_away_is_never_taken_for_deleted(
    tmp_path, watching
):
    from tests.helpers import small_tmpfs

    albums = library(tmp_path / "Albums", "Local")
    share = albums / "Share"
    home = home_for(tmp_path, verify=albums)
    with small_tmpfs(share, "16m"):
        library(share, "Band")
        watcher = watching(home)
        assert watcher.said("verify: queued Share/Band/Album (new)"), watcher.text()
    assert watcher.said(f"{share} was unmounted: nothing in it is marked missing"), watcher.text()
    library(albums, "Meanwhile")
    assert watcher.said("verify: queued Meanwhile/Album (new)"), watcher.text()
    assert not items(home, "verify")["Share/Band/Album"].get("missing")
    with small_tmpfs(share, "16m"):
        library(share, "Band", "New Band")
        assert watcher.said(f"{share} is mounted: watching it"), watcher.text()
        assert watcher.said("verify: queued Share/New Band/Album (new)"), watcher.text()
        library(share, "Later")  # heard by the watches made on the share anew
        assert watcher.said("verify: queued Share/Later/Album (new)"), watcher.text()
        assert watcher.stop() == 0
    assert not items(home, "verify")["Share/Band/Album"].get("missing")
    assert "is gone" not in watcher.text()
