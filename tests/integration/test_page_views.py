"""The page's views (issue 70 points 4-7, issue 69 points 13 and 15) in the system's Chromium
through a real ``serve``: every link of the page and of the served weekly report answers; the
activity agrees with the weekly report; a failed item retried from the page and the retry
undone from "Recent changes"; the library searched among 17,274 items, accents and case
aside; a 10,000-character name inside a phone's width; an accessibility check by axe-core
(vendored under tests/vendor, injected into the page: no network) with no serious or
critical finding, light and dark; phone and desktop screenshots kept for a person to look at
(``MEDIAKEEPER_SCREENSHOTS=DIR``)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest

from mediakeeper.queue.items import new_item, new_queue
from mediakeeper.queue.store import QueueStore
from tests.helpers import build_library
from tests.integration.serving import page_errors, proxy, script, serve

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
VIEWS = ("/", "/library", "/changes")
ARTISTS = 17_274
LONG = "A long name " + "x" * 9_988  # 10,000 characters, listed first among the failed


def shot(page, name: str) -> None:
    """A screenshot kept where MEDIAKEEPER_SCREENSHOTS says (for a person to look at)."""
    folder = os.environ.get("MEDIAKEEPER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def demo(demo_home, tmp_path_factory):
    """A copy of the demo's home (its decisions, a failed conversion, its reports), served."""
    home = tmp_path_factory.mktemp("views") / "demo"
    shutil.copytree(demo_home, home, symlinks=True)
    server = serve(home)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A music queue of 17,274 artists (the reference library's size), a few failed ones
    among them, one named with 10,000 characters and one with accents; served."""
    home = tmp_path_factory.mktemp("big") / "home"
    items = []
    for n in range(ARTISTS):
        name = {7: "Björk", 8: LONG}.get(n, f"Artist {n:05d}")
        item = new_item(name[:200] if n != 8 else f"long-{n}", name, f"/library/{n}")
        if n % 10 < 6:
            item.update(status="completed", attempts=1, completed_at="2026-11-25T10:00:00+00:00")
        elif n % 100 == 9 or n == 8:
            item.update(status="error", attempts=1, failures=1,
                        last_error=f"scan: {name} unreadable")  # fmt: skip
        items.append(item)
    QueueStore(home / "status" / "music", "music").create(
        new_queue("music", "/library", items, datetime.now(UTC))
    )
    server = serve(home)
    yield server
    server.stop()


def links_of(page) -> list[str]:
    return page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")


def crawl(page, root: str, start=(*VIEWS, "/reports/weekly")) -> dict[str, int]:
    """Every page reached from ``start`` (the views and the weekly report) by following links
    within ``root`` (as a person clicks), with the status each answered."""
    seen: dict[str, int] = {}
    host = root[: root.index("/", len("http://"))] + "/" if root.count("/") > 2 else root + "/"
    waiting = [root + v for v in start]
    while waiting:
        url = waiting.pop().split("#")[0]
        if url in seen or not url.startswith(host):
            continue
        if not url.startswith(root + "/"):
            seen[url] = -1  # a link that leaves the prefix the page is served under
            continue
        answer = page.goto(url)
        seen[url] = answer.status
        if "html" in (answer.headers.get("content-type") or ""):
            waiting += links_of(page)
    return seen


def test_behind_a_proxy_every_link_keeps_the_prefix(demo, browser):
    """Served under a base path behind a proxy that keeps it: the weekly report's links and
    the issue pages' lead under the prefix too."""
    server = serve(demo.home, env={"MEDIAKEEPER_SERVE_BASE_PATH": "/mk"})
    front = proxy("/mk", server.url, strip=False)
    try:
        page = browser.new_page()
        root = f"http://127.0.0.1:{front.server_address[1]}/mk"
        seen = crawl(page, root)
        assert {u: s for u, s in seen.items() if s != 200} == {}
        assert any("/mk/issues/music/" in u for u in seen)
        page.close()
    finally:
        front.shutdown()
        server.stop()


def test_every_link_of_the_page_and_the_weekly_report_answers(demo, browser):
    """Followed as a person clicks: the views, the weekly report served at /reports/weekly
    (its "report" links to issues/music/*.html and the rest), every issue page and index
    they lead to, and their Markdown. None answers 404."""
    page = browser.new_page()
    seen = crawl(page, demo.url)
    failed = {url: status for url, status in seen.items() if status != 200}
    assert failed == {}
    reports = [u for u in seen if "/issues/music/" in u and u.endswith(".html")]
    assert len(reports) > 3  # the weekly report's and the page's item reports were followed
    assert any("/issues/verify/" in u for u in seen)
    # The page links to each item's report from its question.
    page.goto(demo.url + "/")
    first = page.locator(".question a", has_text="report").first
    assert "/issues/" in first.get_attribute("href")
    # A path out of the served folders is no report (escaped, contained).
    for bad in (
        "/issues/music/..%2F..%2Fmediakeeper.toml",
        "/issues/..%2Fstatus/x.html",
        "/status/reports/..%2F..%2Fmediakeeper.toml",
        "/issues/music/.hidden.html",
    ):
        assert demo.get(bad).status_code == 404, bad
    page.close()


def test_the_activity_agrees_with_the_weekly_report(demo, browser):
    """2 of the 10 conversions failed: 80.0% done as the weekly report says, not 100%."""
    weekly = demo.get("/reports/weekly").text
    assert "80.0%" in weekly
    assert demo.get("/api/queues").json()["conversions"]["percent"] == 80.0
    page = browser.new_page()
    page.goto(demo.url + "/library")
    expect(page.locator("#live")).to_have_text("live")
    expect(page.locator('[data-field="conversions:percent"]')).to_have_text("80.0")
    # After a live update, the same figures, rounded alike; no rate while no batch runs.
    page.wait_for_timeout(500)
    assert page.locator('[data-field="conversions:percent"]').text_content() == "80.0"
    assert page.locator('[data-rate="conversions"]').is_hidden()
    # Not the last batch's line: the demo was built once for this worker, maybe more than
    # RECENT_END (10 minutes) ago, after which the page no longer says its end. The line is
    # read where a test's own batch just ended (below, and test_serve_page_live).
    page.close()


def test_a_failed_item_retried_and_the_retry_undone(demo, browser):
    page = browser.new_page()
    errors = page_errors(page)
    page.goto(demo.url + "/")
    failures = page.locator('[data-failures="conversions"] li')
    expect(failures).to_have_count(2)
    text = failures.first.text_content()
    assert "/working/" not in text and "_source" not in text  # a person's words, no temp path
    # Where it failed, in words on its decision's page and in its history: the stage, not
    # the queue's code for the failure (failed_converting).
    [failed] = [g for g in demo.get("/api/decisions").json()["outstanding"]
                if g["kind"] == "conversions"]  # fmt: skip
    first = failed["decisions"][0]
    asked = demo.get(f"/decisions/{first['id']}").text
    assert "Failed at <strong>converting</strong>" in asked and "failed_" not in asked
    history = demo.get("/library/item", params={"kind": "conversions", "key": first["key"]}).text
    assert " at converting" in history and "failed_" not in history
    name = failures.first.locator("strong").text_content()
    failures.first.get_by_role("button", name="Retry").click()
    # The item put back is named (it said "Back to pending: retry.", the act, not the item).
    expect(page.locator("#said")).to_contain_text(f"Back to pending: {name}.", timeout=30_000)
    expect(page.locator("#undo-last button")).to_be_visible()
    expect(page.locator('[data-failures="conversions"] li')).to_have_count(1)
    assert demo.get("/api/queues").json()["conversions"]["pending"] == 1
    # Its session is among the recent changes, with an Undo that puts it back.
    page.goto(demo.url + "/changes")
    row = page.locator("#changes li", has_text="decided failed").first
    expect(row).to_be_visible()
    row.get_by_role("button", name="Undo").click()
    expect(page.locator("#said")).to_contain_text("Undone", timeout=30_000)
    counts = demo.get("/api/queues").json()["conversions"]
    assert (counts["pending"], counts["error"]) == (0, 2)
    assert errors == []
    page.close()


def test_the_library_searched_among_17k_items(big, browser):
    page = browser.new_page(viewport=PHONE)
    errors = page_errors(page)
    page.goto(big.url + "/library")
    expect(page.locator("#match-total")).to_have_text(f"{ARTISTS:,}")  # as a person reads it
    page.locator("#search").fill("BJORK")  # case and accents aside
    expect(page.locator("#match-total")).to_have_text("1")
    expect(page.locator("#items .name")).to_have_text("Björk")
    page.locator("#search").fill("")
    asked = []  # the listings the page asks for: one a choice
    page.on("request", lambda r: asked.append(r.url) if "status=error" in r.url else None)
    page.select_option('select[name="status"]', "error")
    failed = sum(1 for n in range(ARTISTS) if (n % 100 == 9 and n % 10 >= 6) or n == 8)
    expect(page.locator("#match-total")).to_have_text(f"{failed:,}")
    page.wait_for_timeout(400)  # past the pause a name's typing waits for: no second search
    assert len(asked) == 1, asked
    page.get_by_role("link", name="next →").click()
    expect(page.locator("#matches")).to_contain_text("51–")
    # Without JavaScript the same listing is a plain page (a GET form and links).
    assert big.get("/library?kind=music&q=bj%C3%B6rk").text.count('class="item ') == 1
    assert big.get("/library?sort=bogus").status_code == 400  # said on the page, not a 500
    assert "sort: Input should be" in big.get("/library?sort=bogus").text
    shot(page, "library-phone")
    assert errors == []
    page.close()


# The addresses of the answers whose bodies the page has read (``Response.text``), noted
# where it awaits them: whatever it does with one follows before its next task.
READ_BODIES = """
window.bodiesRead = [];
const text = Response.prototype.text;
Response.prototype.text = async function () {
  const body = await text.call(this);
  window.bodiesRead.push(this.url);
  return body;
};
"""


def test_a_query_that_does_not_fit_lists_no_other_kind_s_items(demo, browser):
    """``/library?kind=music&limit=0`` said the limit was wrong, then listed another kind's
    items (the first kind's, every other parameter its default) under the music address:
    the kind asked is the one shown, and no item is listed for a query that does not fit."""
    page = browser.new_page(viewport=DESKTOP)
    for kind, wrong in (("music", "limit=0"), ("verify", "sort=loudest"),
                        ("music", "offset=-1")):  # fmt: skip
        answer = page.goto(f"{demo.url}/library?kind={kind}&{wrong}")
        assert answer.status == 400, wrong
        expect(page.locator('select[name="kind"]')).to_have_value(kind)
        expect(page.locator("main .bad")).to_contain_text(wrong.split("=")[0] + ":")
        expect(page.locator("#items .item")).to_have_count(0)
        expect(page.locator("#matches")).to_have_text("")  # no count of another listing
    page.close()


def test_every_view_has_its_icon(demo, browser):
    """Every browser asks a page's icon: ``/favicon.ico`` answered 404 at each visit (an
    error in the browser's console, a line in a proxy's log). Each view links its icon, and
    ``/favicon.ico`` answers it for what is no view (a report page)."""
    page = browser.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for view in VIEWS:
        page.goto(demo.url + view)
        expect(page.locator("#live")).to_have_text("live")
        icon = page.request.get(page.eval_on_selector('link[rel="icon"]', "e => e.href"))
        assert (icon.status, icon.headers["content-type"]) == (200, "image/svg+xml"), view
    page.goto(demo.url + "/reports/weekly")
    root = demo.get("/favicon.ico")
    assert (root.status_code, root.headers["content-type"]) == (200, "image/svg+xml")
    assert root.content.startswith(b"<svg")
    assert errors == []
    page.close()


def test_the_search_box_takes_the_longest_name_a_search_takes(demo, browser):
    """A name typed past the 500 characters a search takes was refused (400) and, asked by
    the page as it was typed, not said: the list went on showing the last search's. The box
    stops at that bound, as the value box stops at the API's."""
    page = browser.new_page(viewport=DESKTOP)
    page.goto(demo.url + "/library?kind=music")
    box = page.locator("#search")
    box.fill("Radiohead")
    expect(page.locator("#match-total")).to_have_text("1")
    box.fill("x" * 501)
    assert box.input_value() == "x" * 500
    expect(page.locator("#match-total")).to_have_text("0")
    page.close()


def test_a_search_answered_late_never_replaces_a_newer_one(big, browser):
    """The failed artists asked for, their answer held back while the completed ones are
    asked for and shown; the late answer then comes and is dropped."""
    page = browser.new_page(viewport=DESKTOP)
    # Each answer noted once the page has read its body: the late one read (and so kept or
    # dropped, in the same turn of its loop) is then a condition to wait for, not a time.
    page.add_init_script(READ_BODIES)
    errors = page_errors(page)
    page.goto(big.url + "/library")
    expect(page.locator("#match-total")).to_have_text(f"{ARTISTS:,}")
    held = []
    page.route("**/library?*status=error*", lambda route: held.append(route))
    page.select_option('select[name="status"]', "error")
    for _ in range(500):  # Playwright takes the request as its loop turns: 10 s at most
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the failed artists' listing was never asked for"
    page.select_option('select[name="status"]', "completed")
    completed = sum(1 for n in range(ARTISTS) if n % 10 < 6)
    expect(page.locator("#match-total")).to_have_text(f"{completed:,}")
    held[0].continue_()
    # read by the page, and dropped
    page.wait_for_function("() => window.bodiesRead.some((url) => url.includes('status=error'))")
    expect(page.locator("#match-total")).to_have_text(f"{completed:,}")
    assert "status=completed" in page.url
    assert errors == []
    page.close()


def test_a_long_name_fits_a_phone(big, browser):
    """Issue 69 point 13: a 10,000-character name wraps; the page never scrolls sideways."""
    page = browser.new_page(viewport=PHONE)
    for view in ("/", "/library?status=error&q=long"):
        page.goto(big.url + view)
        expect(page.locator("body")).to_contain_text("xxxxxxxx")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.close()


def serious_findings(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is (a page opened with
    ``bypass_csp``: the check is let in past the policy, for itself only)."""
    page.add_script_tag(path=str(AXE))  # the vendored copy: no network
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in result["violations"]
            if v["impact"] in ("serious", "critical")]  # fmt: skip


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_finding(demo, browser, scheme):
    # The page allows no inline script: the check is let in past the policy, for itself only.
    page = browser.new_page(viewport=DESKTOP, color_scheme=scheme, bypass_csp=True)
    found = {}
    listed = demo.get("/api/decisions").json()
    ids = [g["decisions"][0]["id"] for g in listed["groups"][:3]]
    more = ("/library/item?kind=conversions&key=Radiohead%2F1997%20-%20OK%20Computer",
            *(f"/decisions/{i}" for i in ids))  # fmt: skip
    for view in (*VIEWS, *more):
        page.goto(demo.url + view)
        expect(page.locator("#live")).to_have_text("live")
        if view == "/":  # a question's evidence and choices open in place, and a preview
            page.locator('a[data-action="open"]').first.click()
            expect(page.locator(".slot .decision").first).to_be_visible()
            page.locator(".slot .decision button[data-action=preview]").first.click()
            expect(page.locator(".slot .preview button").first).to_be_visible()
        if serious := serious_findings(page):
            found[view] = serious
        shot(page, f"{view.strip('/').split('/')[0] or 'overview'}-desktop-{scheme}")
    assert found == {}
    page.close()


def test_phone_screenshots_fit(demo, browser):
    page = browser.new_page(viewport=PHONE)
    for view in VIEWS:
        page.goto(demo.url + view)
        expect(page.locator("#live")).to_have_text("live")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], view
        shot(page, f"{view.strip('/') or 'overview'}-phone")
    page.close()


def test_a_fresh_home_starts_its_first_batch_from_the_page(tmp_path, browser):
    """A home ``init`` made (a library set, no queue yet): the page offers the first batch;
    it runs, the activity says what it did once it ended, and the rate and time left go; the
    library's covers are shown beside their items."""
    lib = build_library(tmp_path / "lib", {
        "Zzyzx Alpha/Album/01 - One.flac": {"tags": {"title": "One", "artist": "Zzyzx Alpha"}},
        "Zzyzx Bravo/Album/01 - One.flac": {"tags": {"title": "One", "artist": "Zzyzx Bravo"}},
    })  # fmt: skip
    shutil.copy(_tiny_jpeg(tmp_path), lib / "Zzyzx Alpha" / "cover.jpg")
    home = tmp_path / "home"
    # Its own user config: the home init records must not reach the tests after this one.
    done = script("--home", home, "init", "--yes", "--music", lib,
                  env={"XDG_CONFIG_HOME": str(tmp_path / "config")})  # fmt: skip
    assert done.returncode == 0, done.stderr
    server = serve(home)
    try:
        page = browser.new_page(viewport=PHONE)
        page.goto(server.url + "/")
        form = page.locator('form.batch[data-kind="music"]')
        expect(form).to_contain_text("first music batch")
        form.get_by_role("button", name="Start a batch").click()
        expect(page.locator("#said")).to_contain_text("Started", timeout=60_000)
        expect(page.locator("#last-batch")).to_contain_text("2 done", timeout=60_000)
        expect(page.locator('[data-field="music:percent"]')).to_have_text("100.0")
        assert page.locator('[data-rate="music"]').is_hidden()
        page.goto(server.url + "/library?kind=music")
        cover = page.locator('.item[data-key="Zzyzx Alpha"] img.cover')
        expect(cover).to_have_count(1)
        # Shown, not broken: loaded lazily, so it may come after the page's load event.
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0",
                               arg=cover.element_handle(), timeout=30_000)  # fmt: skip
        assert page.locator('.item[data-key="Zzyzx Bravo"] img.cover').count() == 0
        page.close()
    finally:
        server.stop()


def weekly_link(page):
    """The header's link to the weekly report."""
    return page.get_by_role("navigation", name="Views").get_by_role("link", name="Weekly report")


def test_a_home_with_no_weekly_report_yet_links_none(tmp_path, browser):
    """No batch has ended yet, so no weekly report is written: the header's link leads to the
    overview's word that there is none and how to write one (it led to a 404); the report
    written by that command, the header links it."""
    home = tmp_path / "home"
    (home / "status").mkdir(parents=True)
    server = serve(home)
    try:
        page = browser.new_page()
        seen = crawl(page, server.url, start=VIEWS)
        assert {url: status for url, status in seen.items() if status != 200} == {}
        for view in VIEWS:
            page.goto(server.url + view)
            weekly_link(page).click()
            expect(page.locator("#weekly")).to_contain_text("No weekly report yet")
        command = page.locator("#weekly code").inner_text()
        assert command.endswith(f"report --home {home}"), command
        # Asked by its address, the report that is not there says the same.
        assert "writes this week's now" in server.get("/reports/weekly").text
        words = shlex.split(command)
        written = script(*words[words.index("report"):])
        assert written.returncode == 0, written.stderr
        page.goto(server.url + "/library")
        weekly_link(page).click()
        expect(page.locator("body")).to_contain_text("Weekly progress")
        assert page.url == server.url + "/reports/weekly"
        page.close()
    finally:
        server.stop()


def _tiny_jpeg(folder: Path) -> Path:
    """A real 8x8 JPEG, made by ffmpeg."""
    path = folder / "tiny.jpg"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=8x8",
                    "-frames:v", "1", str(path)], check=True)  # fmt: skip
    return path


