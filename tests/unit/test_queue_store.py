"""QueueStore life cycle on real files in tmp_path, with an injected clock."""

from __future__ import annotations

import errno
import json
import os
import socket
from datetime import UTC, datetime

import pytest

from mediakeeper.core.errors import QueueCorrupt, QueueError, QueueMissing
from mediakeeper.queue import itemlist
from mediakeeper.queue import store as queue_module
from mediakeeper.queue.files import dump_queue
from mediakeeper.queue.items import (
    claim_is_stale,
    default_folder_exists,
    make_claim,
    new_item,
    new_queue,
    validate,
)
from mediakeeper.queue.store import (
    FOLD_AFTER_LINES,
    QueueStore,
    parse_queue,
    statuses_of,
)

SESSION = "20240309_session_001"


def fresh(store: QueueStore) -> QueueStore:
    """A new store object over the same files: what another process or a later run sees."""
    return QueueStore(store.dir, store.kind, clock=store.clock)


def items_by_key(data) -> dict[str, dict]:
    return {item["key"]: item for item in data["items"]}


def journal_lines(store: QueueStore) -> list[bytes]:
    if not store.journal_path.exists():
        return []
    return store.journal_path.read_bytes().splitlines(keepends=True)


# ---- create / load ---------------------------------------------------------------------


def test_create_writes_a_readable_queue_and_refuses_to_replace_it(make_store, clock):
    store = make_store(3)
    on_disk = json.loads(store.path.read_text(encoding="utf-8"))
    assert on_disk["kind"] == "music"
    assert [i["key"] for i in on_disk["items"]] == ["artist-0000", "artist-0001", "artist-0002"]
    assert {i["status"] for i in on_disk["items"]} == {"pending"}
    assert on_disk["created_at"] == "2024-03-09T10:30:00+00:00"

    before = store.path.read_bytes()
    with pytest.raises(QueueError, match="already exists"):
        store.create(new_queue("music", "/elsewhere", [], clock()))
    assert store.path.read_bytes() == before

    store.create(new_queue("music", "/elsewhere", [], clock()), replace=True)
    assert fresh(store).load()["items"] == []


def test_replacements_within_one_second_each_keep_the_queue_they_replaced(make_store, clock):
    """The clock stands still: three replacements, three copies, none written over."""
    store = make_store(3)
    queues = [store.path.read_bytes()]
    for library in ("/one", "/two"):
        backup = store.create(new_queue("music", library, [], clock()), replace=True)
        assert backup is not None and backup.read_bytes() == queues[-1]
        queues.append(store.path.read_bytes())
    kept = sorted(p.name for p in store.dir.iterdir() if ".replaced-" in p.name)
    assert kept == [f"processing_queue.json.replaced-20240309T103000{end}" for end in ("", "-2")]
    assert [(store.dir / name).read_bytes() for name in kept] == queues[:2]


def test_missing_queue_raises_queue_missing(tmp_path, clock):
    store = QueueStore(tmp_path / "status" / "music", "music", clock=clock)
    assert not store.exists()
    with pytest.raises(QueueMissing):
        store.load()
    with pytest.raises(QueueMissing):
        store.claim_next(SESSION)
    assert not store.path.exists()


# ---- the item life cycle ---------------------------------------------------------------


def test_claim_marks_in_progress_with_who_and_when(make_store, clock):
    store = make_store(3)
    clock.advance(minutes=5)
    item = store.claim_next(SESSION)
    assert item["key"] == "artist-0000"
    assert item["status"] == "in_progress"
    assert item["started_at"] == "2024-03-09T10:35:00+00:00"
    claim = item["claimed_by"]
    assert claim["host"] == socket.gethostname()
    assert claim["pid"] == os.getpid()
    assert claim["session"] == SESSION
    assert claim["at"] == "2024-03-09T10:35:00+00:00"
    # what another process reads from disk agrees
    assert fresh(store).item("artist-0000")["status"] == "in_progress"


def test_claims_follow_queue_order_and_end_with_none(make_store):
    store = make_store(4)
    claimed = [store.claim_next(SESSION)["key"] for _ in range(4)]
    assert claimed == ["artist-0000", "artist-0001", "artist-0002", "artist-0003"]
    assert store.claim_next(SESSION) is None


def test_claim_skips_items_not_pending_and_missing_ones(make_store):
    store = make_store(5)

    def mark(data):
        items = data["items"]
        items[0]["missing"] = True
        items[1]["status"] = "completed"
        items[2]["status"] = "error"
        return items[:3]

    store.update(mark)
    assert store.claim_next(SESSION)["key"] == "artist-0003"
    # an error item is retried only when asked for; a missing one never
    assert store.claim_next(SESSION, statuses=("error",))["key"] == "artist-0002"
    assert store.claim_next(SESSION, keys={"artist-0000", "artist-0001"}) is None
    assert store.claim_next(SESSION, keys={"artist-0004"})["key"] == "artist-0004"
    assert store.claim_next(SESSION) is None


def test_an_item_given_back_ahead_of_the_claims_is_claimed_again(make_store):
    """Claims go on from where the last one stopped; anything that makes an earlier item
    claimable again (a release, a retry of errors, another process) must be seen."""
    store = make_store(6)
    first = [store.claim_next(SESSION)["key"] for _ in range(3)]
    store.release(first[0], SESSION)  # an interrupted item goes back to pending
    assert store.claim_next(SESSION)["key"] == "artist-0000"
    store.record_failure(first[1], SESSION, stage="scan", message="x")
    assert store.claim_next(SESSION, statuses=("error",))["key"] == "artist-0001"
    assert store.claim_next(SESSION)["key"] == "artist-0003"

    other = fresh(store)  # another process gives an item back: its journal line is replayed
    other.release(first[2], SESSION)
    assert store.claim_next(SESSION)["key"] == "artist-0002"

    def reset_first(data):  # the queue manager resets by hand
        data["items"][0].update(status="pending", claimed_by=None)
        return data["items"][:1]

    store.update(reset_first)
    assert store.claim_next(SESSION)["key"] == "artist-0000"
    assert [store.claim_next(SESSION)["key"] for _ in range(2)] == ["artist-0004", "artist-0005"]
    assert store.claim_next(SESSION) is None


