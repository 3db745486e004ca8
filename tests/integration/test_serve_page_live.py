"""The dashboard page (issues 61 and 62) in a real browser, the system's Chromium driven by
Playwright: a batch started from the page and stopped from it, its counts changing live; and
whether a watcher runs on the home and what it queued, as it starts and stops. A real
``serve``, real batches and a real watcher in processes of their own."""

from __future__ import annotations

import pytest

from tests.helpers import build_library, wait_until
from tests.integration.serving import page_errors, script, serve
from tests.integration.test_page_focus import shot
from tests.integration.watching import home_for, library, track
from tests.servers.musicbrainz import FakeMusicBrainz

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
WAIT = 60_000  # ms a page may take to show a change (a batch's start, a watcher's look)
NAMES = ("Zzyzx Alpha", "Zzyzx Bravo", "Zzyzx Charlie")  # artists MusicBrainz does not know


def served_looking_up(tmp_path, fake: FakeMusicBrainz):
    """A home of three artists queued, served with lookups against ``fake``."""
    lib = build_library(tmp_path / "lib", {f"{n}/Album/01 - One.flac": track("One", n)
                                           for n in NAMES})  # fmt: skip
    home = tmp_path / "home"
    assert script("music", "queue", "--home", home, "--init", "--library", lib).returncode == 0
    env = {"MEDIAKEEPER_MUSIC_LOOKUPS": "true", "MEDIAKEEPER_MUSICBRAINZ_URL": fake.url,
           "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "0", "MEDIAKEEPER_MUSICBRAINZ_TIMEOUT": "3600",
           "MEDIAKEEPER_MUSICBRAINZ_RETRIES": "0"}  # fmt: skip
    return serve(home, env=env)


@pytest.fixture
def gated(tmp_path):
    """A home of three artists, served with lookups against the local MusicBrainz, which
    answers the first request at once and every later one only as it stops: a batch
    completes one artist (one search each), then waits on the web with the others in hand."""
    fake = FakeMusicBrainz().start()
    fake.delay(0, times=1)
    fake.delay(3600, times=None)
    server = served_looking_up(tmp_path, fake)
    yield server
    server.stop()
    fake.stop()  # a batch still waiting on it (a failed test) goes on offline, and ends


def count(page, status: str):
    return page.locator(f'[data-count="music:{status}"]')


def test_a_batch_started_from_the_page_and_stopped_from_it(gated, browser):
    page = browser.new_page()
    errors = page_errors(page)
    page.goto(gated.url + "/")
    expect(page.locator("#live")).to_have_text("live")
    expect(count(page, "pending")).to_have_text("3")
    expect(page.locator('[data-running="music"] li')).to_have_count(0)

    form = page.locator('form.batch[data-kind="music"]')
    form.locator('input[name="batch_size"]').fill("3")
    form.get_by_role("button", name="Start a batch").click()
    expect(page.locator("#said")).to_contain_text("Started ", timeout=WAIT)
    session = page.locator("#said").text_content().removeprefix("Started ")
    running = page.locator('[data-running="music"] li')
    expect(running).to_have_count(1)
    expect(running.locator(".session")).to_have_text(session)
    # The counts change without a reload: one artist done, the others in hand.
    expect(count(page, "completed")).to_have_text("1", timeout=WAIT)
    expect(count(page, "pending")).to_have_text("0")
    expect(count(page, "in_progress")).to_have_text("2")
    assert [b["session"] for b in gated.get("/api/batches").json()["running"]] == [session]
    # Both items in hand are shown, and the session's row came without a reload.
    expect(page.locator('[data-current="music"] [data-key]')).to_have_count(2)
    expect(page.locator('[data-current="music"] .none')).to_be_hidden()
    row = page.locator("#sessions tbody tr", has_text=session)
    expect(row).to_contain_text("running", timeout=WAIT)

    running.get_by_role("button", name="Stop").click()
    # Stopped as Ctrl+C stops it: what it finished stays, what it held goes back.
    expect(count(page, "in_progress")).to_have_text("0", timeout=WAIT)
    expect(count(page, "pending")).to_have_text("2")
    expect(count(page, "completed")).to_have_text("1")
    expect(running).to_have_count(0, timeout=WAIT)
    expect(row).to_contain_text("interrupted", timeout=WAIT)
    # "Stopping…" resolves: the page says the batch stopped and what it did; the rate and
    # the time left are gone with it.
    expect(page.locator("#said")).to_contain_text(f"Stopped {session}", timeout=WAIT)
    expect(page.locator("#last-batch")).to_contain_text("1 done")
    expect(page.locator('[data-rate="music"]')).to_be_hidden()
    expect(page.locator('[data-current="music"] [data-key]')).to_have_count(0)
    expect(page.locator('[data-current="music"] .none')).to_be_visible()
    assert wait_until(lambda: not gated.get("/api/batches").json()["running"])
    listed = script("sessions", "list", "--home", gated.home, "--json").stdout
    assert f'"id": "{session}"' in listed and '"outcome": "interrupted"' in listed
    assert errors == []
    page.close()


