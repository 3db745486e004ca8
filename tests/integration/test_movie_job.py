"""MovieJob in-process against the fake TMDb: the work file makes a repeated claim exact."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from mediakeeper.batch.job import ItemFailure
from mediakeeper.batch.offline import offline_services
from mediakeeper.core.config import load_settings
from mediakeeper.movies.job import MovieJob
from mediakeeper.movies.outputs import MovieOutputs
from tests.integration.test_movie_tmdb_client import hostile_details
from tests.servers.tmdb import API_KEY, FakeTMDb


@pytest.fixture
def fake():
    with FakeTMDb() as server:
        yield server


@pytest.fixture
def job(fake, tmp_path):
    overrides = {"tmdb": {"url": fake.url, "images_url": fake.images_url, "api_key": API_KEY,
                          "rate_limit": 0.0, "retries": 1}}  # fmt: skip
    settings = load_settings(tmp_path / "home", overrides, environ={})
    return MovieJob(settings.home, "20240309_session_001", settings=settings, artwork=True)


def item(path, token):
    return {"key": path.name, "name": path.name, "path": str(path), "run_token": token}


def test_a_claim_that_finished_but_was_not_recorded_returns_the_same_result(fake, job, tmp_path):
    folder = tmp_path / "Movies" / "The Matrix (1999)"
    folder.mkdir(parents=True)
    (folder / "matrix.mkv").write_bytes(b"x")
    first = job.process(item(folder, "session_001:The Matrix (1999)"))
    assert first.details["files_written"] == ["movie.nfo", "poster.jpg", "fanart.jpg"]
    written = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}

    fake.clear_requests()
    again = job.process(item(folder, "session_001:The Matrix (1999)"))  # killed before recording
    assert asdict(again) == asdict(first)
    assert fake.requests == []
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == written

    fresh = job.process(item(folder, "session_002:The Matrix (1999)"))  # a new claim: a new plan
    assert fresh.details["files_written"] == []
    assert fresh.details["files_kept"] == ["movie.nfo", "poster.jpg", "fanart.jpg"]
    assert fake.requests == []  # answered from the cache
    assert fresh.details["cache_hits"] == 2


def test_a_vanished_folder_fails_the_scan(job, tmp_path):
    with pytest.raises(ItemFailure) as caught:
        job.process(item(tmp_path / "Movies" / "Gone (2000)", "t"))
    assert caught.value.stage == "scan" and "Gone (2000)" in caught.value.message


@pytest.mark.parametrize(
    "poster_path, why",
    [
        ("", "TMDb has no poster for this movie"),
        ("/pale.png", "TMDb's image is PNG, not the JPEG poster.jpg must be"),  # a file that lies
    ],
    ids=["none", "png"],
)
def test_a_poster_tmdb_lacks_or_holds_as_png_is_a_finding_not_a_file(
    fake, job, tmp_path, poster_path, why
):
    """Neither fails the movie; the fanart still comes."""
    fake.add_movie("Pale Poster", "2004-05-06", poster_path=poster_path, id=778)
    folder = tmp_path / "Movies" / "Pale Poster (2004)"
    folder.mkdir(parents=True)
    (folder / "p.mkv").write_bytes(b"x")
    result = job.process(item(folder, "t"))
    assert result.details["files_written"] == ["movie.nfo", "fanart.jpg"]
    assert sorted(p.name for p in folder.iterdir()) == ["fanart.jpg", "movie.nfo", "p.mkv"]
    document = json.loads(MovieOutputs(job.home, result.details["slug"]).json_path.read_text())
    assert [(f["code"], f["message"]) for f in document["findings"]] == [
        ("no-artwork", f"poster.jpg not downloaded: {why}")
    ]


def test_an_offline_run_cannot_finish_artwork_an_online_run_planned(fake, job, tmp_path):
    """A run stopped after planning artwork, resumed with --offline: one clear failure (the
    next online run finishes it), not a crash."""
    folder = tmp_path / "Movies" / "The Matrix (1999)"
    folder.mkdir(parents=True)
    (folder / "matrix.mkv").write_bytes(b"x")
    (folder / "poster.jpg").mkdir()  # in the way: the online run stops at writing it
    online = MovieJob(job.home, job.session, settings=job.settings, artwork=True, overwrite=True)
    token = "session_001:The Matrix (1999)"
    with pytest.raises(ItemFailure) as stopped:
        online.process(item(folder, token))
    assert stopped.value.stage == "write"
    (folder / "poster.jpg").rmdir()
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    offline = MovieJob(job.home, job.session, settings=None, artwork=True, overwrite=True)
    with pytest.raises(ItemFailure) as caught:
        offline.process(item(folder, token))
    assert caught.value.stage == "artwork"
    assert "run without --offline" in caught.value.message
    # It fails before writing anything: the online run's movie.nfo is not written again.
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    again = online.process(item(folder, token))  # online, the same plan finishes
    assert again.details["files_written"] == ["movie.nfo", "poster.jpg", "fanart.jpg"]


PORTAL = b"<!DOCTYPE html><html><body>Log in to the hotel Wi-Fi</body></html>"


def test_a_web_page_in_place_of_artwork_is_the_network_and_never_a_poster(fake, job, tmp_path):
    """A captive portal answering 200 with its login page must never become poster.jpg: the
    image host counts as unreachable, the NFO is written (TMDb itself answered) and the
    artwork is left for --enrich; the run does not go offline for it."""
    folder = tmp_path / "Movies" / "The Matrix (1999)"
    folder.mkdir(parents=True)
    (folder / "matrix.mkv").write_bytes(b"x")
    fake.malformed(times=None, path=fake.images_path, body=PORTAL)
    waiting = job.process(item(folder, "t1"))
    assert (waiting.details["match"], waiting.details["enriched"]) == ("matched", False)
    assert offline_services(job.status_dir, job.session) == []
    assert sorted(p.name for p in folder.iterdir()) == ["matrix.mkv", "movie.nfo"]

    fake.clear_faults()  # the network is back: the page was not cached, the artwork comes
    later = replace(job, session="20240310_movies_001", images_down=None)
    result = later.process(item(folder, "t2"))
    assert result.details["files_written"] == ["poster.jpg", "fanart.jpg"]
    assert (folder / "poster.jpg").read_bytes()[:3] == b"\xff\xd8\xff"


def test_an_answer_that_is_no_image_is_a_finding_not_a_file(fake, job, tmp_path):
    folder = tmp_path / "Movies" / "The Matrix (1999)"
    folder.mkdir(parents=True)
    (folder / "matrix.mkv").write_bytes(b"x")
    fake.malformed(times=None, path=fake.images_path, body=b"Service temporarily unavailable")
    result = job.process(item(folder, "t"))
    assert result.details["files_written"] == ["movie.nfo"]
    assert sorted(p.name for p in folder.iterdir()) == ["matrix.mkv", "movie.nfo"]
    assert result.counts["issues_found"] == 2  # no-artwork, for the poster and the fanart


def test_an_nfo_is_never_written_from_values_that_do_not_fit(fake, job, tmp_path):
    """TMDb's details with hostile values: the NFO holds what fits and nothing else, and the
    movie's result says once what was left out."""
    body = json.dumps(hostile_details(fake)).encode()
    fake.malformed(times=None, path="/3/movie/603", body=body)
    folder = tmp_path / "Movies" / "The Matrix (1999)"
    folder.mkdir(parents=True)
    (folder / "matrix.mkv").write_bytes(b"x")
    result = job.process(item(folder, "t"))
    assert result.details["files_written"] == ["movie.nfo", "poster.jpg", "fanart.jpg"]
    nfo = (folder / "movie.nfo").read_text("utf-8")
    for hostile in ("javascript", "nan", "xxxxxxxx", "\u202e", "passwd", "long", "0001"):
        assert hostile not in nfo.lower(), hostile
    root = ET.fromstring(nfo.encode())
    assert root.findtext("title") == "The Matrix" and root.findtext("genre") == "Action"
    assert [a.findtext("name") for a in root.iter("actor")] == ["Keanu Reeves"]
    assert root.find("tagline") is None and root.find("ratings") is None
    (notice,) = result.notices
    assert notice.startswith("The Matrix (1999): TMDb's answer to the details of movie 603")