def test_record_success_completes_with_counts(make_store, clock):
    store = make_store(2)
    store.claim_next(SESSION)
    clock.advance(seconds=42)
    assert (
        store.record_success(
            "artist-0000",
            SESSION,
            counts={"track_count": 12, "issues_found": 3, "issues_resolved": 2},
            details={"mbid": "abc"},
        )
        is None
    )
    item = fresh(store).item("artist-0000")
    assert item["status"] == "completed"
    assert (item["track_count"], item["issues_found"], item["issues_resolved"]) == (12, 3, 2)
    assert item["attempts"] == 1
    assert item["completed_at"] == "2024-03-09T10:30:42+00:00"
    assert item["claimed_by"] is None
    assert item["last_error"] is None
    assert item["details"] == {"mbid": "abc"}
    assert fresh(store).load()["updated_at"] == "2024-03-09T10:30:42+00:00"


def test_a_failure_of_an_item_whose_folder_went_meanwhile_leaves_it_missing(make_store, tmp_path):
    """A batch held an artist whose folder went while it was in its hands (``dupes
    set-aside`` moved its last copies aside, and its refresh marked it missing): the batch's
    "artist folder not found" was recorded as the artist's error, and three such runs
    skipped it. Its folder is gone, not broken: it goes back as it was, marked missing, no
    attempt counted, and is passed over as any missing item is."""
    import shutil

    from mediakeeper.queue.manager import refresh_queue

    store = make_store(2)
    claimed = store.claim_next(SESSION)
    shutil.rmtree(tmp_path / "library" / claimed["key"])
    refresh_queue(store)  # as set-aside's own refresh does, the batch still holding it
    status = store.record_failure(claimed["key"], SESSION, stage="scan",
                                  message="artist folder not found")  # fmt: skip
    item = fresh(store).item(claimed["key"])
    assert (status, item["status"], item["missing"]) == ("pending", "pending", True)
    assert (item["attempts"], item.get("failures", 0), item["claimed_by"]) == (0, 0, None)
    assert store.claim_next(SESSION)["key"] != claimed["key"]  # passed over


def test_record_failure_keeps_history_and_skips_after_max_attempts(make_store, clock):
    store = make_store(1)
    outcomes = []
    for n in range(3):
        store.claim_next(SESSION, statuses=("pending", "error"))
        clock.advance(minutes=1)
        outcomes.append(
            store.record_failure(
                "artist-0000", SESSION, stage=f"stage{n}", message=f"boom {n}", max_attempts=3
            )
        )
        item = fresh(store).item("artist-0000")
        assert item["attempts"] == n + 1
        assert item["last_error"] == f"boom {n}"
        assert item["claimed_by"] is None
    assert outcomes == ["error", "error", "skipped"]
    item = fresh(store).item("artist-0000")
    assert item["status"] == "skipped"
    assert [(e["at"], e["stage"], e["message"]) for e in item["error_history"]] == [
        ("2024-03-09T10:31:00+00:00", "stage0", "boom 0"),
        ("2024-03-09T10:32:00+00:00", "stage1", "boom 1"),
        ("2024-03-09T10:33:00+00:00", "stage2", "boom 2"),
    ]
    assert store.claim_next(SESSION, statuses=("pending", "error")) is None


def test_max_attempts_counts_failures_since_the_last_success(make_store):
    """--enrich takes completed artists again: one that completed, then failed, is skipped
    after max_attempts failures, not sooner for its success (attempts counts both)."""
    store = make_store(1)

    def fail(statuses=("completed", "error")):
        store.claim_next(SESSION, statuses=statuses)
        return store.record_failure("artist-0000", SESSION, stage="lookup", message="x")

    assert fail(statuses=("pending",)) == "error"
    store.claim_next(SESSION, statuses=("error",))
    store.record_success("artist-0000", SESSION)  # a success starts the count again
    assert [fail(), fail(), fail()] == ["error", "error", "skipped"]
    item = fresh(store).item("artist-0000")
    assert (item["attempts"], item["failures"], len(item["error_history"])) == (5, 3, 4)


def test_max_attempts_zero_never_skips(make_store):
    store = make_store(1)
    for _ in range(5):
        store.claim_next(SESSION, statuses=("pending", "error"))
        status = store.record_failure(
            "artist-0000", SESSION, stage="s", message="m", max_attempts=0
        )
        assert status == "error"
    assert fresh(store).item("artist-0000")["attempts"] == 5


def test_release_gives_the_item_back_without_counting_an_attempt(make_store):
    store = make_store(2)
    store.claim_next(SESSION)
    store.release("artist-0000", SESSION)
    item = fresh(store).item("artist-0000")
    assert (item["status"], item["attempts"], item["claimed_by"], item["started_at"]) == (
        "pending",
        0,
        None,
        None,
    )
    assert store.claim_next(SESSION)["key"] == "artist-0000"


@pytest.mark.parametrize("was", ["completed", "error"])
def test_an_interrupted_claim_gives_back_the_status_it_was_taken_from(make_store, dead_pid, was):
    """--enrich takes completed items and --retry-errors errored ones: an interruption (a
    release now, or a killed batch's stale claim later) must not turn them into pending."""
    store = make_store(2)
    if was == "completed":
        _complete_next(store)
    else:
        store.record_failure(store.claim_next(SESSION)["key"], SESSION, stage="s", message="m")
    store.claim_next(SESSION, statuses=(was,))
    store.release("artist-0000", SESSION)
    assert fresh(store).item("artist-0000")["status"] == was

    store.claim_next(SESSION, statuses=(was,))

    def kill(data):  # the batch holding it was killed
        data["items"][0]["claimed_by"].update(pid=dead_pid, pid_started=None)
        return data["items"][:1]

    store.update(kill)
    assert store.release_stale() == ["artist-0000"]
    item = fresh(store).item("artist-0000")
    assert (item["status"], item["claimed_by"]) == (was, None)


