"""Undoing one artist first asks whether a running batch holds it (``refuse_if_held``): one
item of the queue, found by its name. At 55,000 artists the queue held whole is 70 MB more
at the undo's peak, beside the change journals it holds then; found a line at a time, it
holds one item. Measured with tracemalloc as bytes of peak allocation per queue item,
between two queue sizes."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime

from mediakeeper.queue.items import new_item, new_queue
from mediakeeper.queue.manager import refuse_if_held
from mediakeeper.queue.store import QueueStore

# A line at a time, the peak grows by the reader's hashed keys only (about 10 B an item);
# the queue held whole, by over 1,000 B an item (each item's dict and its values).
MOST_PER_ITEM = 100


def _queue(folder, items: int) -> QueueStore:
    listed = []
    for n in range(items):
        item = new_item(f"Artist {n:05d}", f"Artist {n:05d}", f"/music/Artist {n:05d}")
        counts = {"whitespace": [5, 0]}
        item.update(status="completed", attempts=1, track_count=19, issues_found=5,
                    details={"slug": f"artist-{n:05d}", "finding_counts": counts})  # fmt: skip
        listed.append(item)
    store = QueueStore(folder, "music")
    store.create(new_queue("music", "/music", listed, datetime.now(UTC)))
    return QueueStore(folder, "music")  # a fresh store: nothing of it read yet


def _peak(store: QueueStore) -> int:
    tracemalloc.start()
    try:
        refuse_if_held(store, "Artist 00003")  # completed: held by no batch, nothing raised
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_asking_whether_one_artist_is_held_holds_one_item_not_the_queue(tmp_path):
    small, large = 1_000, 6_000
    stores = _queue(tmp_path / "small", small), _queue(tmp_path / "large", large)
    _peak(_queue(tmp_path / "warm", 10))  # the modules a first read imports, not counted
    peak_small, peak_large = (_peak(store) for store in stores)
    per_item = (peak_large - peak_small) / (large - small)
    assert per_item < MOST_PER_ITEM, f"{per_item:.0f} bytes held per queue item"