def test_an_item_with_its_history(demo, browser):
    """From the library to one failed item: its stage, its failures in a person's words (no
    working-folder path), its Retry and Skip, the way back."""
    page = browser.new_page(viewport=PHONE)
    page.goto(demo.url + "/library?kind=conversions&status=error")
    page.locator("#items a.name").first.click()
    expect(page.locator("h2", has_text="History")).to_be_visible()
    history = page.locator(".history li")
    expect(history.first).to_contain_text("converting")
    assert "/working/" not in history.first.text_content()
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # What is not there is said on the page, and answered 404 (a link checker sees it).
    for missing in ("/library/item?kind=music&key=nobody", "/library/item?kind=films&key=x",
                    "/library?kind=films"):  # fmt: skip
        answer = demo.get(missing)
        assert answer.status_code == 404, (missing, answer.status_code)
        assert "no such" in answer.text and "<nav" in answer.text  # the page, with its way on
    page.close()


def test_an_item_s_view_follows_what_was_decided_on_it(demo, browser):
    """A failed item's own view, skipped from there: it went on saying "failed" with Retry
    and Skip, and its Retry (the failed item's decision, closed by the skip) was refused;
    it now shows the item skipped, with the Retry of a skipped item, which puts it back."""
    page = browser.new_page(viewport=PHONE)
    [failed] = [g for g in demo.get("/api/decisions").json()["outstanding"]
                if g["kind"] == "conversions"]  # fmt: skip
    key = failed["decisions"][0]["key"]
    page.goto(demo.url + "/library/item?" + urlencode({"kind": "conversions", "key": key}))
    expect(page.locator("main .badge")).to_have_text("failed")
    page.get_by_role("button", name="Skip").click()
    expect(page.locator("#said")).to_contain_text("session", timeout=30_000)
    skip = page.locator("#said").inner_text().split("(session ")[1].rstrip(")")
    expect(page.locator("main .badge")).to_have_text("skipped", timeout=30_000)
    expect(page.get_by_role("button", name="Skip")).to_have_count(0)
    page.get_by_role("button", name="Retry").click()
    expect(page.locator("#said")).to_contain_text("Back to pending", timeout=30_000)
    retry = page.locator("#said").inner_text().split("(session ")[1].rstrip(")")
    expect(page.locator("main .badge")).to_have_text("pending", timeout=30_000)
    # Both undone, the item failed as it was for the other tests of the demo.
    for session in (retry, skip):
        assert demo.post("/api/undo", {"session": session}).status_code == 200
    assert demo.get("/api/queues").json()["conversions"]["error"] == 2
    page.close()


