"""Where the keyboard's focus goes on the overview after each act that takes a row away or
brings one back (a question left as it is, a choice taken, a whole group answered, a failed
item retried, each undone from the Undo at the foot of the window; the view rendered anew
by a batch's events), driven with keys alone (Tab, Enter, Space) in the system's Chromium
through a real ``serve``. The focus fell to the page's top (``body``) after an Undo, a
failed item's Retry, the last question answered and a live re-rendering: a keyboard or a
screen reader lost its place. It now goes to what was restored, or what stands in the place
of what went, in sight above the bar at the foot of the window."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import run_script
from tests.integration.serving import page_errors, serve
from tests.integration.test_decisions_truth import album, library_spec
from tests.integration.test_page_views import serious_findings

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
WAIT = 30_000
SHORT = {"width": 900, "height": 420}  # a short window: the rows acted on lie at its foot
FOCUSED = "document.activeElement === document.body ? 'body' : document.activeElement.outerHTML"


@pytest.fixture
def served(tmp_path, music_library):
    """The decisions library (two questions of one code: a group) after one offline batch;
    served."""
    spec = library_spec()
    spec["Pink Floyd/1973 - Dark Side/untitled.flac"] = {"tags": {}}
    server = serving(tmp_path, music_library, spec)
    yield server
    server.stop()


def serving(tmp_path, music_library, spec: dict):
    """The library ``spec`` after one offline batch (questions left: exit 1), served."""
    music_library(tmp_path / "lib", spec)
    home = tmp_path / "home"
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
                       "--offline")  # fmt: skip
    assert batch.returncode == 1, batch.stdout + batch.stderr
    return serve(home)


def opened(server, browser):
    page = browser.new_page(viewport=SHORT, bypass_csp=True)  # axe-core let in past the policy
    errors = page_errors(page)
    page.goto(server.url + "/")
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT)
    return page, errors


def tab_to(page, selector: str, *, back: bool = False) -> None:
    """Tab (Shift+Tab: ``back``) until the focus is on ``selector``, as a keyboard gets there."""
    for _ in range(300):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"no Tab reaches {selector}")


def in_sight(page, selector: str) -> bool:
    """Whether the focused element ``selector`` is in the window and not under the bar at its
    foot (what the page says and its Undo)."""
    return page.evaluate("""s => {
        const el = document.querySelector(s), bar = document.getElementById("told");
        const r = el.getBoundingClientRect(), b = bar.getBoundingClientRect();
        const covers = getComputedStyle(bar).display !== "none" ? b.top : innerHeight;
        return el === document.activeElement && r.top >= 0 && r.top < covers
          && r.bottom <= covers + 1;
    }""", selector)  # fmt: skip


def shot(page, name: str) -> None:
    """The window as a person sees it, kept where MEDIAKEEPER_SCREENSHOTS says."""
    folder = os.environ.get("MEDIAKEEPER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"focus-{name}.png"))


def question(decision_id: str) -> str:
    return f'.question[data-id="{decision_id}"]'


def test_an_undo_at_the_foot_of_the_window_gives_the_focus_to_the_question_restored(
    served, browser
):
    page, errors = opened(served, browser)
    order = page.eval_on_selector_all(".question", "els => els.map(e => e.dataset.id)")
    last = order[-1]
    name = page.locator(f"{question(last)} .name").text_content()
    tab_to(page, f'{question(last)} button[data-action="dismiss"]')
    page.keyboard.press("Enter")
    expect(page.locator("#said")).to_contain_text("closed", timeout=WAIT)
    expect(page.locator(question(last))).to_have_count(0)
    # The question before it (now the last) has the focus, in sight above the bar.
    expect(page.locator(question(order[-2]))).to_be_focused(timeout=WAIT)
    assert in_sight(page, question(order[-2]))
    shot(page, "dismissed-at-the-foot")
    tab_to(page, "#undo-last button", back=True)
    page.keyboard.press("Space")
    said = page.locator("#said")
    expect(said).to_contain_text("Undone", timeout=WAIT)
    # Said what was undone: the item and what was done to it, and what came back.
    expect(said).to_contain_text(f"Undone {name}: left as it is")
    expect(said).to_contain_text(": 1 question open again.")
    expect(page.locator(question(last))).to_be_focused(timeout=WAIT)
    assert in_sight(page, question(last))
    shot(page, "undone-at-the-foot")
    # From there a Tab goes on within the question restored, not from the page's top.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.question')?.dataset.id") == last
    assert serious_findings(page) == []
    assert errors == []
    page.close()


def test_a_choice_taken_and_undone_with_keys_gives_the_focus_back_to_its_question(
    served, browser
):
    page, errors = opened(served, browser)
    order = page.eval_on_selector_all(".question", "els => els.map(e => e.dataset.id)")
    last = order[-1]
    tab_to(page, f'{question(last)} a[data-action="open"]')
    page.keyboard.press("Enter")  # its evidence and choices, the first choice focused
    expect(page.locator(f"{question(last)} .decision button").first).to_be_focused(
        timeout=WAIT)  # fmt: skip
    page.keyboard.press("Enter")  # its preview, Take it focused
    take = page.locator(f"{question(last)} .preview").get_by_role("button", name="Take it")
    expect(take).to_be_focused(timeout=WAIT)
    page.keyboard.press("Space")
    expect(page.locator("#said")).to_contain_text("closed", timeout=WAIT)
    expect(page.locator(question(order[-2]))).to_be_focused(timeout=WAIT)
    page.keyboard.press("u")
    expect(page.locator("#said")).to_contain_text("Undone", timeout=WAIT)
    expect(page.locator(question(last))).to_be_focused(timeout=WAIT)
    assert in_sight(page, question(last))
    assert errors == []
    page.close()


def test_the_last_question_answered_leaves_the_focus_on_what_needs_you(served, browser):
    """No question left in its place: the focus goes to the view's heading, which says
    what needs you now, not to the page's top; the Undo brings the question back to it."""
    page, errors = opened(served, browser)
    order = page.eval_on_selector_all(".question", "els => els.map(e => e.dataset.id)")
    for other in order[:-1]:  # answered elsewhere (a terminal)
        assert served.post("/api/decisions", {"id": other, "dismiss": True}).status_code == 200
    expect(page.locator(".question")).to_have_count(1, timeout=WAIT)
    tab_to(page, f'{question(order[-1])} button[data-action="dismiss"]')
    page.keyboard.press("Enter")
    expect(page.locator("#groups")).to_contain_text("Nothing to decide", timeout=WAIT)
    expect(page.locator("#decisions-title")).to_be_focused(timeout=WAIT)
    tab_to(page, "#undo-last button", back=True)
    page.keyboard.press("Enter")
    expect(page.locator(question(order[-1]))).to_be_focused(timeout=WAIT)
    assert errors == []
    page.close()


