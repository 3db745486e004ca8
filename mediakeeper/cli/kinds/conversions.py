"""What the conversion batch adds to every kind's (``mediakeeper/cli/batch.py``): the output,
profile, archive and delete-originals options over their [conversions] settings, --overwrite
and --allow-lossy, the job's settings refused as a usage error before anything is touched,
and the dry run's lines (each album's stages, each track's fate; with -v its ffmpeg command).
It makes no web lookups: no --offline, no --enrich."""

from __future__ import annotations

import click

from mediakeeper.cli.batch import BatchSpec, previewing
from mediakeeper.cli.command import not_a_command
from mediakeeper.cli.progress_line import VERBOSE, chosen_verbosity
from mediakeeper.conversions.batch import jobs
from mediakeeper.conversions.preview import preview
from mediakeeper.media.convert import PROFILES

BATCH = BatchSpec(
    help="""Convert the next pending albums into the output library through a working directory
    (<data home>/working/conversions): each album is copied and verified, its tracks encoded
    and verified (length, tags, cover), optionally archived, then moved into place whole.
    Stop any time with Ctrl+C or even kill -9: the next run resumes each album at its stage,
    and nothing partial is ever seen in the output or the archive.""",
    dry_run=previewing(
        jobs, lambda job, item: preview(job, item, commands=chosen_verbosity() == VERBOSE), "album"
    ),
    options=(
        click.option(
            "--output",
            type=click.Path(path_type=str),
            help="Portable library folder the albums are converted into ([conversions] output).",
        ),
        click.option(
            "--profile",
            type=click.Choice(tuple(PROFILES)),
            help="opus (128 kb/s VBR), aac (256 kb/s), mp3 (LAME V2), flac or alac (default "
            "from settings: opus).",
        ),
        click.option(
            "--archive",
            type=click.Path(path_type=str),
            help="Also copy each original album here, verified byte for byte ([conversions] "
            "archive).",
        ),
        click.option(
            "--delete-originals",
            is_flag=True,
            default=None,  # not given: the setting decides
            help="Delete each original album once it is converted (and archived, with "
            "--archive), all its files or none: each must still be the file copied.",
        ),
        click.option(
            "--overwrite",
            is_flag=True,
            help="Replace the album's own earlier output (or archive) files; files it did "
            "not place there are never replaced.",
        ),
        click.option(
            "--allow-lossy",
            is_flag=True,
            help="Also re-encode lossy sources (MP3, AAC, Ogg, Opus); by default they are "
            "copied as they are.",
        ),
    ),
)


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    not_a_command(
        "the conversion batch's own parts",
        "process_conversion_batch.py",
        "conversion_queue_manager.py",
    )
