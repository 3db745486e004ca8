"""The store's items held as JSON lines (queue/itemlist.py): an item read is a live dict whose
changes are kept; settled, the list holds lines again; a scan keeps nothing; and a real store
holds its items so between locked sections, with what callers changed in them kept."""

from __future__ import annotations

import pytest

from mediakeeper.queue.itemlist import ItemList, scan
from mediakeeper.queue.store import QueueStore

SESSION = "20240309_session_001"


def test_an_item_changed_in_place_keeps_its_change_once_settled():
    items = ItemList([{"key": "a", "n": 1}, {"key": "b", "n": 2}])
    items[0]["n"] = 10
    assert items[0] is items[0]  # live until settled: one dict, however often it is read
    items.settle()
    assert items._live == {}
    assert items._lines[0] == '{"key": "a", "n": 10}'
    assert items == [{"key": "a", "n": 10}, {"key": "b", "n": 2}]


def test_a_scan_for_a_key_decodes_only_the_lines_that_name_it():
    """A batch looks for the completed items a rule plugin was left out of as it starts: a
    decode of every line of a large queue for the few that hold ``plugins_left_out`` doubled the
    fixed cost of its start (0.6 s for 50,000 items)."""
    items = ItemList({"key": str(n), "details": {"plugins_left_out": ["x"]} if n % 10 == 0 else {}}
                     for n in range(50))  # fmt: skip
    items.settle()
    live = items[3]  # a live item is as it is now: given whatever it holds
    named = [i["key"] for i in scan(items, key="plugins_left_out")]
    assert named == ["0", "3", *map(str, range(10, 50, 10))]
    live["details"]["plugins_left_out"] = ["y"]
    assert "3" in [i["key"] for i in scan(items, key="plugins_left_out")]
    assert items._live == {3: live}  # nothing more kept


def test_a_scan_decodes_for_the_moment_and_keeps_nothing():
    items = ItemList({"key": str(n)} for n in range(50))
    items.settle()  # taken live, as a store reads them, until its section ends
    live = items[3]
    live["seen"] = True
    assert [i["key"] for i in scan(items)] == [str(n) for n in range(50)]
    assert list(items._live) == [3]  # only the item read before
    assert next(i for i in items.scan() if i["key"] == "3") is live
    assert scan([1, 2]) == [1, 2]  # a plain list is read as it is


def test_it_behaves_as_a_list_of_items():
    items = ItemList([{"key": "a"}])
    items.append({"key": "c"})
    items.insert(1, {"key": "b"})
    items[-1]["x"] = 1
    assert [i["key"] for i in items] == ["a", "b", "c"] and len(items) == 3
    assert items[1:] == [{"key": "b"}, {"key": "c", "x": 1}]
    del items[0]
    assert items.decoded() == [{"key": "b"}, {"key": "c", "x": 1}]
    with pytest.raises(IndexError):
        items[5]


def test_a_store_holds_lines_between_sections_and_keeps_what_callers_changed(make_store):
    store = make_store(4)
    store.claim_next(SESSION)
    held = store._data["items"]
    assert isinstance(held, ItemList) and held._live == {}  # settled at the section's end

    def mutate(data):
        data["items"][2]["note"] = "changed, not returned"
        changed = dict(data["items"][1], name="Renamed")
        return [changed]

    store.update(mutate)
    assert store._data["items"]._live == {}
    assert store.item("artist-0002")["note"] == "changed, not returned"  # as with dicts
    assert store.item("artist-0001")["name"] == "Renamed"
    again = QueueStore(store.dir, store.kind, clock=store.clock)  # what the files hold
    assert again.item("artist-0001")["name"] == "Renamed"
    assert "note" not in again.item("artist-0002")  # never journaled, as before
    assert type(store.load()["items"]) is list  # handed out as the file has them


def test_a_name_that_is_not_utf8_is_held_and_written_back_as_it_was(make_store):
    name = "Bj\udcf6rk"  # a folder name's byte that is not UTF-8, as Python reads it
    store = make_store(names=[name, "other"])
    store.claim_next(SESSION)
    store.fold()
    again = QueueStore(store.dir, store.kind, clock=store.clock)
    assert [i["key"] for i in again.load()["items"]] == [name, "other"]
    assert again.item(name)["status"] == "in_progress"