def test_the_library_s_pages_keep_every_parameter_of_the_view(demo, browser):
    """Paged two at a time, sorted by status: "next" and "previous" lead to the next two and
    back in that order, not to a page of the default 50 by name."""
    page = browser.new_page(viewport=PHONE)

    def names(offset: int) -> list[str]:
        listed = demo.get(f"/api/queues/music/items?sort=status&limit=2&offset={offset}")
        return [i["name"] for i in listed.json()["items"]]

    page.goto(demo.url + "/library?kind=music&sort=status&limit=2&offset=2")
    page.get_by_role("link", name="next →").click()
    expect(page.locator("#items .name")).to_have_text(names(4))
    page.get_by_role("link", name="← previous").click()
    expect(page.locator("#items .name")).to_have_text(names(2))
    page.close()


def test_a_group_offers_no_choice_as_every_item_s_that_its_items_lack(demo):
    """The demo's whitespace group: its one decision proposes no fix (the file is a link
    outside the library, which is never written), so the group does not list "the fix it
    proposes" as if each of its items had one; nor does any group say decide's flags."""
    listed = demo.get("/api/decisions", params={"details": 1}).json()["groups"]
    [spaces] = [g for g in listed if g["code"] == "whitespace"]
    assert [d["choices"] for d in spaces["decisions"]] == [[]]
    assert spaces["choices"] == ["the fix it proposes, where it has one", "dismiss"]
    assert not [c for g in listed for c in g["choices"] if "--" in c]