def test_a_batch_of_no_size_is_asked_for_in_the_box_not_refused_in_the_api_s_words(
    gated, browser
):
    """The box emptied: the browser asks for a number at the box, and no batch is asked of
    the server (which would refuse 'batch_size: Input should be a valid integer')."""
    page = browser.new_page()
    page.goto(gated.url + "/")
    expect(page.locator("#live")).to_have_text("live")
    form = page.locator('form.batch[data-kind="music"]')
    box = form.locator('input[name="batch_size"]')
    box.fill("")
    form.get_by_role("button", name="Start a batch").click()
    assert box.evaluate("b => b.validity.valueMissing")
    expect(page.locator("#said")).not_to_contain_text("batch_size")
    assert gated.get("/api/batches").json()["running"] == []
    page.close()

def test_the_page_shows_whether_a_watcher_runs_and_what_it_queued(tmp_path, browser, watching):
    music = library(tmp_path / "Music", "Artist A")
    home = home_for(tmp_path, music=music)
    server = serve(home)
    try:
        page = browser.new_page()
        page.goto(server.url + "/")
        state = page.locator("#watcher-state")
        expect(state).to_contain_text("No watcher runs on this home")

        watcher = watching(home, "--kind", "music")
        assert watcher.said("Artist A")  # caught up: it queued what it found
        expect(state).to_contain_text(f"Running (pid {watcher.proc.pid} on ", timeout=WAIT)
        expect(page.locator("#watcher-libraries")).to_have_text(f"Watching music: {music}")
        lines = page.locator("#watcher-lines")
        expect(lines).to_contain_text("music: queued Artist A (new)", timeout=WAIT)

        # Rendered by the server too: readable without JavaScript.
        plain = browser.new_context(java_script_enabled=False).new_page()
        plain.goto(server.url + "/")
        expect(plain.locator("#watcher-state")).to_contain_text(f"pid {watcher.proc.pid}")
        expect(plain.locator("#watcher-lines")).to_contain_text("music: queued Artist A (new)")

        assert watcher.stop() == 0
        expect(state).to_contain_text("No watcher runs on this home (the last stopped",
                                      timeout=WAIT)  # fmt: skip
        expect(page.locator("#watcher-libraries li")).to_have_count(0)
        expect(lines).to_contain_text("music: queued Artist A (new)")  # what the last one did
        plain.context.close()
        page.close()
    finally:
        server.stop()


def test_a_queue_made_after_the_page_appears_on_it_with_its_batch(tmp_path, browser):
    lib = build_library(tmp_path / "lib", {f"{n}/Album/01 - One.flac": track("One", n)
                                           for n in NAMES})  # fmt: skip
    home = tmp_path / "home"
    assert script("music", "queue", "--home", home, "--init", "--library", lib).returncode == 0
    server = serve(home)
    try:
        page = browser.new_page()
        page.goto(server.url + "/")
        expect(page.locator("#live")).to_have_text("live")
        expect(page.locator('#queues article[data-kind="verify"]')).to_have_count(0)
        made = script("verify", "queue", "--home", home, "--init", "--library", lib)
        assert made.returncode == 0, made.stdout + made.stderr
        run = script("verify", "batch", "--home", home)  # another process, another kind
        assert run.returncode == 0, run.stdout + run.stderr
        queue = page.locator('#queues article[data-kind="verify"]')
        expect(queue).to_have_count(1, timeout=WAIT)
        expect(queue.locator('[data-count="verify:completed"]')).to_have_text("3")
        expect(page.locator("#sessions tbody tr", has_text="verify")).to_have_count(1)
        page.close()
    finally:
        server.stop()


def test_a_server_gone_then_back_is_said_in_words_and_then_no_more(processed, browser):
    """The server stopped under an open page, then started again: the page's looks failed as
    the browser's "Failed to fetch", said at the foot of the window and still said once the
    server was back and the page live again. It is said in words, and no more once back."""
    home, _ = processed
    server = serve(home)
    page = browser.new_page()
    errors = page_errors(page)
    page.goto(server.url + "/")
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT)
    server.stop()
    expect(page.locator("#live")).to_have_text("reconnecting…", timeout=WAIT)
    said = page.locator("#said")
    expect(said).to_have_text("The server does not answer: reconnecting…", timeout=WAIT)
    back = serve(home, port=int(server.url.rsplit(":", 1)[1]))
    try:
        expect(page.locator("#live")).to_have_text("live", timeout=WAIT)
        expect(said).to_have_text("", timeout=WAIT)
        assert errors == []
    finally:
        back.stop()
        page.close()


