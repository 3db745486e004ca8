"""The conversion kind's record: an album folder per item (found at any depth), converted
through a working directory into an output tree."""

from __future__ import annotations

from mediakeeper.core.kind_record import TRACKS, Kind, Limit, Makes

KIND = Kind(
    name="conversions",
    noun="album",
    label="Album",
    job="mediakeeper.conversions.job:ConversionJob",
    report_template="album_conversion.md.j2",
    package="mediakeeper.conversions",
    batch="mediakeeper.conversions.batch:PLAN",
    order=3,
    find="mediakeeper.media.albums:find",
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
    rewrite="mediakeeper.conversions.outputs:write_outputs",
)
