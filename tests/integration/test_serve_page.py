"""The dashboard page (issue 61) in a real browser: the system's Chromium driven by
Playwright (no browser download). It follows a CLI batch run in another process without
being reloaded, takes a decision, and runs no script from a name read from the library."""

from __future__ import annotations

import pytest

from tests.helpers import build_library
from tests.integration.serving import page_errors, script, serve
from tests.integration.test_decisions_truth import library_spec

sync_api = pytest.importorskip("playwright.sync_api")
EVIL = "<img src=x onerror=alert(1)>"
BIDI = "Bidi \u202eenil"  # a right-to-left override: shown as its escape, never obeyed


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("page")
    spec = library_spec()
    spec[f"{EVIL}/Loose Song.flac"] = {"tags": {"title": "Loose Song"}}  # missing-artist
    spec[f"{BIDI}/Loose Song.flac"] = {"tags": {"title": "Loose Song"}}
    lib = build_library(root / "lib", spec)
    home = root / "home"
    assert script("music", "queue", "--home", home, "--init", "--library", lib).returncode == 0
    server = serve(home)
    yield server
    server.stop()


def test_the_page_follows_a_batch_takes_a_decision_and_runs_no_name(served, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    dialogs, errors = [], page_errors(page)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(served.url + "/")
    assert page.locator('[data-count="music:pending"]').text_content() == "6"
    sync_api.expect(page.locator("#live")).to_have_text("live")

    run = script("music", "batch", "--home", served.home, "--offline")  # another process
    assert run.returncode == 1, run.stdout + run.stderr
    sync_api.expect(page.locator('[data-count="music:completed"]')).to_have_text("6")
    sync_api.expect(page.locator('[data-count="music:pending"]')).to_have_text("0")
    # The decisions the batch left, shown without a reload; the evil name is text.
    evil = page.locator(".group .name", has_text=EVIL)
    sync_api.expect(evil.first).to_be_visible()
    # Live updates keep the severity colours and round as the reports round (issue 70).
    sync_api.expect(page.locator(".group.sev-error .badge.error").first).to_be_visible()
    sync_api.expect(page.locator('[data-field="music:percent"]')).to_have_text("100.0")
    speed = page.locator('[data-field="music:speed"]').text_content()
    assert len(speed.partition(".")[2]) <= 1, speed
    shown = page.locator(".group .name", has_text="Bidi \\u202eenil")
    sync_api.expect(shown.first).to_be_visible()
    assert "\u202e" not in page.locator("body").inner_text()
    total = int(page.locator("#decisions-total").text_content())
    assert total == served.get("/api/decisions").json()["total"]

    acts = page.locator('.acts[data-name="Pink Floyd"][data-code="inconsistent-year"]')
    acts.get_by_role("button", name="Leave as it is").click()
    sync_api.expect(page.locator("#decisions-total")).to_have_text(str(total - 1))
    codes = {(g["code"], n) for g in served.get("/api/decisions").json()["groups"]
             for n in g["items"]}  # fmt: skip
    assert ("inconsistent-year", "Pink Floyd") not in codes

    page.reload()  # the server's own rendering, escaped too
    sync_api.expect(page.locator(".group .name", has_text=EVIL).first).to_be_visible()
    sync_api.expect(page.locator(".group .name", has_text="Bidi \\u202eenil").first).to_be_visible()
    assert "\u202e" not in page.locator("body").inner_text()  # shown as its escape
    assert page.locator("img").count() == 0
    # The buttons carry the real name (issue 69 point 13): the escaped one the page shows
    # names no artist, and the server answered "no completed artist called ...".
    bidi = page.locator(".question", has_text="Bidi \\u202eenil").first
    before = int(page.locator("#decisions-total").text_content())
    code = bidi.locator(".acts").get_attribute("data-code")
    bidi.get_by_role("button", name="Leave as it is").click()
    sync_api.expect(page.locator("#said")).to_contain_text("Decided", timeout=30_000)
    sync_api.expect(page.locator("#decisions-total")).to_have_text(str(before - 1))
    assert not any(g["code"] == code and BIDI in g["items"]
                   for g in served.get("/api/decisions").json()["groups"])  # fmt: skip
    assert dialogs == [] and errors == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # fits a phone
    page.close()
