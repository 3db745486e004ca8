"""The batch runner's promise about a result: it is counted, logged and reported only once
the queue holds it on disk."""

from __future__ import annotations

import pytest

from mediakeeper.batch import BatchOptions, BatchRunner, Hooks, ItemResult
from mediakeeper.sessions import start_session


class Recorded(Hooks):
    def __init__(self) -> None:
        self.finished: list[str] = []

    def item_finished(self, outcome) -> None:
        self.finished.append(outcome.key)


class FillsTheDisk:
    """Processes an item, then the disk is full: the line recording it cannot be written."""

    def __init__(self, journal, fill) -> None:
        self.journal, self.fill = journal, fill

    def process(self, item) -> ItemResult:
        self.fill(self.journal.stat().st_size)
        return ItemResult(counts={"track_count": 1})


def test_a_result_the_queue_could_not_record_is_neither_logged_nor_reported(
    make_store, tmp_path, full_disk
):
    store = make_store(2)
    session = start_session(tmp_path / "status", "music")
    hooks = Recorded()
    job = FillsTheDisk(store.journal_path, full_disk)
    runner = BatchRunner(store, job, session, BatchOptions(size=2, workers=1), hooks)
    with pytest.raises(OSError):
        runner.run()
    full_disk(1 << 40)
    log = session.log_path.read_text(encoding="utf-8")
    assert len(log.encode()) < store.journal_path.stat().st_size  # the log could still grow
    assert "COMPLETED" not in log
    assert hooks.finished == [] and runner.report.outcomes == []
    store.fold()
    assert [i["status"] for i in store.load()["items"]] == ["in_progress", "pending"]
