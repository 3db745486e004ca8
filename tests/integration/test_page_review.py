"""The review queue on the page (issue 70 points 1-4 as the page shows them), in the system's
Chromium through a real ``serve`` over real files processed by a real batch: the second of two
decisions of one item taken and only it closed; a value set for one untagged file and only
that file changed; a dismissal undone with the button beside its result; a whole group
previewed then taken; and bad input (a stale decision, a choice a decision lacks, a preview
older than the files) said on the page with nothing written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import mutagen
import pytest

from tests.helpers import run_script
from tests.integration.serving import described, serve
from tests.integration.test_decisions_truth import library_spec
from tests.integration.test_page_views import serious_findings

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
WAIT = 30_000


@pytest.fixture
def served(tmp_path, music_library):
    """The decisions library, with one untagged file among Pink Floyd's tagged tracks, after
    one offline batch; served."""
    spec = library_spec()
    spec["Pink Floyd/1973 - Dark Side/untitled.flac"] = {"tags": {}}
    lib = tmp_path / "lib"
    music_library(lib, spec)
    home = tmp_path / "home"
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr
    server = serve(home)
    yield server, lib
    server.stop()


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def decisions_of(server, item: str) -> dict[str, str]:
    """code -> id of ``item``'s open decisions."""
    listed = server.get("/api/decisions").json()
    return {d["code"]: d["id"] for g in listed["groups"] for d in g["decisions"]
            if d["item"] == item}  # fmt: skip


def question(page, decision_id: str):
    return page.locator(f'.question[data-id="{decision_id}"]')


def opened(page, decision_id: str):
    q = question(page, decision_id)
    q.get_by_role("link", name="Evidence and choices").click()
    expect(q.locator(".decision")).to_be_visible(timeout=WAIT)
    return q


def test_the_second_of_two_decisions_is_taken_and_only_it(served, browser):
    """Two questions about one album (its tracks' years disagree; its untagged file has no
    year): the second answered from the page closes that one, and only it."""
    server, _ = served
    page = browser.new_page()
    page.goto(server.url + "/")
    ids = decisions_of(server, "Pink Floyd")
    first, second = ids["inconsistent-year"], ids["missing-year"]
    asked = opened(page, second)
    asked.locator(".decision").get_by_role("button", name="Leave as it is").click()  # preview
    expect(asked.locator(".preview")).to_contain_text("would close 1 decision")
    asked.locator(".preview").get_by_role("button", name="Take it").click()
    expect(page.locator("#said")).to_contain_text("closed", timeout=WAIT)
    left = decisions_of(server, "Pink Floyd")
    assert "missing-year" not in left and left["inconsistent-year"] == first
    expect(question(page, first)).to_have_count(1)
    expect(question(page, second)).to_have_count(0)
    page.close()


def looking(served, browser):
    """(server, library, its files' digests now, the page opened on what needs you)."""
    server, lib = served
    before = digests(lib)
    page = browser.new_page()
    page.goto(server.url + "/")
    return server, lib, before, page


def test_a_value_for_one_untagged_file_changes_that_file_only(served, browser):
    server, lib, before, page = looking(served, browser)
    dialogs = []  # the browser's own (window.prompt, alert, confirm): none is ever opened
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ids = decisions_of(server, "Pink Floyd")
    q = opened(page, ids["missing-title"])
    q.locator('input[name="value"]').fill("Untitled Jam")
    q.get_by_role("button", name="Preview").click()
    shown = q.locator(".preview")
    expect(shown).to_contain_text("1 value would be written to 1 file")
    expect(shown).to_contain_text("untitled.flac")
    assert digests(lib) == before  # a preview writes nothing
    shown.get_by_role("button", name="Take it").click()
    expect(page.locator("#said")).to_contain_text("closed", timeout=WAIT)
    after = digests(lib)
    changed = sorted(p for p in after if after[p] != before[p])
    assert changed == ["Pink Floyd/1973 - Dark Side/untitled.flac"]
    assert mutagen.File(lib / changed[0])["title"] == ["Untitled Jam"]
    # Its Undo, beside the result, puts the file back byte for byte.
    page.locator("#undo-last").get_by_role("button", name="Undo").click()
    expect(page.locator("#said")).to_contain_text("Undone", timeout=WAIT)
    assert digests(lib) == before
    assert dialogs == []
    page.close()