def test_a_poster_cut_short_is_a_finding_not_a_file(fake, job, tmp_path):
    """It starts as a JPEG does, but ends halfway: never poster.jpg; the fanart still comes."""
    cut = fake.image_bytes("poster603.jpg")[:80]
    fake.malformed(times=None, path=f"{fake.images_path}/poster603.jpg", body=cut)
    folder = tmp_path / "Movies" / "The Matrix (1999)"
    folder.mkdir(parents=True)
    (folder / "matrix.mkv").write_bytes(b"x")
    result = job.process(item(folder, "t"))
    assert result.details["files_written"] == ["movie.nfo", "fanart.jpg"]
    assert not (folder / "poster.jpg").exists()
    outputs = json.loads(MovieOutputs(job.home, result.details["slug"]).json_path.read_text())
    (missing,) = [f for f in outputs["findings"] if f["code"] == "no-artwork"]
    assert "cut short" in missing["message"]


def test_a_folder_named_in_a_legacy_code_page_is_looked_up_by_its_readable_title(
    fake, job, tmp_path
):
    """``Am\\xe9lie (2001)`` (Windows-1252 bytes, as a Windows copy leaves them): the title
    reached TMDb with its undecodable byte and the movie was left 'not identified', TMDb's
    answer said to be no JSON. Its name is read as Windows-1252, as every name the toolkit
    writes into a tag or a report: Amélie, matched; the folder keeps its own bytes."""
    movies = tmp_path / "Movies"
    movies.mkdir()
    raw = os.path.join(os.fsencode(movies), b"Am\xe9lie (2001)")
    os.mkdir(raw)
    with open(os.path.join(raw, b"Am\xe9lie.mkv"), "wb") as video:
        video.write(b"x")
    result = job.process(item(Path(os.fsdecode(raw)), "t"))
    assert (result.details["match"], result.details["tmdb_id"]) == ("matched", 194)
    nfo = ET.parse(os.fsdecode(os.path.join(raw, b"movie.nfo"))).getroot()
    assert nfo.findtext("title") == "Amélie"


def test_hidden_characters_in_a_folder_name_never_reach_the_search(fake, job, tmp_path):
    """``Amélie\\u200e (2001)``: a left-to-right mark, copied with a title from a web page,
    went into TMDb's query, which then matched nothing. A name's hidden characters are
    spaces in the title it gives."""
    folder = tmp_path / "Movies" / "Am\u00e9lie\u200e\x07 (2001)"
    folder.mkdir(parents=True)
    (folder / "a.mkv").write_bytes(b"x")
    result = job.process(item(folder, "t"))
    assert (result.details["match"], result.details["tmdb_id"]) == ("matched", 194)
    [search] = [r for r in fake.requests if r.path.endswith("/search/movie")]
    assert search.query["query"] == ["Amélie"]
