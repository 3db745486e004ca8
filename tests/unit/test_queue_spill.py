"""The store's items in a private spill file (queue/itemlist.py), read from the queue file a line
at a time (queue/loading.py): what is held per item, what is written to the spill and when,
that a damaged or hand-edited file is still read (or refused) exactly as before, and that a
kill at any instant leaves the queue file old or new with the spill gone: it is never the
truth, only a copy of it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tracemalloc
from datetime import UTC, datetime

import pytest

from mediakeeper.core.errors import QueueCorrupt
from mediakeeper.queue import itemlist
from mediakeeper.queue.files import dump_queue, parse_queue
from mediakeeper.queue.itemlist import ItemList, framed
from mediakeeper.queue.items import new_item, new_queue
from mediakeeper.queue.keyset import KeySet
from mediakeeper.queue.loading import load_queue
from mediakeeper.queue.store import QueueStore

SESSION = "20240309_session_001"
NOW = datetime(2024, 3, 9, 10, 30, tzinfo=UTC)


def _queue_file(directory, n, *, write=dump_queue):
    directory.mkdir(parents=True, exist_ok=True)
    items = [new_item(f"Artist {i:06d}", f"Artist {i:06d}", f"/music/{i}") for i in range(n)]
    path = directory / "processing_queue.json"
    path.write_text(write(new_queue("music", "/music", items, NOW)), encoding="utf-8")
    return path


def _hint(by_hand=False):
    return "HINT"


def _spill_fds():
    """This process's open files that are unlinked files (the spills)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.endswith("(deleted)"):
            found.append(target)
    return found


def test_the_items_live_in_an_unlinked_file_beside_the_queue(tmp_path):
    path = _queue_file(tmp_path / "q", 50)
    before = set(os.listdir(tmp_path / "q"))
    data, index = load_queue(path, _hint, tmp_path / "q")
    assert set(os.listdir(tmp_path / "q")) == before  # nothing anyone else can open
    assert any(t.startswith(str(tmp_path / "q")) for t in _spill_fds())
    items = data["items"]
    assert isinstance(items, ItemList) and items._live == {}  # nothing decoded yet
    assert items[index["Artist 000007"]]["path"] == "/music/7"
    assert [i["key"] for i in items.scan()] == [f"Artist {i:06d}" for i in range(50)]


REFUSED_SPILL = """
import resource, signal, sys
from pathlib import Path
from mediakeeper.queue.itemlist import ItemList
items = ItemList([{"key": f"k{n}", "n": n} for n in range(50)], Path(sys.argv[1]))
items.settle()
# The kernel refuses the spill from here on: a file may grow no more (EFBIG, not the signal).
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (items._spill.size, resource.RLIM_INFINITY))
items[3]["n"] = "changed"
items.settle()
items.append({"key": "new", "n": 50})
items.settle()
print([item["n"] for item in items.scan()][:5], len(items), items._spill._fd is None)
"""


def test_a_spill_the_disk_refuses_moves_to_memory_and_loses_nothing(tmp_path, child_env):
    done = subprocess.run(
        [sys.executable, "-c", REFUSED_SPILL, str(tmp_path)],
        capture_output=True, text=True, env=child_env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[0,", "1,", "2,", "'changed',", "4]", "51", "True"]


def test_only_the_items_that_changed_are_written_again_when_settled(tmp_path):
    data, _ = load_queue(_queue_file(tmp_path / "q", 20), _hint, tmp_path / "q")
    items = data["items"]
    size = items._spill.size
    for n in range(20):
        items[n]["status"]  # read, not changed
    items.settle()
    assert items._spill.size == size  # nothing appended
    items[3]["status"] = "skipped"
    items.settle()
    line = json.dumps(items[3], ensure_ascii=False).encode()
    assert items._spill.size == size + len(framed(line))  # that one item, appended
    assert items[3]["status"] == "skipped" and items[4]["status"] == "pending"


def test_the_spill_is_rewritten_once_its_dead_lines_outweigh_the_live_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(itemlist, "COMPACT_FLOOR", 0)
    data, _ = load_queue(_queue_file(tmp_path / "q", 100), _hint, tmp_path / "q")
    items = data["items"]
    live = items._spill.size
    most = 0
    for round_ in range(10):
        for n in range(100):
            items[n]["attempts"] = round_ + 1
        items.settle()
        most = max(most, items._spill.size)
    assert most <= 2 * live + 200  # never more dead bytes than live ones (past one settle)
    assert [i["attempts"] for i in items.scan()] == [10] * 100


def test_a_file_laid_out_by_hand_is_read_whole_and_held_the_same(tmp_path):
    def by_hand(data):
        return json.dumps(data, indent=2)  # an item over many lines

    path = _queue_file(tmp_path / "q", 30, write=by_hand)
    data, index = load_queue(path, _hint, tmp_path / "q")
    assert [i["key"] for i in data["items"].scan()] == [f"Artist {i:06d}" for i in range(30)]
    assert index.get("Artist 000029") == 29 and index.get("nobody") is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text.replace('"Artist 000003"', '"Artist 000001"', 1),  # a duplicate key
        lambda text: text.replace('"attempts": 0', '"attempts": "0"', 1),  # a field's type
        lambda text: text.replace("}\n  ]", "},\n  ]", 1),  # a comma after the last item
        lambda text: text.replace('"details": {}},', '"details": {},', 1),  # a line cut short
        lambda text: text.replace('"version": 1', '"version": 2', 1),
        lambda text: text.replace('  "library": "/music",\n', "", 1),
        lambda text: text.replace('"generation": 1,', '"generation": 1', 1),  # a comma missing
        lambda text: text + "{}",  # something after the end
    ],
)
def test_a_damaged_file_is_refused_with_the_message_a_whole_parse_gives(tmp_path, damage):
    path = _queue_file(tmp_path / "q", 6)
    path.write_text(damage(path.read_text()), encoding="utf-8")
    with pytest.raises(QueueCorrupt) as whole:
        parse_queue(path.read_bytes(), path, _hint)
    with pytest.raises(QueueCorrupt) as streamed:
        load_queue(path, _hint, tmp_path / "q")
    assert str(streamed.value) == str(whole.value)