def test_a_whole_group_answered_and_undone_with_keys(served, browser):
    page, errors = opened(served, browser)
    group = next(g for g in served.get("/api/decisions").json()["groups"] if g["count"] > 1)
    where = f'.group[data-kind="{group["kind"]}"][data-code="{group["code"]}"]'
    tab_to(page, f'{where} button[data-action="group-preview"]')
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#ask")
    expect(dialog).to_be_visible(timeout=WAIT)
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Take it")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#said")).to_contain_text("The whole group", timeout=WAIT)
    expect(page.locator(where)).to_have_count(0)
    page.wait_for_function("document.activeElement.matches('.question, #decisions-title')",
                           timeout=WAIT)  # fmt: skip
    tab_to(page, "#undo-last button", back=True)
    page.keyboard.press("Enter")
    expect(page.locator("#said")).to_contain_text("Undone the whole group", timeout=WAIT)
    expect(page.locator("#said")).to_contain_text(": left as it is (session ")
    expect(page.locator("#said")).not_to_contain_text("dismissed")
    # The group is back, the focus on its first question.
    expect(page.locator(f"{where} .question").first).to_be_focused(timeout=WAIT)
    assert errors == []
    page.close()


def test_a_failed_item_retried_and_undone_keeps_the_focus_among_the_failed(served_demo, browser):
    page, errors = opened(served_demo, browser)
    failures = page.locator('[data-failures="conversions"] li')
    expect(failures).to_have_count(2)
    first, second = (failures.nth(n).locator("strong").text_content() for n in (0, 1))
    tab_to(page, '[data-failures="conversions"] li:first-child button[data-action="retry"]')
    page.keyboard.press("Enter")
    expect(page.locator("#said")).to_contain_text(f"Back to pending: {first}.", timeout=WAIT)
    expect(failures).to_have_count(1)
    # The failed item now in its place has the focus (its link, the row's first control).
    row = page.locator('[data-failures="conversions"] li', has_text=second)
    expect(row.locator("a").first).to_be_focused(timeout=WAIT)
    shot(page, "retried")
    tab_to(page, "#undo-last button", back=True)
    page.keyboard.press("Space")
    expect(page.locator("#said")).to_contain_text(f"Undone {first}: back to pending",
                                                  timeout=WAIT)  # fmt: skip
    expect(failures).to_have_count(2)
    back = page.locator('[data-failures="conversions"] li', has_text=first)
    expect(back.locator("a").first).to_be_focused(timeout=WAIT)
    shot(page, "retry-undone")
    assert serious_findings(page) == []
    assert errors == []
    page.close()


