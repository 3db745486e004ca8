"""The audiobook kind's part of a batch (``mediakeeper.batch.plan``): its job from the
[audiobooks] settings, which the output and bitrate options override, --overwrite, the
job's settings refused as a usage error before anything is touched, and the dry run's lines.
It makes no web lookups: no --offline, no --enrich."""

from __future__ import annotations

from functools import partial

from mediakeeper.audiobooks.settings import job_from_settings, preview
from mediakeeper.batch.plan import SEND, BatchPlan, Option, Run, previewing


def jobs(run: Run):
    return job_from_settings(run.settings, overwrite=run.flags["overwrite"], cluster=run.cluster)


PLAN = BatchPlan(
    jobs=jobs,
    describe=lambda run: {"overwrite": run.flags["overwrite"]},
    flags={"output": None, "bitrate": None, "overwrite": False},
    setting_options=("output", "bitrate"),
    places=True,
    heavy=SEND,  # the merge's encode: seconds of CPU per megabyte sent
    help="""Make each pending book folder (its CD1, Disc 2 ... folders with it) into one M4B with
    one chapter per file: backed up first (verified), its files measured by decoding them,
    joined (as they are when all are AAC of one rate and channels, else encoded once),
    tagged and verified in a working directory (<data home>/working/audiobooks), then moved
    into <output>/<Author>/<Title>/. Stop any time with Ctrl+C or even kill -9: the next run
    resumes each book at its last finished step.""",
    # Each dry run with its own record of the files the books before make: two that make one
    # are said.
    dry_run=lambda run, items: previewing(jobs, partial(preview, going={}), "book")(run, items),
    options=(
        Option(
            "--output",
            "Audiobook library the M4B files go into ([audiobooks] output).",
            value="PATH",
        ),
        Option(
            "--bitrate",
            "AAC bit rate of a book that must be encoded, as ffmpeg says it: 64k "
            "([audiobooks] bitrate, default 128k). A book of AAC files is joined as it is.",
            value="TEXT",
        ),
        Option(
            "--overwrite",
            "Replace the book's own earlier M4B and cover in the output; your files there "
            "are kept.",
        ),
    ),
)
