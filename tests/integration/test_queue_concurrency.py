"""Three real processes claim and record on one queue at once: no double claim, no lost update."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from mediakeeper.queue import manager
from mediakeeper.queue.items import default_folder_exists, validate
from mediakeeper.queue.store import QueueStore, parse_queue, statuses_of

ITEMS = 300
WORKERS = 3

WORKER = """
import json, os, sys, time
from pathlib import Path
from mediakeeper.queue.store import QueueStore

store = QueueStore(Path(sys.argv[1]), "music")
name = sys.argv[2]
session = f"{name}-{os.getpid()}"
print("READY", flush=True)
sys.stdin.readline()  # every worker starts at the same moment

claimed, tracks, bumps = [], 0, 0

def bump(data):
    # a read-modify-write of state another process may be changing at the same time
    item = data["items"][0]
    item["details"]["bumps"] = item["details"].get("bumps", 0) + 1
    return [item]

while True:
    item = store.claim_next(session)
    if item is None:
        break
    key = item["key"]
    claimed.append(key)
    time.sleep(0.002)  # the job's work happens outside the lock
    number = int(key.rsplit("-", 1)[1])
    counts = {"track_count": number % 7 + 1, "issues_found": number % 3, "issues_resolved": 0}
    store.record_success(key, session, counts=counts, details={"by": name}, checkpoint_every=40)
    tracks += counts["track_count"]
    store.update(bump)
    bumps += 1
    if len(claimed) % 37 == 0:
        store.fold()  # folds by one process under the others' cached copies
print(json.dumps({"name": name, "claimed": claimed, "tracks": tracks, "bumps": bumps}))
"""


@pytest.mark.slow
def test_processes_never_claim_twice_nor_lose_an_update(tmp_path, make_store, child_env):
    store = make_store(ITEMS)
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")

    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(store.dir), f"w{n}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env,
            text=True,
        )
        for n in range(WORKERS)
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline() == "READY\n", proc.communicate(timeout=30)[1]
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            results.append(json.loads(out.splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    claims = Counter(key for result in results for key in result["claimed"])
    doubles = [key for key, n in claims.items() if n > 1]
    assert doubles == []
    assert len(claims) == ITEMS
    # all of them really worked side by side (not one after the other)
    assert all(result["claimed"] for result in results), [len(r["claimed"]) for r in results]

    data = QueueStore(store.dir, "music").load()
    items = {item["key"]: item for item in data["items"]}
    assert set(items) == set(claims)
    by_worker = {key: result["name"] for result in results for key in result["claimed"]}
    for key, item in items.items():
        assert item["status"] == "completed", item
        assert item["attempts"] == 1, item
        assert item["claimed_by"] is None
        assert item["details"]["by"] == by_worker[key]
        number = int(key.rsplit("-", 1)[1])
        assert item["track_count"] == number % 7 + 1

    summary = manager.summarize(data)
    assert summary["statuses"]["completed"] == ITEMS
    assert summary["tracks"] == sum(result["tracks"] for result in results)
    assert summary["issues_found"] == sum(int(k.rsplit("-", 1)[1]) % 3 for k in items)
    # every read-modify-write of every process is in the final state
    bumps = sum(result["bumps"] for result in results)
    assert bumps == ITEMS
    assert items["artist-0000"]["details"]["bumps"] == bumps
    assert validate(data, folder_exists=default_folder_exists) == []

    # every completion count was seen by exactly one record call: every multiple of 40 has
    # its checkpoint, and each holds exactly that many completed items
    taken = {}
    for path in store.checkpoints():
        snapshot = parse_queue(path.read_bytes(), path)
        taken[int(path.stem.rsplit("_", 1)[1])] = statuses_of(snapshot)["completed"]
    assert taken == {n: n for n in range(40, ITEMS + 1, 40)}


MOVER = """
import sys
from pathlib import Path
from mediakeeper.queue.store import QueueStore

store = QueueStore(Path(sys.argv[1]), "music")
count = int(sys.argv[2])
print("READY", flush=True)
for n in range(1, 400):
    def move(data, n=n):
        # One journal line moves the token from one item to the next: every committed state
        # holds exactly one, and a read that mixed two states would see none or two.
        before, after = data["items"][(n - 1) % count], data["items"][n % count]
        before["details"].pop("token", None)
        after["details"]["token"] = n
        return [before, after]
    store.update(move, fold=n % 7 == 0)  # folds too: the file replaced, the journal emptied
print("DONE", flush=True)
"""


def test_a_read_without_the_lock_sees_only_committed_states(tmp_path, make_store, child_env):
    """What the read-only views (summary, --list, --validate-queue, reports) do: no lock, no
    lock file, while another process journals, folds and rewrites the file."""
    store = make_store(5)
    store.update(lambda data: [{**data["items"][0], "details": {"token": 0}}], fold=True)
    script = tmp_path / "mover.py"
    script.write_text(MOVER, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(store.dir), "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env,
        text=True,
    )
    try:
        assert proc.stdout.readline() == "READY\n", proc.communicate(timeout=30)[1]
        reader = QueueStore(store.dir, "music")
        seen = []
        while proc.poll() is None:
            data = reader.peek()
            tokens = [i["details"]["token"] for i in data["items"] if "token" in i["details"]]
            assert len(tokens) == 1, tokens
            seen.append(tokens[0])
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and "DONE" in out, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert seen == sorted(seen)  # never an older state after a newer one
    assert len(set(seen)) > 1  # the reads really overlapped the writes
    [token] = [i["details"]["token"] for i in reader.peek()["items"] if "token" in i["details"]]
    assert token == 399
    # And it takes no lock: a read while another holds it still reads (one that took the lock
    # would wait for it and fail with "could not take the lock").
    with store.locked():
        items = reader.peek()["items"]
    assert [i["details"]["token"] for i in items if "token" in i["details"]] == [399]