def test_a_view_rendered_anew_by_a_batch_keeps_the_focus_where_it_was(served, browser):
    """A batch's events render the view anew (its counts, a queue's left-out line): the
    focus on a question's button stays on that button, not on the page's top."""
    page, errors = opened(served, browser)
    order = page.eval_on_selector_all(".question", "els => els.map(e => e.dataset.id)")
    button = f'{question(order[-1])} button[data-action="dismiss"]'
    tab_to(page, button)
    page.evaluate("window.groupsBefore = document.getElementById('groups')")
    # Another question answered elsewhere: a decision event, the view rendered anew.
    assert served.post("/api/decisions", {"id": order[0], "dismiss": True}).status_code == 200
    page.wait_for_function("document.getElementById('groups') !== window.groupsBefore",
                           timeout=WAIT)  # fmt: skip
    expect(page.locator(button)).to_be_focused(timeout=WAIT)
    assert errors == []
    page.close()


def test_a_session_undone_on_the_recent_changes_keeps_the_focus_on_its_row(served, browser):
    """Its Undo goes as the session is undone: the focus goes to the session's row, which
    now says it is undone, not to the page's top; and stays on it as the view is rendered
    anew (the undo's own event came a second later, and the focus fell to the page's top)."""
    order = [d["id"] for g in served.get("/api/decisions").json()["groups"] for d in g["decisions"]]
    taken = served.post("/api/decisions", {"id": order[0], "dismiss": True}).json()
    page = browser.new_page(viewport=SHORT, bypass_csp=True)  # wait_for_function
    errors = page_errors(page)
    page.goto(served.url + "/changes")
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT)
    row = f'#changes li[data-session="{taken["session"]}"]'
    tab_to(page, f'{row} button[data-action="undo"]')
    page.keyboard.press("Enter")
    expect(page.locator("#said")).to_contain_text(f"Undone {taken['session']}", timeout=WAIT)
    expect(page.locator(row)).to_contain_text("Undone", timeout=WAIT)
    expect(page.locator(row)).to_be_focused(timeout=WAIT)
    page.evaluate("window.changesBefore = document.getElementById('changes')")
    # Another answer elsewhere: a decision event, the view rendered anew.
    assert served.post("/api/decisions", {"id": order[1], "dismiss": True}).status_code == 200
    page.wait_for_function("document.getElementById('changes') !== window.changesBefore",
                           timeout=WAIT)  # fmt: skip
    expect(page.locator(row)).to_be_focused(timeout=WAIT)
    assert errors == []
    page.close()


