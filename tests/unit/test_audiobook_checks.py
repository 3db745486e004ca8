"""The audiobook kind's pure parts: which folders are books, the order of their files, where a
book goes, what its folder name says, and the finding codes it reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediakeeper.audiobooks import books, checks, covers, metadata
from mediakeeper.core.findings import SEVERITY
from mediakeeper.demo.tracks import make_track
from mediakeeper.media import ffmpeg
from mediakeeper.media.merge_m4b import Input


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def _untagged_book(tmp_path: Path) -> list:
    """A folder named after nothing, whose files carry no tags and no picture."""
    folder = tmp_path / "lib" / "untitled"
    make_track(folder / "01.mp3", "mp3", {})
    book = metadata.gather(folder, "untitled", books.book_files(folder))
    book.title = ""  # the folder name is the last resort: a book with no title at all
    files = books.book_files(folder)
    return metadata.findings(book, covers.choose(ffmpeg.find(), folder, files, tmp_path).embed)


def _broken_cover(tmp_path: Path) -> list:
    folder = tmp_path / "book"
    make_track(folder / "01.mp3", "mp3", {})
    (folder / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n and then nothing")
    cover = covers.choose(ffmpeg.find(), folder, books.book_files(folder), tmp_path / "scratch")
    assert cover.embed is None
    return covers.findings(cover.notes)


def _unreadable(tmp_path: Path) -> list:
    folder = tmp_path / "book"
    (folder).mkdir()
    (folder / "01.mp3").write_bytes(b"not audio at all" * 100)
    return checks.measure(ffmpeg.find(), folder, [folder / "01.mp3"], ["One"])[1]


def _mixed(tmp_path: Path) -> list:
    return checks.formats([Input("a.m4a", "A", 1.0, "aac", 44100, 2),
                           Input("b.mp3", "B", 1.0, "mp3", 44100, 2)])  # fmt: skip


def _drift(tmp_path: Path) -> list:
    return checks.drift(["One", "Two"], [0.0, 10.0], [0.0, 10.2])


FIRES = [
    pytest.param("missing-author", _untagged_book, "", id="missing-author"),
    pytest.param("missing-title", _untagged_book, "", id="missing-title"),
    pytest.param("no-cover", _untagged_book, "", id="no-cover"),
    pytest.param("cover-unusable", _broken_cover, "", id="cover-unusable"),
    pytest.param("unreadable-file", _unreadable, "01.mp3", id="unreadable-file"),
    pytest.param("mixed-audio-formats", _mixed, "", id="mixed-audio-formats"),
    pytest.param("chapter-drift", _drift, "", id="chapter-drift"),
]


@pytest.mark.parametrize(("code", "find", "path"), FIRES)
def test_code_fires(code, find, path, tmp_path):
    [finding] = [f for f in find(tmp_path) if f.code == code]
    assert (finding.path, finding.severity) == (path, SEVERITY[code])
    assert finding.message and not finding.fixable


def test_no_drift_within_50_ms():
    assert checks.drift(["One", "Two"], [0.0, 10.0], [0.0, 10.04]) == []


def test_files_come_in_natural_order_discs_after_the_books_own(tmp_path):
    book = tmp_path / "lib" / "Book"
    for name in ("Chapter 10.mp3", "Chapter 2.mp3", "chapter 1.mp3", "cover.jpg"):
        _touch(book / name)
    for disc in ("Disc 10", "Disc 2", "CD1"):
        _touch(book / disc / "01.mp3")
    order = [p.relative_to(book).as_posix() for p in books.book_files(book)]
    assert order == ["chapter 1.mp3", "Chapter 2.mp3", "Chapter 10.mp3",
                     "CD1/01.mp3", "Disc 2/01.mp3", "Disc 10/01.mp3"]  # fmt: skip


def test_a_book_is_one_item_with_its_disc_folders_and_others_are_books_of_their_own(tmp_path):
    lib = tmp_path / "lib"
    _touch(lib / "Author" / "Book One" / "CD1" / "01.mp3")
    _touch(lib / "Author" / "Book One" / "Part 2" / "01.mp3")
    _touch(lib / "Author" / "Series" / "1 - First" / "01.m4a")
    _touch(lib / "Author" / "notes.txt")
    found = [p.relative_to(lib).as_posix() for p in books.find(lib)]
    assert found == ["Author/Book One", "Author/Series/1 - First"]


def test_the_folder_names_author_title_and_series_when_the_tags_do_not(tmp_path):
    plain = metadata.gather(tmp_path, "Jane Doe - My Book", [])
    assert (plain.author, plain.title, plain.series) == ("Jane Doe", "My Book", "")
    nested = metadata.gather(tmp_path, "Jane Doe/Saga/2 - The Second", [])
    assert (nested.author, nested.series, nested.part, nested.title) == (
        "Jane Doe", "Saga", "2", "The Second")  # fmt: skip


def test_output_layout_with_and_without_series_and_fat_safe_names():
    book = metadata.Book(title='What? A "Book": Part 1/2.', author="A:B")
    assert metadata.relative_output(book) == Path(
        "A_B", 'What_ A _Book__ Part 1_2', 'What_ A _Book__ Part 1_2.m4b')  # fmt: skip
    series = metadata.Book(title="The Second", author="Jane", series="Saga", part="2")
    assert metadata.relative_output(series) == Path("Jane", "Saga", "2 - The Second",
                                                    "The Second.m4b")  # fmt: skip


def test_a_chapter_is_titled_by_its_tag_else_its_name_without_the_number(tmp_path):
    make_track(tmp_path / "03 - The Storm.mp3", "mp3", {})
    make_track(tmp_path / "04 - x.mp3", "mp3", {"title": "Calm"})
    assert metadata.chapter_title(tmp_path / "03 - The Storm.mp3") == "The Storm"
    assert metadata.chapter_title(tmp_path / "04 - x.mp3") == "Calm"


@pytest.mark.parametrize(("text", "kept"), [
    ("😀" * 200, "😀" * 127),  # 2 UTF-16 units each: 254, never half of the 128th
    ("x" + "😀" * 200, "x" + "😀" * 127),  # 255 units exactly
    ("e\u0301" * 200, "e\u0301" * 127),  # never an "e" without its accent
    ("🇩🇪" * 100, "🇩🇪" * 63),  # a flag is two letters, 4 units
    ("👍🏽" * 100, "👍🏽" * 63),  # with its skin tone
    ("👩\u200d👩\u200d👧" * 40, "👩\u200d👩\u200d👧" * 31),  # one family, 8 units
    ("short one", "short one"),
])  # fmt: skip
def test_desc_is_the_first_255_utf16_units_cut_between_characters(text, kept):
    assert metadata.short_description(text) == kept
    assert metadata.atoms(metadata.Book(title="T", description=text), None)["desc"] == [kept]


def test_desc_txt_and_reader_txt_lose_their_bom_and_crlf_in_utf8_and_utf16(tmp_path):
    (tmp_path / "desc.txt").write_bytes("\ufeffLine one\r\nLine two\r\n".encode())
    (tmp_path / "reader.txt").write_bytes("Anna Ärger\r\nBjörn\r\n".encode("utf-16"))  # BOM
    book = metadata.gather(tmp_path, "Jane - Book", [])
    assert (book.description, book.narrator) == ("Line one\nLine two", "Anna Ärger, Björn")


def test_the_cover_is_chosen_as_audiobookshelf_does_then_folder_and_front(tmp_path):
    book = tmp_path / "Book"
    for name in ("01.mp3", "CD1/01.mp3", "CD1/cover.jpg", "a.jpg", "back.png", "Front.PNG",
                 "folder.Jpeg", "._Cover.jpg", ".cover.jpg", "cover-thumb.webp", "Cover.WEBP",
                 "notes.txt", "cover.gif"):  # fmt: skip
        _touch(book / name)
    chosen = [p.relative_to(book).as_posix() for p in covers.folder_images(book)]
    assert chosen == ["Cover.WEBP", "folder.Jpeg", "Front.PNG", "a.jpg", "back.png",
                      "CD1/cover.jpg"]  # fmt: skip


def test_a_text_file_larger_than_any_description_is_not_read(tmp_path):
    (tmp_path / "desc.txt").write_bytes(b"x" * 2_000_001)  # no description is 2 MB
    (tmp_path / "reader.txt").write_text("Anna", encoding="utf-8")
    book = metadata.gather(tmp_path, "Jane - Book", [])
    assert (book.description, book.narrator) == ("", "Anna")