def test_an_untouched_release_leaves_a_completed_item_as_it_was(make_store):
    """An --enrich attempt whose lookup failed before it changed anything: the item back
    whole, its last run's start and all (before: its start gone, the claim's token left);
    an interrupted one keeps its token, for the next run to resume its work file."""
    store = make_store(1)
    _complete_next(store)
    done = fresh(store).item("artist-0000")
    assert done["started_at"] and not done["run_token"]
    store.claim_next(SESSION, statuses=("completed",))
    store.release("artist-0000", SESSION, untouched=True)
    assert fresh(store).item("artist-0000") == done
    store.claim_next(SESSION, statuses=("completed",))
    store.release("artist-0000", SESSION)  # interrupted
    kept = fresh(store).item("artist-0000")
    assert kept["run_token"] and kept["started_at"] == done["started_at"]
    assert {**kept, "run_token": None} == done


def test_a_claim_whose_start_was_edited_by_hand_gives_back_no_start(make_store, dead_pid):
    """A start that is not text (a hand edit) is not put back into the item, where the next
    load would refuse the queue for it."""
    store = make_store(1)
    _complete_next(store)
    store.claim_next(SESSION, statuses=("completed",))

    def edited(data):
        data["items"][0]["claimed_by"].update(was_started=5, pid=dead_pid, pid_started=None)
        return data["items"]

    store.update(edited)
    assert store.release_stale() == ["artist-0000"]
    item = fresh(store).item("artist-0000")
    assert (item["status"], item["started_at"]) == ("completed", None)


def test_a_claim_written_before_claims_said_their_status_gives_back_pending(make_store, dead_pid):
    store = make_store(1)
    store.claim_next(SESSION)

    def older(data):
        data["items"][0]["claimed_by"].pop("was")
        data["items"][0]["claimed_by"].update(pid=dead_pid, pid_started=None)
        return data["items"]

    store.update(older)
    store.release_stale()
    assert fresh(store).item("artist-0000")["status"] == "pending"


@pytest.mark.parametrize("action", ["success", "failure", "release"])
def test_recording_an_item_not_claimed_by_this_session_is_refused(make_store, action):
    store = make_store(2)
    store.claim_next("other_session")
    calls = {
        "success": lambda key: store.record_success(key, SESSION),
        "failure": lambda key: store.record_failure(key, SESSION, stage="s", message="m"),
        "release": lambda key: store.release(key, SESSION),
    }
    for key in ("artist-0000", "artist-0001"):  # claimed by another session / not claimed
        with pytest.raises(QueueError, match="no longer claimed"):
            calls[action](key)
    data = fresh(store).load()
    assert statuses_of(data)["in_progress"] == 1
    assert items_by_key(data)["artist-0001"]["status"] == "pending"


def test_two_store_objects_see_each_others_changes(make_store):
    a = make_store(4)
    b = fresh(a)
    first = a.claim_next("session_a")["key"]
    second = b.claim_next("session_b")["key"]
    assert first != second
    b.record_success(second, "session_b", counts={"track_count": 7})
    a.record_success(first, "session_a", counts={"track_count": 5})
    a.fold()
    data = b.load()
    assert statuses_of(data)["completed"] == 2
    assert sum(i["track_count"] for i in data["items"]) == 12


def test_reading_through_what_a_store_holds_sees_what_another_store_wrote_since(make_store):
    a = make_store(3)  # holds the queue it made
    assert [i["status"] for i in a.read_through()] == ["pending"] * 3
    b = fresh(a)
    b.claim_next("session_b")  # a journal line a does not hold
    assert [i["status"] for i in a.read_through()] == ["in_progress", "pending", "pending"]
    with a.locked():  # a holds it again, as it stands
        pass
    b.record_success("artist-0000", "session_b")
    b.fold()  # the file replaced, the journal emptied
    assert [i["status"] for i in a.read_through()] == ["completed", "pending", "pending"]


# ---- the journal and the fold ----------------------------------------------------------


def test_a_change_is_one_journal_line_not_a_rewrite(make_store):
    store = make_store(3)
    json_before = store.path.read_bytes()
    store.claim_next(SESSION)
    store.record_success("artist-0000", SESSION)
    assert store.path.read_bytes() == json_before
    lines = journal_lines(store)
    assert len(lines) == 2
    assert all(line.endswith(b"\n") for line in lines)
    assert [json.loads(line)["items"][0]["status"] for line in lines] == [
        "in_progress",
        "completed",
    ]


def test_one_item_is_changed_by_its_key_and_folded_the_rest_as_they_were(make_store):
    store = make_store(3)
    store.claim_next(SESSION)  # a journal line the fold takes in too

    def named(item):
        item["details"] = {"choice": 7}
        return True

    assert fresh(store).update_item("artist-0002", named, fold=True)
    assert journal_lines(store) == []
    on_disk = items_by_key(json.loads(store.path.read_text(encoding="utf-8")))
    assert on_disk["artist-0002"]["details"] == {"choice": 7}
    assert on_disk["artist-0000"]["status"] == "in_progress"
    assert [on_disk[k]["details"] for k in ("artist-0000", "artist-0001")] == [{}, {}]
    before = store.path.read_bytes()
    assert not fresh(store).update_item("nobody", named, fold=True)
    assert not fresh(store).update_item("artist-0001", lambda item: False, fold=True)
    assert store.path.read_bytes() == before and journal_lines(store) == []


def test_a_transaction_records_and_claims_in_one_journal_line(make_store):
    store = make_store(4)
    store.claim_next(SESSION)
    with store.transaction():
        store.record_success("artist-0000", SESSION, counts={"track_count": 2})
        store.claim_many(SESSION, 2)
    lines = journal_lines(store)
    assert len(lines) == 2  # the first claim, then the transaction
    assert [i["key"] for i in json.loads(lines[1])["items"]] == [
        "artist-0000",
        "artist-0001",
        "artist-0002",
    ]
    assert [i["status"] for i in fresh(store).load()["items"]] == [
        "completed",
        "in_progress",
        "in_progress",
        "pending",
    ]


