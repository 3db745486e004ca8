"""The conversion kind's part of a batch (``mediakeeper.batch.plan``): its job from the
[conversions] settings, which the output, profile, archive and delete-originals options
override. It makes no web lookups."""

from __future__ import annotations

from mediakeeper.batch.plan import BatchPlan, Run
from mediakeeper.conversions.preview import job_from_settings


def jobs(run: Run):
    return job_from_settings(
        run.settings,
        overwrite=run.flags["overwrite"],
        allow_lossy=run.flags["allow_lossy"],
        workers=run.workers,
        cluster=run.cluster,
    )


PLAN = BatchPlan(
    jobs=jobs,
    describe=lambda run: {
        "overwrite": run.flags["overwrite"],
        "allow_lossy": run.flags["allow_lossy"],
        "delete_originals": bool(run.settings.get("conversions", "delete_originals")),
    },
    flags={"output": None, "profile": None, "archive": None, "delete_originals": None,
           "overwrite": False, "allow_lossy": False},
    setting_options=("output", "profile", "archive", "delete_originals"),
    heavy="send",  # an encode: seconds of CPU per megabyte sent (docs/performance.md)
    # The default, two where there are two cores: each album encodes its tracks in parallel
    # with its share of the cores, and two albums at once keep both busy while the other one
    # copies, verifies or is placed (docs/performance.md).
)