def test_an_item_named_in_latin_1_bytes_is_shown_once_in_hand_and_gone_when_done(
    tmp_path, browser
):
    """The page's "Now:" list matched an event's item to the one it shows by name: the name
    the server rendered ('Bj\\udcf6rk', its undecodable byte spelled as its escape) was not
    the name the event held (the byte itself), so a step of an artist named in Latin-1 bytes
    showed it twice, and its end left it there. Matched by the item's key, it is shown once,
    spelled as the server spells it, then gone.
    (This process is the batch: its session open, the artist claimed, its stage noted and
    its result recorded in the queue as a batch's are.)"""
    import os

    from mediakeeper.queue.session_log import start_session
    from mediakeeper.queue.store import QueueStore

    latin = os.fsdecode(b"Bj\xf6rk")
    lib = build_library(tmp_path / "lib", {f"{latin}/Album/01 - One.flac": track("One", "Björk"),
                                           "Plain/Album/01 - One.flac": track("One", "Plain")})
    home = tmp_path / "home"
    assert script("music", "queue", "--home", home, "--init", "--library", lib).returncode == 0
    session = start_session(home / "status", "music", description="batch of 2")
    store = QueueStore(home / "status" / "music", "music")
    [held] = store.claim_many(session.id, 1, keys={latin})
    server = serve(home)
    try:
        page = browser.new_page()
        errors = page_errors(page)
        page.goto(server.url + "/")
        expect(page.locator("#live")).to_have_text("live")
        now = page.locator('[data-current="music"] > span:not(.none)')
        expect(now).to_have_text("Bj\\udcf6rk")
        store.note_stage(held["key"], session.id, "scanning")
        expect(now).to_have_text("Bj\\udcf6rk (scanning)", timeout=WAIT)  # spelled alike
        expect(now).to_have_count(1)
        store.record_success(held["key"], session.id, counts={})
        expect(now).to_have_count(0, timeout=WAIT)
        expect(page.locator('[data-current="music"] .none')).to_be_visible()
        assert errors == []
        page.close()
    finally:
        server.stop()


def a_batch_s_page(server, browser):
    """A music batch of three started, and the page open on it, live: (its session, the
    page, the page's errors as they come)."""
    started = server.post("/api/batches", {"kind": "music", "batch_size": 3})
    assert started.status_code in (200, 201, 202), started.text
    page = browser.new_page(bypass_csp=True)  # wait_for_function evaluates a string
    errors = page_errors(page)
    page.goto(server.url + "/")
    expect(page.locator("#live")).to_have_text("live")
    return started.json()["session"], page, errors


def tab_to(page, stop, within: str) -> None:
    """The keyboard's focus Tabbed to ``stop``, the first control in ``within`` it meets."""
    expect(stop).to_have_count(1, timeout=WAIT)
    for _ in range(300):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.closest({within!r}) !== null"):
            break
    expect(stop).to_be_focused()


def test_a_batch_s_stop_keeps_the_focus_until_its_batch_has_stopped(gated, browser):
    """The activity's Stop is made anew at every look at the batches (every few seconds): a
    keyboard on it lost the focus to the page's top before it could press it, and pressed,
    it was disabled, which took the focus off it too. The focus now stays on it, and once the
    batch stopped goes to the line that says how it ended, and stays there as the view is
    rendered anew (it fell to the page's top with that line replaced)."""
    _, page, errors = a_batch_s_page(gated, browser)
    stop = page.locator('[data-running="music"] button[data-action="stop"]')
    tab_to(page, stop, "[data-running]")
    page.evaluate("window.stopBefore = document.activeElement")
    page.wait_for_function("document.querySelector('[data-running] button') !== window.stopBefore",
                           timeout=WAIT)  # fmt: skip
    expect(stop).to_be_focused()  # the one made anew
    shot(page, "sessions-stop")
    page.keyboard.press("Enter")
    expect(page.locator("#said")).to_contain_text("Stopped", timeout=WAIT)
    expect(page.locator("#last-batch")).to_be_focused(timeout=WAIT)
    expect(page.locator("#last-batch")).to_contain_text("interrupted")
    page.evaluate("window.lastBefore = document.getElementById('last-batch')")
    # An artist still pending skipped from the terminal: its event, the view rendered anew.
    items = gated.get("/api/queues/music/items").json()["items"]
    pending = next(i["name"] for i in items if i["status"] == "pending")
    skipped = script("music", "queue", "--home", gated.home, "--skip-artist", pending)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    page.wait_for_function("document.getElementById('last-batch') !== window.lastBefore",
                           timeout=WAIT)  # fmt: skip
    expect(page.locator("#last-batch")).to_be_focused(timeout=WAIT)
    assert errors == []
    page.close()


