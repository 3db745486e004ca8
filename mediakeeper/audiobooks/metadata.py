"""A book's metadata: from its files' tags (album = title, album artist or artist = author,
composer = narrator), then ``desc.txt``/``reader.txt`` beside them, then its folder's name
(``Author - Title``, ``Author/Series/Title``); what stays missing is a finding. Written into
the M4B with mutagen, after ffmpeg, and read back atom by atom."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from mutagen.mp4 import MP4, MP4Cover

from mediakeeper import tags
from mediakeeper.core.bounded import TEXT_FILE, TooLarge, read_bounded
from mediakeeper.core.errors import AudioError, MediakeeperError
from mediakeeper.core.findings import Finding, finding_of
from mediakeeper.fs.names import name_text, readable
from mediakeeper.lookup.images import image_suffix
from mediakeeper.tags.values import DATE
from mediakeeper.text.cut import cut
from mediakeeper.text.slug import fat_safe

DESC_UNITS = 255  # Apple's short description; the whole text goes into ``ldes``
_LEADING_NUMBER = re.compile(r"^\s*\d+\s*[-._)]*\s*")
_SERIES_PART = re.compile(r"^\s*(?:book\s*)?(\d+(?:\.\d+)?)\s*[-.]\s*(.+)$", re.IGNORECASE)


@dataclass
class Book:
    title: str = ""
    author: str = ""
    narrator: str = ""
    year: str = ""
    series: str = ""
    part: str = ""
    description: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def chapter_title(path: Path) -> str:
    try:
        title = tags.read(path).tags.get("title", "").strip()
    except AudioError:
        title = ""
    stem = readable(path.stem)  # a name that is not UTF-8 still makes a title
    return title or _LEADING_NUMBER.sub("", stem).strip() or stem


def _text(folder: Path, name: str) -> str:
    """A text file beside the book: UTF-8 (without the BOM Windows' editors start it with),
    or UTF-16 with its BOM (Notepad's "Unicode"); CR LF and CR line ends read as line feeds.
    One larger than any description (``TEXT_FILE``) is not read, as one that cannot be."""
    try:
        data = read_bounded(folder / name, TEXT_FILE, "book's text file")
        utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
        text = data.decode("utf-16" if utf16 else "utf-8-sig")
    except (OSError, UnicodeDecodeError, TooLarge):
        return ""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _one_line(text: str) -> str:
    """Names given one a line (``reader.txt`` with two narrators) as one tag value."""
    return ", ".join(line.strip() for line in text.splitlines() if line.strip())


def gather(folder: Path, key: str, files: list[Path]) -> Book:
    values: dict[str, str] = {}
    if files:
        try:
            info = tags.read(files[0], keep=True)
        except AudioError:
            info = None
        if info is not None:
            values = dict(info.tags)
            # The narrator is the composer (Audiobookshelf's and iTunes' convention), every
            # one of them.
            composers = tags.all_values(info.parsed.audio, ("composer",)).get("composer", [])
            values["composer"] = ", ".join(composers)
    book = Book(
        title=values.get("album", "").strip(),
        author=(values.get("albumartist") or values.get("artist") or "").strip(),
        narrator=(values.get("composer") or "").strip(),
        year=DATE.year(values.get("date") or values.get("year")) or "",
        description=_text(folder, "desc.txt"),
    )
    book.narrator = book.narrator or _one_line(_text(folder, "reader.txt"))
    parts = tuple(map(name_text, Path(key).parts if key != "." else (folder.name,)))
    if len(parts) >= 3:  # Author/Series/Title
        book.author = book.author or parts[-3]
        book.series = parts[-2]
        match = _SERIES_PART.match(parts[-1])
        if match:
            book.part = match.group(1)
            book.title = book.title or match.group(2).strip()
    name = parts[-1]
    if " - " in name and not book.title:
        author, _, title = name.partition(" - ")
        book.author = book.author or author.strip()
        book.title = title.strip()
    if len(parts) == 2:
        book.author = book.author or parts[0]
    book.title = book.title or name
    return book


def findings(book: Book, cover: bytes | None) -> list[Finding]:
    found = []
    if not book.author:
        found.append(finding_of("missing-author", "", "no author in the tags or the folder name"))
    if not book.title:
        found.append(finding_of("missing-title", "", "no title in the tags or the folder name"))
    if cover is None:
        found.append(finding_of("no-cover", "", "no cover image in the folder or the first file"))
    return found


def safe_name(name: str) -> str:
    """A folder or file name FAT and exFAT accept (``slug.fat_safe``): no reserved characters
    or device names, no trailing dots or spaces, at most 120 characters."""
    return fat_safe(name, 120)


def relative_output(book: Book) -> Path:
    author = safe_name(book.author or "Unknown Author")
    title = safe_name(book.title)
    if book.series:
        folder = safe_name(f"{book.part} - {book.title}" if book.part else book.title)
        return Path(author, safe_name(book.series), folder, f"{title}.m4b")
    return Path(author, title, f"{title}.m4b")


def atoms(book: Book, cover: bytes | None) -> dict:
    values: dict = {
        "\xa9nam": [book.title], "\xa9alb": [book.title], "\xa9gen": ["Audiobook"],
        "stik": [2],
    }  # fmt: skip
    if book.author:
        values["\xa9ART"] = values["aART"] = [book.author]
    if book.narrator:
        values["\xa9wrt"] = [book.narrator]
        values["\xa9nrt"] = [book.narrator]
    if book.year:
        values["\xa9day"] = [book.year]
    if book.series:
        values["\xa9mvn"] = [book.series]
        values["\xa9grp"] = [f"{book.series} #{book.part}" if book.part else book.series]
        if book.part.isdigit():
            values["\xa9mvi"] = [int(book.part)]
    if book.description:
        values["desc"] = [short_description(book.description)]
        values["ldes"] = [book.description]
    if cover:
        fmt = MP4Cover.FORMAT_PNG if image_suffix(cover) == ".png" else MP4Cover.FORMAT_JPEG
        values["covr"] = [MP4Cover(cover, imageformat=fmt)]
    return values


def short_description(text: str) -> str:
    """``desc``: the description's first 255 characters as Apple counts them (UTF-16 units),
    cut after a word when one ends in them, never inside a character."""
    return cut(text, DESC_UNITS, utf16=True, words=True)


def write(path: Path, book: Book, cover: bytes | None) -> None:
    """Write the atoms, save, read them back: MediakeeperError naming an atom that differs."""
    audio = MP4(path)
    if audio.tags is None:
        audio.add_tags()
    wanted = atoms(book, cover)
    for key, value in wanted.items():
        audio.tags[key] = value
    audio.save()
    back = MP4(path).tags or {}
    for key, value in wanted.items():
        if list(back.get(key, [])) != list(value):
            raise MediakeeperError(f"{path.name}: the {key!r} atom does not read back as written")
