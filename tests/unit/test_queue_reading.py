"""Reading a queue a line at a time (queue/reading.py) gives what peek() gives, on real queue
files written by the store: with the journal's newer items laid over the file's, its stale
generation and torn tail left out, a file laid out by hand, and damage named as peek names it."""

from __future__ import annotations

import json
import os

import pytest

from mediakeeper.core.errors import QueueCorrupt, QueueMissing
from mediakeeper.queue import keyset
from mediakeeper.queue.files import dump_queue, items_laid_out, queue_chunks
from mediakeeper.queue.reading import EncodedItems, read_lines
from mediakeeper.queue.store import QueueStore

SESSION = "20240309_session_001"


def fresh(store: QueueStore) -> QueueStore:
    return QueueStore(store.dir, store.kind, clock=store.clock)


def as_read(store: QueueStore) -> dict:
    view = read_lines(fresh(store))
    return {**view.fields, "items": list(view.items)}


def test_a_folded_queue_reads_as_peek_reads_it(make_store):
    store = make_store(4)
    store.claim_next(SESSION)
    store.record_success("artist-0000", SESSION, counts={"track_count": 9})
    store.fold()
    assert not store.journal_path.read_bytes()  # the file alone holds the state
    assert as_read(store) == fresh(store).peek()


def test_the_journals_items_are_laid_over_the_files_and_new_ones_follow(make_store, clock):
    store = make_store(3)
    store.claim_next(SESSION)
    clock.advance(seconds=60)
    store.record_success("artist-0000", SESSION, counts={"track_count": 9})
    store.claim_next(SESSION)
    store.update(lambda data: [{**data["items"][0], "key": "new-one", "name": "New One"}])
    assert store.journal_path.read_bytes().count(b"\n") == 4  # nothing folded yet
    read = as_read(store)
    assert read == fresh(store).peek()
    assert [i["key"] for i in read["items"]] == [
        "artist-0000", "artist-0001", "artist-0002", "new-one"
    ]  # fmt: skip
    assert [i["status"] for i in read["items"]][:2] == ["completed", "in_progress"]
    assert read["updated_at"] == "2024-03-09T10:31:00+00:00"  # the journal's last line


def test_a_torn_last_line_and_an_older_generations_lines_are_not_read(make_store):
    store = make_store(3)
    store.claim_next(SESSION)
    stale = store.journal_path.read_bytes()
    store.fold()  # the file's generation moves on: the old line is of the last one
    store.claim_next(SESSION)
    current = store.journal_path.read_bytes()
    store.journal_path.write_bytes(stale + current + current[:40])
    read = as_read(store)
    assert read == fresh(store).peek()
    assert [i["status"] for i in read["items"]] == ["in_progress", "in_progress", "pending"]


def test_a_file_laid_out_by_hand_reads_the_same(make_store):
    store = make_store(3)
    store.claim_next(SESSION)
    store.fold()
    store.path.write_text(json.dumps(json.loads(store.path.read_text()), indent=4))
    read = as_read(store)
    assert read == fresh(store).peek()
    assert [i["status"] for i in read["items"]] == ["in_progress", "pending", "pending"]


def test_damage_is_named_as_peek_names_it(make_store):
    store = make_store(3)
    text = store.path.read_text()
    store.path.write_text(text.replace('"status": "pending"', '"status": "lost"', 1))
    with pytest.raises(QueueCorrupt) as peeked:
        fresh(store).peek()
    with pytest.raises(QueueCorrupt) as read:
        read_lines(fresh(store))
    assert str(read.value) == str(peeked.value)
    assert "unknown status" in str(read.value)
    store.path.unlink()
    with pytest.raises(QueueMissing):
        read_lines(fresh(store))


@pytest.mark.parametrize(
    "old, new",
    [("},\n", "}\n"), ("}\n  ]", "},\n  ]")],
    ids=["a comma missing between items", "a comma after the last item"],
)
def test_the_reports_refuse_what_the_store_refuses(make_store, old, new):
    """One reader of the file's layout (``files.read_layout``) for a store and the reports:
    a file a batch will not load is not read by the reports as if it were sound."""
    store = make_store(3)
    text = store.path.read_text()
    assert old in text
    store.path.write_text(text.replace(old, new, 1))
    with pytest.raises(QueueCorrupt) as refused:
        fresh(store).load()
    with pytest.raises(QueueCorrupt) as read:
        read_lines(fresh(store))
    assert str(read.value) == str(refused.value)


