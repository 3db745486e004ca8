"""Process the next movies of the movie queue: python utilities/process_movie_batch.py --help"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import utilities.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

import click

from mediakeeper import selection
from mediakeeper.batch import ItemFailure
from mediakeeper.lookup.tmdb_types import KeyMissing, require_api_key
from mediakeeper.movies.job import NFO, MovieJob
from mediakeeper.runs import eligible_items
from mediakeeper.wording import count
from utilities import batch_options as opts
from utilities.cli import Command, home_option, settings_for
from utilities.progress import ProgressHooks, verbosity_options


@click.command(cls=Command, context_settings={"help_option_names": ["-h", "--help"]})
@home_option
@opts.batch_size("movie")
@opts.item("movie")
@opts.resume()
@opts.retry_errors("movie")
@opts.dry_run()
@opts.offline("Make no TMDb lookups: only the local checks (video files, folder name).")
@opts.enrich("movie")
@click.option("--artwork", is_flag=True, help="Also download poster.jpg and fanart.jpg.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing movie.nfo, poster.jpg or fanart.jpg (kept by default).",
)
@opts.library("Movie")
@opts.checkpoint_every("movie")
# One process by default: a movie is a few lookups, and the TMDb limit (shared by every
# process of the data home) is what sets the pace, not the CPU.
@opts.workers("movie", default=1)
@verbosity_options
def main(
    home,
    batch_size,
    movie,
    resume,
    retry_errors,
    dry_run,
    offline,
    enrich,
    artwork,
    overwrite,
    library,
    checkpoint_every,
    workers,
):
    """Process the next pending movies: find the video files, identify each movie on TMDb
    (title and year must agree), write movie.nfo for Kodi and Jellyfin into its folder, and
    write outputs/movies/ and issues/movies/ reports. Needs a TMDb API key (TMDB_API_KEY or
    [tmdb] api_key) unless --offline or --dry-run. Stop any time with Ctrl+C: the next run
    resumes."""
    settings = settings_for(home, movies={"library": library, "checkpoint_every": checkpoint_every})
    online = not offline
    opts.refuse_offline(enrich, online, "--enrich", "looks movies up: it cannot run offline")
    opts.refuse_offline(artwork, online, "--artwork", "downloads from TMDb: drop --offline")
    if online and not dry_run:  # a dry run only says what it would look up: it asks nothing
        require_api_key(settings)  # no key: stop here, before anything is touched
    options = selection.runner_options(
        settings,
        "movies",
        batch_size=batch_size,
        retry_errors=retry_errors,
        workers=opts.fitted_workers(workers, batch_size, "movie"),
        online=online,
    )
    if resume:
        opts.resume_only(settings, "movies", options, resume, movie)
    elif movie:
        opts.only_item(settings, "movies", options, movie, dry_run)
    if dry_run:
        return _dry_run(settings, options, online=online, artwork=artwork, overwrite=overwrite)

    store = opts.prepare_store(settings, "movies", options, enrich=enrich)
    # A key TMDb refuses stops the batch at the first answer (the job says so with
    # ItemFailure(stop=True)): one line, exit 2, and every movie back as it was.
    session, report = opts.run_with_progress(
        store,
        lambda session: MovieJob(
            settings.home,
            session.id,
            settings=settings if online else None,
            artwork=artwork,
            overwrite=overwrite,
            enrich_only=enrich,
        ),
        options,
        ProgressHooks("movie"),
        description=opts.describe(
            options.size, offline=not online, enrich=enrich, artwork=artwork, overwrite=overwrite
        ),
    )
    opts.finish(settings, "movies", session, report, online=online, retry_errors=retry_errors)


def _dry_run(settings, options, *, online, artwork, overwrite):
    items = eligible_items(settings, "movies", options)
    job = MovieJob(settings.home, "dry-run", settings=settings if online else None, artwork=artwork)
    for item in items:
        try:
            preview = job.preview(item)
        except ItemFailure as err:  # a real run marks this movie error and goes on
            click.echo(f"{item['name']}: would fail ({err.stage}): {err.message}")
            continue
        mains = len(preview.videos.groups)
        line = f"{preview.name}: {count(mains, 'main video')}"
        if preview.lookup:
            line += f"; would {preview.lookup}"
            kept = [name for name in preview.existing if not overwrite]
            if kept:
                line += f"; would keep the existing {', '.join(kept)}"
            elif preview.existing:
                line += f"; would replace {', '.join(preview.existing)} on a match"
            else:
                line += f"; would write {NFO}" + (" and artwork" if artwork else "") + " on a match"
        click.echo(line)
        for finding in preview.findings:
            click.echo(f"  [{finding.code}] {finding.message}")
    click.echo(
        f"dry run: {count(len(items), 'movie')}; nothing was written"
        + ("" if not online else " and nothing was looked up")
    )
    if online:
        try:
            require_api_key(settings)
        except KeyMissing as missing:  # the preview needs none; the real run stops without
            click.echo(
                f"note: a real run needs a TMDb API key, and none is set ({missing.hint}); "
                "or run it with --offline, for the local checks only"
            )


if __name__ == "__main__":
    main()