def test_a_folder_s_stand_in_for_a_slash_is_shown_as_the_slash(demo, browser):
    """The demo's "AC⧸DC" (a folder name cannot hold "/") drew a box in the library, as it
    did in the reports before issue 36: each view shows AC/DC, and its controls still ask
    for the real name."""
    page = browser.new_page(viewport=DESKTOP)
    page.goto(demo.url + "/library?kind=conversions")
    album = "AC/DC/1980 - Back in Black"
    expect(page.locator("#items .name", has_text=album)).to_have_count(1)
    page.locator("#search").fill("ac/dc")  # as a person types it
    expect(page.locator("#match-total")).to_have_text("1")
    expect(page.locator("#items .name")).to_have_text(album)
    page.locator("#items a.name").first.click()
    expect(page.locator("h1")).to_contain_text(album)
    # Its cover is asked for by the real name (the folder's): and it answers.
    src = page.locator("h1 img.cover").get_attribute("src")
    assert "key=AC%E2%A7%B8DC" in src and demo.get(src).status_code == 200
    for view in ("/", "/library", "/library?kind=conversions", "/changes", page.url):
        page.goto(view if view.startswith("http") else demo.url + view)
        assert "\u29f8" not in page.evaluate("document.body.innerText"), view
    page.close()


def decision_page(demo, browser, code: str):
    """A page on the demo's one open decision of ``code``."""
    listed = demo.get("/api/decisions").json()
    [asked] = [d for g in listed["groups"] for d in g["decisions"] if d["code"] == code]
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{demo.url}/decisions/{asked['id']}")
    return page