def test_a_set_of_taken_keys_held_as_hashes_answers_as_a_set():
    taken = KeySet()
    taken.update(f"k{n}" for n in range(5000))  # its table grown several times on the way
    taken.update(["late", "k7", "late"])  # a key added again is counted once
    assert all(f"k{n}" in taken for n in range(5000)) and "late" in taken
    assert "k5000" not in taken and None not in taken
    assert len(taken) == 5001


def test_a_queue_of_100000_items_is_held_in_under_200_bytes_an_item(tmp_path):
    """A count of bytes, traced, never a time: what a store holds after loading the queue and
    claiming an item (its spill's offsets, 12 bytes, and a dict of the keys, about 130), and
    its peak while loading (a whole parse held about 2 KB an item)."""
    n = 100_000
    _queue_file(tmp_path / "status" / "music", n)
    tracemalloc.start()
    try:
        store = QueueStore(tmp_path / "status" / "music", "music", clock=lambda: NOW)
        tracemalloc.reset_peak()
        store.claim_next(SESSION)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert store.item("Artist 000000")["status"] == "in_progress"
    assert held / n < 160, f"{held / n:.1f} bytes an item held"
    assert peak / n < 200, f"{peak / n:.1f} bytes an item at the peak"


CHILD = """\
import sys
from datetime import UTC, datetime
from pathlib import Path
from mediakeeper.queue import itemlist, store as queue_store
from mediakeeper.queue.store import QueueStore
itemlist.COMPACT_FLOOR = 0  # a compaction as often as the rule allows
queue_store.FOLD_AFTER_LINES = 7  # and folds among the records
store = QueueStore(Path(sys.argv[1]), "music")
while item := store.claim_next("20240309_session_001"):
    store.record_success(item["key"], "20240309_session_001", counts={"track_count": 3})
    print(item["key"], flush=True)
"""


@pytest.mark.parametrize("after", [1, 5, 13, 29])
def test_a_kill_at_any_instant_leaves_the_queue_whole_and_no_spill(tmp_path, child_env, after):
    directory = tmp_path / "status" / "music"
    _queue_file(directory, 60)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(directory)],
        stdout=subprocess.PIPE, text=True, env=child_env,
    )  # fmt: skip
    recorded = [child.stdout.readline().strip() for _ in range(after)]
    child.send_signal(signal.SIGKILL)
    child.wait()
    left = set(os.listdir(directory)) - {
        "processing_queue.json", "processing_queue.journal", "processing_queue.json.lock",
    }  # fmt: skip
    # (a temp file of the atomic rewrite a kill may cut short is swept by the next one)
    assert not {name for name in left if not name.startswith(".processing_queue.json.")}
    parse_queue(directory.joinpath("processing_queue.json").read_bytes(), directory, _hint)
    items = {i["key"]: i for i in QueueStore(directory, "music").load()["items"]}
    assert all(items[key]["status"] == "completed" for key in recorded)
    assert all(items[key]["track_count"] == 3 for key in recorded)
    assert len(items) == 60


def _reads() -> int:
    """Read calls this process made so far (the kernel's count: pread included)."""
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("syscr")).split()[1])


def test_a_claim_that_walks_the_queue_reads_it_a_block_at_a_time(tmp_path):
    n = 10_000
    _queue_file(tmp_path / "status" / "music", n)
    store = QueueStore(tmp_path / "status" / "music", "music", clock=lambda: NOW)
    store.fold()  # loaded: the spill holds every item
    before = _reads()
    last = store.claim_next(SESSION, keys={f"Artist {n - 1:06d}"})  # past every other item
    reads = _reads() - before
    assert last["key"] == f"Artist {n - 1:06d}"
    assert reads < n / 50, f"{reads} reads for a walk over {n} items"
