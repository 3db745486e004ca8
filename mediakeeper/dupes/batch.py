"""The dupes kind's part of a batch (``mediakeeper.batch.plan``): fingerprinting, no web
lookups, no flags of its own."""

from __future__ import annotations

from functools import partial

from mediakeeper.batch.plan import BatchPlan, Run
from mediakeeper.dupes.job import DupesJob


def jobs(run: Run):
    return partial(_job, home=run.settings.home, ffmpeg_path=run.settings.get("ffmpeg", "path"),
                   cluster=run.cluster)  # fmt: skip


def _job(session: str, **fields) -> DupesJob:
    return DupesJob(session=session, **fields)


# A fingerprint decodes a file's opening: moving the whole file costs more than that, so it is
# made near the data unless [cluster] send names dupes (docs/performance.md).
PLAN = BatchPlan(jobs=jobs, describe=lambda run: {}, workers=None, heavy="near")
