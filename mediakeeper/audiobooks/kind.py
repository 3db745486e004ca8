"""The audiobook kind's record: a book folder per item (its disc folders belong to it),
joined into one M4B."""

from __future__ import annotations

from mediakeeper.core.kind_record import Kind, Limit, Makes

KIND = Kind(
    name="audiobooks",
    noun="book",
    label="Audiobook",
    job="mediakeeper.audiobooks.job:AudiobookJob",
    report_template="audiobook.md.j2",
    package="mediakeeper.audiobooks",
    batch="mediakeeper.audiobooks.batch:PLAN",
    order=4,
    find="mediakeeper.audiobooks.books:find",
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
    makes=Makes("made", copies="joined without re-encoding"),
    output_dir=("outputs", "audiobooks"),
    rewrite="mediakeeper.audiobooks.outputs:write_outputs",
)
