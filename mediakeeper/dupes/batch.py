"""The dupes kind's part of a batch (``mediakeeper.batch.plan``): fingerprinting, no web
lookups, no flags of its own."""

from __future__ import annotations

from functools import partial

from mediakeeper.batch.plan import BatchPlan, Run
from mediakeeper.dupes.job import DupesJob


def jobs(run: Run):
    return partial(_job, home=run.settings.home, ffmpeg_path=run.settings.get("ffmpeg", "path"))


def _job(session: str, **fields) -> DupesJob:
    return DupesJob(session=session, **fields)


PLAN = BatchPlan(jobs=jobs, describe=lambda run: {}, workers=None)
