"""A data home on a file system that fills up: the real scripts, on a real small tmpfs.

Whatever write the full disk refuses (the queue, its journal, a session log, an output, the
weekly report), the script says which file it could not write, that the disk is full and
where that file system is mounted, and exits 1 (2 is for usage errors); the queue still
loads and validates, and once there is room again the next run finishes the work.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mediakeeper.queue.store import QueueStore
from tests.helpers import build_library, leaves_decisions, small_tmpfs, wait_until

PAGE = 4096


@pytest.fixture
def small_home(tmp_path):
    """A 512 KiB tmpfs mounted as the data home."""
    with small_tmpfs(tmp_path / "home", "512k") as home:
        yield home


@pytest.fixture
def run(small_home, repo_root, child_env):
    """``run(script, *args)``: a script of utilities/ on the small home, its output kept."""

    def script(name: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(repo_root / "utilities" / name), "--home", str(small_home),
             *args],
            env=child_env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    return script


def fill(home: Path, leave: int) -> Path:
    """Write to ``home`` until the file system refuses, then give back ``leave`` bytes."""
    path = home / "filler"
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * PAGE)
        except OSError as err:
            assert err.errno == 28, err  # ENOSPC: the file system is full
    os.truncate(path, max(0, path.stat().st_size - leave))
    return path


def empty(home: Path) -> None:
    for path in home.iterdir():
        subprocess.run(["rm", "-rf", str(path)], check=True)


@pytest.mark.parametrize("pages", range(0, 20, 2))
def test_a_full_data_home_names_the_file_and_the_mount_and_loses_nothing(
    small_home, tmp_path, music_library, run, pages
):
    """It printed "Error: No space left on device", naming no file, and exited 2. A full
    disk met by a worker (an artist's record, its work file, its change journal) failed that
    artist as an error ("OSError: [Errno 28] ... (at workfile.py:70)"), each next one the
    same way, till an alert said five failed in a row, and only --retry-errors ran them
    again. A full disk is the batch's, not an artist's: the batch stops as when its own
    process meets it, every artist left to the next run."""
    lib = music_library(
        tmp_path / "Music",
        {
            f"{name}/Album/0{n} - Song.mp3": {"tags": {"title": f"Song  {n}", "artist": name}}
            for name in ("Alpha", "Bravo", "Charlie")
            for n in (1, 2)
        },
    )

    empty(small_home)
    assert run("music_queue_manager.py", "--init", "--library", str(lib)).returncode == 0
    filler = fill(small_home, pages * PAGE)

    batch = run("process_music_batch.py", "--offline")
    assert "Traceback" not in batch.stderr, batch.stderr
    filled = "Error:" in batch.stderr
    if filled:  # exit 1: a file of the data home could not be written
        assert batch.returncode == 1, batch.stdout + batch.stderr
        said = batch.stderr.strip().splitlines()[-1]
        assert said.startswith(f"Error: disk full: could not write {small_home}/"), said
        assert f"(no space left on the file system mounted at {small_home})" in said, said
    else:  # room enough: exit 1 for the titles' decisions alone
        assert leaves_decisions(batch), batch.stdout + batch.stderr
    assert "error:" not in batch.stdout and "failed in a row" not in batch.stdout + batch.stderr
    queue = QueueStore(small_home / "status" / "music", "music")
    assert "error" not in {i["status"] for i in queue.peek()["items"]}, batch.stdout + batch.stderr
    validated = run("music_queue_manager.py", "--validate-queue")
    # The queue is whole; at most the claim a full disk kept the batch from giving back is
    # left, stale (its process gone), and the next run releases it by itself.
    problems = [line for line in validated.stdout.splitlines() if line.startswith("- ")]
    assert validated.returncode == (1 if problems else 0), validated.stdout + validated.stderr
    assert not problems or (filled and len(problems) == 1 and "stale claim" in problems[0]), (
        validated.stdout
    )

    filler.unlink()  # room again: the next run finishes the work
    again = run("process_music_batch.py", "--offline")  # nothing failed: no --retry-errors
    assert again.returncode == 1, again.stdout + again.stderr  # done; the titles' decisions left
    items = queue.load()["items"]
    assert {item["status"] for item in items} == {"completed"}


@pytest.fixture
def roomier_home(tmp_path):
    """A 4 MiB tmpfs: room for a batch of 40 artists once the filler is gone."""
    with small_tmpfs(tmp_path / "home", "4m") as home:
        yield home


def test_a_disk_filled_mid_batch_gives_its_claims_back_and_says_why_it_stopped(
    roomier_home, tmp_path, music_library, repo_root, child_env
):
    """The disk fills while the batch works: its claims in hand could not be given back, nor
    its session's end written (the disk refused those lines too), so the next run released
    them "of a run that stopped before it could record why" and `sessions list` said
    "unrecorded", as after a kill. The batch keeps a little room for its closing
    (``fs.room``): it gives its claims back itself, and its session says it failed, and why."""
    lib = music_library(tmp_path / "Music", {
        f"Artist {a:02d}/Album/01 - Song.mp3": {"tags": {"title": "Song  ", "artist": f"A{a}"}}
        for a in range(40)
    })  # fmt: skip
    home = roomier_home

    def run(name: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(repo_root / "utilities" / name), "--home", str(home), *args],
            env=child_env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    assert run("music_queue_manager.py", "--init", "--library", str(lib)).returncode == 0
    events = home / "status" / "music" / "sessions.jsonl"
    batch = subprocess.Popen(
        [sys.executable, str(repo_root / "utilities" / "process_music_batch.py"), "--home",
         str(home), "--offline", "--workers", "1", "--batch-size", "40"],
        env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:  # mid-batch: once its first artist is recorded
        assert wait_until(lambda: events.exists() and b'"event": "item"' in events.read_bytes())
        filler = fill(home, 0)
        out, err = batch.communicate(timeout=120)
    finally:
        batch.kill()
    assert batch.returncode == 1 and "Error: disk full" in err, out + err
    listed = run("sessions.py", "list", "--json")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    (first,) = json.loads(listed.stdout)
    assert first["outcome"] == "failed", first
    shown = run("sessions.py", "show", first["id"])
    assert re.search(r"^stopped: disk full: could not write \S", shown.stdout, re.M), shown.stdout
    assert "unrecorded" not in shown.stdout, shown.stdout
    assert not list(home.rglob(".room.*")), "the room is given back"
    queue = QueueStore(home / "status" / "music", "music").load()
    assert not [i for i in queue["items"] if i["status"] == "in_progress"], "claims given back"
    filler.unlink()

    again = run("process_music_batch.py", "--offline", "--batch-size", "40")
    assert again.returncode == 1 and "needs you" in again.stdout, again.stdout + again.stderr
    assert "released" not in again.stdout, again.stdout  # nothing left to release
    done = QueueStore(home / "status" / "music", "music").load()
    assert {i["status"] for i in done["items"]} == {"completed"}, done


def test_the_room_a_killed_batch_kept_is_freed_by_the_next_command(
    tmp_path, music_library, repo_root, child_env
):
    """The room a batch keeps for its closing (``fs.room``) is a file of its process: a kill
    leaves it, and the next command's sweep deletes it, saying so, as any temp file."""
    lib = music_library(tmp_path / "Music", {
        f"Artist {a:02d}/Album/01 - Song.mp3": {"tags": {"title": "Song  ", "artist": f"A{a}"}}
        for a in range(40)
    })  # fmt: skip
    home = tmp_path / "home"
    script = [sys.executable, str(repo_root / "utilities" / "music_queue_manager.py"), "--home",
              str(home)]  # fmt: skip
    assert subprocess.run([*script, "--init", "--library", str(lib)], env=child_env,
                          capture_output=True, check=False).returncode == 0  # fmt: skip
    events = home / "status" / "music" / "sessions.jsonl"
    batch = subprocess.Popen(
        [sys.executable, str(repo_root / "utilities" / "process_music_batch.py"), "--home",
         str(home), "--offline", "--workers", "1", "--batch-size", "40"],
        env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert wait_until(lambda: events.exists() and b'"event": "item"' in events.read_bytes())
        os.kill(batch.pid, 9)
    finally:
        batch.kill()
        batch.wait()
    room = home / "status" / "music" / f".room.{batch.pid}-0.tmp"
    assert room.stat().st_blocks * 512 >= 128 * 1024, "the space is allocated, not promised"
    looked = subprocess.run([*script, "--show-summary"], env=child_env, capture_output=True,
                            text=True, check=False)  # fmt: skip
    assert looked.returncode == 0, looked.stderr
    assert "that a killed command had left in the data home" in looked.stderr, looked.stderr
    assert not room.exists()


@pytest.mark.parametrize("pages", range(0, 40, 3))
def test_a_verify_batch_on_a_full_data_home_fails_no_album(small_home, tmp_path, run, pages):
    """Verify worded a full disk its worker met (an album's checksums, its files checked so
    far) as that album's failure, "[Errno 28] No space left on device", left in error after
    the next run; now the batch stops and the next run, with room again, checks it."""
    lib = build_library(tmp_path / "Albums", {
        f"Band {n}/Album/0{t} - Song.flac": {"tags": {"title": f"Song {t}", "artist": f"Band {n}"}}
        for n in range(6) for t in (1, 2)
    })  # fmt: skip

    empty(small_home)
    assert run("verify_queue_manager.py", "--init", "--library", str(lib)).returncode == 0
    filler = fill(small_home, pages * PAGE)
    batch = run("process_verify_batch.py")
    assert "Traceback" not in batch.stderr, batch.stderr
    if "Error:" in batch.stderr:
        assert batch.returncode == 1, batch.stdout + batch.stderr
        last = batch.stderr.strip().splitlines()[-1]
        assert "Error: disk full: could not write" in last, batch.stdout + batch.stderr
    queue = QueueStore(small_home / "status" / "verify", "verify")
    assert "error" not in {i["status"] for i in queue.peek()["items"]}, batch.stdout + batch.stderr
    filler.unlink()
    again = run("process_verify_batch.py")  # nothing failed: no --retry-errors
    assert again.returncode == 0, again.stdout + again.stderr
    assert {item["status"] for item in queue.load()["items"]} == {"completed"}


@pytest.mark.parametrize(
    "command",
    [
        ("process_music_batch.py", "--offline"),
        ("music_queue_manager.py", "--reset-errors"),
        ("decide.py", "music", "--all", "--dismiss", "missing-artist"),
        ("weekly_report.py",),
    ],
)
def test_a_read_only_data_home_names_the_file_the_mount_and_the_fix(
    small_home, tmp_path, music_library, run, command
):
    """A home on a file system mounted read-only said "Error: Read-only file system: FILE":
    not where it is mounted nor what to do. Now it says both, in one line, exit 1."""
    lib = music_library(
        tmp_path / "Music",
        {f"{name}/Album/01 - Song.mp3": {"tags": {"title": "Song"}} for name in ("Alpha", "Bravo")},
    )
    made = run("process_music_batch.py", "--library", str(lib), "--offline", "--batch-size", "1")
    assert leaves_decisions(made), made.stdout + made.stderr  # no artist tag: a decision
    subprocess.run(["mount", "-o", "remount,ro", str(small_home)], check=True)
    try:
        said = run(command[0], *command[1:])
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_home)], check=True)
    assert said.returncode == 1, said.stdout + said.stderr
    last = said.stderr.strip().splitlines()[-1]
    assert last.startswith(f"Error: read-only file system: could not write {small_home}/"), last
    assert last.endswith(
        f"(the file system mounted at {small_home} is read-only); mount it read-write and "
        "run this again"
    ), last
    assert "Traceback" not in said.stderr


