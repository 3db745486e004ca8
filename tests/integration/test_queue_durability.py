"""kill -9 at random moments: the queue always loads, validates and keeps every returned result.

A real child process claims and records items in a loop (half the children in transactions,
as a batch does) and prints ``RECORDED <key> <status>`` only after the record has returned.
The parent SIGKILLs it at random moments, restarts it, and after every kill checks the queue
on disk against everything the child reported.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mediakeeper.queue.items import default_folder_exists, validate
from mediakeeper.queue.store import QueueStore, parse_queue

ITEMS = 200
KILLS = 25

WORKER = """
import contextlib, os, random, sys
from pathlib import Path
from mediakeeper.queue.store import QueueStore

store = QueueStore(Path(sys.argv[1]), "music")
rng = random.Random(int(sys.argv[2]))
# Half the children work as a batch does: record a result and claim the next item in one
# transaction (one journal line); the others make each change on its own.
together = rng.random() < 0.5
released = store.release_stale()
print("READY", len(released), flush=True)
session = f"child-{os.getpid()}"


def record(key):
    roll = rng.random()
    if roll < 0.15:
        return store.record_failure(key, session, stage="scan", message="boom", max_attempts=3)
    if roll < 0.25:
        return store.record_failure(key, session, stage="lookup", message="gone", max_attempts=1)
    store.record_success(
        key, session, counts={"track_count": 1, "issues_found": 2}, checkpoint_every=25
    )
    return "completed"


done = None
while True:
    with store.transaction() if together else contextlib.nullcontext():
        status = record(done) if done else None
        item = store.claim_next(session)
    if done:
        print("RECORDED", done, status, flush=True)
    if item is None:
        break
    done = item["key"]
store.fold()
print("DONE", flush=True)
"""

FOLDER = """
import sys
from pathlib import Path
from mediakeeper.queue.store import QueueStore

store = QueueStore(Path(sys.argv[1]), "music")
print("READY", flush=True)
while True:
    store.fold()
"""


def run_child(script: Path, args: list[str], env, rng: random.Random, max_delay: float):
    """Start the child, wait until it is ready, SIGKILL it after a random delay.

    Returns (stdout lines, whether the kill landed before the child finished)."""
    proc = subprocess.Popen(
        [sys.executable, str(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        ready = proc.stdout.readline()
        assert ready.startswith("READY"), proc.communicate(timeout=30)[1]
        time.sleep(rng.uniform(0, max_delay))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        # Read through the text streams, not communicate(): communicate() reads the pipe
        # itself and would drop whatever readline() above had already buffered, which is
        # all the rest when the child prints READY and finishes before the parent reads.
        out, err = proc.stdout.read(), proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in err, err
    lines = [ready, *out.splitlines(keepends=True)]
    finished = any(line == "DONE\n" for line in lines)
    assert finished or proc.returncode == -signal.SIGKILL, (proc.returncode, err)
    return [line.rstrip("\n") for line in lines if line.endswith("\n")], not finished


def check_queue(directory: Path, reported: dict[str, str], context: str) -> dict:
    """Everything that must hold after a kill; returns the loaded queue."""
    with open(directory / "processing_queue.json", encoding="utf-8") as f:
        json.load(f)  # the file a person opens is always whole JSON
    data = QueueStore(directory, "music").load()
    items = {item["key"]: item for item in data["items"]}
    assert len(items) == ITEMS, context

    problems = validate(data, folder_exists=default_folder_exists)
    assert all("stale claim" in p for p in problems), (context, problems)
    in_progress = [i for i in items.values() if i["status"] == "in_progress"]
    assert len(problems) == len(in_progress) <= 1, (context, problems)

    for key, status in reported.items():
        assert items[key]["status"] == status, (context, key, status, items[key])
    for item in items.values():
        if item["status"] in ("completed", "error", "skipped"):
            assert item["attempts"] == 1, (context, item)  # recorded once, never twice
        else:
            assert item["attempts"] == 0, (context, item)
        if item["status"] == "completed":
            assert (item["track_count"], item["issues_found"]) == (1, 2), (context, item)
        if item["status"] in ("error", "skipped"):
            (entry,) = item["error_history"]
            assert entry["stage"] in ("scan", "lookup") and entry["at"], (context, item)
    for checkpoint in (directory / "checkpoints").glob("checkpoint_*.json"):
        parse_queue(checkpoint.read_bytes(), checkpoint)
        assert int(checkpoint.stem.rsplit("_", 1)[1]) % 25 == 0, checkpoint.name
    return data


@pytest.mark.slow
def test_sigkill_while_recording_never_loses_a_returned_result(tmp_path, make_store, child_env):
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")

    landed = rounds = 0
    while landed < KILLS:
        rounds += 1
        directory = tmp_path / f"round{rounds}" / "status" / "music"
        make_store(ITEMS, directory=directory)
        reported: dict[str, str] = {}
        kills_before = landed
        while True:
            context = f"seed {seed}, round {rounds}, kill {landed + 1}"
            lines, killed = run_child(
                script, [str(directory), str(rng.randrange(2**32))], child_env, rng, 0.150
            )
            for line in lines:
                if line.startswith("RECORDED "):
                    _, key, status = line.split()
                    assert key not in reported, (context, "recorded twice", key)
                    reported[key] = status
            data = check_queue(directory, reported, context)
            if not killed:
                break
            landed += 1
        # the round ran to the end: the last child released every stale claim and folded
        assert validate(data, folder_exists=default_folder_exists) == []
        assert all(i["status"] in ("completed", "error", "skipped") for i in data["items"])
        # A result recorded just before a kill may be unreported (more kept, never less),
        # one a kill at most. (Counted per round: a slow disk makes more kills a round.)
        assert len(reported) >= ITEMS - (landed - kills_before), (context, len(reported))


@pytest.mark.slow
def test_sigkill_during_fold_leaves_the_json_whole(tmp_path, make_store, child_env):
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    store = make_store(1000)
    for n in range(40):  # a state with content both in the JSON and in the journal
        item = store.claim_next("setup")
        if n % 3:
            # a big file makes the write itself a large share of each fold: kills land in it
            notes = {"notes": f"{n} " * 6000}
            store.record_success(item["key"], "setup", counts={"track_count": n}, details=notes)
        else:
            store.record_failure(item["key"], "setup", stage="scan", message=f"bad {n}")
        if n == 20:
            store.fold()
    expected = QueueStore(store.dir, "music").load()["items"]
    unfolded = store.path.read_bytes()
    script = tmp_path / "folder.py"
    script.write_text(FOLDER, encoding="utf-8")

    for kill in range(25):
        run_child(script, [str(store.dir)], child_env, rng, 0.100)
        with open(store.path, encoding="utf-8") as f:
            on_disk = json.load(f)
        context = f"seed {seed}, kill {kill + 1}"
        # either no fold finished yet, or a fold moved everything in: never anything between
        assert on_disk["items"] == expected or store.path.read_bytes() == unfolded, context
        assert QueueStore(store.dir, "music").load()["items"] == expected, context
        assert validate(on_disk, folder_exists=default_folder_exists) == [], context
