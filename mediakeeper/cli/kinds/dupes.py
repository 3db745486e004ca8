"""What the dupes batch adds to every kind's (``mediakeeper/cli/batch.py``): its help and
its dry run. ``mediakeeper dupes scan`` (``cli/dupes.py``) runs it to the end, then groups."""

from __future__ import annotations

from mediakeeper.cli.batch import BatchSpec, previewing
from mediakeeper.cli.command import not_a_command
from mediakeeper.dupes.batch import jobs
from mediakeeper.dupes.job import preview

BATCH = BatchSpec(
    help="""Fingerprint the next pending albums for the duplicate finder (Chromaprint, made
    locally by ffmpeg; no network). Each file is fingerprinted once and kept by its size,
    modification time and inode: only what changed is read again. Nothing in the library is
    written. `mediakeeper dupes scan` runs every album and then groups the copies.""",
    dry_run=previewing(jobs, preview, "album"),
)


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    not_a_command("the dupes batch's own parts", "process_dupes_batch.py",
                  "dupes_queue_manager.py")  # fmt: skip
