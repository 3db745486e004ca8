"""Issue 72: a report's page is made when it is read. After a batch no item's page lies on
disk, and a real ``serve`` answers each from the Markdown beside it: the page a batch wrote
before (``report_page`` of that Markdown, byte for byte), with the report pages' own policy;
kept on disk for the next reader; made again once its report changed; and a page asked for
whose report does not exist is no page. Every link of a served index and weekly report leads
to a page that answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mediakeeper.text.report_page import made_from, report_page
from mediakeeper.text.slug import slugify
from mediakeeper.web.served import REPORT_POLICY
from tests.helpers import run_script
from tests.integration.serving import serve


def expected(md: Path) -> bytes:
    """The page of the report ``md`` as it stands: what the batch wrote beside it before."""
    made = made_from(md.read_bytes(), source=md.name, index="index.html")
    page = report_page(md.read_text("utf-8"), source=md.name, index="index.html", made=made)
    return page.encode()


@pytest.fixture
def server(processed):
    home, _ = processed
    server = serve(home)
    yield server
    server.stop()


def test_a_page_no_batch_made_is_made_when_served(server):
    home = server.home
    issues = home / "issues" / "music"
    md = issues / f"{slugify('Pink Floyd')}.md"
    assert md.is_file() and not md.with_suffix(".html").exists()
    assert [p.name for p in issues.glob("*.html") if not p.name.startswith("index")] == []

    answer = server.get(f"/issues/music/{md.stem}.html")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["content-security-policy"] == REPORT_POLICY
    assert answer.content == expected(md)
    assert md.with_suffix(".html").read_bytes() == answer.content  # kept for the next reader
    assert server.get(f"/issues/music/{md.stem}.md").text == md.read_text("utf-8")

    took = run_script("decide.py", "--home", home, "music", "Pink Floyd", "--choose", "2")
    assert took.returncode == 0, took.stderr
    again = server.get(f"/issues/music/{md.stem}.html")
    assert again.status_code == 200 and again.content == expected(md) != answer.content
    assert "1974" in again.text

    # A report changed behind a page (a page made from other text): made again when served.
    md.write_text(md.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    third = server.get(f"/issues/music/{md.stem}.html")
    assert third.content == expected(md) and b"One more line." in third.content

    for missing in ("nobody-00000000.html", "nobody-00000000.md", ".hidden.html"):
        assert server.get(f"/issues/music/{missing}").status_code == 404


def test_every_link_of_the_served_index_and_weekly_report_answers(server):
    """The index on disk links the Markdown of reports whose pages are not made; served, every
    report link opens a page (made on the way)."""
    index = server.get("/issues/music/index.html")
    assert index.status_code == 200
    links = re.findall(r'href="([^"]+)"', index.text)
    reports = [link for link in links if re.fullmatch(r"[a-z0-9-]+\.html", link)]
    assert len(reports) >= 4, links
    for link in reports:
        page = server.get(f"/issues/music/{link}")
        assert page.status_code == 200 and page.content.startswith(b"<!DOCTYPE html>")
    weekly = server.get("/reports/weekly")
    assert weekly.status_code == 200
    linked = re.findall(r'href="\.\./\.\./(issues/[^"]+)"', weekly.text)
    assert linked and all(link.endswith(".html") for link in linked), linked
    for link in linked:
        assert server.get(f"/{link}").status_code == 200


def test_an_issue_folder_as_typed_leads_to_its_index(server):
    """``/issues/music/`` and ``/issues/music`` (a person going up from a report, or typing
    it) were 404: each leads to the index; a kind with no reports is still no page."""
    for asked in ("/issues/music/", "/issues/music"):
        answer = server.get(asked)
        assert answer.status_code == 200, (asked, answer.status_code)
        assert answer.url.endswith("/issues/music/index.html"), answer.url
        assert answer.history and answer.history[0].status_code in (302, 307)
    for missing in ("/issues/movies/", "/issues/..%2F/", "/issues/.hidden/"):
        assert server.get(missing).status_code == 404, missing
