"""The dupes kind's part of a batch (``mediakeeper.batch.plan``): fingerprinting, no web
lookups, no flags of its own; its help and its dry run. ``mediakeeper dupes scan``
(``cli/dupes.py``) runs it to the end, then groups."""

from __future__ import annotations

from functools import partial

from mediakeeper.batch.plan import NEAR, BatchPlan, Run, previewing
from mediakeeper.dupes.job import DupesJob, preview


def jobs(run: Run):
    return partial(_job, home=run.settings.home, ffmpeg_path=run.settings.get("ffmpeg", "path"),
                   cluster=run.cluster)  # fmt: skip


def _job(session: str, **fields) -> DupesJob:
    return DupesJob(session=session, **fields)


# A fingerprint decodes a file's opening: moving the whole file costs more than that, so it is
# made near the data unless [cluster] send names dupes (docs/performance.md).
PLAN = BatchPlan(
    jobs=jobs,
    describe=lambda run: {},
    workers=None,
    heavy=NEAR,
    help="""Fingerprint the next pending albums for the duplicate finder (Chromaprint, made
    locally by ffmpeg; no network). Each file is fingerprinted once and kept by its size,
    modification time and inode: only what changed is read again. Nothing in the library is
    written. `mediakeeper dupes scan` runs every album and then groups the copies.""",
    dry_run=previewing(jobs, preview, "album"),
)