def test_a_field_met_twice_is_read_as_the_store_reads_it(make_store):
    """A top-level field written twice (a hand edit): the line-at-a-time readers leave the
    file to a whole parse, which takes the later value, for a store and the reports alike."""
    store = make_store(3)
    text = store.path.read_text()
    line = next(line for line in text.splitlines(keepends=True) if '"library":' in line)
    store.path.write_text(text.replace(line, line + '  "library": "/elsewhere",\n', 1))
    read = as_read(store)
    assert read == fresh(store).peek()
    assert read["library"] == fresh(store).load()["library"] == "/elsewhere"


def test_items_are_held_encoded_and_each_reading_is_a_new_dict(make_store):
    store = make_store(3)
    items = read_lines(fresh(store)).items
    assert isinstance(items, EncodedItems) and len(items) == 3
    first = items[0]
    first["status"] = "changed here"
    assert items[0]["status"] == "pending"  # what is held is the JSON, never this dict
    assert [i["key"] for i in items[1:]] == ["artist-0001", "artist-0002"]
    assert items == fresh(store).peek()["items"]


def test_many_items_held_together_come_back_each_as_it_was():
    """Far more than one piece of the compressed lines, of every length up to 20 KB (beyond
    the piece decompressed at a time), unlike each other (random hex)."""
    lines = [
        json.dumps({"key": f"k{n}", "blob": os.urandom(n * 37 % 10_000).hex()}).encode()
        for n in range(1500)
    ]
    items = EncodedItems(iter(lines))
    assert len(items) == 1500
    assert list(items) == [json.loads(line) for line in lines]
    assert items[1499]["key"] == "k1499" and items[-2]["key"] == "k1498"
    with pytest.raises(IndexError):
        items[1500]


def test_a_fold_writes_a_block_at_a_time_the_file_dump_queue_lays_out(make_store):
    store = make_store(5, names=["Ünïcode", "b", "c", "d", "e"])
    store.claim_next(SESSION)
    store.record_success("Ünïcode", SESSION, counts={"track_count": 9})
    store.fold()
    data = fresh(store).peek()
    whole = dump_queue(data).encode()
    assert store.path.read_bytes() == whole
    assert len(list(queue_chunks(data, size=100))) > 5
    assert b"".join(queue_chunks(data, size=100)) == whole


def test_a_key_met_twice_is_named_as_peek_names_it_among_thousands(make_store):
    """The keys met are held as hashes (queue/keyset.KeySet); a key met again is still a
    duplicate, after the table has grown many times."""
    store = make_store(3000)
    lines = store.path.read_text().split("\n")
    first = next(n for n, line in enumerate(lines) if '"key": "artist-0000"' in line)
    lines[first + 2999] = lines[first].rstrip(",")  # the last item made a copy of the first
    store.path.write_text("\n".join(lines))
    with pytest.raises(QueueCorrupt) as peeked:
        fresh(store).peek()
    with pytest.raises(QueueCorrupt) as read:
        read_lines(fresh(store))
    assert str(read.value) == str(peeked.value) and "duplicate key" in str(read.value)


def test_keys_whose_hashes_are_alike_are_read_by_peek(make_store, monkeypatch):
    store = make_store(50)
    monkeypatch.setattr(keyset, "mark_of", lambda key: 7)  # every key's hash alike
    assert as_read(store) == fresh(store).peek()


@pytest.mark.parametrize("n", [0, 1, 7, 3000])
def test_the_items_a_file_holds_are_told_by_its_lines(make_store, n):
    """What a first read says it reads through: the store's own file, a list long enough to
    be read in several blocks (its close in the last), an empty one, and one item."""
    store = make_store(n, folders=False)
    assert items_laid_out(store.path) == n == len(store.peek()["items"])


def test_a_file_laid_out_otherwise_has_no_count_of_items(make_store):
    store = make_store(3, folders=False)
    store.path.write_text(json.dumps(store.peek()), encoding="utf-8")  # all on one line
    assert items_laid_out(store.path) is None
