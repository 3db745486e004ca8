"""What the verify batch adds to every kind's (``mediakeeper/cli/batch.py``): the job from
the [verify] settings, --accept-changed, --decode-all, and the dry run's lines. It makes no
web lookups: no --offline, no --enrich."""

from __future__ import annotations

import click

from mediakeeper.cli.batch import BatchSpec, previewing
from mediakeeper.cli.command import not_a_command
from mediakeeper.verify.batch import jobs
from mediakeeper.verify.job import preview

BATCH = BatchSpec(
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
        click.option(
            "--accept-changed",
            is_flag=True,
            help="Take the audio of files that changed but decode whole as their new good "
            "audio (after you replaced them on purpose).",
        ),
        click.option(
            "--decode-all",
            is_flag=True,
            help="Decode every file in full, also those whose audio bytes are the ones last "
            "checked good (which are otherwise compared, not decoded).",
        ),
    ),
)


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    not_a_command("the verify batch's own parts", "process_verify_batch.py",
                  "verify_queue_manager.py")  # fmt: skip
