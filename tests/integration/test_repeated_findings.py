"""The same finding in many tracks reads as one line, in the issue report and in the dry run;
a fixed row says what changed; the undo command is offered only when something was written."""

from __future__ import annotations

import json
from pathlib import Path

from mediakeeper.demo import tracks as synth
from mediakeeper.music.finding_groups import tracks_where
from mediakeeper.music.model import Track
from mediakeeper.text.slug import slugify

TAPE = "2001 - Tape"
MESSAGE = "Lossy file at only 64 kbps; look for a better copy."


def lofi_library(root: Path, tracks: int = 15) -> Path:
    """One artist, one album of ``tracks`` complete 64 kbps MP3s: low-bitrate, and nothing else."""
    for n in range(1, tracks + 1):
        tags = {"title": f"Song {n}", "artist": "Lofi", "albumartist": "Lofi", "album": "Tape",
                "tracknumber": str(n), "date": "2001"}  # fmt: skip
        synth.make_track(
            root / "Lofi" / TAPE / f"{n:02d} - Song {n}.mp3", "mp3", tags,
            picture=True, template="silence_64k.mp3",
        )  # fmt: skip
    return root


def test_an_albums_fifteen_low_bitrate_tracks_are_one_line_and_no_undo_is_offered(
    tmp_path, music_script
):
    lib, home = lofi_library(tmp_path / "Music"), tmp_path / "home"
    dry = music_script("process_music_batch.py", "--home", home, "--library", lib, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert dry.stdout.splitlines() == [
        "Lofi: 15 tracks, 15 findings, 0 tag changes would be made",
        f"  [low-bitrate] 15 tracks (1-15) in '{TAPE}': {MESSAGE}",
        "dry run: 1 artist, 0 tag changes would be made; nothing was written",
    ]

    run = music_script("process_music_batch.py", "--home", home, "--library", lib)
    # A low bit rate is no decision (no choice mends it): an upgrade, and no exit 1 for it.
    assert run.returncode == 0, run.stdout + run.stderr
    report = (home / "issues/music" / f"{slugify('Lofi')}.md").read_text("utf-8")
    lines = [line for line in report.splitlines() if "low-bitrate" in line]
    assert lines == [f"- **warning** `low-bitrate` — 15 tracks (1-15): {MESSAGE}"]
    assert "**0 fixed**, **0 decisions for you**" in report
    upgrades = (home / "issues/music/upgrades.md").read_text("utf-8")
    assert f"- **Lofi — {TAPE}**: low bit rate (mp3, 64 kbps, 15 files)" in upgrades
    assert "undo" not in report.lower()  # nothing was written: nothing to undo
    # The record keeps every finding; only the reading is grouped.
    [doc] = (home / "outputs/music/artists").glob("*.json")
    findings = json.loads(doc.read_text("utf-8"))["findings"]
    assert [f["code"] for f in findings] == ["low-bitrate"] * 15


def test_an_upgrades_list_emptied_by_a_better_copy_says_so(tmp_path, music_script):
    """The list is rewritten once nothing is left on it (``reports.upgrades.write_upgrades``):
    never left naming an album whose better copy is in place."""
    lib, home = lofi_library(tmp_path / "Music", tracks=1), tmp_path / "home"
    first = music_script("process_music_batch.py", "--home", home, "--library", lib)
    assert first.returncode == 0, first.stdout + first.stderr
    upgrades = home / "issues/music/upgrades.md"
    assert f"- **Lofi — {TAPE}**: low bit rate" in upgrades.read_text("utf-8")

    track = next((lib / "Lofi" / TAPE).glob("*.mp3"))
    tags = {"title": "Song 1", "artist": "Lofi", "albumartist": "Lofi", "album": "Tape",
            "tracknumber": "1", "date": "2001"}  # fmt: skip
    synth.make_track(track, "mp3", tags, picture=True)  # the better copy, in its place
    reset = music_script("music_queue_manager.py", "--home", home, "--reset-artist", "Lofi")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    again = music_script("process_music_batch.py", "--home", home, "--library", lib)
    assert again.returncode == 0, again.stdout + again.stderr
    assert upgrades.read_text("utf-8") == "# Upgrades — music\n\nNothing to upgrade.\n"


def test_repeated_fixes_are_one_row_and_a_rewritten_legacy_tag_says_what_changed(
    tmp_path, music_script
):
    """Three ID3v1 files lack their year, filled from the folder name: one row for the three
    missing-year fixes, one for the three legacy tags the rewrite upgraded; and undo offered."""
    album = tmp_path / "Music" / "Oldie" / "1980 - Record"
    for n in (1, 2, 3):
        tags = {"artist": "Oldie", "album": "Record", "title": f"T{n}", "tracknumber": str(n)}
        synth.make_id3v1_only(album / f"0{n} - T{n}.mp3", tags)
    home = tmp_path / "home"
    dry = music_script(
        "process_music_batch.py", "--home", home, "--library", tmp_path / "Music", "--dry-run"
    )
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "  would set date of 3 tracks (1-3) in '1980 - Record': None -> '1980'\n" in dry.stdout
    assert dry.stdout.count("would set date") == 1
    run = music_script("process_music_batch.py", "--home", home, "--library", tmp_path / "Music")
    assert run.returncode == 0, run.stdout + run.stderr
    report = (home / "issues/music" / f"{slugify('Oldie')}.md").read_text("utf-8")
    rows = {line.split("|")[1].strip(): line for line in report.splitlines() if "| `" in line}
    assert rows["`legacy-tag`"] == (
        "| `legacy-tag` | 3 tracks (1-3) | tags rewritten as ID3v2.4 (were ID3v1) by the file's "
        "other fixes |"
    )
    assert rows["`missing-year`"].startswith("| `missing-year` | 3 tracks (1-3) | date: (none) → ")
    assert "Undo this artist's fixes with `" in report


def test_tracks_are_named_by_disc_and_number_or_by_file_when_numbers_do_not_tell():
    def track(path, number=None, disc=None, folder=None):
        tags = {k: v for k, v in (("tracknumber", number), ("discnumber", disc)) if v}
        return Track(path, "A", "mp3", tags, disc_folder=folder)

    two_discs = {t.path: t for t in [
        track("A/CD1/01.mp3", "1", folder=1), track("A/CD1/02.mp3", "2", folder=1),
        track("A/CD1/03.mp3", "3", folder=1), track("A/CD2/01.mp3", "1", folder=2),
        track("A/05.mp3", "5", disc="2"),
    ]}  # fmt: skip
    assert tracks_where(list(two_discs), "A", two_discs) == (
        "5 tracks (disc 1: 1-3; disc 2: 1, 5)"
    )
    unnumbered = {t.path: t for t in [track("A/x.mp3"), track("A/y.mp3", "2")]}
    assert tracks_where(list(unnumbered), "A", unnumbered) == "2 tracks (x.mp3, y.mp3)"
    same = {t.path: t for t in [track("A/x.mp3", "2"), track("A/y.mp3", "2")]}
    assert tracks_where(list(same), "A", same) == "2 tracks (x.mp3, y.mp3)"


def test_an_artist_whose_folder_vanished_is_said_missing_not_listed_as_there(
    tmp_path, music_script
):
    """``--refresh`` marks an artist whose folder is gone missing: the upgrades list leaves
    its albums out with a line saying why, and the issue index says it missing."""
    lib, home = lofi_library(tmp_path / "Music", tracks=1), tmp_path / "home"
    first = music_script("process_music_batch.py", "--home", home, "--library", lib)
    assert first.returncode == 0, first.stdout + first.stderr
    (lib / "Lofi").rename(tmp_path / "Lofi moved away")
    refresh = music_script("music_queue_manager.py", "--home", home, "--refresh")
    assert refresh.returncode == 0, refresh.stdout + refresh.stderr
    upgrades = (home / "issues/music/upgrades.md").read_text("utf-8")
    assert f"**Lofi — {TAPE}**" not in upgrades
    assert "Nothing to upgrade." in upgrades
    assert "Left out, folder missing (the queue's refresh found it gone" in upgrades
    assert upgrades.rstrip().endswith(": **Lofi**.")
    index = (home / "issues/music/index.md").read_text("utf-8")
    [row] = [line for line in index.splitlines() if line.startswith("- [Lofi]")]
    assert "· folder missing (the queue's refresh found it gone" in row
    assert row.endswith("its report is of files no longer there")
