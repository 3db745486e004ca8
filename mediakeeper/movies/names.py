"""Title, year and id tags from movie folder and file names. Pure: strings in, records out.

Two naming styles are understood, and the tags media servers use in either:

* ``Title (Year)``, also ``Title [Year]``, ``Title Year`` and ``Title, The (Year)``;
* release style, ``Title.Year.1080p.BluRay.x264-GROUP`` (dots or underscores for spaces);
* ``[tmdbid-603]`` / ``[tmdb=603]`` / ``{tmdb-603}`` (Jellyfin, Emby, Plex), trusted as the
  movie's TMDb id; ``[imdbid-tt0133093]`` / ``{imdb-tt0133093}``; Plex ``{edition-...}``.

The year is a parenthesised (or bracketed) year when there is one, else the last standalone
year that has some title before it: ``2001 A Space Odyssey 1968`` is 1968,
``Blade.Runner.2049.2017.1080p`` is 2017, and ``1917`` alone is a title without a year.
A year range (``Title (2019-2020)``, en dash too) is its first year. A bracketed edition
(``(Director's Cut)``, ``[Extended Edition]``) or bracketed release words (``(1080p)``) are
not part of the title, wherever they stand.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from mediakeeper.fs.names import name_text
from mediakeeper.text.fold import words

YEAR = r"(?:18[89]\d|19\d\d|20\d\d)"
_TMDB_TAG = re.compile(r"[\[{(]\s*tmdb(?:id)?\s*[-=:]\s*(\d+)\s*[\]})]", re.IGNORECASE)
_IMDB_TAG = re.compile(r"[\[{(]\s*imdb(?:id)?\s*[-=:]\s*(tt\d{5,})\s*[\]})]", re.IGNORECASE)
_EDITION_TAG = re.compile(r"\{\s*edition\s*-[^}]*\}", re.IGNORECASE)
_LEADING_GROUP = re.compile(r"^\s*\[[^\]]*\]\s*")  # "[Group] Title (2001)"
# A year range ("(2019-2020)", "2019–2020", "(2019-20)") is read as its first year, the
# release year TMDb knows a film by; the range's end says nothing a lookup can use.
_RANGE_END = rf"(?:\s*[-–—]\s*(?:{YEAR}|\d\d)(?!\d))?"
_ENCLOSED_YEAR = re.compile(rf"[(\[]\s*({YEAR}){_RANGE_END}\s*[)\]]")
_BARE_YEAR = re.compile(rf"(?<![\w'’])({YEAR}){_RANGE_END}(?![\w'’])")
# A bracketed edition ("(Director's Cut)", "[Extended Edition]"): not part of the title.
_EDITION_GROUP = re.compile(r"[(\[][^()\[\]]*\b(?:cut|edition|version)\s*[)\]]", re.IGNORECASE)
_BRACKETED = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
_ARTICLE_LAST = re.compile(r"^(.+?),\s*(the|a|an)$", re.IGNORECASE)  # "Matrix, The"
# Tokens that only ever appear in release names. Weak words ("web", "hd", "dc", "3d") are
# left out: "Charlotte's Web" must keep its title when the year is missing.
_RELEASE_WORDS = frozenset(
    {"4k", "uhd", "bluray", "blu-ray", "bdrip", "brrip", "bdremux", "remux", "web-dl", "webdl",
     "webrip", "hdtv", "hdrip", "dvdrip", "dvdscr", "x264", "x265", "h264", "h265", "h.264",
     "h.265", "hevc", "avc", "xvid", "divx", "10bit", "8bit", "hdr", "hdr10", "dts", "dts-hd",
     "truehd", "atmos", "ac3", "aac", "dd5.1", "ddp5.1", "remastered", "unrated", "extended",
     "repack", "proper", "internal"}
)  # fmt: skip
_RESOLUTION = re.compile(r"^\d{3,4}[pi]$", re.IGNORECASE)
_SEPARATORS = " -_.,(["


@dataclass(frozen=True)
class ParsedName:
    """What a folder or file name says about its movie. ``title`` is never empty for a
    non-empty name; ``year``, ``tmdb_id`` and ``imdb_id`` are None when the name lacks them."""

    title: str
    year: int | None = None
    tmdb_id: int | None = None
    imdb_id: str | None = None


def parse_name(name: str) -> ParsedName:
    """Parse a movie folder name (or a video file name without its extension). A name whose
    bytes are not UTF-8 (``Am\\xe9lie``) is read as Windows-1252, its hidden characters as
    spaces (``fs.names.name_text``): its title is text a search and a ``movie.nfo`` can
    hold."""
    text = unicodedata.normalize("NFC", name_text(name))
    tmdb = _TMDB_TAG.search(text)
    imdb = _IMDB_TAG.search(text)
    text = strip_tags(text)
    while _LEADING_GROUP.match(text) and _LEADING_GROUP.sub("", text, count=1).strip():
        text = _LEADING_GROUP.sub("", text, count=1)
    if " " not in text.strip():  # release style: dots or underscores between the words
        text = text.replace(".", " ").replace("_", " ")
    else:
        text = text.replace("_", " ")
    text = _without_bracketed_noise(text)
    title, year = _split_year(text)
    if year is None:
        title = _before_release_words(title)
    title = _tidy(title) or _tidy(text) or name_text(name)
    return ParsedName(
        title=title,
        year=year,
        tmdb_id=int(tmdb.group(1)) if tmdb else None,
        imdb_id=imdb.group(1).lower() if imdb else None,
    )


def strip_tags(name: str) -> str:
    """The name without its id and edition tags (``[tmdbid-603]``, ``{edition-...}``)."""
    for pattern in (_TMDB_TAG, _IMDB_TAG, _EDITION_TAG):
        name = pattern.sub(" ", name)
    return " ".join(name.split())


def _split_year(text: str) -> tuple[str, int | None]:
    """(title part, year): the text before the chosen year, and that year."""
    enclosed = [m for m in _ENCLOSED_YEAR.finditer(text) if _tidy(text[: m.start()])]
    if enclosed:
        match = enclosed[-1]
        return text[: match.start()], int(match.group(1))
    bare = [m for m in _BARE_YEAR.finditer(text) if _tidy(text[: m.start()])]
    if bare:
        match = bare[-1]
        return text[: match.start()], int(match.group(1))
    return text, None


def _without_bracketed_noise(text: str) -> str:
    """``Movie (1080p) (2019)``, ``Movie (Director's Cut) (2019)`` -> ``Movie (2019)``: a
    bracketed edition, or bracketed release words only, is dropped wherever it stands."""
    text = _EDITION_GROUP.sub(" ", text)
    return _BRACKETED.sub(
        lambda m: " " if _release_words_only(m.group(1)) else m.group(0), text
    )


def _release_words_only(text: str) -> bool:
    tokens = text.lower().split()
    return bool(tokens) and all(t in _RELEASE_WORDS or _RESOLUTION.match(t) for t in tokens)


def _before_release_words(title: str) -> str:
    """``The Matrix 1080p BluRay x264`` -> ``The Matrix`` (never down to nothing)."""
    words = title.split()
    for n, word in enumerate(words):
        token = word.strip("()[]{}").lower()
        if n and (token in _RELEASE_WORDS or _RESOLUTION.match(token)):
            return " ".join(words[:n])
    return title


def _tidy(title: str) -> str:
    title = " ".join(title.split()).strip(_SEPARATORS).strip()
    article = _ARTICLE_LAST.match(title)
    if article:
        title = f"{article.group(2).capitalize()} {article.group(1)}"
    return title


# ---- comparing and suggesting names -------------------------------------------------------



def normalise_title(title: str) -> str:
    """Case, accents, punctuation and ``&``/``and`` ignored: ``Amélie`` == ``amelie``,
    ``Star Wars: Episode IV`` == ``Star Wars - Episode IV``, ``Hævnen`` == ``Haevnen``."""
    return " ".join(words(title, join_apostrophes=True).replace("_", " ").split())


# What Windows, SMB shares and most NAS boxes refuse in a name, and what to put instead.
_UNSAFE = (
    (": ", " - "),
    (":", "-"),
    ("/", "-"),
    ("\\", "-"),
    ("?", ""),
    ("*", ""),
    ('"', "'"),
    ("<", ""),
    (">", ""),
    ("|", "-"),
)


def suggested_name(title: str, year: int | None, tmdb_id: int | None = None) -> str:
    """``Title (Year)`` as a safe folder name, with ``[tmdbid-N]`` when asked for."""
    safe = title
    for bad, good in _UNSAFE:
        safe = safe.replace(bad, good)
    safe = " ".join(safe.split()).strip(" .")
    name = f"{safe} ({year})" if year else safe
    return f"{name} [tmdbid-{tmdb_id}]" if tmdb_id else name