def test_the_box_takes_the_longest_value_the_api_takes(served, browser):
    """A title as long as the API takes (docs/api.md: 4,096 characters) is typed whole and
    written whole; the box stops at that bound, as the API refuses past it (the box held
    1,000, so a longer value was cut short without a word)."""
    server, lib, _, page = looking(served, browser)
    q = opened(page, decisions_of(server, "Pink Floyd")["missing-title"])
    box = q.locator('input[name="value"]')
    box.fill("x" * 4_097)
    assert box.input_value() == "x" * 4_096
    q.get_by_role("button", name="Preview").click()
    expect(q.locator(".preview")).to_contain_text("1 value would be written to 1 file")
    q.locator(".preview").get_by_role("button", name="Take it").click()
    expect(page.locator("#said")).to_contain_text("closed", timeout=WAIT)
    written = mutagen.File(lib / "Pink Floyd/1973 - Dark Side/untitled.flac")["title"]
    assert written == ["x" * 4_096]
    page.close()


def test_keys_answer_a_question_and_u_undoes_it(served, browser):
    """As ``decide -i`` takes them: j to the question, its choice's number to preview it, y
    to take it, u to undo it; the files back byte for byte."""
    server, lib, before, page = looking(served, browser)
    wanted = decisions_of(server, "Pink Floyd")["inconsistent-year"]
    order = page.eval_on_selector_all(".question", "els => els.map(e => e.dataset.id)")
    for _ in range(order.index(wanted) + 1):
        page.keyboard.press("j")
    expect(question(page, wanted)).to_have_class("question current")
    page.keyboard.press("2")  # date '1974' for the album's tracks
    shown = question(page, wanted).locator(".preview")
    expect(shown).to_contain_text("1974", timeout=WAIT)
    assert digests(lib) == before
    page.keyboard.press("y")
    expect(page.locator("#said")).to_contain_text("closed", timeout=WAIT)
    changed = [p for p, d in digests(lib).items() if d != before[p]]
    assert changed and all(p.startswith("Pink Floyd/") for p in changed)
    assert {mutagen.File(lib / p)["date"][0] for p in changed} == {"1974"}
    page.keyboard.press("u")
    expect(page.locator("#said")).to_contain_text("Undone", timeout=WAIT)
    assert digests(lib) == before
    assert "inconsistent-year" in decisions_of(server, "Pink Floyd")
    page.close()


def test_a_keyboard_goes_on_to_the_next_question_after_an_answer(served, browser):
    """Keys alone (Enter on the question's link, its first choice, Take it): the question
    answered left the page and the focus went with it, to the page's top, so the next Tab
    began again from there; the next question now has the focus, as decide -i goes on."""
    *_, page = looking(served, browser)
    order = page.eval_on_selector_all(".question", "els => els.map(e => e.dataset.id)")
    first = question(page, order[0])
    first.get_by_role("link", name="Evidence and choices").focus()
    page.keyboard.press("Enter")  # its evidence and choices, the first of them focused
    expect(first.locator(".decision button").first).to_be_focused(timeout=WAIT)
    page.keyboard.press("Enter")  # its preview, Take it focused
    expect(first.locator(".preview").get_by_role("button", name="Take it")).to_be_focused(
        timeout=WAIT)  # fmt: skip
    page.keyboard.press("Enter")
    expect(page.locator("#said")).to_contain_text("closed", timeout=WAIT)
    expect(question(page, order[0])).to_have_count(0)
    expect(question(page, order[1])).to_be_focused(timeout=WAIT)
    page.keyboard.press("Tab")  # on within that question: its item's report, not the top
    assert page.evaluate("document.activeElement.closest('.question')?.dataset.id") == order[1]
    page.close()


