"""Duplicates as a face starts them: the scan (the dupes queue refreshed, run to its end as
one resumable batch, then every fingerprint grouped). Setting copies aside is a decision:
``decisions.copies``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakeeper.core.config import load_settings
from mediakeeper.dupes import groups as dupes
from mediakeeper.dupes import saved
from mediakeeper.dupes.kind import KIND
from mediakeeper.media import ffmpeg
from mediakeeper.media.albums import find
from mediakeeper.queue.items import COMPLETED
from mediakeeper.queue.manager import refresh_queue
from mediakeeper.queue.store import QueueStore
from mediakeeper.runs.batch import BatchResult, run_batch, write_reports


@dataclass(frozen=True)
class ScanResult:
    groups: list[dict[str, Any]]
    batch: BatchResult | None  # None: nothing was new or changed
    interrupted: bool
    home: Path  # the data home scanned, which the commands it names carry


def scan(home: str | Path | None, *, library: str | Path | None = None, hooks=None,
         workers: int | None = None) -> ScanResult:  # fmt: skip
    """Fingerprint what is new or changed, then group. Interrupted (Ctrl+C), it keeps the
    groups of the last whole scan; the next scan goes on where this one stopped."""
    settings = load_settings(home, {KIND.name: {"library": library}})
    root = Path(library).expanduser().resolve() if library else dupes.library_of(settings)
    store = QueueStore(settings.status_dir / KIND.name, KIND.name)
    if store.exists():
        refresh_queue(store, root)  # new albums added, vanished marked, changed ones pending
        size = sum(i["status"] != COMPLETED and not i.get("missing") for i in store.peek()["items"])
    else:
        size = len(find(root))
    result = None
    if size or not store.exists():  # nothing to fingerprint: no batch (and no session)
        result = run_batch(settings.home, KIND.name, batch_size=max(1, size), library=str(root),
                           retry_errors=True, hooks=hooks, workers=workers)  # fmt: skip
        if result.interrupted:
            return ScanResult(saved.load_groups(settings.home), result, True, settings.home)
    # Grouped again only when the albums' fingerprints are not the ones last grouped.
    stamp = dupes.stamp(store)
    found = saved.load_groups(settings.home, stamp=stamp)
    if found is None:
        found = dupes.build(settings.home, store, ffmpeg.find(settings.get("ffmpeg", "path")),
                            getattr(hooks, "note", None))  # fmt: skip
        saved.save_groups(settings.home, found, stamp=stamp)
        write_reports(settings.home)  # this week's report counts the new groups
    return ScanResult(found, result, False, settings.home)
