"""Names from folders and tags stay data in the Markdown reports."""

from __future__ import annotations

from mediakeeper.music.outputs import render_report
from mediakeeper.reports.weekly import start_command


def test_a_folder_name_with_backticks_stays_inside_its_code_span():
    artist = {
        "name": "Art`ist",
        "folder_name": "Art`ist ``Live``",
        "processed_at": "2026-11-22T10:00:00+00:00",
        "session": "20261122_session_001",
        "musicbrainz": None,
    }
    report = render_report(artist, [], [])
    # A fence longer than any run inside, padded where the text starts or ends with one.
    assert report.splitlines()[2].startswith("0 tracks in ``` Art`ist ``Live`` ``` ·")


def test_the_first_queue_command_names_the_real_script():
    assert start_command("/data/my music") == (
        "python utilities/music_queue_manager.py --home '/data/my music' --init --library PATH"
    )