def test_a_dismissal_is_undone_from_beside_its_result(served, browser):
    server, _ = served
    page = browser.new_page()
    page.goto(server.url + "/")
    total = int(page.locator("#decisions-total").text_content())
    acts = page.locator('.acts[data-name="Pink Floyd"][data-code="inconsistent-year"]')
    acts.get_by_role("button", name="Leave as it is").click()
    expect(page.locator("#decisions-total")).to_have_text(str(total - 1), timeout=WAIT)
    page.locator("#undo-last").get_by_role("button", name="Undo").click()
    expect(page.locator("#said")).to_contain_text(": 1 question open again.", timeout=WAIT)
    expect(page.locator("#decisions-total")).to_have_text(str(total), timeout=WAIT)
    assert "inconsistent-year" in decisions_of(server, "Pink Floyd")
    # The recent changes list the dismissal and its undo, each session with its time.
    page.goto(server.url + "/changes")
    expect(page.locator("#changes li")).not_to_have_count(0)
    page.close()


def test_a_screen_reader_tells_each_question_s_buttons_and_links_apart(served, browser):
    """Each question's "Leave as it is" and its links are listed by a screen reader on their
    own: before, twenty read "Leave as it is", "report" and "Evidence and choices" alike. Each
    is now described by its item and its question (and a link names its item), as Chromium's
    accessibility tree gives them; so is each session's Undo on the recent changes."""
    server, _ = served
    page = browser.new_page()
    page.goto(server.url + "/")
    listed = server.get("/api/decisions").json()
    asked = [(d["item"], d["question"]) for g in listed["groups"] for d in g["decisions"]]
    seen = described(page)
    leave = [about for role, name, about in seen if (role, name) == ("button", "Leave as it is")]
    assert sorted(leave) == sorted(f"{item} {question}" for item, question in asked)
    assert len(set(leave)) == len(leave) > 2
    links = [name for role, name, _ in seen if role == "link" and "Evidence and choices" in name]
    assert sorted(links) == sorted(f"Evidence and choices on {item}" for item, _ in asked)
    reports = {name for role, name, _ in seen if role == "link" and name.startswith("report")}
    assert reports == {f"report on {item}" for item, _ in asked}

    acts = page.locator('.acts[data-name="Pink Floyd"][data-code="inconsistent-year"]')
    acts.get_by_role("button", name="Leave as it is").click()
    expect(page.locator("#undo-last button")).to_be_visible(timeout=WAIT)
    page.goto(server.url + "/changes")
    undo = [about for role, name, about in described(page) if (role, name) == ("button", "Undo")]
    [session] = [s for s in undo if s.endswith("_decide")]
    assert page.locator("#changes li", has_text=session).count() == 1
    page.close()


def test_a_whole_group_is_previewed_then_taken(served, browser):
    server, lib, before, page = looking(served, browser)
    listed = server.get("/api/decisions").json()["groups"]
    group = next(g for g in listed if g["count"] > 1)
    acts = page.locator(f'.group-acts[data-kind="{group["kind"]}"][data-code="{group["code"]}"]')
    acts.get_by_role("button").first.click()
    dialog = page.locator("dialog#ask")
    expect(dialog).to_contain_text(f"for {group['count']} decisions")
    dialog.get_by_role("button", name="Take it").click()
    expect(page.locator("#said")).to_contain_text("The whole group", timeout=WAIT)
    codes = {(g["kind"], g["code"]) for g in server.get("/api/decisions").json()["groups"]}
    assert (group["kind"], group["code"]) not in codes
    assert digests(lib) == before  # left as they are: no file written
    page.close()


FOCUSED = "document.activeElement.id || document.activeElement.outerHTML.slice(0, 80)"


