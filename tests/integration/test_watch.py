"""``mediakeeper watch``: real inotify on real folders, the watcher a real subprocess.

A folder is queued once nothing under it has changed for the settle time, never while it is
being copied; a retag by another program, a deleted folder and what changed while no watcher
ran go through the same refresh rule as ``--refresh``; one watcher per home; SIGTERM ends it
with exit 0."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time

from tests.helpers import REPO_ROOT, build_library, run_script, script_env, tag_by_hand, wait_until
from tests.integration.watching import home_for, items, library, track


def copy_slowly(source, target, chunk: int = 4096, pause: float = 0.3) -> None:
    """Copy ``source`` to ``target`` a chunk at a time, pausing between chunks (a copy over
    a slow link), each chunk flushed so that the watcher hears it."""
    data = source.read_bytes()
    with target.open("wb") as out:
        for start in range(0, len(data), chunk):
            out.write(data[start : start + chunk])
            out.flush()
            time.sleep(pause)


def test_a_slow_copy_is_queued_once_and_only_after_it_settles(tmp_path, watching):
    music = library(tmp_path / "Music", "Already")
    home = home_for(tmp_path, music=music)
    watcher = watching(home, "--kind", "music", settle="3")
    assert watcher.said("music: queued Already (new)"), watcher.text()
    source = build_library(tmp_path / "src", {f"0{n} - T.flac": track(f"T{n}") for n in (1, 2)})
    album = music / "Slow" / "Album"
    album.mkdir(parents=True)
    for name in ("01 - T.flac", "02 - T.flac"):
        copy_slowly(source / name, album / name, chunk=max(1, (source / name).stat().st_size // 6))
        assert "Slow" not in items(home), "queued while still being copied"
    assert "queued Slow" not in watcher.text()
    assert "music: Slow is changing: queued once nothing in it has changed for 3 s" in (
        watcher.text())  # the wait is said, once
    assert watcher.said("music: queued Slow (new)"), watcher.text()
    assert items(home)["Slow"]["status"] == "pending"
    assert watcher.stop() == 0
    assert sum("queued Slow" in line for line in watcher.lines()) == 1, watcher.text()
    assert sum("Slow is changing" in line for line in watcher.lines()) == 1, watcher.text()


def test_a_retag_a_deletion_and_what_changed_while_no_watcher_ran(tmp_path, watching):
    music = library(tmp_path / "Music", "Retagged", "Deleted", "Kept")
    home = home_for(tmp_path, music=music)
    done = run_script("process_music_batch.py", "--home", home, "--offline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert {i["status"] for i in items(home).values()} == {"completed"}

    watcher = watching(home)
    assert watcher.said("music: watching"), watcher.text()
    tag_by_hand(music / "Retagged" / "Album" / "01 - One.flac", "title", "By another program")
    assert watcher.said("music: queued Retagged again"), watcher.text()
    shutil.rmtree(music / "Deleted")
    assert watcher.said("music: Deleted is gone: marked missing"), watcher.text()
    assert items(home)["Retagged"]["status"] == "pending"
    assert items(home)["Deleted"]["missing"] is True
    assert items(home)["Kept"]["status"] == "completed"
    assert watcher.stop(signal.SIGTERM) == 0
    assert not [line for line in watcher.lines() if "Kept" in line and "is changing" not in line]

    # While no watcher runs: a new artist arrives, a completed one is retagged.
    library(music, "Arrived")
    tag_by_hand(music / "Kept" / "Album" / "01 - One.flac", "title", "Meanwhile")
    again = watching(home)
    assert again.said("music: queued Arrived (new)"), again.text()
    assert again.said("music: queued Kept again"), again.text()
    assert again.stop(signal.SIGINT) == 130
    assert {n: i["status"] for n, i in items(home).items() if not i.get("missing")} == {
        "Retagged": "pending", "Kept": "pending", "Arrived": "pending"}  # fmt: skip


def test_a_second_watcher_on_the_same_home_is_refused_naming_the_first(tmp_path, watching):
    music = library(tmp_path / "Music", "A")
    home = home_for(tmp_path, music=music)
    first = watching(home)
    assert first.said("music: watching"), first.text()
    second = subprocess.run(
        [sys.executable, "-m", "mediakeeper", "watch", "--home", str(home)],
        cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert second.returncode == 1, second.stderr
    assert f"another watcher keeps watch over this data home: pid {first.proc.pid}" in (
        second.stderr
    )
    assert "Traceback" not in second.stderr
    assert first.proc.poll() is None  # the first one goes on


def test_a_library_folder_that_vanishes_is_said_and_the_others_still_watched(
    tmp_path, watching
):
    music = library(tmp_path / "Music", "A")
    albums = library(tmp_path / "Albums", "B")
    home = home_for(tmp_path, music=music, verify=albums)
    watcher = watching(home, "--kind", "music", "--kind", "verify")
    assert watcher.said("verify: queued B/Album (new)"), watcher.text()
    shutil.rmtree(albums)
    # Made as the watches are remade for the library gone: a change in the gap between the
    # old watches and the new is caught up, never lost.
    library(music, "Later")
    assert watcher.said(f"verify: the library folder {albums} went away"), watcher.text()
    assert watcher.said("music: queued Later (new)"), watcher.text()
    assert items(home, "verify")["B/Album"].get("missing") is not True  # never for a lost root
    library(albums, "Back")
    assert watcher.said(f"verify: the library folder {albums} is back"), watcher.text()
    assert watcher.said("verify: queued Back/Album (new)"), watcher.text()
    assert watcher.stop() == 0


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    home = home_for(tmp_path)
    for args, words in (
        (["--settle", "0.05"], "--settle: expected a number of seconds >= 0.1"),
        # Below 0 too: the real bound, not the type's ">= 0", which 0 does not meet.
        (["--settle", "-1"], "--settle: expected a number of seconds >= 0.1, at most 86,400"),
        # Past the setting's bound: said of the flag given (it named "--settle-seconds").
        (["--settle", "1e9"], "--settle: expected a number of seconds >= 0.1, at most 86,400"),
        (["--kind", "nosuch"], "no such kind: nosuch"),
        (["--kind", "music"], "the music kind has no library to watch"),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "mediakeeper", "watch", "--home", str(home), *args],
            cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert run.returncode == 2, (args, run.stderr)
        assert words in run.stderr and "Traceback" not in run.stderr, run.stderr


def test_a_folder_moved_within_the_library_keeps_its_history(tmp_path, watching):
    music = library(tmp_path / "Music", "Old Name", "Other")
    home = home_for(tmp_path, music=music)
    done = run_script("process_music_batch.py", "--home", home, "--offline")
    assert done.returncode == 0, done.stdout + done.stderr
    before = items(home)["Old Name"]
    watcher = watching(home)
    assert watcher.said("music: caught up"), watcher.text()
    (music / "Old Name").rename(music / "New Name")
    assert watcher.said("music: Old Name moved to New Name: its history kept"), watcher.text()
    moved = items(home)["New Name"]
    assert moved["status"] == "completed" and moved["completed_at"] == before["completed_at"]
    assert moved["details"]["moved_from"] == "Old Name"
    assert items(home)["Old Name"]["missing"] is True
    (music / "New Name").rename(music / "NEW NAME")  # a case-only rename
    assert watcher.said("music: New Name moved to NEW NAME: its history kept"), watcher.text()
    assert items(home)["NEW NAME"]["status"] == "completed"
    assert "queued NEW NAME" not in watcher.text() and "queued New Name" not in watcher.text()
    assert watcher.stop() == 0


def test_scanning_instead_of_inotify_for_a_share_that_sends_no_events(tmp_path, watching):
    music = library(tmp_path / "Music", "A")
    home = home_for(tmp_path, "[watch]\npolling = true\n", music=music)
    watcher = watching(home)
    assert watcher.said("(scanning for changes: [watch] polling)"), watcher.text()
    assert watcher.said("music: caught up"), watcher.text()
    library(music, "Scanned")
    assert watcher.said("music: queued Scanned (new)"), watcher.text()
    assert watcher.stop() == 0


def test_folders_marked_to_be_left_alone_and_dot_folders_are_never_queued(tmp_path, watching):
    music = library(tmp_path / "Music", "Kept", "Private")
    (music / "Private" / ".mediakeeperignore").write_text("")
    home = home_for(tmp_path, music=music)
    watcher = watching(home)
    assert watcher.said("music: caught up"), watcher.text()
    library(music, ".Trash-1000", "Later")
    (music / "Later" / ".mediakeeperignore").write_text("")
    library(music, "Arrived")
    assert watcher.said("music: queued Arrived (new)"), watcher.text()
    assert set(items(home)) == {"Kept", "Arrived"}
    assert watcher.stop() == 0


def test_whether_a_watcher_runs_and_what_it_queued_is_there_for_the_other_faces(
    tmp_path, watching
):
    from mediakeeper.watch.state import watch_status

    music = library(tmp_path / "Music", "A")
    home = home_for(tmp_path, music=music)
    assert watch_status(home / "status") == {"running": False, "holder": None}
    watcher = watching(home)
    assert watcher.said("music: queued A (new)"), watcher.text()
    def told() -> list[str]:
        return [r["line"] for r in watch_status(home / "status").get("recent", [])]

    assert wait_until(lambda: "music: queued A (new)" in told())
    status = watch_status(home / "status")
    assert status["running"] and status["holder"]["pid"] == watcher.proc.pid
    assert status["libraries"] == [{"kind": "music", "library": str(music)}]
    assert watcher.stop() == 0
    after = watch_status(home / "status")
    assert not after["running"] and after["stopped"]


def test_a_library_emptied_at_once_is_taken_for_a_mount_gone_not_deletions(tmp_path, watching):
    music = library(tmp_path / "Music", "A", "B")
    home = home_for(tmp_path, music=music)
    watcher = watching(home)
    assert watcher.said("music: queued B (new)"), watcher.text()
    for artist in ("A", "B"):
        shutil.rmtree(music / artist)
    assert watcher.said(f"music: the library folder {music} is empty (a mount gone?)"), (
        watcher.text()
    )
    assert not any(item.get("missing") for item in items(home).values())
    library(music, "A", "B")  # the mount is back
    library(music, "C")
    assert watcher.said("music: queued C (new)"), watcher.text()
    assert not any(item.get("missing") for item in items(home).values())
    assert watcher.stop() == 0


def test_a_mount_that_goes_away_and_comes_back_is_watched_anew(tmp_path, watching):
    from tests.helpers import small_tmpfs

    music = tmp_path / "Music"
    home = home_for(tmp_path, music=music)
    with small_tmpfs(music, "16m"):
        library(music, "On The Share")
        watcher = watching(home)
        assert watcher.said("music: queued On The Share (new)"), watcher.text()
    # Unmounted: the empty mount point is left.
    assert watcher.said(f"music: the library folder {music} is empty (a mount gone?)"), (
        watcher.text()
    )
    assert not items(home)["On The Share"].get("missing")
    with small_tmpfs(music, "16m"):
        library(music, "On The Share", "Added Later")
        assert watcher.said("watching it anew"), watcher.text()
        assert watcher.said("music: queued Added Later (new)"), watcher.text()
        library(music, "Heard After")  # heard by the new watch
        assert watcher.said("music: queued Heard After (new)"), watcher.text()
        assert watcher.stop() == 0
    assert not items(home)["On The Share"].get("missing")


def test_an_album_marked_to_be_left_alone_deeper_in_the_library_is_not_queued(
    tmp_path, watching
):
    spec = {f"Band/{album}/01 - One.flac": track("One") for album in ("Kept", "Bootleg")}
    albums = build_library(tmp_path / "Albums", spec)
    (albums / "Band" / "Bootleg" / ".mediakeeperignore").write_text("")
    home = home_for(tmp_path, verify=albums)
    watcher = watching(home)
    assert watcher.said("verify: queued Band/Kept (new)"), watcher.text()
    assert watcher.said("verify: caught up"), watcher.text()
    assert set(items(home, "verify")) == {"Band/Kept"}
    assert watcher.stop() == 0


def _home_files(home) -> dict[str, tuple[int, int, int]]:
    """Every file and folder of the data home: its size, change and modification times."""
    found = {}
    for path in sorted(home.rglob("*")):
        info = path.lstat()
        found[str(path.relative_to(home))] = (info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    return found


def test_a_refused_second_watcher_touches_nothing_in_the_home(tmp_path, watching):
    from mediakeeper.watch.state import watch_status

    music = library(tmp_path / "Music", "A")
    home = home_for(tmp_path, music=music)
    first = watching(home)
    assert first.said("music: queued A (new)"), first.text()
    def told() -> list[str]:
        return [r["line"] for r in watch_status(home / "status").get("recent", [])]

    assert wait_until(lambda: "music: queued A (new)" in told())
    time.sleep(1.5)  # the first watcher's last write of its state is behind it
    before = _home_files(home)
    for _ in range(3):
        second = subprocess.run(
            [sys.executable, "-m", "mediakeeper", "watch", "--home", str(home)],
            cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode == 1, second.stderr
    assert _home_files(home) == before
    assert first.stop() == 0


def test_a_batch_s_own_fixes_in_a_watched_library_are_not_said_changing(tmp_path, watching):
    """A music batch fixing tags in a watched library: the watcher said "Fix is changing:
    queued once nothing in it has changed ..." of each artist the batch wrote, as if another
    program were writing it. The batch's writes are the toolkit's own: the files are as the
    batch recorded them when it completed the artist (what the refresh rule compares), so
    nothing is said or waited for; a change by another program is, as before."""
    music = build_library(tmp_path / "Music", {
        f"Fix {n}/Album/01 - One.flac": {"tags": {**track("One ", f"Fix {n}")["tags"]}}
        for n in (1, 2)})  # fmt: skip (a title ending in a space: a fix the batch writes)
    home = home_for(tmp_path, music=music)
    watcher = watching(home, "--kind", "music")
    assert watcher.said("music: queued Fix 2 (new)"), watcher.text()
    done = run_script("process_music_batch.py", "--home", home, "--offline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert {i["status"] for i in items(home).values()} == {"completed"}
    # Another program's change after it: heard after the batch's writes, and said.
    tag_by_hand(music / "Fix 1" / "Album" / "01 - One.flac", "title", "By another program")
    assert watcher.said("music: queued Fix 1 again"), watcher.text()
    assert watcher.stop() == 0
    lines = watcher.lines()  # after the library was queued: a library made just before the
    after = lines[lines.index("music: queued Fix 2 (new)"):]  # watch is changing at its start
    assert not [line for line in after if "Fix 2" in line and "is changing" in line], (
        watcher.text())
