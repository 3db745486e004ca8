"""What the movie batch command adds to every kind's (``mediakeeper/cli/batch.py``):
--artwork and --overwrite, and the dry run's lines. The batch itself is the kind's plan
(``movies/batch.py``: the TMDb key a real run needs, one worker by default)."""

from __future__ import annotations

from typing import Any

import click

from mediakeeper.batch.job import ItemFailure
from mediakeeper.cli.batch import BatchSpec, Run
from mediakeeper.cli.command import not_a_command
from mediakeeper.lookup.tmdb_types import KeyMissing, require_api_key
from mediakeeper.movies.job import NFO, MovieJob
from mediakeeper.text.wording import count


def _dry_run(run: Run, items: list[dict[str, Any]]) -> None:
    settings, online = run.settings, run.online
    artwork, overwrite = run.flags["artwork"], run.flags["overwrite"]
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


BATCH = BatchSpec(
    help="""Process the next pending movies: find the video files, identify each movie on TMDb
    (title and year must agree), write movie.nfo for Kodi and Jellyfin into its folder, and
    write outputs/movies/ and issues/movies/ reports. Needs a TMDb API key (TMDB_API_KEY or
    [tmdb] api_key) unless --offline or --dry-run. Stop any time with Ctrl+C: the next run
    resumes.""",
    dry_run=_dry_run,
    offline_help="Make no TMDb lookups: only the local checks (video files, folder name).",
    lookup_options=(
        click.option("--artwork", is_flag=True, help="Also download poster.jpg and fanart.jpg."),
        click.option(
            "--overwrite",
            is_flag=True,
            help="Replace an existing movie.nfo, poster.jpg or fanart.jpg (kept by default).",
        ),
    ),
)


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    not_a_command("the movie batch's own parts", "process_movie_batch.py", "movie_queue_manager.py")
