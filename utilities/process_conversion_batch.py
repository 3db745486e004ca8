"""Convert the next albums of the conversion queue:
python utilities/process_conversion_batch.py --help"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import utilities.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

import click

from mediakeeper import selection
from mediakeeper.conversions.preview import job_from_settings, preview
from mediakeeper.errors import ConfigError, MediakeeperError
from mediakeeper.media.processors.convert import PROFILES
from mediakeeper.runs import eligible_items
from mediakeeper.wording import count
from utilities import batch_options as opts
from utilities.cli import Command, home_option, settings_for
from utilities.progress import ProgressHooks, verbosity_options

KIND = "conversions"


@click.command(cls=Command, context_settings={"help_option_names": ["-h", "--help"]})
@home_option
@opts.batch_size("album")
@opts.item("album")
@opts.retry_errors("album")
@opts.dry_run()
@click.option(
    "--output",
    type=click.Path(path_type=str),
    help="Portable library folder the albums are converted into ([conversions] output).",
)
@click.option(
    "--profile",
    type=click.Choice(tuple(PROFILES)),
    help="opus (128 kb/s VBR), aac (256 kb/s), mp3 (LAME V2), flac or alac (default from "
    "settings: opus).",
)
@click.option(
    "--archive",
    type=click.Path(path_type=str),
    help="Also copy each original album here, verified byte for byte ([conversions] archive).",
)
@click.option(
    "--delete-originals",
    is_flag=True,
    default=None,
    help="Delete each original album once it is converted (and archived, with --archive).",
)
@click.option(
    "--overwrite", is_flag=True, help="Replace an output (or archive) album that already exists."
)
@click.option(
    "--allow-lossy",
    is_flag=True,
    help="Also re-encode lossy sources (MP3, AAC, Ogg, Opus); by default they are copied as "
    "they are.",
)
@opts.library("Album")
@opts.checkpoint_every("album")
# The cores are shared among the albums converted at once (each encodes its tracks in
# parallel with its share): two albums at once keep both cores busy while the other one
# copies, verifies or is placed (1.14 times plain ffmpeg's encodes and decodes, against
# 1.33 one album at a time: docs/performance.md).
@opts.workers("album")
@verbosity_options
def main(
    home,
    batch_size,
    album,
    retry_errors,
    dry_run,
    output,
    profile,
    archive,
    delete_originals,
    overwrite,
    allow_lossy,
    library,
    checkpoint_every,
    workers,
):
    """Convert the next pending albums into the output library through a working directory
    (<data home>/working/conversions): each album is copied and verified, its tracks encoded
    and verified (length, tags, cover), optionally archived, then moved into place whole.
    Stop any time with Ctrl+C or even kill -9: the next run resumes each album at its stage,
    and nothing partial is ever seen in the output or the archive."""
    settings = settings_for(
        home,
        conversions={
            "library": library,
            "checkpoint_every": checkpoint_every,
            "output": output,
            "profile": profile,
            "archive": archive,
            "delete_originals": delete_originals,
        },
    )
    workers = opts.fitted_workers(workers, batch_size, "album")
    try:
        make_job = job_from_settings(
            settings, overwrite=overwrite, allow_lossy=allow_lossy, workers=workers
        )
    except ConfigError as err:
        raise click.UsageError(str(err)) from None
    options = selection.runner_options(
        settings,
        KIND,
        batch_size=batch_size,
        retry_errors=retry_errors,
        workers=workers,
        online=True,  # two albums in hand per worker: each takes minutes
    )
    if album:
        opts.only_item(settings, KIND, options, album, dry_run)
    if dry_run:
        return _dry_run(settings, options, make_job("dry-run"))

    store = opts.prepare_store(settings, KIND, options, enrich=False)
    session, report = opts.run_with_progress(
        store,
        lambda session: make_job(session.id),
        options,
        ProgressHooks("album"),
        description=opts.describe(
            options.size, overwrite=overwrite, allow_lossy=allow_lossy,
            delete_originals=bool(settings.get(KIND, "delete_originals")),
        ),
    )
    opts.finish(settings, KIND, session, report, online=True, retry_errors=retry_errors)


def _dry_run(settings, options, job):
    items = eligible_items(settings, KIND, options)
    for item in items:
        try:
            lines = preview(job, item)
        except (MediakeeperError, OSError) as err:  # a real run marks this album error
            click.echo(f"{item['name']}: would fail: {err}")
            continue
        for line in lines:
            click.echo(line)
    click.echo(f"dry run: {count(len(items), 'album')}; nothing was written")


if __name__ == "__main__":
    main()
