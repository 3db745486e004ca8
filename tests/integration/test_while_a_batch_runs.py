"""Commands a person runs from another terminal while a music batch works: the batch is a
real subprocess held (SIGSTOP) at the moment looked for, once it has completed some artists
and holds others, and let go once the command has answered. Nothing done by the batch may be
taken back half-way, and a refusal says in one line what runs and what to do."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import (
    REPO_ROOT,
    build_library,
    held_when,
    run_script,
    script_env,
)
from tests.integration.serving import serve

ARTISTS = 12


def library_spec() -> dict:
    """Artists whose titles end in a space: a fix the batch writes in every track."""
    spec = {}
    for a in range(ARTISTS):
        for n in (1, 2):
            name = f"Artist {a:02}"
            tags = {"title": f"Song {n} ", "artist": name, "albumartist": name,
                    "album": "Album", "date": "2001", "tracknumber": str(n)}  # fmt: skip
            spec[f"{name}/2001 - Album/0{n} - Song {n}.flac"] = {"tags": tags}
    return spec


def statuses(home: Path) -> dict[str, list[dict]]:
    """The queue's items by status, read without its lock (the batch may be held in it)."""
    from mediakeeper.queue.store import QueueStore

    by: dict[str, list[dict]] = {}
    for item in QueueStore(home / "status" / "music", "music").peek()["items"]:
        by.setdefault(item["status"], []).append(item)
    return by


def some_done_some_held(home: Path) -> bool:
    try:
        now = statuses(home)
    except Exception:  # the queue being made: not yet
        return False
    return len(now.get("completed", [])) >= 1 and len(now.get("in_progress", [])) >= 1


@pytest.fixture
def running(tmp_path):
    """A music batch over the whole library, held with some artists completed and others in
    its hands: (home, library, the batch's process, its session). Let go and ended after."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    build_library(lib, library_spec())
    home.mkdir()
    made = run_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert made.returncode == 0, made.stdout + made.stderr
    proc = subprocess.Popen(
        [sys.executable, "utilities/process_music_batch.py", "--home", str(home), "--offline",
         "--batch-size", str(ARTISTS), "--workers", "2"],
        cwd=REPO_ROOT, env=script_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        encoding="utf-8")  # fmt: skip
    try:
        assert held_when(proc, lambda: some_done_some_held(home)), "the batch ended first"
        session = statuses(home)["in_progress"][0]["claimed_by"]["session"]
        yield home, lib, proc, session
    finally:
        proc.send_signal(signal.SIGCONT)
        if proc.poll() is None:
            proc.communicate(timeout=300)


def titles(lib: Path) -> dict[str, str]:
    import mutagen

    return {track.relative_to(lib).as_posix(): mutagen.File(track)["title"][0]
            for track in sorted(lib.rglob("*.flac"))}  # fmt: skip


def test_undo_of_the_session_a_batch_is_still_running_is_refused(running):
    """Undone mid-run, the session's artists in the batch's hands were put back and then
    recorded completed with their fixes, and the session was marked undone whole though the
    batch went on writing: its later fixes could no longer be undone by session. Refused,
    naming the batch, nothing touched; once it ends, the same undo takes back every fix."""
    home, lib, proc, session = running
    before = titles(lib)
    refused = run_script("undo_changes.py", "--home", home, "--session", session)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stdout == ""
    assert refused.stderr == (
        f"Error: session {session} is still running (a music batch, pid {proc.pid}): "
        "its changes are still being written (nothing was changed; wait for it to end, or "
        f"stop it (Ctrl+C, or kill -INT {proc.pid}) and run this again)\n"
    )
    assert titles(lib) == before
    one = run_script("undo_changes.py", "--home", home, "--session", session, "--artist",
                     "Artist 00", "--yes")  # fmt: skip
    assert (one.returncode, one.stderr) == (1, refused.stderr), one.stdout + one.stderr
    assert titles(lib) == before
    # A dry run only reads: it may look at what the batch has written so far.
    looked = run_script("undo_changes.py", "--home", home, "--session", session, "--dry-run")
    assert looked.returncode == 0, looked.stdout + looked.stderr
    assert titles(lib) == before

    proc.send_signal(signal.SIGCONT)
    proc.communicate(timeout=300)
    assert set(titles(lib).values()) == {"Song 1", "Song 2"}  # every title fixed
    undone = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert set(titles(lib).values()) == {"Song 1 ", "Song 2 "}  # every one put back


def test_the_page_s_undo_of_a_running_batch_s_session_is_refused_too(running):
    """``POST /api/undo``, the page's Undo, calls the same undo: 409, as a batch asked for
    where one already works, the error naming the batch; nothing touched."""
    home, lib, proc, session = running
    before = titles(lib)
    server = serve(home)
    try:
        refused = server.post("/api/undo", {"session": session})
    finally:
        server.stop()
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"].startswith(
        f"session {session} is still running (a music batch, pid {proc.pid})"), refused.text
    assert titles(lib) == before
