"""Process the next artists of the music queue: python utilities/process_music_batch.py --help"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import utilities.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

import click

from mediakeeper import selection
from mediakeeper.batch import ItemFailure
from mediakeeper.findings import finding_record
from mediakeeper.music.finding_groups import group_changes, group_findings, in_album
from mediakeeper.music.job import MusicJob
from mediakeeper.music.outputs import assemble_tracks_csv
from mediakeeper.queue import QueueStore
from mediakeeper.runs import eligible_items
from mediakeeper.wording import count
from utilities import batch_options as opts
from utilities.cli import Command, home_option, settings_for
from utilities.progress import ProgressHooks, verbosity_options


@click.command(cls=Command, context_settings={"help_option_names": ["-h", "--help"]})
@home_option
@opts.batch_size("artist")
@opts.item("artist")
@opts.resume()
@opts.retry_errors("artist")
@opts.dry_run()
@click.option("--no-fix", is_flag=True, help="Report issues only; change no tags.")
@opts.offline("Make no web lookups (also: [music] lookups = false in mediakeeper.toml).")
@opts.enrich("artist")
@click.option(
    "--fetch-covers",
    is_flag=True,
    help="Download a cover (cover.jpg, or .png, .gif or .webp as the image is) from the Cover "
    "Art Archive into matched albums that have none.",
)
@opts.library("Music")
@opts.checkpoint_every("artist")
@opts.workers("artist")
@verbosity_options
def main(
    home,
    batch_size,
    artist,
    resume,
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
    """Process the next pending artists: scan tags, find issues, fix what is safe, identify
    artists and albums on MusicBrainz, write outputs/music/ and issues/music/ reports. Stop
    any time with Ctrl+C: the next run resumes where this one stopped."""
    settings = settings_for(home, music={"library": library, "checkpoint_every": checkpoint_every})
    online = not offline and settings.get("music", "lookups")
    opts.refuse_offline(enrich, online, "--enrich", "looks artists up: it cannot run offline")
    opts.refuse_offline(fetch_covers, online, "--fetch-covers", "needs the network: drop --offline")
    options = selection.runner_options(
        settings,
        "music",
        batch_size=batch_size,
        retry_errors=retry_errors,
        workers=opts.fitted_workers(workers, batch_size, "artist"),
        online=online,
    )
    if resume:
        opts.resume_only(settings, "music", options, resume, artist)
    elif artist:
        opts.only_item(settings, "music", options, artist, dry_run)
    if dry_run:
        if enrich:  # the same artists the batch would take, read without writing
            selection.enrich_only(QueueStore(settings.status_dir / "music", "music"), options)
        return _dry_run(settings, options, fix=not no_fix, enrich=enrich)

    store = opts.prepare_store(settings, "music", options, enrich=enrich)
    if online:  # a setting every lookup needs: refused before any artist is claimed
        from mediakeeper.lookup.musicbrainz import check_settings

        check_settings(settings)
    session, report = opts.run_with_progress(
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
        ProgressHooks("artist"),
        description=opts.describe(options.size, no_fixes=no_fix, offline=not online, enrich=enrich),
        after=lambda report: assemble_tracks_csv(settings.home),
    )
    opts.finish(settings, "music", session, report, online=online, retry_errors=retry_errors)


def _dry_run(settings, options, *, fix, enrich):
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
            f"{preview.name}: {count(preview.track_count, 'track')}, "
            f"{count(len(preview.findings), 'issue')}, "
            f"{count(len(preview.changes), 'tag change')} would be made"
        )
        for change, where in group_changes(preview.changes, preview.tracks):
            click.echo(f"  would set {change.tag} of {where}: {change.old!r} -> {change.new!r}")
        shown = set(preview.changes)
        unanswered = [  # each finding no change above answers (--no-fix: all)
            finding_record(f) for f in preview.findings if not shown.intersection(f.changes)
        ]
        for group in group_findings(unanswered, preview.tracks):
            f = group.first
            where = group.where if len(group.findings) == 1 else in_album(group.where, f["album"])
            click.echo(f"  [{f['code']}] {where}: {f['message']}")
    lookups = "; their MusicBrainz lookups are not previewed (a dry run asks nothing)"
    click.echo(
        f"dry run: {count(len(items), 'artist')}, {count(total_changes, 'tag change')} "
        f"would be made; nothing was written{lookups if enrich else ''}"
    )


if __name__ == "__main__":
    main()