def test_the_status_line_is_heard_from_its_first_word(served, browser):
    """What the page says of an act (taken, undone) is a live region: a screen reader reads
    what changes in one it already knows. Hidden from it (display: none) until its first
    word, that first word came with the region itself and could go unheard; it is now in the
    accessibility tree from the start, and the bar at the foot of the window still shows
    only once it says something."""
    page = browser.new_page(viewport=SHORT)
    page.goto(served.url + "/")
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT)
    tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    status = [n for n in tree if n.get("role", {}).get("value") == "status"]
    assert [n.get("ignored", False) for n in status] == [False]
    bar = page.locator("#told").bounding_box()
    assert bar is None or bar["height"] <= 1  # nothing in sight while nothing is said
    page.close()


def test_a_question_opened_in_place_stays_open_through_a_new_rendering(served, browser):
    """A question's evidence and choices opened, its preview shown with Take it focused: a
    batch's event rendered the view anew with every question closed, the preview gone and
    the focus with it. The question stays open, Take it keeps the focus and takes it."""
    page, errors = opened(served, browser)
    order = page.eval_on_selector_all(".question", "els => els.map(e => e.dataset.id)")
    last = order[-1]
    tab_to(page, f'{question(last)} a[data-action="open"]')
    page.keyboard.press("Enter")
    expect(page.locator(f"{question(last)} .decision button").first).to_be_focused(
        timeout=WAIT)  # fmt: skip
    page.keyboard.press("Enter")
    take = page.locator(f"{question(last)} .preview").get_by_role("button", name="Take it")
    expect(take).to_be_focused(timeout=WAIT)
    page.evaluate("window.groupsBefore = document.getElementById('groups')")
    assert served.post("/api/decisions", {"id": order[0], "dismiss": True}).status_code == 200
    page.wait_for_function("document.getElementById('groups') !== window.groupsBefore",
                           timeout=WAIT)  # fmt: skip
    expect(page.locator(question(order[0]))).to_have_count(0)
    expect(take).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#said")).to_contain_text("closed", timeout=WAIT)
    expect(page.locator(question(last))).to_have_count(0)
    assert errors == []
    page.close()


def test_a_question_left_as_it_is_from_its_preview_is_undone_in_one_sentence(served, browser):
    """Its Leave as it is previewed, then taken: the undo said ``Undone ITEM: dismissed:
    left as it is`` (the engine's record of a dismissal after a colon of the page's own).
    It says what its d key's undo says, one colon to the act."""
    page, errors = opened(served, browser)
    last = page.eval_on_selector_all(".question", "els => els.map(e => e.dataset.id)")[-1]
    name = page.locator(f"{question(last)} .name").text_content()
    tab_to(page, f'{question(last)} a[data-action="open"]')
    page.keyboard.press("Enter")
    leave = page.locator(f'{question(last)} .decision button[data-dismiss="1"]')
    expect(leave).to_be_visible(timeout=WAIT)
    tab_to(page, f'{question(last)} .decision button[data-dismiss="1"]')
    page.keyboard.press("Enter")
    take = page.locator(f"{question(last)} .preview").get_by_role("button", name="Take it")
    expect(take).to_be_focused(timeout=WAIT)
    page.keyboard.press("Enter")
    said = page.locator("#said")
    expect(said).to_contain_text(f"Decided {name}: 1 closed.", timeout=WAIT)
    page.keyboard.press("u")
    expect(said).to_contain_text("Undone", timeout=WAIT)
    expect(said).to_contain_text(f"Undone {name}: left as it is (session ")
    expect(said).to_contain_text(": 1 question open again.")
    expect(said).not_to_contain_text("dismissed")
    expect(page.locator(question(last))).to_be_focused(timeout=WAIT)
    shot(page, "preview-left-undone")
    assert errors == []
    page.close()


