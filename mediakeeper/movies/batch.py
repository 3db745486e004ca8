"""The movie kind's part of a batch (``mediakeeper.batch.plan``): its job from the flags, the
TMDb key a real run needs before anything is touched, one worker by default; and what its
batch command adds to every kind's: --artwork and --overwrite, and the dry run's lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mediakeeper.batch.plan import BatchPlan, Option, Run, each_previewed
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import ConfigError
from mediakeeper.lookup.tmdb_types import KeyMissing, require_api_key
from mediakeeper.movies.job import MovieJob, Preview
from mediakeeper.text.wording import count

OFFLINE = "or run it with --offline, for the local checks only"  # no key: the way without one


def _jobs(run: Run):
    # A key TMDb refuses stops the batch at the first answer (the job says so with
    # ItemFailure(stop=True)): one line, exit 2, and every movie back as it was.
    return lambda session_id: MovieJob(
        run.settings.home,
        session_id,
        settings=run.settings if run.online else None,
        artwork=run.flags["artwork"],
        overwrite=run.flags["overwrite"],
        enrich_only=run.enrich,
    )


def _writes(preview: Preview, overwrite: bool) -> str:
    """What a match would write, as the run writes it: each file new, each one there replaced
    only with --overwrite, else kept (an NFO kept, the artwork still new, is both)."""
    new = [n for n in preview.writes if n not in preview.existing]
    there = ", ".join(preview.existing)
    acts = [f"write {', '.join(new)}"] * bool(new)
    acts += [f"replace {there}"] * (overwrite and bool(there))
    said = f"; would {' and '.join(acts)} on a match" if acts else ""
    return said + (f"; would keep the existing {there}" if there and not overwrite else "")


def _dry_run(run: Run, items: list[dict[str, Any]]) -> Iterator[str]:
    settings, online = run.settings, run.online
    artwork, overwrite = run.flags["artwork"], run.flags["overwrite"]
    job = MovieJob(settings.home, "dry-run", settings=settings if online else None, artwork=artwork)

    def lines(item: dict[str, Any]) -> Iterator[str]:
        preview = job.preview(item)
        mains = len(preview.videos.groups)
        line = f"{preview.name}: {count(mains, 'main video')}"
        if preview.lookup:
            line += f"; would {preview.lookup}" + _writes(preview, overwrite)
        yield line
        for finding in preview.findings:
            yield f"  [{finding.code}] {finding.message}"

    yield from each_previewed(items, lines)
    yield (
        f"dry run: {count(len(items), 'movie')}; nothing was written"
        + ("" if not online else " and nothing was looked up")
    )
    if online:
        try:
            require_api_key(settings)
        except KeyMissing as missing:  # the preview needs none; the real run stops without
            yield (f"note: a real run needs a TMDb API key, and none is set ({missing.hint}); "
                   f"{OFFLINE}")  # fmt: skip


def _key_or_offline(settings: Settings, *, offline_fits: bool) -> None:
    """A real run's key; none is said with the way to run without one, where there is one
    (--artwork and --enrich need TMDb: offline refuses them)."""
    try:
        require_api_key(settings)
    except KeyMissing as missing:
        hint = f"{missing.hint}; {OFFLINE}" if offline_fits else missing.hint
        raise ConfigError(missing.message, hint) from None


PLAN = BatchPlan(
    jobs=_jobs,
    describe=lambda run: {
        "offline": not run.online,
        "enrich": run.enrich,
        "artwork": run.flags["artwork"],
        "overwrite": run.flags["overwrite"],
    },
    flags={"artwork": False, "overwrite": False},
    looks_up=True,
    needs_network={"artwork": "downloads from TMDb: drop --offline"},
    # One process by default: a movie is a few lookups, and the TMDb limit (shared by every
    # process of the data home) is what sets the pace, not the CPU.
    workers=1,
    requires=_key_or_offline,  # no key: stop before anything is touched
    help="""Process the next pending movies: find the video files, identify each movie on TMDb
    (title and year must agree), write movie.nfo for Kodi and Jellyfin into its folder, and
    write outputs/movies/ and issues/movies/ reports. Needs a TMDb API key (TMDB_API_KEY or
    [tmdb] api_key) unless --offline or --dry-run. Stop any time with Ctrl+C: the next run
    resumes.""",
    dry_run=_dry_run,
    offline_help="Make no TMDb lookups: only the local checks (video files, folder name).",
    options=(
        Option("--artwork", "Also download poster.jpg and fanart.jpg.", lookup=True),
        Option(
            "--overwrite",
            "Replace an existing movie.nfo, poster.jpg or fanart.jpg (kept by default).",
            lookup=True,
        ),
    ),
)
