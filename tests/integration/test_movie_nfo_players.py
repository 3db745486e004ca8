"""movie.nfo carries what Kodi and Jellyfin read (issue 34): ratings, set (the collection),
sorttitle, outline, tag, trailer and dateadded, from TMDb through the real client against
the fake TMDb."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from mediakeeper.core.config import load_settings
from mediakeeper.movies.job import MovieJob
from tests.servers.tmdb import API_KEY, FakeTMDb


@pytest.fixture
def fake():
    with FakeTMDb() as server:
        yield server


def test_the_nfo_holds_what_kodi_and_jellyfin_read(fake, tmp_path):
    overrides = {"tmdb": {"url": fake.url, "images_url": fake.images_url, "api_key": API_KEY,
                          "rate_limit": 0.0, "retries": 1}}  # fmt: skip
    settings = load_settings(tmp_path / "home", overrides, environ={})
    folder = tmp_path / "Movies" / "The Matrix (1999)"
    folder.mkdir(parents=True)
    (folder / "matrix.mkv").write_bytes(b"x")
    os.utime(folder / "matrix.mkv", (1_700_000_000, 1_700_000_000))
    job = MovieJob(settings.home, "s1", settings=settings)
    job.process({"key": folder.name, "name": folder.name, "path": str(folder), "run_token": "t"})
    root = ET.parse(folder / "movie.nfo").getroot()

    rating = root.find("ratings/rating")
    assert rating.attrib == {"name": "themoviedb", "max": "10", "default": "true"}
    assert (rating.findtext("value"), rating.findtext("votes")) == ("7.5", "1000")
    assert root.findtext("set/name") == "The Matrix Collection"
    assert root.findtext("sorttitle") == "Matrix"
    assert root.findtext("outline") == root.findtext("plot")  # one sentence: all of it
    assert [t.text for t in root.findall("tag")] == ["dystopia", "artificial intelligence (a.i.)"]
    assert root.findtext("trailer") == (
        "plugin://plugin.video.youtube/?action=play_video&videoid=vKQi3bBA1y8")
    added = datetime.fromtimestamp(1_700_000_000).strftime("%Y-%m-%d %H:%M:%S")
    assert root.findtext("dateadded") == added
