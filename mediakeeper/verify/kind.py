"""The verify kind's record: an album folder per item (found at any depth, as conversions
find them), each file checked to decode whole and, with ``analyse``, listened to."""

from __future__ import annotations

from mediakeeper.core.kind_record import TRACKS, Kind, Makes
from mediakeeper.media.albums import find_checked


def _questions():
    """Its decisions (``questions.py``), imported when a decision is listed or taken."""
    from mediakeeper.verify.questions import QUESTIONS

    return QUESTIONS


def _plan():
    """Its batch (``batch.py``), imported when a batch runs."""
    from mediakeeper.verify.batch import PLAN

    return PLAN


def _rewrite(home, slug, document):
    """An item's outputs written again after a decision (``job.py``)."""
    from mediakeeper.verify.job import write_outputs

    return write_outputs(home, slug, document)


# Its finding codes, by who reports them: code -> (severity, what it means). A public
# contract (docs/findings.md; mediakeeper.core.findings gathers every kind's).
FINDINGS = {
    "verify": {
        "decode-error": ("error", "a file does not decode to its end: damaged from there"),
        "audio-md5-mismatch": (
            "error",
            "a FLAC's decoded audio is not the audio whose MD5 its header holds",
        ),
        "truncated-audio": ("error", "a file is shorter than its headers promise: cut short"),
        "audio-changed": (
            "error",
            "a file's audio is not what it was when last checked good, its tags aside",
        ),
        "clipping": ("info", "samples at full scale: the audio may have been clipped"),
        "lossy-origin": (
            "info",
            "a lossless file whose spectrum stops at a lossy encoder's low-pass",
        ),
        "long-silence": ("info", "a silence of 10 s or more inside a track"),
    },
}


KIND = Kind(
    name="verify",
    noun="album",
    label="Album",
    report_template="verify_album.md.j2",
    findings=FINDINGS,
    package="mediakeeper.verify",
    plan=_plan,
    questions=_questions,
    order=5,
    find=find_checked,
    # analyse: clipping, lossy origin, long silences (info findings); backup: a folder
    # mirroring the library by relative path, where decide finds a good copy to restore
    settings={"analyse": True, "backup": ""},
    extra_counters=(TRACKS,),
    makes=Makes("verified"),
    output_dir=("outputs", "verify"),
    rewrite=_rewrite,
    # An album folder may hold other albums (CD1, CD2): only its own files are its.
    item_files="folder",
)
