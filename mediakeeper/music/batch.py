"""The music kind's part of a batch (``mediakeeper.batch.plan``): its job from the flags,
the AcoustID key --identify needs, the MusicBrainz check before any artist is claimed,
tracks.csv assembled after the batch; and what its batch command adds to every kind's:
--no-fix, --replaygain, --fetch-covers, --identify and --apply, and the dry run's lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mediakeeper.batch.plan import BatchPlan, Option, Run, each_previewed
from mediakeeper.core import rule_plugins, writemode
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import UsageError
from mediakeeper.core.findings import finding_record
from mediakeeper.music.finding_groups import group_changes, group_findings, in_album
from mediakeeper.music.identify import APPLY_SCORE
from mediakeeper.music.job import MusicJob
from mediakeeper.music.outputs import assemble_tracks_csv
from mediakeeper.system.processes import usable_cores
from mediakeeper.text.wording import count


def _jobs(run: Run):
    _check_identify(run)
    rule_plugins.loaded()  # the plugins' rules read (a broken one said) once, before any fork
    return lambda session_id: MusicJob(
        run.settings.home,
        session_id,
        fix=not run.flags["no_fix"],
        settings=run.settings if run.online else None,
        enrich_only=run.enrich,
        fetch_covers=run.flags["fetch_covers"],
        replaygain=run.flags["replaygain"],
        ffmpeg_path=run.settings.get("ffmpeg", "path"),
        writing=writemode.chosen(run.settings.get),
        identify=run.flags["identify"],
        apply_identified=run.flags["apply"],
        plugin_rule_timeout=run.settings.get("music", "plugin_rule_timeout"),
    )


def _check_identify(run: Run) -> None:
    """--apply only with --identify; --identify only with an AcoustID key (a dry run asks
    nothing: it needs none)."""
    if run.flags["apply"] and not run.flags["identify"]:
        raise UsageError("--apply writes what --identify proposes: give both")
    if run.flags["identify"] and run.online and not run.dry_run:
        from mediakeeper.lookup.acoustid_types import require_key  # (an offline run: never)

        require_key(run.settings)


def _check_musicbrainz(settings: Settings) -> None:
    """A setting every lookup needs: refused before any artist is claimed."""
    from mediakeeper.lookup.musicbrainz import check_settings

    check_settings(settings)
    if settings.get("acoustid", "key").strip():
        from mediakeeper.lookup.acoustid import check_settings as check_acoustid

        check_acoustid(settings)


def _dry_run(run: Run, items: list[dict[str, Any]]) -> Iterator[str]:
    job = MusicJob(run.settings.home, "dry-run", fix=not run.flags["no_fix"],
                   writing=writemode.chosen(run.settings.get),
                   plugin_rule_timeout=run.settings.get("music", "plugin_rule_timeout"),
                   )  # fmt: skip
    made_per_artist: list[int] = []
    said: set[str] = set()  # a plugin left out: said under the first artist only

    def lines(item: dict[str, Any]) -> Iterator[str]:
        preview = job.preview(item)
        refused = dict(preview.refused)
        made = [c for c in preview.changes if c not in refused]
        made_per_artist.append(len(made))
        yield (
            f"{preview.name}: {count(preview.track_count, 'track')}, "
            f"{count(len(preview.findings), 'finding')}, "
            f"{count(len(made), 'tag change')} would be made"
        )
        for change, where in group_changes(made, preview.tracks):
            yield f"  would set {change.tag} of {where}: {change.old!r} -> {change.new!r}"
        held: dict[tuple[str, str], list[str]] = {}  # (file, why) -> its tags, as the report
        for change, why in preview.refused:
            held.setdefault((change.path, why), []).append(change.tag)
        for (path, why), tags in held.items():
            yield f"  would not set {' and '.join(sorted(set(tags)))} of {path!r}: {why}"
        shown = set(made)
        unanswered = [  # each finding no change above would answer (--no-fix: all)
            finding_record(f) for f in preview.findings if not shown.intersection(f.changes)
        ]
        for group in group_findings(unanswered, preview.tracks):
            f = group.first
            where = group.where if len(group.findings) == 1 else in_album(group.where, f["album"])
            yield f"  [{f['code']}] {where}: {f['message']}"
        for line in preview.stopped:
            if line not in said:
                said.add(line)
                yield f"  {line}"

    yield from each_previewed(items, lines)
    lookups = "; their MusicBrainz lookups are not previewed (a dry run asks nothing)"
    yield (
        f"dry run: {count(len(items), 'artist')}, {count(sum(made_per_artist), 'tag change')} "
        f"would be made; nothing was written{lookups if run.enrich else ''}"
    )


PLAN = BatchPlan(
    jobs=_jobs,
    describe=lambda run: {
        "no_fixes": run.flags["no_fix"],
        "offline": not run.online,
        "enrich": run.enrich,
        "replaygain": run.flags["replaygain"],
        "identify": run.flags["identify"],
        "apply": run.flags["apply"],
    },
    flags={"no_fix": False, "replaygain": False, "fetch_covers": False, "identify": False,
           "apply": False},
    looks_up=True,
    needs_network={
        "fetch_covers": "needs the network: drop --offline",
        "identify": "looks tracks up on AcoustID: drop --offline",
        "apply": "writes what --identify looks up: drop --offline",
    },
    before_claims=_check_musicbrainz,
    after=lambda settings: assemble_tracks_csv(settings.home),
    help="""Process the next pending artists: scan tags, find issues, fix what is safe, identify
    artists and albums on MusicBrainz, write outputs/music/ and issues/music/ reports. Stop
    any time with Ctrl+C: the next run resumes where this one stopped.""",
    dry_run=_dry_run,
    options=(
        Option("--no-fix", "Report issues only; change no tags."),
        Option(
            "--replaygain",
            "Also measure each album's loudness (EBU R128) and write its ReplayGain tags "
            "(R128 in Opus), journaled like every fix.",
        ),
        Option(
            "--fetch-covers",
            "Download a cover (cover.jpg, or .png, .gif or .webp as the image is) from the "
            "Cover Art Archive into matched albums that have none.",
            lookup=True,
        ),
        Option(
            "--identify",
            "Identify by their sound (AcoustID, needs [acoustid] key) also the tracks "
            "without a MusicBrainz recording id, not only those without artist or title.",
            lookup=True,
        ),
        Option(
            "--apply",
            f"With --identify: write a proposal scoring {APPLY_SCORE:.2f} or more "
            "(journaled: undo takes it back); any other waits for your choice.",
            lookup=True,
        ),
    ),
    offline_help="Make no web lookups (also: [music] lookups = false in mediakeeper.toml).",
    # One more worker than cores, three at most: an artist's job waits for the disk (reads
    # with the page cache cold, its fixes' flushes), and a third worker keeps two cores busy
    # meanwhile: on two cores the real-size pass took 0.88x the read against 0.96x with two,
    # the tiny-file pass on a journaled ext4 2.04x against 2.30x (docs/performance.md).
    workers=min(3, usable_cores() + 1),
)
