"""``movie.nfo`` as Kodi and Jellyfin read it, built with xml.etree. Pure: details in, bytes out.

Fields: title, originaltitle, sorttitle (the title without its leading article), year,
premiered, ratings (TMDb's, the default), plot, outline (the plot's first sentence), tagline,
runtime, mpaa, genre (one per genre), tag (one per TMDb keyword), country, set (the
collection), studio, director, credits, trailer (Kodi's YouTube add-on address, which
Jellyfin reads too), ``uniqueid`` for tmdb (the default) and imdb, dateadded (the main
video's modification time, as Kodi's own scan takes it), the poster (``thumb
aspect="poster"``) and fanart (``fanart/thumb``), and the top-billed actors. Empty values are
left out rather than written as empty elements.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from mediakeeper.lookup.tmdb_types import MovieDetails

DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Characters XML 1.0 cannot hold at all (escaping does not help): control characters.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


_ARTICLE = re.compile(r"^(the|a|an)\s+(?=\S)", re.IGNORECASE)
_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)", re.DOTALL)
YOUTUBE = "plugin://plugin.video.youtube/?action=play_video&videoid="


def sort_title(title: str) -> str:
    """ "The Matrix" -> "Matrix": what a library sorts it under."""
    return _ARTICLE.sub("", title.strip())


def outline(plot: str) -> str:
    """A plot's first sentence: Kodi's and Jellyfin's short plot, shown in lists."""
    match = _SENTENCE.match(plot.strip())
    return match.group(1) if match else plot.strip()


def date_added(folder: Path, main: Sequence[str]) -> str:
    """When the movie's main video came into the library: its modification time, local, as
    Kodi's ``dateadded`` takes it ("2024-05-01 20:15:00"); "" without one."""
    try:
        stamp = min(os.stat(folder / name).st_mtime for name in main) if main else None
    except OSError:
        return ""
    if stamp is None:
        return ""
    return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S")


def movie_nfo(movie: MovieDetails, image_url: Callable[[str], str], added: str = "") -> bytes:
    """The NFO document; ``image_url`` turns a TMDb image path into a full address;
    ``added``: when the movie came into the library ("2024-05-01 20:15:00"), or ""."""
    root = ET.Element("movie")

    def add(tag: str, value: object, parent: ET.Element = root, **attrs: str) -> None:
        text = _NOT_XML.sub("", str(value)).strip() if value is not None else ""
        if text:
            ET.SubElement(parent, tag, attrs).text = text

    add("title", movie.title)
    add("originaltitle", movie.original_title or movie.title)
    if sort_title(movie.title) != movie.title:
        add("sorttitle", sort_title(movie.title))
    add("year", movie.year)
    add("premiered", movie.release_date)
    if movie.vote_count:
        rating = ET.SubElement(ET.SubElement(root, "ratings"), "rating",
                               {"name": "themoviedb", "max": "10", "default": "true"})
        add("value", f"{movie.vote_average:.1f}", rating)
        add("votes", movie.vote_count, rating)
    add("plot", movie.overview)
    add("outline", outline(movie.overview))
    add("tagline", movie.tagline)
    add("runtime", movie.runtime or None)
    add("mpaa", movie.certification)
    for tag, values in (("genre", movie.genres), ("tag", movie.keywords),
                        ("country", movie.countries)):
        for value in values:
            add(tag, value)
    if movie.collection:
        add("name", movie.collection, ET.SubElement(root, "set"))
    for tag, values in (("studio", movie.studios), ("director", movie.directors),
                        ("credits", movie.writers)):
        for value in values:
            add(tag, value)
    if movie.trailer:
        add("trailer", YOUTUBE + movie.trailer)
    add("uniqueid", movie.id, type="tmdb", default="true")
    add("uniqueid", movie.imdb_id, type="imdb")
    add("dateadded", added)
    if movie.poster_path:
        add("thumb", image_url(movie.poster_path), aspect="poster")
    if movie.backdrop_path:
        add("thumb", image_url(movie.backdrop_path), ET.SubElement(root, "fanart"))
    for member in movie.cast:
        actor = ET.SubElement(root, "actor")
        add("name", member.name, actor)
        add("role", member.role, actor)
        add("order", member.order, actor)
        if member.profile_path:
            add("thumb", image_url(member.profile_path), actor)
    ET.indent(root, space="  ")
    return DECLARATION + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"
