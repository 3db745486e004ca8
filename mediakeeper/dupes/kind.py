"""The dupes kind's record. Its items are album folders (any folder that directly holds
audio files, found as verify and conversions find them), not single files: an album is the
unit the album level compares, a queue of every file of a large library would be rewritten
on every completion, and a folder's files are what ``--refresh`` already knows how to notice
changes in. Each file is fingerprinted once and cached by size, mtime and inode
(``dupes/job.py``), so an album put back to pending reads only its changed files."""

from __future__ import annotations

from mediakeeper.core.kind_record import TRACKS, Kind
from mediakeeper.media.albums import find


def _questions():
    """Its decisions (``questions.py``), imported when a decision is listed or taken."""
    from mediakeeper.dupes.questions import QUESTIONS

    return QUESTIONS


def _plan():
    """Its batch (``batch.py``), imported when a batch runs."""
    from mediakeeper.dupes.batch import PLAN

    return PLAN


KIND = Kind(
    name="dupes",
    noun="album",
    label="Music library folder",
    report_template="dupes_album.md.j2",
    package="mediakeeper.dupes",
    plan=_plan,
    questions=_questions,
    order=6,
    find=find,
    # holding: where set-aside copies go, keeping their path relative to the library;
    # "": <home>/set-aside/. The library: the music library when this one is not set.
    settings={"holding": ""},
    extra_counters=(TRACKS,),
    item_files="folder",
)