def test_an_album_s_question_names_its_files_within_the_album(demo, browser):
    """The question names the album; its evidence names each file within it (before: every
    track's line began with the album's folder again)."""
    page = decision_page(demo, browser, "inconsistent-year")
    album = "1973 - The Dark Side of the Moon"
    expect(page.locator(".asks")).to_contain_text(album)
    values = page.locator("table.evidence").first
    expect(values).to_contain_text("5: 01 - Speak to Me.flac, 02 - Breathe.flac")
    tracks = page.locator("table.evidence", has_text="Its tracks as they are")
    expect(tracks.locator("tbody tr").first.locator("td").first).to_have_text(
        "01 - Speak to Me.flac")
    assert f"{album}/" not in page.locator(".decision").inner_text()
    page.close()


def test_a_damaged_file_s_missing_good_copy_is_said_once(demo, browser):
    """The damage table says why no good copy can restore it; the terminal's note saying it
    again under the table is left out of the page."""
    page = decision_page(demo, browser, "decode-error")
    why = "no audio checksum was recorded for it when it was last found whole"
    table = page.locator("table.evidence", has_text="The damage")
    expect(table).to_contain_text(why)
    assert page.locator(".decision").inner_text().count(why) == 1
    page.close()


def test_a_question_about_doubled_spaces_shows_them(demo, browser):
    """The demo's title 'Karma  Police' (two spaces, in a file the toolkit may not write): the
    page drew it 'Karma Police' in the question and in its tracks' table, HTML folding the
    run of spaces, so it asked about what it did not show; a value typed with them is refused
    in words that show them too (it read "give 'Karma Police'" of 'Karma Police')."""
    page = decision_page(demo, browser, "whitespace")
    assert "The title 'Karma  Police' has" in page.locator(".asks").inner_text()
    tracks = page.locator("table.evidence", has_text="Its tracks as they are")
    assert "Karma  Police" in tracks.locator("tbody td").all_inner_texts()
    page.locator('input[name="value"]').fill("Karma  Police")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#said")).to_contain_text("give 'Karma Police'", timeout=30_000)
    assert "the title value 'Karma  Police': leading" in page.locator("#said").inner_text()
    page.close()


