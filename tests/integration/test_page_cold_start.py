"""A person who starts ``serve`` on a large home and opens the page at once (issue 70): the
page answers while the server still reads the queues for the first time, shows what it holds
so far and says how far the read is (N of M items), then fills in by itself, without a
reload. A real ``serve`` reading a real queue file of 60,000 items, the page in the system's
Chromium; no timing asserted (the read is long against a page's load at this size)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from mediakeeper.core.decisions import ALBUMS_ASKED
from mediakeeper.queue.items import new_item, new_queue
from mediakeeper.queue.store import QueueStore
from mediakeeper.web.page import SHOWN_PER_GROUP
from tests.integration.serving import page_errors, serve

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
ITEMS = 60_000
WAIT = 120_000  # ms the whole first read may take on a loaded machine
CODES = ("missing-year", "track-gap", "whitespace")


@pytest.fixture
def large_home(tmp_path):
    """A music queue of ``ITEMS`` completed artists, each asking one question (its queue
    details say which, as a job writes them: no output document needed to count or name it)."""
    home = tmp_path / "home"
    now = datetime.now(UTC)
    items = []
    for n in range(ITEMS):
        name = f"Artist {n:05d}"
        item = new_item(name, name, f"/music/{name}")
        item.update(status="completed", attempts=1, completed_at=now.isoformat(),
                    details={"slug": f"artist-{n:05d}",
                             "finding_counts": {CODES[n % len(CODES)]: [1, 0]},
                             ALBUMS_ASKED: {}})  # as a job writes it: its own question  # fmt: skip
        items.append(item)
    QueueStore(home / "status" / "music", "music").create(new_queue("music", "/music", items, now))
    return home


def test_the_page_shows_what_is_read_so_far_then_fills_in(large_home, browser, tmp_path):
    server = serve(large_home)
    try:
        page = browser.new_page()
        errors = page_errors(page)
        page.goto(server.url + "/")
        reading = page.locator("#reading")
        expect(reading).to_have_text(
            re.compile(r"^Still reading the queues: [\d,]+ of 60,000 items so far\. "))
        said = int(reading.text_content().split(": ")[1].split(" of ")[0].replace(",", ""))
        assert said < ITEMS
        assert int(page.locator("#decisions-total").text_content().replace(",", "")) < ITEMS  # held
        # No percentage of a part read: the reports' figure comes once it is whole.
        expect(page.locator('#activity .now[data-kind="music"]')).to_contain_text("counting")
        page.screenshot(path=str(tmp_path / "reading.png"), full_page=True)
        # The whole of it, without a reload: the note gone, every question counted.
        expect(reading).to_have_count(0, timeout=WAIT)
        expect(page.locator("#decisions-total")).to_have_text(f"{ITEMS:,}")  # as a person reads it
        expect(page.locator('[data-field="music:percent"]')).to_have_text("100.0")
        expect(page.locator("#activity[data-counting]")).to_have_count(0)
        # Every count as a person reads it, the queue's too once the live page updated it.
        expect(page.locator('[data-count="music:completed"]')).to_have_text(f"{ITEMS:,}")
        more = ITEMS // len(CODES) - SHOWN_PER_GROUP
        expect(page.locator("#groups")).to_contain_text(f"and {more:,} more")
        groups = page.locator("#groups article.group h2")
        expect(groups).to_have_count(len(CODES))
        for code in CODES:
            expect(page.locator(f'#groups article[data-code="{code}"] h2')).to_contain_text(
                f"· {ITEMS // len(CODES):,}")
        assert server.get("/api/decisions").json()["total"] == ITEMS
        page.screenshot(path=str(tmp_path / "whole.png"), full_page=True)
        # A group's preview counts as the page does (nothing is taken).
        each = ITEMS // len(CODES)
        page.locator(f'.group-acts[data-code="{CODES[0]}"]').get_by_role("button").first.click()
        expect(page.locator("dialog#ask")).to_contain_text(
            f"for {each:,} decisions in {each:,} items: no file would be written; {each:,} would "
            "be closed", timeout=WAIT)
        page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)
        assert errors == []
    finally:
        server.stop()


def test_the_api_answers_only_once_the_queues_are_read_whole(large_home):
    """A script's answer is never partial: ``/api/decisions`` and the queue's counts asked
    at once wait for the first read."""
    server = serve(large_home)
    try:
        assert server.get("/api/decisions").json()["total"] == ITEMS
        assert server.get("/api/queues").json()["music"]["completed"] == ITEMS
    finally:
        server.stop()