def test_a_transaction_that_fails_writes_nothing_and_is_forgotten(make_store):
    store = make_store(3)
    store.claim_next(SESSION)
    before = journal_lines(store)
    with pytest.raises(RuntimeError), store.transaction():
        store.record_success("artist-0000", SESSION)
        store.claim_next(SESSION)
        raise RuntimeError("the batch died here")
    assert journal_lines(store) == before
    expected = ["in_progress", "pending", "pending"]
    assert [i["status"] for i in store.load()["items"]] == expected
    assert [i["status"] for i in fresh(store).load()["items"]] == expected


def test_a_checkpoint_in_a_transaction_never_runs_ahead_of_the_journal(make_store):
    store = make_store(3)
    store.claim_next(SESSION)
    with store.transaction():
        path = store.record_success("artist-0000", SESSION, checkpoint_every=1)
        on_disk = fresh(store).peek()  # what a crash right now would leave
        store.claim_next(SESSION)
    with open(path, encoding="utf-8") as f:
        assert json.load(f)["items"] == on_disk["items"]
    assert [i["status"] for i in on_disk["items"]] == ["completed", "pending", "pending"]


def test_fold_puts_every_change_into_the_json_alone(make_store, clock):
    store = make_store(5)
    store.claim_next(SESSION)
    store.record_success("artist-0000", SESSION, counts={"track_count": 9, "issues_found": 4})
    store.claim_next(SESSION)
    store.record_failure("artist-0001", SESSION, stage="scan", message="unreadable")
    store.claim_next(SESSION)  # left in progress
    clock.advance(hours=1)
    store.update(lambda data: [*_set(data["items"][4], missing=True)])
    expected = fresh(store).load()

    store.fold()

    assert journal_lines(store) == []
    with open(store.path, encoding="utf-8") as f:
        folded = json.load(f)
    assert folded["items"] == expected["items"]
    assert folded["updated_at"] == "2024-03-09T11:30:00+00:00"
    states = {i["key"]: i["status"] for i in folded["items"]}
    assert states == {
        "artist-0000": "completed",
        "artist-0001": "error",
        "artist-0002": "in_progress",
        "artist-0003": "pending",
        "artist-0004": "pending",
    }
    assert items_by_key(folded)["artist-0000"]["track_count"] == 9
    assert items_by_key(folded)["artist-0004"]["missing"] is True


def _set(item, **values):
    item.update(values)
    return [item]


