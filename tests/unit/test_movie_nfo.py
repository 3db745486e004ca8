"""movie.nfo as Kodi and Jellyfin read it: built, then parsed back as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mediakeeper.lookup.tmdb_types import CastMember, MovieDetails
from mediakeeper.movies.nfo import movie_nfo


def details(**fields):
    base = dict(id=603, title="The Matrix", original_title="The Matrix", release_date="1999-03-30")
    return MovieDetails(**{**base, **fields})


def test_nfo_fields():
    movie = details(
        overview="A hacker learns the truth.",
        tagline="Welcome to the Real World.",
        runtime=136,
        genres=("Action", "Science Fiction"),
        imdb_id="tt0133093",
        poster_path="/p.jpg",
        backdrop_path="/b.jpg",
        certification="R",
        directors=("Lana Wachowski",),
        cast=(CastMember("Keanu Reeves", "Neo", 0, "/k.jpg"),),
    )
    root = ET.fromstring(movie_nfo(movie, lambda path: f"https://img.example/t/p/original{path}"))
    assert root.tag == "movie"
    assert {t: root.findtext(t) for t in ("title", "originaltitle", "year", "premiered")} == {
        "title": "The Matrix",
        "originaltitle": "The Matrix",
        "year": "1999",
        "premiered": "1999-03-30",
    }
    assert root.findtext("plot") == "A hacker learns the truth."
    assert root.findtext("runtime") == "136"
    assert [g.text for g in root.findall("genre")] == ["Action", "Science Fiction"]
    ids = {u.get("type"): (u.text, u.get("default")) for u in root.findall("uniqueid")}
    assert ids == {"tmdb": ("603", "true"), "imdb": ("tt0133093", None)}
    [poster] = root.findall("thumb")
    assert (poster.get("aspect"), poster.text) == (
        "poster",
        "https://img.example/t/p/original/p.jpg",
    )
    assert root.findtext("fanart/thumb") == "https://img.example/t/p/original/b.jpg"
    assert root.findtext("actor/name") == "Keanu Reeves" and root.findtext("actor/role") == "Neo"
    assert root.findtext("mpaa") == "R" and root.findtext("director") == "Lana Wachowski"


def test_nfo_leaves_out_what_tmdb_does_not_know_and_survives_control_characters():
    movie = details(original_title="", release_date="", overview="bad\x00\x0bchars & <tags>")
    data = movie_nfo(movie, lambda path: path)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"')
    root = ET.fromstring(data)
    assert root.findtext("plot") == "badchars & <tags>"
    assert root.find("year") is None and root.find("premiered") is None
    assert root.find("thumb") is None and root.find("fanart") is None
    assert root.findtext("originaltitle") == "The Matrix"
    assert [u.get("type") for u in root.findall("uniqueid")] == ["tmdb"]


def test_outline_is_the_first_sentence_and_sorttitle_drops_the_article():
    movie = details(overview="Neo wakes up. Then he learns kung fu.", title="The Matrix")
    root = ET.fromstring(movie_nfo(movie, lambda path: path))
    assert root.findtext("outline") == "Neo wakes up."
    assert root.findtext("sorttitle") == "Matrix"
    assert ET.fromstring(movie_nfo(details(title="Heat"), str)).find("sorttitle") is None