def test_a_group_s_dialog_is_answered_with_the_keyboard_alone(served, browser):
    """The dialog that asks to answer a whole group, with keys only: the focus goes to its
    title as it opens (it went to the line of its pages, a link or a text), no serious
    axe-core finding; Escape closes it, the focus back on the button that opened it, or on
    the one in its place when the live page rendered the view anew meanwhile (it fell to
    the page's top); taken, the focus goes to the question now in the group's place."""
    server, _ = served
    groups = server.get("/api/decisions").json()["groups"]
    group = next(g for g in groups if g["count"] > 1)
    other = next(d for g in groups if g["code"] != group["code"] for d in g["decisions"])
    page = browser.new_page(bypass_csp=True)  # axe-core let in past the policy
    page.goto(server.url + "/")
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT)
    where = f'.group-acts[data-kind="{group["kind"]}"][data-code="{group["code"]}"]'
    opener = page.locator(f"{where} button").first
    for _ in range(200):  # Tab to it, as a keyboard gets there
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.action") == "group-preview":
            break
    expect(opener).to_be_focused()
    dialog = page.locator("dialog#ask")
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text(f"for {group['count']} decisions", timeout=WAIT)
    assert page.evaluate(FOCUSED) == "ask-title"
    assert serious_findings(page) == []
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    # Open again, and the view rendered anew while it is (a question taken elsewhere).
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible(timeout=WAIT)
    page.evaluate("window.groupsBefore = document.getElementById('groups')")
    assert server.post("/api/decisions", {"id": other["id"], "dismiss": True}).status_code == 200
    page.wait_for_function("document.getElementById('groups') !== window.groupsBefore",
                           timeout=WAIT)  # fmt: skip
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()  # the button of the view as rendered now
    # Taken with keys: Tab from the title to "Take it", Enter.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible(timeout=WAIT)
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Take it")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#said")).to_contain_text("The whole group", timeout=WAIT)
    expect(page.locator(where)).to_have_count(0)
    page.wait_for_function("document.activeElement.matches('.question')", timeout=WAIT)
    page.close()


def test_a_fix_s_fields_are_ticked_by_name_and_only_those_are_written(served, browser):
    """A fix an undo took back is a choice with fields: one box a field (three files' artist
    is one box, before three, of which unticking one still wrote all three), none ticked is
    said on the page, and the fields left ticked are the only ones written."""
    server, lib = served
    undone = run_script("undo_changes.py", "--home", server.home, "--artist", "Nina Simone")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    before = digests(lib)
    page = browser.new_page()
    page.goto(server.url + "/")
    q = opened(page, decisions_of(server, "Nina Simone")["artist-name-variant"])
    table = q.locator("table.fields")
    boxes = table.locator('input[name="fields"]')
    expect(boxes).to_have_count(2)  # artist and albumartist, for the album's three files
    expect(table.locator("tbody tr")).to_have_count(6)
    artist = table.get_by_label("take artist in its 3 files")
    albumartist = table.get_by_label("take albumartist in its 3 files")
    artist.uncheck()
    albumartist.uncheck()
    q.get_by_role("button", name="1) the fix it proposes").click()
    expect(page.locator("#said")).to_contain_text("Tick the fields to write first", timeout=WAIT)
    expect(q.locator(".preview")).to_be_empty()
    artist.check()
    q.get_by_role("button", name="1) the fix it proposes").click()
    expect(q.locator(".preview")).to_contain_text("3 values would be written to 3 files")
    assert digests(lib) == before
    q.locator(".preview").get_by_role("button", name="Take it").click()
    expect(page.locator("#said")).to_contain_text("closed", timeout=WAIT)
    album = sorted((lib / "Nina Simone" / "1958 - Little Girl Blue").glob("*.flac"))
    assert [mutagen.File(f).get("artist") for f in album] == [["Nina Simone"]] * 3
    assert [mutagen.File(f).get("albumartist") for f in album] == [None] * 3
    after = digests(lib)
    assert sorted(p for p in after if after[p] != before[p]) == sorted(
        str(f.relative_to(lib)) for f in album)
    page.close()