def test_journal_is_folded_before_it_grows_long(make_store):
    store = make_store(FOLD_AFTER_LINES // 2 + 5)
    for _ in range(FOLD_AFTER_LINES // 2 + 5):
        item = store.claim_next(SESSION)
        store.record_success(item["key"], SESSION)
        assert len(journal_lines(store)) < FOLD_AFTER_LINES
    with open(store.path, encoding="utf-8") as f:
        on_disk = json.load(f)
    # the JSON alone holds at least everything up to the automatic fold
    assert statuses_of(on_disk)["completed"] >= FOLD_AFTER_LINES // 2
    assert statuses_of(fresh(store).load())["completed"] == FOLD_AFTER_LINES // 2 + 5


def test_a_fold_the_full_disk_refuses_fails_no_write_that_is_on_disk(
    make_store, monkeypatch, full_disk
):
    """A batch takes a write that raises to mean its line is not on disk (it then never
    counts the claims in it as its own, and nobody gives them back). The automatic fold
    after a line is no part of that write: on a disk too full for the JSON file, the line
    stands and the fold waits for a later one."""
    monkeypatch.setattr(queue_module, "FOLD_AFTER_LINES", 2)
    store = make_store(40)  # its JSON file is far larger than a journal line
    json_before = store.path.read_bytes()
    store.claim_next(SESSION)  # line 1
    full_disk(len(json_before) // 2)  # room for the journal's lines, not for a new JSON file
    with store.transaction():  # line 2: the fold is due, and refused
        store.record_success("artist-0000", SESSION)
        claimed = store.claim_next(SESSION)
    store.record_success(claimed["key"], SESSION)  # line 3: refused again
    full_disk(1 << 40)
    assert store.path.read_bytes() == json_before  # refused: left as it was
    assert len(journal_lines(store)) == 3
    reread = items_by_key(fresh(store).load())  # every line replays onto the old file
    assert [reread[k]["status"] for k in ("artist-0000", claimed["key"])] == ["completed"] * 2
    store.claim_next(SESSION)  # line 4: the fold goes through now
    assert journal_lines(store) == []
    assert statuses_of(json.loads(store.path.read_bytes()))["completed"] == 2
    assert statuses_of(fresh(store).load())["in_progress"] == 1


def test_a_journal_the_fold_empties_but_cannot_flush_fails_no_write(make_store, monkeypatch):
    """The fold's second step refused (EIO on the emptied journal's flush): the line that
    triggered it stands, and the next line starts the emptied journal, with no gap of zeros
    where the old lines were."""
    monkeypatch.setattr(queue_module, "FOLD_AFTER_LINES", 2)
    store = make_store(3)
    real_fsync = os.fsync

    def fsync(fd):
        if os.readlink(f"/proc/self/fd/{fd}") == str(store.journal_path):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_fsync(fd)

    store.claim_next(SESSION)  # line 1
    monkeypatch.setattr(os, "fsync", fsync)
    store.record_success("artist-0000", SESSION)  # line 2: the fold is due, half refused
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert store.journal_path.read_bytes() == b""  # emptied, though not flushed
    claimed = store.claim_next(SESSION)  # the next line: at the start of the journal
    assert len(journal_lines(store)) == 1 and not store.journal_path.read_bytes().startswith(b"\0")
    reread = items_by_key(fresh(store).load())
    assert [reread[k]["status"] for k in ("artist-0000", claimed["key"])] == [
        "completed", "in_progress"
    ]  # fmt: skip


def test_lines_of_an_old_generation_are_never_replayed_after_a_fold(make_store):
    store = make_store(2)
    store.claim_next(SESSION)
    store.record_success("artist-0000", SESSION)
    old_journal = store.journal_path.read_bytes()
    store.fold()
    store.update(lambda data: [*_set(data["items"][0], status="pending")])
    store.fold()
    # A crash between the JSON rename and the journal truncation leaves the old lines behind.
    store.journal_path.write_bytes(old_journal)
    assert fresh(store).item("artist-0000")["status"] == "pending"


def test_a_torn_journal_tail_is_ignored_and_cut_off_by_the_next_commit(make_store):
    store = make_store(3)
    store.claim_next(SESSION)
    generation = json.loads(journal_lines(store)[0])["gen"]
    # A complete-looking entry whose newline never reached the disk: it was never committed.
    torn = json.dumps(
        {"gen": generation, "at": "2024-03-09T10:31:00+00:00", "items": [_completed("artist-0001")]}
    ).encode()
    with open(store.journal_path, "ab") as f:
        f.write(torn)

    reader = fresh(store)
    assert reader.item("artist-0001")["status"] == "pending"
    reader.claim_next(SESSION)  # commits: claims artist-0001 after cutting the tail off

    lines = journal_lines(store)
    assert len(lines) == 2
    assert all(line.endswith(b"\n") for line in lines)
    assert torn not in store.journal_path.read_bytes()
    states = {i["key"]: i["status"] for i in fresh(store).load()["items"]}
    assert states == {
        "artist-0000": "in_progress",
        "artist-0001": "in_progress",
        "artist-0002": "pending",
    }


def _completed(key):
    item = new_item(key, key, f"/x/{key}")
    item["status"] = "completed"
    return item


def test_a_torn_tail_of_garbage_is_ignored_too(make_store):
    store = make_store(2)
    store.claim_next(SESSION)
    with open(store.journal_path, "ab") as f:
        f.write(b'{"gen": 1, "at": "2024-03-0')
    assert fresh(store).item("artist-0000")["status"] == "in_progress"
    fresh(store).record_success("artist-0000", SESSION)
    assert [json.loads(line)["items"][0]["status"] for line in journal_lines(store)] == [
        "in_progress",
        "completed",
    ]


def test_a_damaged_line_in_the_middle_is_corruption(make_store):
    store = make_store(3)
    store.claim_next(SESSION)
    store.claim_next(SESSION)
    first, second = journal_lines(store)
    store.journal_path.write_bytes(first + b"\x00\x00garbage}\n" + second)
    json_before = store.path.read_bytes()
    journal_before = store.journal_path.read_bytes()
    with pytest.raises(QueueCorrupt, match="damaged line"):
        fresh(store).load()
    with pytest.raises(QueueCorrupt):
        fresh(store).claim_next(SESSION)
    assert store.path.read_bytes() == json_before
    assert store.journal_path.read_bytes() == journal_before


# ---- files that do not parse -----------------------------------------------------------


def _valid_text() -> str:
    items = [new_item(f"a{i}", f"A {i}", f"/x/a{i}") for i in range(3)]
    return dump_queue(new_queue("music", "/x", items, datetime(2024, 1, 1, tzinfo=UTC)))


BROKEN = {
    "empty": (b"", "is empty"),
    "blank": (b"  \n\n", "is empty"),
    "truncated": (_valid_text().encode()[: len(_valid_text()) // 2], "not valid JSON"),
    "not json": (b"status: all good\n", "not valid JSON"),
    "binary": (b"\xff\xfe\x00\x01\x89PNG\r\n", "not UTF-8 text"),
    "a list": (b"[1, 2, 3]", "not a JSON object"),
    "no items": (b'{"version": 1, "kind": "music"}', "'items' is missing"),
    "items not a list": (b'{"version": 1, "items": {"a": 1}}', "'items' is missing"),
    "wrong version": (b'{"version": 99, "items": []}', "unsupported version"),
    "item not an object": (b'{"version": 1, "items": ["a"]}', "not an object"),
    "item without key": (b'{"version": 1, "items": [{"status": "pending"}]}', "has no key"),
    "duplicate key": (
        b'{"version": 1, "items": [{"key": "a", "status": "pending"},'
        b' {"key": "a", "status": "pending"}]}',
        "duplicate key 'a'",
    ),
    "unknown status": (
        b'{"version": 1, "items": [{"key": "a", "status": "done"}]}',
        "unknown status 'done'",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_parse_queue_refuses_broken_text(tmp_path, case):
    raw, message = BROKEN[case]
    source = tmp_path / "processing_queue.json"
    with pytest.raises(QueueCorrupt, match=message) as caught:
        parse_queue(raw, source)
    assert str(source) in str(caught.value)
    assert "--restore-checkpoint latest" in str(caught.value)


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_queue_file_is_reported_and_never_modified(tmp_path, clock, case):
    raw, message = BROKEN[case]
    directory = tmp_path / "status" / "music"
    directory.mkdir(parents=True)
    path = directory / "processing_queue.json"
    path.write_bytes(raw)
    store = QueueStore(directory, "music", clock=clock)
    attempts = [
        store.load,
        lambda: store.claim_next(SESSION),
        store.fold,
        store.checkpoint,
        store.release_stale,
        lambda: store.update(lambda data: data["items"]),
    ]
    for attempt in attempts:
        with pytest.raises(QueueCorrupt, match=message) as caught:
            attempt()
        # No checkpoint to restore yet: the way back is a new queue.
        assert "there is no checkpoint to restore yet" in str(caught.value)
        assert "--init --force --library" in str(caught.value)
        assert "--restore-checkpoint" not in str(caught.value)
        assert "\n" not in str(caught.value)
        assert path.read_bytes() == raw
    assert not store.journal_path.exists() or store.journal_path.read_bytes() == b""
    assert not store.checkpoints()
    (directory / "checkpoints").mkdir()
    (directory / "checkpoints" / "checkpoint_2024-03-09_artist_050.json").write_text("{}")
    with pytest.raises(QueueCorrupt, match=message) as caught:
        store.load()
    assert "--restore-checkpoint latest` brings back the last good state" in str(caught.value)


def test_parse_queue_accepts_what_dump_queue_writes(tmp_path):
    data = parse_queue(_valid_text(), tmp_path / "q.json")
    assert [i["key"] for i in data["items"]] == ["a0", "a1", "a2"]
    assert parse_queue(dump_queue(data), tmp_path / "q.json") == data


# ---- checkpoints -----------------------------------------------------------------------


def _complete_next(store, session=SESSION, **kwargs):
    item = store.claim_next(session)
    return store.record_success(item["key"], session, **kwargs)


def test_checkpoints_are_taken_exactly_every_n_completions(make_store, clock):
    store = make_store(11)
    taken = {}
    for n in range(1, 11):
        if n == 4:  # failures do not count as completions
            item = store.claim_next(SESSION)
            store.record_failure(item["key"], SESSION, stage="s", message="m")
        if n == 7:
            clock.advance(days=1)  # the name carries the clock's date at that moment
        written = _complete_next(store, checkpoint_every=3)
        if written is not None:
            taken[n] = written.name
    assert taken == {
        3: "checkpoint_2024-03-09_artist_003.json",
        6: "checkpoint_2024-03-09_artist_006.json",
        9: "checkpoint_2024-03-10_artist_009.json",
    }
    assert [p.name for p in store.checkpoints()] == list(taken.values())


def test_the_completion_count_follows_other_processes_and_resets(make_store):
    """The count behind the checkpoint rule is kept between records; whatever another
    process or a reset changes in between must still be counted."""
    store = make_store(12)
    other = fresh(store)
    for _ in range(2):
        assert _complete_next(store, checkpoint_every=4) is None  # 1, 2
    assert _complete_next(other, "other", checkpoint_every=4) is None  # 3, by another process
    assert _complete_next(store, checkpoint_every=4).name.endswith("_004.json")

    def reset_two(data):  # by hand, as the queue manager does: 2 completed left
        done = [i for i in data["items"] if i["status"] == "completed"][:2]
        for item in done:
            item["status"] = "pending"
        return done

    store.update(reset_two)
    taken = [_complete_next(store, checkpoint_every=4) for _ in range(6)]  # 3 .. 8
    assert [p and p.name[-8:] for p in taken] == [None] * 5 + ["008.json"]


def test_a_change_that_fails_to_reach_the_journal_is_never_saved(make_store, full_disk):
    store = make_store(3)
    full_disk(0)  # the journal is empty: its first line cannot be written
    with pytest.raises(OSError) as caught:
        store.claim_next(SESSION)
    full_disk(1 << 40)
    assert caught.value.errno == errno.EFBIG
    assert store.journal_path.read_bytes() == b""  # refused there: nothing of the line is in
    store.fold()  # what a batch's clean-up does after a failure
    assert [i["status"] for i in fresh(store).load()["items"]] == ["pending"] * 3
    assert [i["status"] for i in store.load()["items"]] == ["pending"] * 3


def test_enrich_does_not_checkpoint_the_same_count_again(make_store):
    """--enrich claims completed items and completes them again: the count goes back to the
    multiple it was at, and that checkpoint is not written once more per item."""
    store = make_store(6)
    for _ in range(3):
        _complete_next(store, checkpoint_every=3)
    assert [p.name[-8:] for p in store.checkpoints()] == ["003.json"]
    for _ in range(3):
        item = store.claim_next(SESSION, statuses=("completed",), keys=None)
        assert store.record_success(item["key"], SESSION, checkpoint_every=3) is None
    assert len(store.checkpoints()) == 1


def test_checkpoint_holds_the_state_at_its_moment(make_store):
    store = make_store(6)
    for _ in range(2):
        _complete_next(store, counts={"track_count": 3})
    store.claim_next(SESSION)  # an item in progress at checkpoint time
    expected = fresh(store).load()
    path = store.checkpoint()
    assert path.name == "checkpoint_2024-03-09_artist_002.json"
    with open(path, encoding="utf-8") as f:
        snap = json.load(f)
    assert snap["items"] == expected["items"]
    assert parse_queue(path.read_bytes(), path)["items"] == expected["items"]  # a valid queue


def test_checkpoints_and_folds_hold_every_change_since_the_last(make_store):
    """A store keeps each item's encoding until the item changes; a change by this store, by
    another process or by the queue manager must all show in the next checkpoint and fold."""
    a = make_store(4)
    b = fresh(a)
    _complete_next(a)
    a.checkpoint()  # every item encoded
    a.update(lambda data: [{**data["items"][3], "missing": True}])  # the queue manager
    a.checkpoint()  # every item encoded again
    _complete_next(b)  # another process
    a.claim_next(SESSION)
    with a.transaction():
        a.record_success("artist-0002", SESSION, counts={"track_count": 4})
        path = a.checkpoint()
        a.claim_next(SESSION, statuses=("completed",))
    a.fold()

    def states(path):
        items = json.loads(path.read_text("utf-8"))["items"]
        return [(i["status"], i.get("track_count", 0), bool(i.get("missing"))) for i in items]

    done, missing = ("completed", 0, False), ("pending", 0, True)
    assert states(path) == [done, done, ("completed", 4, False), missing]
    assert states(a.path) == [("in_progress", 0, False), done, ("completed", 4, False), missing]


def test_checkpoint_names_use_the_media_kind(make_store):
    store = make_store(2, kind="movies")
    assert store.checkpoint().name == "checkpoint_2024-03-09_movie_000.json"


def test_restore_round_trips_and_keeps_the_replaced_queue(make_store, clock):
    store = make_store(6)
    _complete_next(store, counts={"track_count": 4, "issues_found": 2})
    checkpoint = store.checkpoint()
    checkpointed = fresh(store).load()

    # later work: committed to the journal, some of it folded
    _complete_next(store)
    store.fold()
    _complete_next(store)
    store.claim_next(SESSION)
    json_before = store.path.read_bytes()
    journal_before = store.journal_path.read_bytes()
    assert journal_before

    clock.advance(hours=2)
    backup = store.restore(checkpoint)

    assert fresh(store).load()["items"] == checkpointed["items"]
    assert backup is not None and backup.read_bytes() == json_before
    kept_journal = [
        p for p in store.dir.iterdir() if p.name.startswith("processing_queue.journal.")
    ]
    assert [p.read_bytes() for p in kept_journal] == [journal_before]
    assert checkpoint.exists()  # restoring never consumes the checkpoint

    # A crash right after the restore's rename leaves the old journal in place:
    # none of its lines may come back.
    store.journal_path.write_bytes(journal_before)
    assert fresh(store).load()["items"] == checkpointed["items"]
    # and the store keeps working on the restored state
    assert fresh(store).claim_next(SESSION)["key"] == "artist-0001"


def test_restore_refuses_a_corrupt_or_foreign_checkpoint(make_store, tmp_path):
    store = make_store(3)
    _complete_next(store)
    json_before = store.path.read_bytes()
    journal_before = store.journal_path.read_bytes()

    corrupt = tmp_path / "checkpoint_2024-03-09_artist_001.json"
    good = store.checkpoint()
    corrupt.write_bytes(good.read_bytes()[:100])
    movies = tmp_path / "movies.json"
    movies.write_text(dump_queue(new_queue("movies", "/m", [], datetime(2024, 1, 1, tzinfo=UTC))))
    json_before, journal_before = store.path.read_bytes(), store.journal_path.read_bytes()

    for bad in (corrupt, movies):
        with pytest.raises(QueueCorrupt):
            store.restore(bad)
        assert store.path.read_bytes() == json_before
        assert store.journal_path.read_bytes() == journal_before
    assert not [p for p in store.dir.iterdir() if ".replaced-" in p.name]


def test_restore_over_a_broken_queue_keeps_its_bytes(make_store):
    store = make_store(3)
    checkpoint = store.checkpoint()
    garbage = b"\x00\xff{not json at all\x9c"
    store.path.write_bytes(garbage)
    backup = fresh(store).restore(checkpoint)
    assert backup.read_bytes() == garbage
    assert len(fresh(store).load()["items"]) == 3


def test_restore_refuses_another_kind_s_queue_naming_what_it_is_and_the_others(make_store,
                                                                                tmp_path):
    """Another kind's queue given as a checkpoint says what it is, as the same queue found in
    this kind's place does, and where this kind's checkpoints are listed."""
    store = make_store(3)
    movies = tmp_path / "movies.json"
    movies.write_text(dump_queue(new_queue("movies", str(tmp_path / "library"), [],
                                           datetime(2024, 1, 1, tzinfo=UTC))))  # fmt: skip
    before = store.path.read_bytes()
    with pytest.raises(QueueCorrupt) as caught:
        fresh(store).restore(movies)
    assert str(caught.value).startswith(f"{movies} is a 'movies' queue, not the music queue")
    assert "--list-checkpoints` shows the others" in str(caught.value)
    assert store.path.read_bytes() == before


def test_checkpoints_are_listed_oldest_first(make_store):
    store = make_store(4)
    names = []
    for _ in range(3):
        _complete_next(store)
        names.append(store.checkpoint().name)
    assert [p.name for p in store.checkpoints()] == names


# ---- stale claims ----------------------------------------------------------------------


def test_a_claim_by_a_finished_process_is_stale(dead_pid):
    claim = {"host": socket.gethostname(), "pid": dead_pid, "pid_started": None, "session": "s"}
    assert claim_is_stale(claim)


def test_a_claim_by_a_process_that_ended_unreaped_is_stale(zombie_pid):
    """A killed batch's process may linger as a zombie: it runs no more, its claim is stale."""
    claim = {"host": socket.gethostname(), "pid": zombie_pid, "pid_started": None, "session": "s"}
    assert claim_is_stale(claim)


def test_our_own_claim_is_live(clock):
    assert not claim_is_stale(make_claim(SESSION, clock()))


def test_a_claim_from_another_host_is_never_stale_from_here(dead_pid):
    claim = {"host": socket.gethostname() + "-elsewhere", "pid": dead_pid, "session": "s"}
    assert not claim_is_stale(claim)


def test_a_reused_pid_is_recognised_by_its_start_time(clock):
    claim = make_claim(SESSION, clock())
    if claim["pid_started"] is None:
        pytest.skip("no /proc on this system")
    claim["pid_started"] = str(int(claim["pid_started"]) + 12345)
    assert claim_is_stale(claim)


@pytest.mark.parametrize("claim", [None, {}, {"host": socket.gethostname(), "pid": "x"}])
def test_missing_or_nonsense_claims_are_stale(claim):
    assert claim_is_stale(claim)


def test_release_stale_releases_only_stale_claims(make_store, dead_pid):
    store = make_store(5)
    for _ in range(4):
        store.claim_next(SESSION)

    def forge(data):
        items = data["items"]
        items[0]["claimed_by"]["pid"] = dead_pid  # a killed batch on this machine
        items[0]["claimed_by"]["pid_started"] = None
        items[1]["claimed_by"]["host"] = "nas.local"  # someone else's machine
        items[1]["claimed_by"]["pid"] = dead_pid
        return items[:2]

    store.update(forge)
    assert store.release_stale() == ["artist-0000"]
    states = {
        i["key"]: (i["status"], i["claimed_by"] is None) for i in fresh(store).load()["items"]
    }
    assert states == {
        "artist-0000": ("pending", True),
        "artist-0001": ("in_progress", False),
        "artist-0002": ("in_progress", False),
        "artist-0003": ("in_progress", False),
        "artist-0004": ("pending", True),
    }
    assert store.release_stale() == []


def test_release_stale_decodes_only_the_items_that_may_be_claimed(make_store, monkeypatch):
    """Before every batch's first claim: the items of a queue read through, each pending or
    done one passed over undecoded (its line names no claim), whatever the queue's size.
    (After a crash, its sessions' finished items are read too: test_while_a_batch_runs.)"""
    store = make_store(50)
    store.claim_next(SESSION)  # a live claim: this process's
    store.fold()  # in the file, as the others
    decoded = []
    decode = itemlist._DECODE

    def counted(text):
        item = decode(text)
        decoded.append(item["key"])
        return item

    monkeypatch.setattr(itemlist, "_DECODE", counted)
    assert fresh(store).release_stale() == []
    assert decoded == ["artist-0000"]


# ---- validation ------------------------------------------------------------------------


def _queue(tmp_path, *items):
    return new_queue("music", str(tmp_path), list(items), datetime(2024, 1, 1, tzinfo=UTC))


def _item(tmp_path, key, **values):
    folder = tmp_path / key
    folder.mkdir(exist_ok=True)
    item = new_item(key, key, str(folder))
    item.update(values)
    return item


def test_validate_finds_nothing_wrong_in_a_clean_queue(tmp_path, clock):
    data = _queue(
        tmp_path,
        _item(tmp_path, "a"),
        _item(tmp_path, "b", status="completed", issues_found=3, issues_resolved=3),
        _item(tmp_path, "c", status="in_progress", claimed_by=make_claim(SESSION, clock())),
    )
    assert validate(data, folder_exists=default_folder_exists) == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"status": "done"}, "unknown status 'done'"),
        ({"attempts": -1}, "attempts is -1"),
        ({"track_count": "12"}, "track_count is '12'"),
        ({"issues_found": True}, "issues_found is True"),
        ({"issues_found": 1.5}, "issues_found is 1.5"),
        ({"issues_found": 2, "issues_resolved": 5}, "issues_resolved (5) exceeds issues_found (2)"),
        ({"error_history": "boom"}, "error_history is 'boom', expected a list"),
        ({"started_at": "2024-03-09 10:00"}, "started_at '2024-03-09 10:00' is not ISO-8601"),
        ({"completed_at": "yesterday"}, "completed_at 'yesterday' is not ISO-8601"),
        ({"status": "in_progress", "claimed_by": None}, "in_progress without a claim"),
    ],
)
def test_validate_finds_each_problem(tmp_path, values, expected):
    data = _queue(tmp_path, _item(tmp_path, "fine"), _item(tmp_path, "Broken One", **values))
    problems = validate(data, folder_exists=default_folder_exists)
    assert len(problems) == 1, problems
    assert expected in problems[0]
    assert "'Broken One'" in problems[0]


def test_validate_finds_duplicate_keys_stale_claims_and_missing_folders(tmp_path, dead_pid):
    stale = {"host": socket.gethostname(), "pid": dead_pid, "session": "s1", "at": "x"}
    gone = new_item("gone", "Gone Artist", str(tmp_path / "no-such-folder"))
    data = _queue(
        tmp_path,
        _item(tmp_path, "a"),
        _item(tmp_path, "a"),
        _item(tmp_path, "b", status="in_progress", claimed_by=stale),
        gone,
    )
    problems = validate(data, folder_exists=default_folder_exists)
    assert len(problems) == 3, problems
    assert "duplicate key 'a'" in problems[0]
    assert f"stale claim by pid {dead_pid}" in problems[1] and "--reset-stale" in problems[1]
    assert "'Gone Artist': folder missing on disk" in problems[2]
    # without a folder check, the missing folder is not a problem
    assert len(validate(data)) == 2


def test_validate_says_a_deeply_nested_value_in_a_few_words():
    """A hand edit's name or status of lists nested eight deep (six each) was said to six
    levels: one problem line of about 390 KB. Two levels of a few entries, as every error
    says a value it was given (``core.errors.said``)."""
    nested: list = []
    for _ in range(8):
        nested = [nested] * 6
    data = {"version": 1, "library": "/m",
            "items": [{"key": "a", "name": nested, "status": nested}]}  # fmt: skip
    problems = validate(data)
    assert any("unknown status [[[...]" in line for line in problems), problems
    assert max(map(len, problems)) < 1000, max(map(len, problems))


def test_validate_of_a_stored_queue_after_a_kill_shows_only_the_stale_claim(make_store, dead_pid):
    store = make_store(3)
    store.claim_next(SESSION)

    def kill(data):
        data["items"][0]["claimed_by"].update(pid=dead_pid, pid_started=None)
        return data["items"][:1]

    store.update(kill)
    problems = validate(fresh(store).load(), folder_exists=default_folder_exists)
    assert len(problems) == 1 and "stale claim" in problems[0]
    store.release_stale()
    assert validate(fresh(store).load(), folder_exists=default_folder_exists) == []


def test_a_rewrite_that_keeps_inode_size_and_mtime_is_still_noticed(make_store):
    """ext4 hands a freed inode to the next new file and many kernels stamp mtimes in 4 ms
    ticks: a queue rewritten by another process can look unchanged by stat alone. Whether a
    file system reuses an inode at once is its own affair, so the reuse is made here: the
    rewritten queue's bytes go into the very inode the reader cached, under its old mtime."""
    store = make_store(3)
    reader = fresh(store)
    reader.fold()  # the reader now caches this exact file
    before = reader.path.stat()
    cached = reader.path.with_name("cached-inode")
    os.link(reader.path, cached)  # the reader's inode, kept from being freed
    writer = fresh(store)
    writer.update(lambda data: [*_set(data["items"][0], status="skipped")])  # same length
    writer.fold()
    rewritten = writer.path.read_bytes()
    assert len(rewritten) == before.st_size  # the generation went up by one, in one digit
    cached.write_bytes(rewritten)  # in place: same inode
    os.replace(cached, writer.path)
    os.utime(writer.path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = writer.path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )
    assert reader.item("artist-0000")["status"] == "skipped"
