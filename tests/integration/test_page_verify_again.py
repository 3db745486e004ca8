"""Verify again previewed on the page, in the system's Chromium through a real ``serve``
over a real verify batch that found a damaged FLAC: the preview says what its take does, the
album back to pending for the next verify batch, its one decision closed with it (it said
"would close 0 decisions" and closed it), no file written; taken, the page says it closed."""

from __future__ import annotations

import pytest

from tests.integration.serving import page_errors, serve
from tests.integration.test_decide_verify import MISMATCH, checked_then_damaged
from tests.integration.test_page_views import shot

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
WAIT = 30_000


def test_verify_again_previewed_on_the_page_says_what_its_take_does(tmp_path, browser):
    _, home, _ = checked_then_damaged(tmp_path, "Rotten", backup=False)
    server = serve(home)
    try:
        listed = server.get("/api/decisions?kind=verify").json()
        group = next(g for g in listed["groups"] if g["code"] == MISMATCH)
        decision_id = group["decisions"][0]["id"]
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors = page_errors(page)
        page.goto(server.url + "/")
        question = page.locator(f'.question[data-id="{decision_id}"]')
        question.get_by_role("link", name="Evidence and choices").click()
        again = question.locator('.decision button[data-action=preview][data-choose="2"]')
        expect(again).to_contain_text("verify again", timeout=WAIT)
        again.click()
        preview = question.locator(".preview")
        expect(preview).to_contain_text("would close 1 decision", timeout=WAIT)
        expect(preview).to_contain_text("Band/Rotten goes back to pending for the next verify "
                                        "batch")  # fmt: skip
        expect(preview).to_contain_text("No file would be written.")
        shot(page, "verify-again-preview")
        preview.get_by_role("button", name="Take it").click()
        expect(page.locator("body")).to_contain_text("1 closed", timeout=WAIT)
        assert errors == []
        page.close()
    finally:
        server.stop()