def test_bad_answers_are_said_and_write_nothing(served, browser):
    server, lib = served
    page = browser.new_page()
    page.goto(server.url + "/")
    ids = decisions_of(server, "Pink Floyd")
    # A preview older than the files: the take is refused, nothing written.
    q = opened(page, ids["missing-title"])
    q.locator('input[name="value"]').fill("Jam")
    q.get_by_role("button", name="Preview").click()
    expect(q.locator(".preview")).to_contain_text("untitled.flac")
    target = lib / "Pink Floyd/1973 - Dark Side/untitled.flac"
    audio = mutagen.File(target)
    audio["comment"] = "edited by another program"
    audio.save()
    before = digests(lib)
    q.locator(".preview").get_by_role("button", name="Take it").click()
    expect(page.locator("#said")).to_contain_text("changed", timeout=WAIT)
    expect(q.locator(".preview")).to_be_empty()  # its "Take it" would only be refused again
    assert digests(lib) == before
    # Another decision of that file (changed since the batch read it): its preview refused.
    asked = opened(page, ids["missing-artist"])
    asked.locator('input[name="value"]').fill("Pink Floyd")
    asked.get_by_role("button", name="Preview").click()
    expect(page.locator("#said")).to_contain_text("changed since the batch read it",
                                                  timeout=WAIT)  # fmt: skip
    expect(asked.locator(".preview")).to_be_empty()
    assert digests(lib) == before
    # A decision taken elsewhere meanwhile (stale on this page): said, nothing written.
    year = decisions_of(server, "Metallica")["missing-year"]
    assert server.post("/api/decisions", {"id": year, "dismiss": True}).status_code == 200
    question(page, year).locator(".acts").get_by_role("button", name="Leave as it is").click()
    expect(page.locator("#said")).not_to_contain_text("closed", timeout=WAIT)
    expect(page.locator("#said")).to_contain_text("open", timeout=WAIT)
    assert "decide" not in page.locator("#said").inner_text()  # a terminal's listing: none here
    # A choice the decision lacks, asked by its key.
    page.goto(server.url + "/")
    page.keyboard.press("j")
    page.keyboard.press("9")
    expect(page.locator("#said")).to_contain_text("no choice 9", timeout=WAIT)
    assert digests(lib) == before
    page.close()


def test_a_decision_s_own_view_says_it_is_taken_and_offers_it_no_more(served, browser):
    """A question's own page (``/decisions/{id}``) taken from there: its choices stayed on the
    page as if still open, a second answer only refused; it now says the question is no
    longer open, and its Undo brings the question back with its choices."""
    server, lib, before, page = looking(served, browser)
    asked = decisions_of(server, "Pink Floyd")["missing-title"]
    page.goto(f"{server.url}/decisions/{asked}")
    decision = page.locator(".decision")
    decision.locator('input[name="value"]').fill("Untitled Jam")
    decision.get_by_role("button", name="Preview").click()
    decision.locator(".preview").get_by_role("button", name="Take it").click()
    expect(page.locator("#said")).to_contain_text("1 closed", timeout=WAIT)
    expect(page.locator("main")).to_contain_text("no longer open", timeout=WAIT)
    expect(page.locator(".decision")).to_have_count(0)  # no choice left to press
    # Where what is open is listed: the page's own link, not a command of a terminal.
    assert "decide" not in page.locator("main").inner_text()
    expect(page.get_by_role("link", name="Back to what needs you")).to_be_visible()
    assert mutagen.File(lib / "Pink Floyd/1973 - Dark Side/untitled.flac")["title"] == [
        "Untitled Jam"]  # fmt: skip
    page.locator("#undo-last").get_by_role("button", name="Undo").click()
    expect(page.locator("#said")).to_contain_text("Undone", timeout=WAIT)
    expect(page.locator(".decision")).to_have_count(1, timeout=WAIT)  # asked again
    expect(page.locator(".decision").get_by_role("button", name="Preview")).to_be_visible()
    assert digests(lib) == before
    page.close()


def test_what_the_page_says_is_in_sight_of_the_button_pressed(served, browser):
    """On a phone, far down the page, a take refused (the question answered meanwhile from
    another tab) was said at the page's top, out of sight: pressing Take it seemed to do
    nothing. What the page says, and its Undo, stay at the foot of the window."""
    server, lib, before, page = looking(served, browser)
    page.set_viewport_size({"width": 390, "height": 500})
    asked = page.locator(".question").last
    asked.get_by_role("link", name="Evidence and choices").click()
    asked.locator(".decision").get_by_role("button", name="Leave as it is").click()
    take = asked.locator(".preview").get_by_role("button", name="Take it")
    take.scroll_into_view_if_needed()
    expect(page.locator("header nav")).not_to_be_in_viewport()  # the top far above
    other = server.post("/api/decisions", {"id": asked.get_attribute("data-id"), "dismiss": True})
    assert other.status_code == 200, other.text
    take.click()
    said = page.locator("#said")
    expect(said).to_contain_text("no longer open", timeout=WAIT)
    expect(said).to_be_in_viewport()
    assert digests(lib) == before
    page.close()


