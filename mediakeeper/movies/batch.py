"""The movie kind's part of a batch (``mediakeeper.batch.plan``): its job from the flags, the
TMDb key a real run needs before anything is touched, one worker by default."""

from __future__ import annotations

from mediakeeper.batch.plan import BatchPlan, Run
from mediakeeper.lookup.tmdb_types import require_api_key
from mediakeeper.movies.job import MovieJob


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
    requires=require_api_key,  # no key: stop before anything is touched
)
