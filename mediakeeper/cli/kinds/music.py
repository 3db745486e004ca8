"""What the music batch command adds to every kind's (``mediakeeper/cli/batch.py``): --no-fix,
--replaygain, --fetch-covers, --identify and --apply, and the dry run's lines. The batch
itself is the kind's plan (``music/batch.py``)."""

from __future__ import annotations

from typing import Any

import click

from mediakeeper.batch.job import ItemFailure
from mediakeeper.cli.batch import BatchSpec, Run
from mediakeeper.cli.command import not_a_command
from mediakeeper.core import writemode
from mediakeeper.core.findings import finding_record
from mediakeeper.music.finding_groups import group_changes, group_findings, in_album
from mediakeeper.music.identify import APPLY_SCORE
from mediakeeper.music.job import MusicJob
from mediakeeper.text.wording import count


def _dry_run(run: Run, items: list[dict[str, Any]]) -> None:
    job = MusicJob(run.settings.home, "dry-run", fix=not run.flags["no_fix"],
                   writing=writemode.chosen(run.settings.get))  # fmt: skip
    total_changes = 0
    for item in items:
        try:
            preview = job.preview(item)
        except ItemFailure as err:  # a real run marks this artist error and goes on
            click.echo(f"{item['name']}: would fail ({err.stage}): {err.message}")
            continue
        made = [c for c in preview.changes if c.path not in preview.left_alone]
        total_changes += len(made)
        click.echo(
            f"{preview.name}: {count(preview.track_count, 'track')}, "
            f"{count(len(preview.findings), 'finding')}, "
            f"{count(len(made), 'tag change')} would be made"
        )
        for change, where in group_changes(made, preview.tracks):
            click.echo(f"  would set {change.tag} of {where}: {change.old!r} -> {change.new!r}")
        for path, why in preview.left_alone.items():  # as the run's report will say it
            held = sorted({c.tag for c in preview.changes if c.path == path})
            click.echo(f"  would not set {' and '.join(held)} of {path!r}: {why}")
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
        f"would be made; nothing was written{lookups if run.enrich else ''}"
    )


BATCH = BatchSpec(
    help="""Process the next pending artists: scan tags, find issues, fix what is safe, identify
    artists and albums on MusicBrainz, write outputs/music/ and issues/music/ reports. Stop
    any time with Ctrl+C: the next run resumes where this one stopped.""",
    dry_run=_dry_run,
    options=(
        click.option("--no-fix", is_flag=True, help="Report issues only; change no tags."),
        click.option(
            "--replaygain",
            is_flag=True,
            help="Also measure each album's loudness (EBU R128) and write its ReplayGain tags "
            "(R128 in Opus), journaled like every fix.",
        ),
    ),
    offline_help="Make no web lookups (also: [music] lookups = false in mediakeeper.toml).",
    lookup_options=(
        click.option(
            "--fetch-covers",
            is_flag=True,
            help="Download a cover (cover.jpg, or .png, .gif or .webp as the image is) from the "
            "Cover Art Archive into matched albums that have none.",
        ),
        click.option(
            "--identify",
            is_flag=True,
            help="Identify by their sound (AcoustID, needs [acoustid] key) also the tracks "
            "without a MusicBrainz recording id, not only those without artist or title.",
        ),
        click.option(
            "--apply",
            is_flag=True,
            help=f"With --identify: write a proposal scoring {APPLY_SCORE:.2f} or more "
            "(journaled: undo takes it back); any other waits for your choice.",
        ),
    ),
)


if __name__ == "__main__":  # run by mistake: say which command to run instead
    not_a_command("the music batch's own parts", "process_music_batch.py", "music_queue_manager.py")
