"""The conversion kind's part of a batch (``mediakeeper.batch.plan``): its job from the
[conversions] settings, which the output, profile, archive and delete-originals options
override; --overwrite and --allow-lossy, the job's settings refused as a usage error before
anything is touched, and the dry run's lines (each album's stages, each track's fate; with
-v its ffmpeg command). It makes no web lookups: no --offline, no --enrich."""

from __future__ import annotations

from functools import partial

from mediakeeper.batch.plan import SEND, BatchPlan, Option, Run, previewing
from mediakeeper.conversions.preview import job_from_settings, preview
from mediakeeper.media.convert import PROFILES


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
    places=True,
    heavy=SEND,  # an encode: seconds of CPU per megabyte sent (docs/performance.md)
    # The default, two where there are two cores: each album encodes its tracks in parallel
    # with its share of the cores, and two albums at once keep both busy while the other one
    # copies, verifies or is placed (docs/performance.md).
    help="""Convert the next pending albums into the output library through a working directory
    (<data home>/working/conversions): each album is copied and verified, its tracks encoded
    and verified (length, tags, cover), optionally archived, then moved into place whole.
    Stop any time with Ctrl+C or even kill -9: the next run resumes each album at its stage,
    and nothing partial is ever seen in the output or the archive.""",
    dry_run=lambda run, items: previewing(
        jobs, partial(preview, commands=run.verbose), "album"
    )(run, items),
    options=(
        Option(
            "--output",
            "Portable library folder the albums are converted into ([conversions] output).",
            value="PATH",
        ),
        Option(
            "--profile",
            "opus (128 kb/s VBR), aac (256 kb/s), mp3 (LAME V2), flac or alac (default "
            "from settings: opus).",
            value="TEXT",
            choices=tuple(PROFILES),
        ),
        Option(
            "--archive",
            "Also copy each original album here, verified byte for byte ([conversions] "
            "archive).",
            value="PATH",
        ),
        Option(  # not given (None): the setting decides
            "--delete-originals",
            "Delete each original album once it is converted (and archived, with "
            "--archive), all its files or none: each must still be the file copied.",
        ),
        Option(
            "--overwrite",
            "Replace the album's own earlier output (or archive) files; files it did "
            "not place there are never replaced.",
        ),
        Option(
            "--allow-lossy",
            "Also re-encode lossy sources (MP3, AAC, Ogg, Opus); by default they are "
            "copied as they are.",
        ),
    ),
)
