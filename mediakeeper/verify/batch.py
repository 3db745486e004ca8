"""The verify kind's part of a batch (``mediakeeper.batch.plan``): its job from the [verify]
settings and the flags. It makes no web lookups."""

from __future__ import annotations

from mediakeeper.batch.plan import BatchPlan, Run
from mediakeeper.verify.job import job_from_settings


def jobs(run: Run):
    return job_from_settings(run.settings, accept_changed=run.flags["accept_changed"],
                             decode_all=run.flags["decode_all"], workers=run.workers,
                             cluster=run.cluster)  # fmt: skip


PLAN = BatchPlan(
    jobs=jobs,
    describe=lambda run: {key: run.flags[key] for key in ("accept_changed", "decode_all")},
    flags={"accept_changed": False, "decode_all": False},
    # One album at a time by default, its files decoded one ffmpeg per core: albums of a few
    # files still keep every core busy, and a batch stopped early holds one album, not two.
    workers=1,
    # A decode reads its bytes faster here than they cross a network: kept near the data
    # unless [cluster] send names verify (docs/performance.md).
    heavy="near",
)
