"""The artists a rule plugin was left out of (``details.plugins_left_out``): taken again by
the next batch of a kind that runs rule plugins, and by no other kind's."""

from __future__ import annotations

from datetime import UTC, datetime

from mediakeeper.batch import selection
from mediakeeper.batch.runner import BatchOptions
from mediakeeper.core import kinds
from mediakeeper.queue.items import COMPLETED, PENDING, new_item, new_queue
from mediakeeper.queue.store import QueueStore

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def queue_with_one_left_out(home, kind: str) -> QueueStore:
    """A queue of ``kind`` whose one item completed without a rule plugin's findings."""
    item = new_item("A", "A", "/lib/A")
    item.update(status=COMPLETED, completed_at="2026-11-29T11:00:00+00:00",
                details={"plugins_left_out": ["rule plugin 'loops'"],
                         "plugins_left_out_runs": 1})  # fmt: skip
    store = QueueStore(home / "status" / kind, kind)
    store.create(new_queue(kind, "/lib", [item], NOW))
    return store


def test_only_a_kind_that_runs_rule_plugins_takes_its_left_out_items_again(tmp_path):
    """Every kind's batch read its whole queue again at its start to look for them, though
    only music runs rule plugins; a kind without (its record has no plugin time limit)
    neither reads for them nor takes a hand-edited item again."""
    music = queue_with_one_left_out(tmp_path, "music")
    selection.narrow(music, BatchOptions(size=10, max_attempts=3), enrich=False)
    assert [i["status"] for i in music.peek()["items"]] == [PENDING]

    movies = queue_with_one_left_out(tmp_path, "movies")
    before = movies.path.read_bytes()
    selection.narrow(movies, BatchOptions(size=10, max_attempts=3), enrich=False)
    assert [i["status"] for i in movies.peek()["items"]] == [COMPLETED]
    assert movies.path.read_bytes() == before
    assert kinds.get("music").runs_rule_plugins
    assert not any(kinds.get(k).runs_rule_plugins for k in ("movies", "conversions", "verify"))
