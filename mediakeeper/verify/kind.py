"""The verify kind's record: an album folder per item (found at any depth, as conversions
find them), each file checked to decode whole and, with ``analyse``, listened to."""

from __future__ import annotations

from mediakeeper.core.kind_record import TRACKS, Kind, Makes

KIND = Kind(
    name="verify",
    noun="album",
    label="Album",
    job="mediakeeper.verify.job:VerifyJob",
    report_template="verify_album.md.j2",
    package="mediakeeper.verify",
    batch="mediakeeper.verify.batch:PLAN",
    order=5,
    find="mediakeeper.media.albums:find_checked",
    # analyse: clipping, lossy origin, long silences (info findings); backup: a folder
    # mirroring the library by relative path, where decide finds a good copy to restore
    settings={"analyse": True, "backup": ""},
    extra_counters=(TRACKS,),
    makes=Makes("verified"),
    output_dir=("outputs", "verify"),
    rewrite="mediakeeper.verify.job:write_outputs",
    # An album folder may hold other albums (CD1, CD2): only its own files are its.
    item_files="folder",
)