def test_a_home_bind_mounted_read_only_names_its_own_mount_not_the_root(
    tmp_path, music_library, repo_root, child_env
):
    """A folder bind-mounted read-only on the file system it lies on (``mount --bind``, a
    container's volume) shares that file system's device, which ``os.path.ismount`` reads:
    the error said "the file system mounted at / is read-only", sending a person to remount
    the root. It names the bind mount, as the kernel's mount table lists it."""
    lib = music_library(tmp_path / "Music", {"Alpha/Album/01 - Song.mp3": {"tags": {}}})
    source, home = tmp_path / "data", tmp_path / "home"
    source.mkdir(), home.mkdir()
    bound = subprocess.run(["mount", "--bind", str(source), str(home)], capture_output=True,
                           text=True, check=False)  # fmt: skip
    if bound.returncode != 0:
        pytest.skip(f"cannot bind-mount {source}: {bound.stderr.strip()} (needs root)")
    try:
        made = subprocess.run([sys.executable, str(repo_root / "utilities" /
                               "process_music_batch.py"), "--home", str(home), "--library",
                               str(lib), "--offline"], env=child_env, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert made.returncode in (0, 1), made.stderr
        subprocess.run(["mount", "-o", "remount,bind,ro", str(home)], check=True)
        said = subprocess.run([sys.executable, str(repo_root / "utilities" / "weekly_report.py"),
                               "--home", str(home)], env=child_env, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)
    assert said.returncode == 1, said.stdout + said.stderr
    assert f"(the file system mounted at {home} is read-only)" in said.stderr, said.stderr