@pytest.fixture
def held(tmp_path):
    """As ``gated``, but every MusicBrainz request held until the test lets one go
    (``held.fake.let_go``): an artist of the batch completes when the test says, and brings
    the view rendered anew (its sessions table with it); a Stop ends the batch there."""
    fake = FakeMusicBrainz().start()
    fake.hold(times=None)
    server = served_looking_up(tmp_path, fake)
    server.fake = fake
    yield server
    server.stop()
    fake.let_go()  # a batch still waiting on it (a failed test) goes on, and ends
    fake.stop()


def test_the_sessions_table_s_stop_keeps_the_focus_until_its_batch_has_stopped(held, browser):
    """The sessions table is the server's rendering, taken anew at every item a batch
    completes: its Stop, focused, keeps the focus through it (the Stop made anew), pressed it
    is said pressed (aria-disabled) and keeps the focus, and once the batch stopped the focus
    goes to the line that says how the batch ended, not to the page's top (where a Stop
    outside the activity's list lost it)."""
    session, page, errors = a_batch_s_page(held, browser)
    stop = page.locator(f'#sessions button[data-action="stop"][data-session="{session}"]')
    tab_to(page, stop, "#sessions")
    page.evaluate("window.sessionsBefore = document.getElementById('sessions')")
    held.fake.let_go(1)  # one artist's search answered: it completes, the table rendered anew
    expect(count(page, "completed")).to_have_text("1", timeout=WAIT)
    page.wait_for_function("document.getElementById('sessions') !== window.sessionsBefore",
                           timeout=WAIT)  # fmt: skip
    expect(stop).to_be_focused()  # the one made anew
    shot(page, "sessions-stop")
    # The stop's request held on its way while the pressed Stop is looked at: let through,
    # a batch may stop before the look (it did, on a loaded host), the Stop gone with it.
    on_the_way = []
    page.route("**/api/batches/*/stop", lambda route: on_the_way.append(route))
    page.keyboard.press("Enter")
    expect(stop).to_have_attribute("aria-disabled", "true")
    expect(stop).to_have_text("Stopping…")
    expect(stop).to_be_focused()
    for _ in range(WAIT // 50):  # the route's handler runs as the page's events are heard
        if on_the_way:  # (within WAIT, as every look of these tests: 10 s was once too few)
            break
        page.wait_for_timeout(50)
    assert len(on_the_way) == 1, on_the_way  # pressed once: asked once
    on_the_way[0].continue_()
    expect(page.locator("#said")).to_contain_text(f"Stopped {session}", timeout=WAIT)
    expect(page.locator("#last-batch")).to_be_focused(timeout=WAIT)
    expect(page.locator("#last-batch")).to_contain_text("interrupted")
    shot(page, "sessions-stop-ended")
    assert errors == []
    page.close()


def test_a_stop_pressed_stays_said_pressed_through_the_view_rendered_anew(held, browser):
    """Pressed, a Stop says "Stopping…" and is pressed no more (aria-disabled) until its batch
    has stopped. The sessions table is the server's rendering, taken anew at every artist a
    batch completes, and brought back a plain Stop while its batch was still stopping: one
    that could be pressed again, said to a screen reader as never pressed. Here the stop's
    request is held on its way (a slow network) while an artist completes."""
    session, page, errors = a_batch_s_page(held, browser)
    on_the_way = []
    page.route("**/api/batches/*/stop", lambda route: on_the_way.append(route))
    stop = page.locator(f'#sessions button[data-action="stop"][data-session="{session}"]')
    expect(stop).to_have_count(1, timeout=WAIT)
    page.evaluate("window.sessionsBefore = document.getElementById('sessions')")
    stop.click()
    expect(stop).to_have_text("Stopping…")
    held.fake.let_go(1)  # one artist's search answered: it completes, the table rendered anew
    expect(count(page, "completed")).to_have_text("1", timeout=WAIT)
    page.wait_for_function("document.getElementById('sessions') !== window.sessionsBefore",
                           timeout=WAIT)  # fmt: skip
    expect(stop).to_have_text("Stopping…")
    expect(stop).to_have_attribute("aria-disabled", "true")
    shot(page, "sessions-stopping-rendered-anew")
    assert len(on_the_way) == 1  # pressed once: asked once
    on_the_way[0].continue_()
    expect(page.locator("#said")).to_contain_text(f"Stopped {session}", timeout=WAIT)
    assert errors == []
    page.close()
