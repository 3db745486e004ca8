"""The web app's follower of a home's queues (``web/follower.py``), over real queue files
written by the real store: every change is an event, a claim included when it and its
result fall between two looks (a fast batch folds its journal before the next)."""

from __future__ import annotations

from mediakeeper.web.follower import HomeFollower


def events_of(follower: HomeFollower) -> list[tuple[str, str]]:
    return [(event, data["item"]) for _, event, data in follower.since(0)]


def test_a_claim_and_its_result_between_two_looks_are_both_told_claim_first(make_store, tmp_path):
    store = make_store(2)
    follower = HomeFollower(tmp_path)
    follower.sync()  # the queue as it is: two pending, nothing happened yet
    before = events_of(follower)
    item = store.claim_next("s1")
    store.record_success(item["key"], "s1")
    store.fold()  # the journal gone into the file, as at a batch's end
    follower.sync()
    assert events_of(follower)[len(before):] == [("claimed", "artist-0000"),
                                                 ("completed", "artist-0000")]  # fmt: skip


def test_a_claim_seen_on_its_own_is_told_once(make_store, tmp_path):
    store = make_store(1)
    follower = HomeFollower(tmp_path)
    follower.sync()
    item = store.claim_next("s1")
    follower.sync()  # the claim, in the journal
    store.record_success(item["key"], "s1")
    follower.sync()
    told = [e for e in events_of(follower) if e[1] == "artist-0000"]
    assert told == [("claimed", "artist-0000"), ("completed", "artist-0000")]


def test_a_pending_item_skipped_by_hand_was_never_claimed(make_store, tmp_path):
    from mediakeeper.queue.manager import skip_named

    store = make_store(1)
    follower = HomeFollower(tmp_path)
    follower.sync()
    skip_named(store, "artist-0000")
    follower.sync()
    assert [e for e in events_of(follower) if e[1] == "artist-0000"] == [
        ("skipped", "artist-0000")]  # fmt: skip


def last_line_at(path) -> tuple[bytes, int]:
    """The journal's bytes and where its last (whole) line starts."""
    written = path.read_bytes()
    assert written.endswith(b"\n")
    return written, written.rfind(b"\n", 0, len(written) - 1) + 1


def test_a_journal_line_still_being_written_waits_and_a_damaged_one_is_passed_over(
    make_store, tmp_path
):
    store = make_store(1)
    follower = HomeFollower(tmp_path)
    follower.sync()
    item = store.claim_next("s1")
    written, start = last_line_at(store.journal_path)
    half = start + (len(written) - start) // 2
    store.journal_path.write_bytes(written[:half])
    follower.sync()
    assert events_of(follower) == []
    with open(store.journal_path, "ab") as f:
        f.write(written[half:])
    follower.sync()
    assert events_of(follower) == [("claimed", "artist-0000")]

    # Last: the store itself refuses a journal with a damaged line.
    store.record_success(item["key"], "s1")
    written, start = last_line_at(store.journal_path)
    store.journal_path.write_bytes(written[:start] + b"{not json\n" + written[start:])
    follower.sync()
    assert events_of(follower) == [("claimed", "artist-0000"), ("completed", "artist-0000")]


def test_the_workers_holding_an_item_are_told_and_listed_while_in_flight(make_store, tmp_path):
    store = make_store(1)
    follower = HomeFollower(tmp_path)
    follower.sync()
    item = store.claim_next("s1")
    store.note_stage(item["key"], "s1", workers=["tcp://10.0.0.7:40001"])
    follower.sync()
    told = [data for _, event, data in follower.since(0) if event == "progress"]
    assert [d.get("workers") for d in told] == [["tcp://10.0.0.7:40001"]]
    [held] = follower.in_flight()["s1"]
    assert (held["key"], held["workers"]) == (item["key"], ["tcp://10.0.0.7:40001"])
    store.note_stage(item["key"], "s1", workers=[])  # its step came back
    follower.sync()
    assert follower.in_flight()["s1"][0]["workers"] == []
    assert "workers" not in list(follower.since(0))[-1][2]
    store.record_success(item["key"], "s1")
    follower.sync()
    assert follower.in_flight() == {}


def test_an_item_claimed_again_after_a_stopped_batch_is_held_by_no_worker(make_store, tmp_path):
    store = make_store(1)
    item = store.claim_next("s1")
    store.note_stage(item["key"], "s1", workers=["tcp://10.0.0.7:40001"])
    store.release(item["key"], "s1")  # the batch stopped with its step in flight
    store.claim_next("s2")
    follower = HomeFollower(tmp_path)
    follower.sync()
    assert follower.in_flight()["s2"][0]["workers"] == []