HIDDEN = ("Zero\u200bWidth", "Esc\x1b[31mape", "Bidi \u202eenil")  # issue 69 point 13


def test_names_with_hidden_controls_are_shown_escaped_and_decided(tmp_path, music_library,
                                                                  browser):  # fmt: skip
    """Each artist's name shown with its escapes, and its question taken from the page by
    its id: the server never sees the escaped form the page shows."""
    music_library(tmp_path / "lib", {f"{n}/Loose Song.flac": {"tags": {"title": "Loose Song"}}
                                     for n in HIDDEN})  # fmt: skip
    home = tmp_path / "home"
    home.mkdir()
    run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
               "--offline")  # fmt: skip
    server = serve(home)
    try:
        page = browser.new_page()
        page.goto(server.url + "/")
        text = page.locator("body").inner_text()
        for escaped in ("Zero\\u200bWidth", "Esc\\x1b[31mape", "Bidi \\u202eenil"):
            assert escaped in text
        assert not any(c in text for c in "\u200b\x1b\u202e")
        for name in HIDDEN:
            ids = decisions_of(server, name)
            assert ids, name
            code, first = next(iter(ids.items()))
            q = question(page, first)
            q.locator(".acts").get_by_role("button", name="Leave as it is").click()
            expect(question(page, first)).to_have_count(0, timeout=WAIT)
            assert code not in decisions_of(server, name)
        page.close()
    finally:
        server.stop()


def test_recent_changes_say_what_is_undone_and_offer_no_undo_again(served, browser):
    """A session undone says so, with when, and has no Undo; one undone in part (a value
    changed since by another program) says what was left alone; the undo's own session is
    named as such, and undoing it (the changes made again) gives the first its Undo back. A
    dismissal's session, whose record its undo removes, is still listed, undone."""
    server, lib = served
    ids = decisions_of(server, "Pink Floyd") | {
        f"Metallica {c}": i for c, i in decisions_of(server, "Metallica").items()
    }
    titled = server.post("/api/decisions", {"id": ids["missing-title"], "set": {"title": "Jam"}})
    dismissed = server.post("/api/decisions", {"id": ids["Metallica missing-year"],
                                               "dismiss": True})  # fmt: skip
    named = server.post("/api/decisions", {"id": ids["Metallica missing-artist"],
                                           "set": {"artist": "Metallica"}})  # fmt: skip
    assert all(r.status_code == 200 for r in (titled, dismissed, named)), named.text
    title, dismissal, artist = (r.json()["session"] for r in (titled, dismissed, named))
    loose = mutagen.File(lib / "Metallica" / "Loose Song.flac")
    loose["artist"] = "Metallica (edited elsewhere)"
    loose.save()
    partly = server.post("/api/undo", {"session": artist}).json()
    assert partly["complete"] is False, partly

    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server.url + "/changes")

    def row(session: str):
        return page.locator(f'#changes li[data-session="{session}"]')

    expect(row(artist)).to_contain_text("Partly undone")
    expect(row(artist)).to_contain_text("1 change left alone")
    expect(row(artist).get_by_role("button", name="Undo")).to_have_count(0)
    for session in (title, dismissal):
        row(session).get_by_role("button", name="Undo").click()
        expect(row(session)).to_contain_text("Undone", timeout=WAIT)
        expect(row(session).get_by_role("button")).to_have_count(0)
    expect(row(dismissal)).to_contain_text("decided missing-year for 1 item")
    # The undo of the title is a session of its own; undone, the title is set again and
    # its session can be undone once more.
    undo_of_title = page.locator("#changes li", has_text=f"The undo of {title}")
    expect(undo_of_title).to_have_count(1)
    undo_of_title.get_by_role("button", name="Undo").click()
    expect(row(title).get_by_role("button", name="Undo")).to_have_count(1, timeout=WAIT)
    expect(row(title)).to_contain_text("decided missing-title for 1 item")  # its record gone
    assert mutagen.File(lib / "Pink Floyd/1973 - Dark Side/untitled.flac")["title"] == ["Jam"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()
