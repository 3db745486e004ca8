"""A movie's candidates with their posters on the page (issue 70: "for a movie, each
candidate's title, year, poster and overview"), in the system's Chromium through a real
``serve`` over a real movie batch against a fake TMDb (its API and its image server, the
addresses ``[tmdb] url`` and ``[tmdb] posters_url`` point at): each poster fetched once
through the toolkit's TMDb session and kept under ``status/cache/``, served by the page's
own server; nothing fetched that no open decision's candidate names; a poster that cannot
be had (a captive portal's page, one past the size bound) a placeholder, the page whole."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import REPO_ROOT
from tests.integration.serving import page_errors, serve
from tests.integration.test_decide_kinds import movie_env
from tests.integration.test_page_views import serious_findings, shot
from tests.servers.base import COVER_JPEG
from tests.servers.tmdb import FakeTMDb

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
WAIT = 30_000
PORTAL = b"<!doctype html><html><body>Sign in to the hotel's network</body></html>"


@pytest.fixture
def solaris(tmp_path):
    """Two TMDb movies called Solaris for one folder (an ambiguous match); the folder keeps a
    poster.jpg of its own; served, the fake TMDb still answering."""
    lib, home = tmp_path / "Movies", tmp_path / "home"
    (lib / "Solaris").mkdir(parents=True)
    (lib / "Solaris" / "solaris.mkv").write_bytes(b"not really a video")
    with FakeTMDb() as fake:
        (lib / "Solaris" / "poster.jpg").write_bytes(fake.image_bytes("own-poster.jpg"))
        env = {**movie_env(fake), "MEDIAKEEPER_TMDB_POSTERS_URL": fake.images_url}
        batch = subprocess.run(
            [sys.executable, "utilities/process_movie_batch.py", "--home", str(home),
             "--library", str(lib)],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert batch.returncode == 1, batch.stdout + batch.stderr
        server = serve(home, env=env)
        try:
            yield server, fake, lib
        finally:
            server.stop()


def match_of(server) -> dict:
    listed = server.get("/api/decisions?kind=movies").json()
    group = next(g for g in listed["groups"] if g["code"] == "ambiguous-match")
    return server.get(f"/api/decisions/{group['decisions'][0]['id']}").json()


def opened(page, server, decision_id: str):
    page.goto(server.url + "/")
    question = page.locator(f'.question[data-id="{decision_id}"]')
    question.get_by_role("link", name="Evidence and choices").click()
    posters = question.locator(".candidates img.poster")
    expect(posters).to_have_count(2, timeout=WAIT)
    # Each picture loaded (a poster or the placeholder): none shown broken.
    page.wait_for_function(
        "els => els.every(e => e.complete && e.naturalWidth > 0)",
        arg=posters.element_handles(), timeout=WAIT,
    )  # fmt: skip
    return question, posters


def image_requests(fake) -> list[str]:
    return [r.path for r in fake.requests_to(fake.images_path + "/")]


def test_each_candidate_is_shown_with_its_poster_fetched_once(solaris, browser):
    server, fake, lib = solaris
    match = match_of(server)
    candidates = {c["id"]: c for c in match["details"]["candidates"]}
    assert {c["poster_path"] for c in candidates.values()} == {"/poster593.jpg", "/poster2103.jpg"}
    fake.clear_requests()
    page = browser.new_page(viewport={"width": 390, "height": 844})  # under the page's policy
    errors = page_errors(page)
    question, posters = opened(page, server, match["id"])
    expect(question.locator(".candidates")).to_contain_text("Solaris (1972)")
    expect(question.locator(".candidates")).to_contain_text("Солярис")
    for n in range(2):
        src = posters.nth(n).get_attribute("src")
        tmdb_id = int(src.rsplit("/", 1)[1])
        answer = server.get(src)
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
        assert answer.content == fake.image_bytes(f"poster{tmdb_id}.jpg")
        assert posters.nth(n).get_attribute("alt") == "Poster of Solaris"
    # Each fetched once, through the toolkit's session; asked again, answered from its cache.
    assert sorted(image_requests(fake)) == ["/t/p/original/poster2103.jpg",
                                            "/t/p/original/poster593.jpg"]  # fmt: skip
    assert (server.home / "status" / "cache" / "posters.sqlite").is_file()
    page.reload()
    opened(page, server, match["id"])
    assert len(image_requests(fake)) == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "posters-phone")
    # The library shows the folder's own poster.jpg as its cover.
    page.goto(server.url + "/library?kind=movies")
    cover = page.locator('.item[data-key="Solaris"] img.cover')
    expect(cover).to_have_count(1)
    own = (lib / "Solaris" / "poster.jpg").read_bytes()
    assert server.get(cover.get_attribute("src")).content == own
    assert errors == []
    page.close()
    checked = browser.new_page(bypass_csp=True)  # axe-core let in, for itself only
    opened(checked, server, match["id"])
    assert serious_findings(checked) == []
    checked.close()


def test_nothing_is_fetched_that_no_open_decision_names(solaris):
    server, fake, _ = solaris
    match = match_of(server)
    other = next(g["decisions"][0]["id"]
                 for g in server.get("/api/decisions?kind=movies").json()["groups"]
                 if g["code"] != "ambiguous-match")  # fmt: skip
    fake.clear_requests()
    for path in (
        f"/decisions/{match['id']}/posters/949",  # a movie TMDb has, not a candidate of it
        f"/decisions/{other}/posters/593",  # a candidate, of another decision
        "/decisions/d1.bm90IGFuIGlk/posters/593",  # no decision's id
        f"/decisions/{match['id']}x/posters/593",
    ):
        answer = server.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("image/svg+xml")  # the placeholder
    assert server.get(f"/decisions/{match['id']}/posters/..%2F..%2Fetc").status_code == 404
    assert image_requests(fake) == []
    # Taken, the decision names no poster any more.
    took = server.post("/api/decisions", {"id": match["id"], "choose": 1})
    assert took.status_code == 200, took.text
    assert server.get(f"/decisions/{match['id']}/posters/593").status_code == 404
    assert image_requests(fake) == []


def big_jpeg(size: int) -> bytes:
    """A whole JPEG of more than ``size`` bytes: comment segments before its picture."""
    comment = b"\xff\xfe" + (65_535).to_bytes(2, "big") + b"x" * 65_533
    return COVER_JPEG[:2] + comment * (size // len(comment) + 1) + COVER_JPEG[2:]


def test_a_poster_that_cannot_be_had_is_a_placeholder(solaris, browser):
    server, fake, _ = solaris
    match = match_of(server)
    fake.malformed(path=fake.images_path + "/poster593.jpg", body=PORTAL, times=None)
    fake.malformed(path=fake.images_path + "/poster2103.jpg", body=big_jpeg(5 * 2**20),
                   times=None)  # fmt: skip
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    errors = page_errors(page)
    question, posters = opened(page, server, match["id"])
    for n in range(2):
        answer = server.get(posters.nth(n).get_attribute("src"))
        assert answer.status_code == 502
        assert answer.headers["content-type"].startswith("image/svg+xml")
        assert b"No poster" in answer.content
    # The rest of the decision is whole: its choices previewed as ever.
    question.locator(".decision button[data-action=preview]").first.click()
    expect(question.locator(".preview")).to_contain_text("goes back to pending", timeout=WAIT)
    shot(page, "posters-placeholder-desktop")
    # What was refused was not kept: once TMDb answers with the picture, it is shown.
    fake.clear_faults()
    answer = server.get(posters.first.get_attribute("src"))
    assert answer.status_code == 200 and answer.content == fake.image_bytes("poster593.jpg")
    assert errors == []
    page.close()
