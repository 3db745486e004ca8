"""The conversion kind's record: an album folder per item (found at any depth), converted
through a working directory into an output tree."""

from __future__ import annotations

from mediakeeper.core.kind_record import TRACKS, Kind, Limit, Makes
from mediakeeper.media.albums import find


def _plan():
    """Its batch (``batch.py``), imported when a batch runs."""
    from mediakeeper.conversions.batch import PLAN

    return PLAN


def _rewrite(home, slug, document):
    """An item's outputs written again after a decision (``outputs.py``)."""
    from mediakeeper.conversions.outputs import write_outputs

    return write_outputs(home, slug, document)


# Its finding codes, by who reports them: code -> (severity, what it means). A public
# contract (docs/findings.md; mediakeeper.core.findings gathers every kind's).
FINDINGS = {
    "conversions": {
        "lossy-source-copied": (
            "info",
            "a lossy source was copied as it is, not encoded a second time",
        ),
        "video-left-out": ("info", "a video file was not carried into the portable library"),
        "not-carried": (
            "info",
            "something a source holds has no place in its target's format (an MP4's pictures "
            "keep no types or descriptions)",
        ),
        "damaged-source-left-out": (
            "warning",
            "a damaged source was left out of its portable album, as the settings ask",
        ),
        "original-changed": (
            "error",
            "an original changed after it was copied and verified: none was deleted",
        ),
    },
}


KIND = Kind(
    name="conversions",
    noun="album",
    label="Album",
    report_template="album_conversion.md.j2",
    findings=FINDINGS,
    package="mediakeeper.conversions",
    plan=_plan,
    order=3,
    find=find,
    settings={
        "output": "",
        "archive": "",
        "profile": "opus",
        "working": "",  # empty: <data home>/working/conversions
        "delete_originals": False,
        "cleanup_working_on_success": True,
        "cleanup_working_on_failure": False,
        "min_free_mb": 512,
        "damaged": "fail",  # a damaged source fails its album; "leave-out": left out of it
    },
    limits={
        "min_free_mb": Limit(100_000_000),  # 100 TB
    },
    extra_counters=(TRACKS,),
    makes=Makes("converted", saved=True),
    output_dir=("outputs", "conversions"),
    rewrite=_rewrite,
)
