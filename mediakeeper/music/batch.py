"""The music kind's part of a batch (``mediakeeper.batch.plan``): its job from the flags,
the AcoustID key --identify needs, the MusicBrainz check before any artist is claimed, and
tracks.csv assembled after the batch."""

from __future__ import annotations

from mediakeeper.batch.plan import BatchPlan, Run
from mediakeeper.core import rule_plugins, writemode
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import UsageError
from mediakeeper.lookup.acoustid_types import require_key
from mediakeeper.music.job import MusicJob
from mediakeeper.music.outputs import assemble_tracks_csv


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
    )


def _check_identify(run: Run) -> None:
    """--apply only with --identify; --identify only with an AcoustID key (a dry run asks
    nothing: it needs none)."""
    if run.flags["apply"] and not run.flags["identify"]:
        raise UsageError("--apply writes what --identify proposes: give both")
    if run.flags["identify"] and run.online and not run.dry_run:
        require_key(run.settings)


def _check_musicbrainz(settings: Settings) -> None:
    """A setting every lookup needs: refused before any artist is claimed."""
    from mediakeeper.lookup.musicbrainz import check_settings

    check_settings(settings)
    if settings.get("acoustid", "key").strip():
        from mediakeeper.lookup.acoustid import check_settings as check_acoustid

        check_acoustid(settings)


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
)
