"""The audiobook kind's record: a book folder per item (its disc folders belong to it),
joined into one M4B."""

from __future__ import annotations

from mediakeeper.core.kind_record import Kind, Limit, Makes
from mediakeeper.core.units import bitrate_problem


def _plan():
    """Its batch (``batch.py``), imported when a batch runs."""
    from mediakeeper.audiobooks.batch import PLAN

    return PLAN


def _actions():
    """Its queue manager's own action, --prune-backups (``backups.py``)."""
    from mediakeeper.audiobooks.backups import PRUNE

    return (PRUNE,)


def _rewrite(home, slug, document):
    """An item's outputs written again after a decision (``outputs.py``)."""
    from mediakeeper.audiobooks.outputs import write_outputs

    return write_outputs(home, slug, document)



def _find(library, skipped=None):
    """Its books (``books.py``: a folder and its disc folders), imported when a queue is
    made; the folders passed over are added to ``skipped``."""
    from mediakeeper.audiobooks.books import find

    return find(library, skipped)


# Its finding codes, by who reports them: code -> (severity, what it means). A public
# contract (docs/findings.md; mediakeeper.core.findings gathers every kind's).
FINDINGS = {
    "audiobooks": {
        # reported by music too, in the same sense
        "unreadable-file": ("error", "an audio file that cannot be read"),
        "missing-title": ("error", "a track or a book has no title"),
        "missing-author": ("warning", "a book has no author in its tags or folder name"),
        "no-cover": ("info", "a book has no cover image, in its folder or its first file"),
        "cover-unusable": (
            "info",
            "a book's cover image was passed over: too large, empty or not an image",
        ),
        "mixed-audio-formats": (
            "info",
            "a book's files are not all AAC of one rate and channels: encoded once",
        ),
        "chapter-drift": ("error", "a written chapter mark is not where its file begins"),
    },
}


KIND = Kind(
    name="audiobooks",
    noun="book",
    label="Audiobook",
    report_template="audiobook.md.j2",
    findings=FINDINGS,
    package="mediakeeper.audiobooks",
    plan=_plan,
    actions=_actions,
    order=4,
    find=_find,
    settings={
        "output": "",
        "backup": "",  # empty: <data home>/backup
        "backup_retention_days": 30,
        "bitrate": "128k",
        "channels": 2,
        "sample_rate": 44100,
        "stall_timeout": 300,  # seconds an ffmpeg of the merge may go without progress
    },
    limits={
        "backup_retention_days": Limit(36_500),
        "channels": Limit(64, least=1, least_words="a whole number of channels >= 1"),
        "sample_rate": Limit(192_000, least=8000, least_words="a sample rate in Hz >= 8000"),
        "stall_timeout": Limit(  # at most a day
            86_400, least=1, least_words="a whole number of seconds >= 1"
        ),
    },
    checks={"bitrate": bitrate_problem},
    makes=Makes("made", copies="joined without re-encoding"),
    output_dir=("outputs", "audiobooks"),
    rewrite=_rewrite,
)
