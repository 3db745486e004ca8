"""Commands a person runs from another terminal while a music batch works: the batch is a
real subprocess held (SIGSTOP, its workers too) at the moment looked for, once it holds
some artists, outside the queue's lock, and let go once the command has answered. Nothing
done by the batch may be taken back half-way, and a refusal says in one line what runs and
what to do."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import (
    REPO_ROOT,
    build_library,
    change_appends,
    held_when,
    resume,
    run_script,
    script_env,
)
from tests.integration.serving import serve

ARTISTS = 24  # a batch long enough to be seen holding some


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


def written_and_held(home: Path, now: dict[str, list[dict]] | None = None) -> list[str]:
    """The artists in the batch's hands whose fixes it has journaled (written or writing)."""
    held = {item["name"] for item in (now or statuses(home)).get("in_progress", [])}
    try:
        journaled = {artist for append in change_appends(home) for artist in append}
    except ValueError:  # a line being written: not yet
        return []
    return sorted(held & journaled)


def some_held(home: Path) -> bool:
    """Artists in the batch's hands that it has written fixes to, and the batch (stopped
    while this is looked at) outside the queue's lock: held inside it, every command that
    changes the queue would wait for it in vain. (Some completed too is a moment too short to
    be sure of seeing.)"""
    from filelock import FileLock, Timeout

    try:
        now = statuses(home)
    except Exception:  # the queue being made: not yet
        return False
    if not written_and_held(home, now):
        return False
    try:
        with FileLock(str(home / "status" / "music" / "processing_queue.json.lock"), timeout=0):
            return True
    except Timeout:
        return False


@contextmanager
def held_batch(home: Path) -> Iterator[subprocess.Popen]:
    """A music batch over the whole queue of ``home``, held (its workers too) once artists
    are in its hands; let go and ended after."""
    proc = subprocess.Popen(
        [sys.executable, "utilities/process_music_batch.py", "--home", str(home), "--offline",
         "--batch-size", str(ARTISTS), "--workers", "2"],
        cwd=REPO_ROOT, env=script_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        encoding="utf-8", start_new_session=True)  # fmt: skip
    try:
        assert held_when(proc, lambda: some_held(home), group=True), "the batch ended first"
        yield proc
    finally:
        resume(proc, group=True)
        if proc.poll() is None:
            proc.communicate(timeout=300)