def test_a_library_row_retried_and_undone_from_the_library_takes_the_focus_back(
    served_demo, browser
):
    """A failed conversion retried from the library's list of the failed (its row gone from
    it, back to pending: the count has the focus), then undone from the Undo at the foot of
    the window: the row brought back has the focus (its link), in sight, not the page's top."""
    page = browser.new_page(viewport=SHORT)
    errors = page_errors(page)
    page.goto(served_demo.url + "/library?kind=conversions&status=error")
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT)
    rows = page.locator("#items [data-key]")
    expect(rows).to_have_count(2)
    key = rows.nth(1).get_attribute("data-key")
    name = rows.nth(1).locator("a.name").text_content()
    row = f'#items [data-key="{key}"]'
    tab_to(page, f'{row} button[data-action="retry"]')
    page.keyboard.press("Enter")
    said = page.locator("#said")
    expect(said).to_contain_text(f"Back to pending: {name}.", timeout=WAIT)
    expect(page.locator(row)).to_have_count(0)  # the list shows the failed alone
    expect(page.locator("#matches")).to_be_focused(timeout=WAIT)
    shot(page, "library-retried")
    tab_to(page, "#undo-last button", back=True)
    page.keyboard.press("Enter")
    expect(said).to_contain_text(f"Undone {name}: back to pending", timeout=WAIT)
    expect(page.locator(row)).to_have_count(1, timeout=WAIT)
    expect(page.locator(f"{row} a.name")).to_be_focused(timeout=WAIT)
    assert in_sight(page, f"{row} a.name")
    shot(page, "library-retry-undone")
    assert errors == []
    page.close()


def test_a_decision_s_view_rendered_anew_keeps_the_focus_on_its_heading(served, browser):
    """An undo, or a take, on a decision's own view puts the focus on its heading; a batch's
    event then rendering the view anew (here: another question answered elsewhere) replaced
    the heading and the focus fell to the page's top (seen in one CI run, the event's
    rendering landing after the undo's own). The new heading takes it."""
    order = [d["id"] for g in served.get("/api/decisions").json()["groups"] for d in g["decisions"]]
    page = browser.new_page(viewport=SHORT, bypass_csp=True)  # (a function waited for)
    errors = page_errors(page)
    page.goto(served.url + f"/decisions/{order[-1]}")
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT)
    page.focus("#one-decision h1")
    page.evaluate("window.viewBefore = document.getElementById('one-decision')")
    assert served.post("/api/decisions", {"id": order[0], "dismiss": True}).status_code == 200
    page.wait_for_function("document.getElementById('one-decision') !== window.viewBefore",
                           timeout=WAIT)  # fmt: skip
    expect(page.locator("#one-decision h1")).to_be_focused(timeout=WAIT)
    assert errors == []
    page.close()


@pytest.mark.parametrize(
    ("view", "rows"),
    [("/", '.failures[data-failures="conversions"] > li'),
     ("/library?kind=conversions&status=error", "#items > li")],
    ids=["overview", "library"],
)  # fmt: skip
def test_a_failed_item_retried_elsewhere_leaves_its_list_and_the_focus_stays(
    served_demo, browser, view, rows
):
    """A failed conversion retried from another page (or the terminal) goes back to pending,
    whose event is ``progress``: the page rendered itself anew on the other events alone,
    and kept listing it as failed (its Retry refused) until something else happened. It
    leaves the list as it is retried, and the focus on the next item's link (where a Retry
    or its undo puts it) stays on that item's new link, not the page's top."""
    page = browser.new_page(viewport=SHORT)
    errors = page_errors(page)
    page.goto(served_demo.url + view)
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT)
    failed = page.locator(rows)
    expect(failed).to_have_count(2)
    acts = failed.nth(0).locator(".acts")
    retried, name = acts.get_attribute("data-id"), acts.get_attribute("data-shown")
    link = f'{rows} a[href="{failed.nth(1).locator("a").first.get_attribute("href")}"]'
    page.focus(link)
    assert served_demo.post("/api/decisions", {"id": retried, "choose": 1}).status_code == 200
    expect(failed).to_have_count(1, timeout=WAIT)
    expect(failed).not_to_contain_text(name)
    expect(page.locator(link)).to_be_focused(timeout=WAIT)
    assert errors == []
    page.close()


