"""The verify kind's part of a batch (``mediakeeper.batch.plan``): its job from the [verify]
settings and the flags, --accept-changed, --decode-all, and the dry run's lines. It makes no
web lookups: no --offline, no --enrich."""

from __future__ import annotations

from mediakeeper.batch.plan import NEAR, BatchPlan, Option, Run, previewing
from mediakeeper.verify.job import job_from_settings, preview


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
    heavy=NEAR,
    help="""Check the next pending albums: every audio file decoded in full (one ffmpeg per
    core), its decode errors, its FLAC MD5 and its length against its header reported, and its
    audio compared with what it was when last checked good (bit rot; a tag edit never counts).
    A file whose audio bytes are the ones last checked good is not decoded again (the same
    bytes decode the same): a later pass reads them and compares.
    Clipping, a lossy origin and long silences are reported as information. Nothing in the
    library is written. Stop any time, even with kill -9: the next run checks only what was
    not checked.""",
    dry_run=previewing(jobs, preview, "album"),
    options=(
        Option(
            "--accept-changed",
            "Take the audio of files a program rewrote (their time moved) that decode whole "
            "as their new good audio (after you replaced them on purpose); bit rot is still "
            "asked.",
        ),
        Option(
            "--decode-all",
            "Decode every file in full, also those whose audio bytes are the ones last "
            "checked good (which are otherwise compared, not decoded).",
        ),
    ),
)