def test_without_javascript_every_view_reads_and_says_where_to_act(demo, browser):
    """Issue 70: the views read without JavaScript (each server-rendered whole); what acts
    needs it, and says so with the command that does it from a terminal: never a form that
    lands on the API's JSON."""
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    listed = demo.get("/api/decisions").json()
    first = listed["groups"][0]["decisions"][0]
    page.goto(demo.url + "/")
    expect(page.locator("#decisions-total")).to_have_text(f"{listed['total']:,}")
    expect(page.locator(".question")).not_to_have_count(0)
    expect(page.locator("#live")).to_have_text("not live (reload to update)")
    form = page.locator('#queues form.batch[data-kind="music"]')
    # (What a <noscript> holds is no text to Playwright's expect: its inner text is read.)
    assert f"music batch --home {demo.home} starts one" in form.inner_text()
    form.get_by_role("button", name="Start a batch").click()
    page.wait_for_load_state()
    assert '{"error"' not in page.content() and demo.get("/api/batches").json()["running"] == []
    page.locator(f'.question[data-id="{first["id"]}"]').get_by_role(
        "link", name="Evidence and choices").click()  # fmt: skip
    expect(page.locator(".decision")).to_contain_text(first["question"])
    said = page.locator(".decision").inner_text()
    assert f"decide --home {demo.home} --id {first['id']} takes it" in said
    page.goto(demo.url + "/library?kind=music&q=bj%C3%B6rk")
    expect(page.locator("#items .item")).to_have_count(1)
    page.goto(demo.url + "/changes")
    expect(page.locator("#changes li")).not_to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
