"""The music kind's record: an artist folder per item, its tracks counted."""

from __future__ import annotations

from mediakeeper.core.kind_record import TRACKS, Kind

KIND = Kind(
    name="music",
    noun="artist",
    label="Music",
    job="mediakeeper.music.job:MusicJob",
    report_template="artist_issues.md.j2",
    package="mediakeeper.music",
    batch="mediakeeper.music.batch:PLAN",
    order=1,
    settings={"lookups": True, "write_mode": "in-place", "hard_links": "leave"},  # core.writemode
    extra_counters=(TRACKS,),
    output_dir=("outputs", "music", "artists"),
    rewrite="mediakeeper.music.outputs:write_again",
)
