"""Make the next books of the audiobook queue into M4B files:
python utilities/process_audiobook_batch.py --help"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import utilities.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

import click

from mediakeeper import selection
from mediakeeper.audiobooks.settings import job_from_settings, preview
from mediakeeper.errors import ConfigError, MediakeeperError
from mediakeeper.runs import eligible_items
from mediakeeper.wording import count
from utilities import batch_options as opts
from utilities.cli import Command, home_option, settings_for
from utilities.progress import ProgressHooks, verbosity_options

KIND = "audiobooks"


@click.command(cls=Command, context_settings={"help_option_names": ["-h", "--help"]})
@home_option
@opts.batch_size("book")
@opts.item("book")
@opts.retry_errors("book")
@opts.dry_run()
@click.option(
    "--output",
    type=click.Path(path_type=str),
    help="Audiobook library the M4B files go into ([audiobooks] output).",
)
@click.option(
    "--bitrate",
    help="AAC bit rate of a book that must be encoded, as ffmpeg says it: 64k "
    "([audiobooks] bitrate, default 128k). A book of AAC files is joined as it is.",
)
@click.option("--overwrite", is_flag=True, help="Replace a book that is already in the output.")
@opts.library("Audiobook")
@opts.checkpoint_every("book")
# One ffmpeg per book: two books at once keep both cores busy.
@opts.workers("book")
@verbosity_options
def main(home, batch_size, book, retry_errors, dry_run, output, bitrate, overwrite, library,
         checkpoint_every, workers):  # fmt: skip
    """Make each pending book folder (its CD1, Disc 2 ... folders with it) into one M4B with
    one chapter per file: backed up first (verified), its files measured by decoding them,
    joined (as they are when all are AAC of one rate and channels, else encoded once),
    tagged and verified in a working directory (<data home>/working/audiobooks), then moved
    into <output>/<Author>/<Title>/. Stop any time with Ctrl+C or even kill -9: the next run
    resumes each book at its last finished step."""
    settings = settings_for(
        home,
        audiobooks={
            "library": library,
            "checkpoint_every": checkpoint_every,
            "output": output,
            "bitrate": bitrate,
        },
    )
    workers = opts.fitted_workers(workers, batch_size, "book")
    try:
        make_job = job_from_settings(settings, overwrite=overwrite)
    except ConfigError as err:
        raise click.UsageError(str(err)) from None
    options = selection.runner_options(
        settings, KIND, batch_size=batch_size, retry_errors=retry_errors, workers=workers,
        online=True,  # a book in hand per worker: each takes minutes
    )  # fmt: skip
    if book:
        opts.only_item(settings, KIND, options, book, dry_run)
    if dry_run:
        return _dry_run(settings, options, make_job("dry-run"))

    store = opts.prepare_store(settings, KIND, options, enrich=False)
    session, report = opts.run_with_progress(
        store,
        lambda session: make_job(session.id),
        options,
        ProgressHooks("book"),
        description=opts.describe(options.size, overwrite=overwrite),
    )
    opts.finish(settings, KIND, session, report, online=True, retry_errors=retry_errors)


def _dry_run(settings, options, job):
    items = eligible_items(settings, KIND, options)
    for item in items:
        try:
            lines = preview(job, item)
        except (MediakeeperError, OSError) as err:  # a real run marks this book error
            click.echo(f"{item['name']}: would fail: {err}")
            continue
        for line in lines:
            click.echo(line)
    click.echo(f"dry run: {count(len(items), 'book')}; nothing was written")


if __name__ == "__main__":
    main()