@pytest.fixture
def running(tmp_path):
    """A music batch over the whole library, held with artists in its hands: (home, library,
    the batch's process, its session). Let go and ended after."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    build_library(lib, library_spec())
    home.mkdir()
    made = run_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert made.returncode == 0, made.stdout + made.stderr
    with held_batch(home) as proc:
        session = statuses(home)["in_progress"][0]["claimed_by"]["session"]
        yield home, lib, proc, session


def as_they_are(lib: Path) -> dict[str, tuple[int, int, int]]:
    """Each track's size and times, read without opening it: the held batch may hold a
    lease on a track it is fixing, and an open would wait for it to let go (the kernel's
    lease-break time for each such track)."""
    return {track.relative_to(lib).as_posix(): (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            for track in sorted(lib.rglob("*.flac")) for st in [track.stat()]}  # fmt: skip


def titles(lib: Path) -> dict[str, str]:
    import mutagen

    return {track.relative_to(lib).as_posix(): mutagen.File(track)["title"][0]
            for track in sorted(lib.rglob("*.flac"))}  # fmt: skip


def refused_by_page(home: Path, path: str, body: dict) -> str:
    """What the page answers a person's ``POST path`` with ``body`` while the batch is held,
    asserted a 409 (the action waits for the batch, as a second batch would): its error, once
    the server has stopped."""
    server = serve(home)
    try:
        answer = server.post(path, body)
    finally:
        server.stop()
    assert answer.status_code == 409, answer.text
    return answer.json()["error"]

def test_undo_of_the_session_a_batch_is_still_running_is_refused(running):
    """Undone mid-run, the session's artists in the batch's hands were put back and then
    recorded completed with their fixes, and the session was marked undone whole though the
    batch went on writing: its later fixes could no longer be undone by session. Refused,
    naming the batch, nothing touched; once it ends, the same undo takes back every fix."""
    home, lib, proc, session = running
    before = as_they_are(lib)
    refused = run_script("undo_changes.py", "--home", home, "--session", session)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stdout == ""
    assert refused.stderr == (
        f"Error: session {session} is still running (a music batch, pid {proc.pid}): "
        "its changes are still being written (nothing was changed; wait for it to end, or "
        f"stop it (Ctrl+C, or kill -INT {proc.pid}) and run this again)\n"
    )
    assert as_they_are(lib) == before
    one = run_script("undo_changes.py", "--home", home, "--session", session, "--artist",
                     "Artist 00", "--yes")  # fmt: skip
    assert (one.returncode, one.stderr) == (1, refused.stderr), one.stdout + one.stderr
    assert as_they_are(lib) == before
    # A dry run only reads: it may look at what the batch has written so far.
    looked = run_script("undo_changes.py", "--home", home, "--session", session, "--dry-run")
    assert looked.returncode == 0, looked.stdout + looked.stderr
    assert as_they_are(lib) == before

    resume(proc, group=True)
    proc.communicate(timeout=300)
    assert set(titles(lib).values()) == {"Song 1", "Song 2"}  # every title fixed
    undone = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert set(titles(lib).values()) == {"Song 1 ", "Song 2 "}  # every one put back


def test_the_page_s_undo_of_a_running_batch_s_session_is_refused_too(running):
    """``POST /api/undo``, the page's Undo, calls the same undo: 409, as a batch asked for
    where one already works, the error naming the batch; nothing touched."""
    home, lib, proc, session = running
    before = as_they_are(lib)
    said = refused_by_page(home, "/api/undo", {"session": session})
    assert said.startswith(f"session {session} is still running (a music batch, pid {proc.pid})")
    assert as_they_are(lib) == before


@pytest.fixture
def running_again(tmp_path):
    """A library whose first batch left every artist a decision (no year), every artist put
    back to pending, and a second batch held with some of them in its hands: (home, the
    batch's process, the ids the first batch asked, by artist)."""
    import json

    lib, home = tmp_path / "lib", tmp_path / "home"
    spec = {}
    for path, track in library_spec().items():  # missing-year: a decision per artist
        del track["tags"]["date"]
        spec[path.replace("2001 - Album", "Album")] = track  # (no year in its folder either)
    build_library(lib, spec)
    home.mkdir()
    first = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline",
                       "--batch-size", ARTISTS)  # fmt: skip
    assert first.returncode == 1, first.stdout + first.stderr  # decisions await
    listed = json.loads(run_script("decide.py", "--home", home, "--json").stdout)
    ids = {d["item"]: d["id"] for g in listed["groups"] for d in g["decisions"]
           if d["code"] == "missing-year"}  # fmt: skip
    assert len(ids) == ARTISTS
    again = run_script("music_queue_manager.py", "--home", home, "--reset-all", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    with held_batch(home) as proc:
        yield home, lib, proc, ids


def test_decide_on_an_artist_the_batch_holds_says_the_batch_has_it(running_again):
    """By name it was "no completed artist called 'Artist 03' (did you mean ...)", as if it
    were no artist; by id "no longer open: taken already, or asked anew by a later batch",
    neither of which had happened. Each says the batch has it and what to do, nothing
    written; once the batch ends, the decision is asked again and taken."""
    home, lib, proc, ids = running_again
    held = statuses(home)["in_progress"][0]
    name, session = held["name"], held["claimed_by"]["session"]
    said = (f"Error: {name!r} is being processed right now by a music batch (pid {proc.pid}, "
            f"session {session}) (its decisions are asked again when it completes: wait for "
            "that batch to finish, then `decide` lists what is open)\n")  # fmt: skip
    before = as_they_are(lib)
    by_name = run_script("decide.py", "--home", home, "music", name, "--set", "date=2001")
    assert (by_name.returncode, by_name.stderr) == (2, said), by_name.stdout + by_name.stderr
    by_id = run_script("decide.py", "--home", home, "--id", ids[name], "--set", "date=2001")
    assert (by_id.returncode, by_id.stderr) == (2, said), by_id.stdout + by_id.stderr
    # The page's answer: the same, as a stale id's 409.
    on_page = refused_by_page(home, "/api/decisions", {"id": ids[name], "set": {"date": "2001"}})
    assert on_page.startswith(
        f"{name!r} is being processed right now by a music batch (pid {proc.pid}"), on_page
    assert as_they_are(lib) == before

    resume(proc, group=True)
    proc.communicate(timeout=300)
    taken = run_script("decide.py", "--home", home, "--id", ids[name], "--set", "date=2001")
    assert taken.returncode == 0, taken.stdout + taken.stderr


def test_reset_all_says_what_it_left_to_the_running_batch(running):
    """``--reset-all --yes`` said "Reset 2 artists to pending" and nothing of the artists it
    left in the batch's hands, as if all had been reset. It says how many it left, to which
    batch, and what to do (exit 1: not everything asked was done); the batch then finishes
    them, and only those it had completed are pending again."""
    home, _lib, proc, session = running
    now = statuses(home)
    done, held = len(now.get("completed", [])), len(now["in_progress"])
    reset = run_script("music_queue_manager.py", "--home", home, "--reset-all", "--yes")
    assert reset.returncode == 1, reset.stdout + reset.stderr
    left = "artist" if held == 1 else "artists"
    assert reset.stdout.splitlines()[-1] == (
        f"Left {held} {left} to the music batch working on them (pid {proc.pid}, session "
        f"{session}): run this again once it has finished"
    ), reset.stdout
    assert reset.stdout.startswith(f"Reset {done} artist"), reset.stdout
    resume(proc, group=True)
    proc.communicate(timeout=300)
    assert len(statuses(home).get("pending", [])) == done


def test_commands_that_replace_the_queue_wait_for_its_lock_and_say_so_as_the_others(tmp_path):
    """With another process holding the queue's lock past the wait (a batch held in it),
    ``--init --force`` said filelock's own "The file lock '….lock' could not be acquired."
    (exit 1) and a restore would have too; every other command says the queue is locked and
    what to do. They say the same now, exit 2, the queue untouched. (The lock is taken by a
    real second process, as a batch takes it; the wait is the real one.)"""
    lib, home = tmp_path / "lib", tmp_path / "home"
    build_library(lib, {"Artist/Album/01 - Song.flac": {"tags": {"title": "Song"}}})
    home.mkdir()
    for made in (("--init", "--library", lib), ("--checkpoint",)):
        done = run_script("music_queue_manager.py", "--home", home, *made)
        assert done.returncode == 0, done.stdout + done.stderr
    queue = home / "status" / "music" / "processing_queue.json"
    before = queue.read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from filelock import FileLock; "
         f"lock = FileLock({str(queue) + '.lock'!r}); lock.acquire(); "
         "print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline() == "held\n"
        asked = [("--init", "--library", str(lib), "--force"),
                 ("--restore-checkpoint", "latest")]  # fmt: skip
        waiting = [subprocess.Popen(
            [sys.executable, "utilities/music_queue_manager.py", "--home", str(home), *args],
            cwd=REPO_ROOT, env=script_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True) for args in asked]  # fmt: skip (both wait at once: one wait in all)
        said = [(proc.wait(timeout=300), proc.stderr.read()) for proc in waiting]
    finally:
        holder.communicate("")
    locked = (f"Error: {queue} is locked by another process (wait for the running batch to "
              "finish, or stop it)\n")  # fmt: skip
    assert said == [(2, locked), (2, locked)]
    assert queue.read_bytes() == before


def test_undo_of_an_artist_the_batch_holds_is_refused(running):
    """``undo --artist NAME`` of an artist in the batch's hands put back what the batch had
    written to it so far, then the batch wrote the rest and recorded the artist completed
    with every fix: its report said fixed what was half undone. Refused as a reset of it is,
    naming the batch; nothing touched."""
    home, lib, proc, _session = running
    name = written_and_held(home)[0]
    before = as_they_are(lib)
    refused = run_script("undo_changes.py", "--home", home, "--artist", name, "--yes")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr == (f"Error: {name!r} is being processed right now by pid "
                              f"{proc.pid} (wait for that batch to finish or stop it first)\n")
    assert as_they_are(lib) == before


def test_a_running_batch_s_items_done_are_those_its_queue_says_it_finished(tmp_path):
    """A batch records its results in the queue first and writes its session's events after
    (the queue is flushed at every item; the events file may lag, or lose its last lines to
    a power cut: ``recover_items``). Held between the two (here: this process is the batch,
    its session open and 5 artists recorded completed in the queue, their events not yet
    written), ``/api/batches`` and the page said "0 done". They count what the queue says
    the session finished."""
    from mediakeeper.queue.session_log import start_session
    from mediakeeper.queue.store import QueueStore

    lib, home = tmp_path / "lib", tmp_path / "home"
    spec = {f"Artist {a}/Album/01 - Song.flac": {"tags": {"title": "Song"}} for a in range(8)}
    build_library(lib, spec)
    home.mkdir()
    made = run_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert made.returncode == 0, made.stdout + made.stderr
    session = start_session(home / "status", "music", description="batch of 8")
    store = QueueStore(home / "status" / "music", "music")
    claimed = store.claim_many(session.id, 6)
    with store.transaction():  # as the runner records a round of results: one transaction
        for item in claimed[:5]:
            store.record_success(item["key"], session.id, counts={})
    server = serve(home)
    try:
        running = server.get("/api/batches").json()["running"]
        page = server.get("/").text
    finally:
        server.stop()
    assert [(r["session"], r["items_done"], r["items_failed"]) for r in running] == [
        (session.id, 5, 0)], running
    assert [i["key"] for i in running[0]["items"]] == [claimed[5]["key"]]
    assert f"{session.id}</span> running: 5 done, 0 failed" in page


def test_the_dashboard_counts_the_tag_changes_of_the_artists_done_not_those_in_hand(running):
    """Mid-batch, the dashboard's "tag changes" of the week counted every fix the batch had
    journaled, those of the artists still in its hands too (written, or being written, but
    not yet recorded done: an interrupt gives them back, and they may be written again). It
    counts the fixes of the artists the queue says are done; once the batch ends, all."""
    import json

    home, _lib, proc, session = running
    held = {item["key"] for item in statuses(home)["in_progress"]}
    journal = home / "status" / "music" / "changes" / f"{session}.jsonl"
    artists = [json.loads(line)["artist"] for line in journal.read_text("utf-8").splitlines()]
    assert held & set(artists)  # (the moment held: fixes of artists in hand are journaled)
    shown = run_script("media_dashboard.py", "--home", home, "--json")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    done = sum(1 for artist in artists if artist not in held)
    assert json.loads(shown.stdout)["week"]["tag_changes"] == done

    resume(proc, group=True)
    proc.communicate(timeout=300)
    after = run_script("media_dashboard.py", "--home", home, "--json")
    assert json.loads(after.stdout)["week"]["tag_changes"] == 2 * ARTISTS  # a title a track
