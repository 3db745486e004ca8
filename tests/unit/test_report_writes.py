"""Outputs and reports written only when their bytes change (fs/atomic.py ``holds`` and
``write_if_changed``, fs/reports.py ``write_report``): the same text again leaves the files as
they are (the same inode, not rendered again), other text replaces them, and a page that does
not name the Markdown it stands beside as what it was made from (a kill between the two
writes, an older version's page) is made again. A report's page is made when it is read
(``read_page``), not when its report is written, and kept as new as its report once made.
Real files; a file's identity is its inode and its modification time."""

from __future__ import annotations

import os
import re

from mediakeeper.fs.atomic import holds, write_if_changed
from mediakeeper.fs.reports import make_page, page_path, read_page, write_report
from mediakeeper.music.model import Track
from mediakeeper.music.outputs import ArtistOutputs, csv_rows_log
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


def test_a_report_is_written_without_its_page_which_its_reader_makes(tmp_path):
    """The batch writes an item's Markdown only; its page is made when read, the same page
    as a report's page has always been (``report_page`` of its text), and kept on disk: the
    next read renders nothing."""
    report = tmp_path / "band-1.md"
    assert write_report(report, REPORT, durable=True)
    assert report.read_text() == REPORT and not page_path(report).exists()
    made = report_page.made_from(REPORT.encode(), source="band-1.md", index="index.html")
    expected = report_page.report_page(REPORT, source="band-1.md", index="index.html", made=made)
    assert read_page(report) == expected.encode()
    assert page_path(report).read_text() == expected
    ids = identity(page_path(report))
    assert read_page(report) == expected.encode()
    assert identity(page_path(report)) == ids  # read as it lies: not made again
    assert read_page(tmp_path / "nothing.md") is None


def test_a_report_written_again_unchanged_is_left_as_it_is(tmp_path, monkeypatch):
    report = tmp_path / "band-1.md"
    assert write_report(report, REPORT)
    assert make_page(report)
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


def test_a_page_made_is_made_again_when_its_report_changes(tmp_path):
    report = tmp_path / "band-1.md"
    write_report(report, REPORT)
    assert not page_path(report).exists()
    read_page(report)  # a reader made it
    assert write_report(report, OTHER)
    assert report.read_text() == OTHER
    assert "Nothing to do." in page_path(report).read_text()


def test_a_page_made_from_other_text_is_made_again(tmp_path):
    """A kill between the page and its Markdown leaves the new page beside the old text;
    the old text written again must bring its own page back, and a reader never reads it."""
    report, elsewhere = tmp_path / "band-1.md", tmp_path / "other" / "band-1.md"
    elsewhere.parent.mkdir()
    write_report(report, REPORT, now=True)
    write_report(elsewhere, OTHER, now=True)
    os.replace(page_path(elsewhere), page_path(report))  # the page of OTHER, the text REPORT
    assert b"missing-year" in read_page(report)
    make_page(elsewhere)
    os.replace(page_path(elsewhere), page_path(report))  # again, for the writer this time
    assert write_report(report, REPORT)
    assert "missing-year" in page_path(report).read_text()
    assert "Nothing to do." not in page_path(report).read_text()


def test_a_page_without_its_source_named_is_made_again(tmp_path, monkeypatch):
    """An older version's page names nothing it was made from: the next write of its report
    makes it again, with the name, as does its next reader."""
    report = tmp_path / "band-1.md"
    report.write_text(REPORT)
    assert make_page(report)
    page = page_path(report)
    ids = identity(page)
    assert not write_report(report, REPORT)  # made from this very text
    assert identity(page) == ids
    older = re.sub(rb'<meta name="mediakeeper-made-from"[^>]*>\n', b"", page.read_bytes())
    page.write_bytes(older)
    assert b"mediakeeper-made-from" not in page.read_bytes()
    assert write_report(report, REPORT)
    assert b"mediakeeper-made-from" in page.read_bytes()
    page.write_bytes(older)
    assert b"mediakeeper-made-from" in read_page(report)
    assert b"mediakeeper-made-from" in page.read_bytes()
    # Another version of the toolkit's page makers: every page is made again.
    monkeypatch.setattr(report_page, "_makers", lambda: b"another version")
    before = page.read_bytes()
    assert write_report(report, REPORT)
    assert page.read_bytes() != before


def test_a_page_made_with_its_report_links_the_pages_made_and_the_other_markdown(tmp_path):
    """An index's page, made with it, links a report's page where it is made, else its
    Markdown (a page on disk has no link to nothing); made again once that page is."""
    index = tmp_path / "index.md"
    write_report(tmp_path / "band-1.md", REPORT)
    listing = "# Index\n\n- [Band](band-1.md)\n- [Page 2](index-2.md)\n"
    assert write_report(index, listing, now=True, written=["index-2.md"])
    page = page_path(index).read_text()
    assert 'href="band-1.md"' in page and 'href="index-2.html"' in page
    assert not write_report(index, listing, now=True, written=["index-2.md"])
    read_page(tmp_path / "band-1.md")
    assert write_report(index, listing, now=True, written=["index-2.md"])
    assert 'href="band-1.html"' in page_path(index).read_text()
    # A reader of the index is given every link as a page: it makes each when asked.
    # On disk it is left to link what is made (page 2 is not): not written by its reader.
    (tmp_path / "band-1.html").unlink()
    ids = identity(page_path(index))
    assert b'href="band-1.html"' in read_page(index)
    assert identity(page_path(index)) == ids


def test_a_page_that_cannot_be_written_is_answered_all_the_same(tmp_path):
    """A reader whose page cannot be kept (here a folder stands where it goes; a read-only
    home the same) is given the page, made for it."""
    report = tmp_path / "band-1.md"
    write_report(report, REPORT)
    page_path(report).mkdir()
    assert b"missing-year" in read_page(report)
    assert page_path(report).is_dir()


def test_a_page_that_is_a_link_is_never_followed(tmp_path):
    outside = tmp_path / "outside.html"
    outside.write_text("secret")
    (tmp_path / "k").mkdir()
    report = tmp_path / "k" / "band-1.md"
    write_report(report, REPORT)
    page_path(report).symlink_to(outside)
    assert b"secret" not in read_page(report)
    assert outside.read_text() == "secret" and not page_path(report).is_symlink()


def test_an_artists_record_and_report_unchanged_are_not_written_again(tmp_path):
    outputs = ArtistOutputs(tmp_path, "band-1")
    track = Track("01.flac", "", "flac", {"title": "One"}, duration=1.0)
    artist = {"name": "Band", "folder_name": "Band", "processed_at": "2026-11-25T10:00:00",
              "session": "s1", "musicbrainz": None, "summary": {}}  # fmt: skip
    outputs.write(artist, [track], [])
    ids = identity(outputs.json_path), identity(outputs.report_path)
    outputs.write(artist, [track], [])
    assert (identity(outputs.json_path), identity(outputs.report_path)) == ids
    outputs.write({**artist, "processed_at": "2026-11-26T10:00:00"}, [track], [])
    assert identity(outputs.json_path) != ids[0]  # the record did: its time
    # The rows are a line appended to one file a run, not a file an artist: the last stands.
    rows = csv_rows_log(tmp_path)
    assert len(rows.path.read_text().splitlines()) == 3
    assert rows.get("band-1")["rows"] == "Band,01.flac,flac,One" + "," * 15 + "1.0,0,none,0,\n"
