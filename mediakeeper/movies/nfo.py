"""``movie.nfo`` as Kodi and Jellyfin read it, built with xml.etree. Pure: details in, bytes out.

Fields: title, originaltitle, year, premiered, plot, tagline, runtime, mpaa, genre (one per
genre), country, studio, director, credits, ``uniqueid`` for tmdb (the default) and imdb, the
poster (``thumb aspect="poster"``) and fanart (``fanart/thumb``), and the top-billed actors.
Empty values are left out rather than written as empty elements.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

from mediakeeper.lookup.tmdb_types import MovieDetails

DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Characters XML 1.0 cannot hold at all (escaping does not help): control characters.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def movie_nfo(movie: MovieDetails, image_url: Callable[[str], str]) -> bytes:
    """The NFO document; ``image_url`` turns a TMDb image path into a full address."""
    root = ET.Element("movie")

    def add(tag: str, value: object, parent: ET.Element = root, **attrs: str) -> None:
        text = _NOT_XML.sub("", str(value)).strip() if value is not None else ""
        if text:
            ET.SubElement(parent, tag, attrs).text = text

    add("title", movie.title)
    add("originaltitle", movie.original_title or movie.title)
    add("year", movie.year)
    add("premiered", movie.release_date)
    add("plot", movie.overview)
    add("tagline", movie.tagline)
    add("runtime", movie.runtime or None)
    add("mpaa", movie.certification)
    for genre in movie.genres:
        add("genre", genre)
    for country in movie.countries:
        add("country", country)
    for studio in movie.studios:
        add("studio", studio)
    for director in movie.directors:
        add("director", director)
    for writer in movie.writers:
        add("credits", writer)
    add("uniqueid", movie.id, type="tmdb", default="true")
    add("uniqueid", movie.imdb_id, type="imdb")
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
