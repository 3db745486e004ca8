"""The kind's batch: its job from the settings and the flags, its --help, its own option,
its dry run's lines, and its queue manager's own action (--largest)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from mediakeeper.batch.plan import BatchPlan, Option, QueueAction, Run
from mediakeeper.core.config import Settings
from mk_sizes.job import SizesJob


def _job(run: Run) -> SizesJob:
    return SizesJob(int(run.settings.get("sizes", "smallest")), run.flags["count_hidden"])


def _dry_run(run: Run, items: list[dict]) -> Iterator[str]:
    job = _job(run)
    for item in items:
        files, size = job.measure(item["path"])
        yield f"{item['name']}: would count {files} files, {size} bytes"
    yield f"dry run: {len(items)} folders; nothing was written"


def _largest(settings: Settings) -> Iterator[str]:
    queue = settings.status_dir / "sizes" / "processing_queue.json"
    items = json.loads(queue.read_text(encoding="utf-8"))["items"]
    done = [i for i in items if "bytes" in (i.get("details") or {})]
    for item in sorted(done, key=lambda i: -i["details"]["bytes"])[:3]:
        yield f"{item['name']}: {item['details']['bytes']} bytes"


LARGEST = QueueAction("--largest", "List the three largest folders.", _largest)

PLAN = BatchPlan(
    jobs=lambda run: lambda session: _job(run),
    describe=lambda run: {"hidden files too": run.flags["count_hidden"]},
    flags={"count_hidden": False},
    workers=1,
    help="Count the files and bytes of the next pending folders.",
    options=(Option("--count-hidden", "Count hidden files and folders too."),),
    dry_run=_dry_run,
)