def test_an_item_s_report_link_keeps_the_focus_on_the_question_it_belongs_to(
    tmp_path, music_library, browser
):
    """One artist asked the same question of two albums: each question links the artist's
    report, the same address twice in one group. The page rendered anew (another item's
    question answered elsewhere) gave the focus to the first of the two links, another
    question's; it stays on the link of the question that had it."""
    spec = library_spec()
    floyd = album("Pink Floyd/1977 - Animals", "Pink Floyd", 4, album="Animals",
                  albumartist="Pink Floyd")  # fmt: skip
    for n, (_, track) in enumerate(sorted(floyd.items())):
        track["tags"]["date"] = "1977" if n < 2 else "1978"  # split 2 against 2, as Dark Side
    server = serving(tmp_path, music_library, spec | floyd)
    try:
        page, errors = opened(server, browser)
        asked = page.eval_on_selector_all(
            ".question", "els => els.map(e => [e.dataset.id, e.querySelector('.name').textContent])"
        )
        floyds = [id_ for id_, item in asked if item == "Pink Floyd"]
        other = next(id_ for id_, item in asked if item != "Pink Floyd")
        assert len(floyds) == 2, asked
        link = f"{question(floyds[1])} a.small"
        href = page.get_attribute(link, "href")
        assert page.get_attribute(f"{question(floyds[0])} a.small", "href") == href
        tab_to(page, link)
        page.evaluate("window.groupsBefore = document.getElementById('groups')")
        assert server.post("/api/decisions", {"id": other, "dismiss": True}).status_code == 200
        page.wait_for_function("document.getElementById('groups') !== window.groupsBefore",
                               timeout=WAIT)  # fmt: skip
        expect(page.locator(link)).to_be_focused(timeout=WAIT)
        assert errors == []
        page.close()
    finally:
        server.stop()


def test_a_question_answered_elsewhere_gives_the_focus_to_the_one_in_its_place(served, browser):
    """A question's button had the focus here when the question was answered elsewhere (a
    terminal, another page): its row went with the view rendered anew, and the focus fell
    to the page's top. It goes to the question now in its place, as after an answer here."""
    page, errors = opened(served, browser)
    order = page.eval_on_selector_all(".question", "els => els.map(e => e.dataset.id)")
    assert len(order) >= 3, order
    tab_to(page, f'{question(order[1])} button[data-action="dismiss"]')
    assert served.post("/api/decisions", {"id": order[1], "dismiss": True}).status_code == 200
    expect(page.locator(".question")).to_have_count(len(order) - 1, timeout=WAIT)
    expect(page.locator(question(order[2]))).to_be_focused(timeout=WAIT)
    assert in_sight(page, question(order[2]))
    assert errors == []
    page.close()


def test_a_whole_group_answered_elsewhere_gives_the_focus_to_the_question_in_its_place(
    served, browser
):
    """The same with a whole group's button on it: the group answered elsewhere, the focus
    goes to the question now where the group's first one stood (or the heading, none left)."""
    page, errors = opened(served, browser)
    order = page.eval_on_selector_all(".question", "els => els.map(e => e.dataset.id)")
    group = next(g for g in served.get("/api/decisions").json()["groups"] if g["count"] > 1)
    where = f'.group[data-kind="{group["kind"]}"][data-code="{group["code"]}"]'
    in_group = page.eval_on_selector_all(f"{where} .question", "els => els.map(e => e.dataset.id)")
    after = [id_ for id_ in order if id_ not in in_group]
    stands = after[min(order.index(in_group[0]), len(after) - 1)] if after else None
    tab_to(page, f'{where} button[data-action="group-preview"]')
    body = {"kind": group["kind"], "code": group["code"], "all": True, "dismiss": group["code"]}
    assert served.post("/api/decisions", body).status_code == 200
    expect(page.locator(where)).to_have_count(0, timeout=WAIT)
    expect(page.locator(question(stands) if stands else "#decisions-title")).to_be_focused(
        timeout=WAIT
    )
    assert errors == []
    page.close()
