"""Process the next artists of the music queue: python utilities/process_music_batch.py --help"""

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import click

from mediakeeper.batch import EXIT_INTERRUPTED, BatchOptions, Interrupted, ItemFailure
from mediakeeper.errors import NotFound
from mediakeeper.music.job import MusicJob
from mediakeeper.music.outputs import assemble_tracks_csv
from mediakeeper.queue_items import ERROR, PENDING
from mediakeeper.reports.weekly import write_weekly_report
from mediakeeper.runs import eligible_items, open_store, run_batch
from utilities.cli import Command, home_option, settings_for
from utilities.progress import ProgressHooks, render_summary


@click.command(cls=Command, context_settings={"help_option_names": ["-h", "--help"]})
@home_option
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many artists to process in this run.",
)
@click.option("--artist", metavar="NAME", help="Process just this artist (case-insensitive).")
@click.option("--retry-errors", is_flag=True, help="Also take artists whose last run failed.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would change; write nothing at all, not even the queue.",
)
@click.option("--no-fix", is_flag=True, help="Report issues only; change no tags.")
@click.option(
    "--offline",
    is_flag=True,
    help="Make no web lookups (also: [music] lookups = false in mediakeeper.toml).",
)
@click.option(
    "--enrich",
    is_flag=True,
    help="Look up completed artists that were processed offline.",
)
@click.option(
    "--fetch-covers",
    is_flag=True,
    help="Download cover.jpg from the Cover Art Archive into matched albums that have none.",
)
@click.option(
    "--library",
    type=click.Path(path_type=str),
    help="Music library folder; creates the queue on first use.",
)
@click.option(
    "--checkpoint-every",
    type=click.IntRange(min=1),
    help="Completed artists between checkpoints (default from settings: 50).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=min(2, os.cpu_count() or 1),
    show_default=True,
    help="Artists processed at once (one process each).",
)
def main(
    home,
    batch_size,
    artist,
    retry_errors,
    dry_run,
    no_fix,
    offline,
    enrich,
    fetch_covers,
    library,
    checkpoint_every,
    workers,
):
    """Process the next pending artists: scan tags, find issues, fix what is safe, write
    outputs/music/ and issues/music/ reports. Stop any time with Ctrl+C: the next run
    resumes where this one stopped."""
    settings = settings_for(home, music={"library": library, "checkpoint_every": checkpoint_every})
    options = BatchOptions(
        size=batch_size,
        statuses=(PENDING, ERROR) if retry_errors else (PENDING,),
        checkpoint_every=settings.get("music", "checkpoint_every"),
        max_attempts=settings.get("music", "max_attempts"),
        workers=workers,
    )
    online = not offline and settings.get("music", "lookups")
    if enrich and not online:
        raise click.UsageError("--enrich looks artists up: it cannot run offline")
    if fetch_covers and not online:
        raise click.UsageError("--fetch-covers needs the network: drop --offline")
    if artist:
        options.keys = {_find_key(settings, artist, dry_run)}
        options.statuses = ("pending", "error", "completed", "skipped")
        options.size = 1
    if dry_run:
        return _dry_run(settings, options, fix=not no_fix)

    store, created = open_store(settings, "music", create=True)
    if created is not None:
        click.echo(f"Created the music queue with {created} artists: {store.path}")
    if enrich:  # completed artists that were processed offline (--artist: just that one)
        wanted = _not_enriched(store)
        options.keys = wanted & options.keys if options.keys else wanted
        options.statuses = ("completed",)
    elif artist:
        _make_claimable(store, options.keys)
    hooks = ProgressHooks("artist")
    try:
        session, report = run_batch(
            store,
            lambda session: MusicJob(
                settings.home,
                session.id,
                fix=not no_fix,
                settings=settings if online else None,
                enrich_only=enrich,
                fetch_covers=fetch_covers,
            ),
            options,
            hooks,
            description=f"batch of {options.size}"
            + (", no fixes" if no_fix else "")
            + (", offline" if not online else "")
            + (", enrich" if enrich else ""),
            after=lambda report: _finish(report, settings.home),
        )
    except Interrupted:
        hooks.close()
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    hooks.close()
    if not report.outcomes and not report.interrupted:
        click.echo(
            "Nothing to do: no pending artists"
            + (" or errors" if retry_errors else "")
            + ". `music_queue_manager.py --show-summary` shows where things stand."
        )
    click.echo(render_summary(report, "artist", offline=not online))
    click.echo(f"session log: {session.log_path}")
    click.echo(f"issue reports: {settings.home / 'issues' / 'music'}")
    weekly_md, _html = write_weekly_report(settings.home)  # every run updates this week's
    click.echo(f"weekly report: {weekly_md} (and .html)")
    sys.exit(report.exit_code)


def _find_key(settings, name, dry_run):
    from mediakeeper.manager import find_item
    from mediakeeper.queue import QueueStore

    store = QueueStore(settings.status_dir / "music", "music")
    if not store.exists() and dry_run:  # write nothing: look among the library's folders
        everything = BatchOptions(size=sys.maxsize, statuses=(PENDING,))
        items = eligible_items(settings, "music", everything)
    else:
        if not store.exists():
            _, created = open_store(settings, "music", create=True)
            click.echo(f"Created the music queue with {created} artists: {store.path}")
        items = store.peek()["items"]
    try:
        return find_item({"items": items}, name)["key"]
    except NotFound as err:
        err.exit_code = 2  # here an unknown name is a usage error, like any bad flag
        raise


def _finish(report, home):
    if report.interrupted:
        # The batch has given its signal handlers back; one more Ctrl+C or SIGTERM while the
        # CSV and the summary are written still means "interrupted, stop now" (exit 130), not
        # Click's "Aborted!" (exit 1) or a kill by SIGTERM. Every write here is atomic.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, frame: os._exit(EXIT_INTERRUPTED))
    assemble_tracks_csv(home)


def _not_enriched(store):
    """Completed artists whose lookups have not happened yet (processed offline)."""
    return {
        item["key"]
        for item in store.peek()["items"]
        if item["status"] == "completed" and not item.get("details", {}).get("enriched")
    }


def _make_claimable(store, keys):
    """--artist re-processes a completed or skipped artist: put it back to pending first."""
    from mediakeeper.manager import reset_where

    reset_where(
        store, lambda item: item["key"] in keys and item["status"] in ("completed", "skipped")
    )


def _dry_run(settings, options, *, fix):
    items = eligible_items(settings, "music", options)
    job = MusicJob(settings.home, "dry-run", fix=fix)
    total_changes = 0
    for item in items:
        try:
            preview = job.preview(item)
        except ItemFailure as err:  # a real run marks this artist error and goes on
            click.echo(f"{item['name']}: would fail ({err.stage}): {err.message}")
            continue
        total_changes += len(preview.changes)
        click.echo(
            f"{preview.name}: {preview.track_count} tracks, {len(preview.findings)} issues, "
            f"{len(preview.changes)} tag change(s) would be made"
        )
        for change in preview.changes:
            click.echo(
                f"  would set {change.tag} of {change.path!r}: {change.old!r} -> {change.new!r}"
            )
        for finding in preview.findings:
            if not finding.fixable:
                click.echo(f"  [{finding.code}] {finding.path or '(artist)'}: {finding.message}")
    click.echo(
        f"dry run: {len(items)} artists, {total_changes} tag change(s) would be made; "
        "nothing was written"
    )


if __name__ == "__main__":
    main()
