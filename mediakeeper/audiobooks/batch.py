"""The audiobook kind's part of a batch (``mediakeeper.batch.plan``): its job from the
[audiobooks] settings, which the output and bitrate options override. It makes no web
lookups."""

from __future__ import annotations

from mediakeeper.audiobooks.settings import job_from_settings
from mediakeeper.batch.plan import BatchPlan, Run


def jobs(run: Run):
    return job_from_settings(run.settings, overwrite=run.flags["overwrite"], cluster=run.cluster)


PLAN = BatchPlan(
    jobs=jobs,
    describe=lambda run: {"overwrite": run.flags["overwrite"]},
    flags={"output": None, "bitrate": None, "overwrite": False},
    setting_options=("output", "bitrate"),
    heavy="send",  # the merge's encode: seconds of CPU per megabyte sent
)
