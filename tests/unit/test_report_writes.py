"""Outputs and reports written only when their bytes change (fs/atomic.py ``holds`` and
``write_if_changed``, fs/reports.py ``write_report``): the same text again leaves the files as
they are (the same inode, not rendered again), other text replaces them, and a page that does
not name the Markdown it stands beside as what it was made from (a kill between the two
writes, an older version's page) is made again. Real files; a file's identity is its inode
and its modification time."""

from __future__ import annotations

import os
import re

from mediakeeper.fs.atomic import holds, write_if_changed
from mediakeeper.fs.reports import page_path, write_missing_page, write_report
from mediakeeper.music.model import Track
from mediakeeper.music.outputs import ArtistOutputs
from mediakeeper.text import report_page

REPORT = "# Band — issue report\n\n| code | n |\n|---|---:|\n| `missing-year` | 2 |\n"
OTHER = "# Band — issue report\n\nNothing to do.\n"


def identity(path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_mtime_ns


def test_holds_compares_the_bytes_of_a_file_not_a_link(tmp_path):
    path = tmp_path / "a.csv"
    assert not holds(path, b"x")  # no file
    path.write_bytes(b"one,two\n")
    assert holds(path, b"one,two\n")
    assert not holds(path, b"one,tw0\n")  # the same size, other bytes
    assert not holds(path, b"one,two\nthree\n")
    link = tmp_path / "link.csv"
    link.symlink_to(path)
    assert not holds(link, b"one,two\n")  # replaced by a write, so never "unchanged"


def test_write_if_changed_leaves_a_file_that_holds_the_bytes(tmp_path):
    path = tmp_path / "part.csv"
    assert write_if_changed(path, b"a\n", durable=False)
    before = identity(path)
    assert not write_if_changed(path, b"a\n", durable=False)
    assert not write_if_changed(path, b"a\n")  # durable: flushed as it stands
    assert identity(path) == before
    assert write_if_changed(path, b"b\n", durable=False)
    assert path.read_bytes() == b"b\n" and identity(path) != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part.csv"]  # no temp file left


def test_a_report_written_again_unchanged_is_left_as_it_is(tmp_path, monkeypatch):
    report = tmp_path / "band-1.md"
    assert write_report(report, REPORT)
    page = page_path(report)
    ids = identity(report), identity(page)
    assert b'<meta name="mediakeeper-made-from"' in page.read_bytes()[:512]
    rendered = []
    monkeypatch.setattr(
        report_page, "report_page", lambda *a, **k: rendered.append(a) or "<html>"
    )
    assert not write_report(report, REPORT)
    assert not write_report(report, REPORT, durable=True)
    assert (identity(report), identity(page)) == ids
    assert rendered == []  # not even rendered


def test_a_changed_report_replaces_both_files(tmp_path):
    report = tmp_path / "band-1.md"
    write_report(report, REPORT)
    assert write_report(report, OTHER)
    assert report.read_text() == OTHER
    assert "Nothing to do." in page_path(report).read_text()


def test_a_page_made_from_other_text_is_made_again(tmp_path):
    """A kill between the page and its Markdown leaves the new page beside the old text;
    the old text written again must bring its own page back."""
    report, elsewhere = tmp_path / "band-1.md", tmp_path / "other" / "band-1.md"
    elsewhere.parent.mkdir()
    write_report(report, REPORT)
    write_report(elsewhere, OTHER)
    os.replace(page_path(elsewhere), page_path(report))  # the page of OTHER, the text REPORT
    assert write_report(report, REPORT)
    assert "missing-year" in page_path(report).read_text()
    assert "Nothing to do." not in page_path(report).read_text()


def test_a_page_without_its_source_named_is_made_again(tmp_path, monkeypatch):
    """An older version's page names nothing it was made from: the next write of its report
    makes it again, with the name; a page made for a report that had none names its text."""
    report = tmp_path / "band-1.md"
    report.write_text(REPORT)
    assert write_missing_page(report)
    page = page_path(report)
    ids = identity(page)
    assert not write_report(report, REPORT)  # made from this very text
    assert identity(page) == ids
    older = re.sub(rb'<meta name="mediakeeper-made-from"[^>]*>\n', b"", page.read_bytes())
    page.write_bytes(older)
    assert b"mediakeeper-made-from" not in page.read_bytes()
    assert write_report(report, REPORT)
    assert b"mediakeeper-made-from" in page.read_bytes()
    # Another version of the toolkit's page makers: every page is made again.
    monkeypatch.setattr(report_page, "_makers", lambda: b"another version")
    before = page.read_bytes()
    assert write_report(report, REPORT)
    assert page.read_bytes() != before


def test_an_artists_csv_rows_unchanged_are_not_written_again(tmp_path):
    outputs = ArtistOutputs(tmp_path, "band-1")
    track = Track("01.flac", "", "flac", {"title": "One"}, duration=1.0)
    artist = {"name": "Band", "folder_name": "Band", "processed_at": "2026-11-25T10:00:00",
              "session": "s1", "musicbrainz": None, "summary": {}}  # fmt: skip
    outputs.write(artist, [track], [])
    ids = identity(outputs.csv_part), identity(outputs.json_path), identity(outputs.report_path)
    outputs.write(artist, [track], [])
    assert (identity(outputs.csv_part), identity(outputs.json_path),
            identity(outputs.report_path)) == ids  # fmt: skip
    outputs.write({**artist, "processed_at": "2026-11-26T10:00:00"}, [track], [])
    assert identity(outputs.csv_part) == ids[0]  # the rows did not change
    assert identity(outputs.json_path) != ids[1]  # the record did: its time
