"""The decision view and the library view as a screen reader gives them (Chromium's
accessibility tree through CDP: ``serving.described``), on a copy of the demo's home served
for real: every button and link told apart by what it acts on, the question a heading under
its item's, no empty landmark, and the focus kept where a keyboard goes on after an action
(an answer taken, undone, a failed item retried), never dropped to the page's top."""

from __future__ import annotations

import pytest

from mediakeeper.text.render import shown
from tests.integration.serving import described, page_errors
from tests.integration.test_page_views import serious_findings

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
WAIT = 30_000
FOCUSED = "document.activeElement === document.body ? 'body' : document.activeElement.outerHTML"


def decision_of(server, code: str) -> dict:
    listed = server.get("/api/decisions").json()["groups"]
    return next(g for g in listed if g["code"] == code)["decisions"][0]


def test_a_decision_s_view_read_by_a_screen_reader(served_demo, browser):
    d = decision_of(served_demo, "missing-artist")
    page = browser.new_page(bypass_csp=True)  # axe-core let in past the policy
    errors = page_errors(page)
    page.goto(served_demo.url + f"/decisions/{d['id']}")
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT)
    # Its item, then its question: the headings a screen reader moves by.
    main = page.locator("main")
    expect(main.get_by_role("heading", level=1)).to_have_text(d["item"])
    expect(main.get_by_role("heading", level=2)).to_contain_text(d["question"])
    # Each button of the answer is told by its item and question; its report link names it.
    about = f"{d['item']} {d['question']}"
    acts = {(role, name): text for role, name, text in described(page)}
    assert acts[("button", "Leave as it is")] == about
    assert acts[("button", "Preview")] == about
    assert ("link", f"Its report on {d['item']}") in acts
    assert serious_findings(page) == []

    # The set box's scope is named by what it sets (its label alone read "for").
    assert main.get_by_role("combobox", name="Set artist for").count() == 1
    # Previewed, its Take it is told by the same; cancelled, the focus goes back to the
    # choice previewed; taken, to the view's heading (the decision gone from it), never to
    # the page's top.
    leave = main.get_by_role("button", name="Leave as it is")
    leave.click()
    expect(main.get_by_role("button", name="Cancel")).to_be_visible(timeout=WAIT)
    main.get_by_role("button", name="Cancel").click()
    expect(leave).to_be_focused()
    leave.click()
    take = main.get_by_role("button", name="Take it")
    expect(take).to_be_focused(timeout=WAIT)
    acts = {(role, name): text for role, name, text in described(page)}
    assert acts[("button", "Take it")] == about and acts[("button", "Cancel")] == about
    page.keyboard.press("Enter")
    expect(page.locator("#said")).to_contain_text("1 closed", timeout=WAIT)
    expect(page.locator("#undo-last button")).to_be_visible()
    expect(page.locator("#one-decision h1")).to_be_focused(timeout=WAIT)
    # The view still names its item (it said "A decision" once the decision was gone).
    expect(page.locator("#one-decision h1")).to_have_text(d["item"])
    expect(page).to_have_title(f"{d['item']} · a decision · mediakeeper")
    assert serious_findings(page) == []

    # Undone from the foot of the window: the question is back, the focus on its heading.
    page.locator("#undo-last button").click()
    expect(page.locator("#said")).to_contain_text("Undone", timeout=WAIT)
    expect(main.get_by_role("button", name="Leave as it is")).to_be_visible(timeout=WAIT)
    expect(page.locator("#one-decision h1")).to_be_focused(timeout=WAIT)
    assert errors == []
    page.close()


def test_the_library_read_by_a_screen_reader(served_demo, browser):
    page = browser.new_page(bypass_csp=True)
    errors = page_errors(page)
    page.goto(served_demo.url + "/library?kind=conversions")
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT)
    items = served_demo.get("/api/queues/conversions/items").json()["items"]
    # Each name as the page shows it ("AC⧸DC", a folder's stand-in for "/", shown as "AC/DC").
    failed = sorted(shown(i["name"]) for i in items if i["status"] == "error")
    reported = [shown(i["name"]) for i in items if i["status"] == "completed"]
    seen = described(page)
    # Each report link names its item; each Retry and Skip is told by the item's name.
    reports = [name for role, name, _ in seen if role == "link" and name.startswith("report")]
    assert sorted(reports) == sorted(f"report on {name}" for name in reported)
    for act in ("Retry", "Skip"):
        assert sorted(text for role, name, text in seen if (role, name) == ("button", act)) \
            == failed  # fmt: skip
    # One page of items: no navigation landmark with nothing in it.
    assert page.get_by_role("navigation", name="Pages").count() == 0
    assert serious_findings(page) == []

    # Retried: the item's row is read again (its link has the focus), not the page's top.
    row = page.locator("#items li", has_text=failed[0])
    row.get_by_role("button", name="Retry").click()
    expect(page.locator("#said")).to_contain_text(f"Back to pending: {failed[0]}", timeout=WAIT)
    expect(row.locator(".badge")).to_have_text("pending", timeout=WAIT)
    expect(row.locator("a.name")).to_be_focused(timeout=WAIT)
    assert errors == []
    page.close()
