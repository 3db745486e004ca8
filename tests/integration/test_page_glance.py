"""The review queue decided at a glance (an outside audit of the page), in the system's
Chromium through a real ``serve`` over real files processed by a real batch (or scan): a file
name's track number beside the tag's; a preview that no longer says what a new press would do
taken off before that press is answered, so a "Take it" shown is always the last choice's;
a duplicate group's copies side by side within a desktop window."""

from __future__ import annotations

import mutagen
import pytest

from tests.helpers import run_script
from tests.helpers.dupes import build, scanned
from tests.integration.serving import page_errors, serve
from tests.integration.test_decisions_truth import album

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
WAIT = 30_000
QUOTED = """2000 - It's "Q" \\ 2"""


@pytest.fixture
def served(tmp_path, music_library):
    """An album whose files 04 and 05 carry each other's track number in their tags (the
    demo's Björk), and a loose track without an artist; after one offline batch, served."""
    spec = album("Swapped/2000 - Swapped", "Swapped", 6, album="Swapped", date="2000",
                 albumartist="Swapped")  # fmt: skip
    spec["Swapped/2000 - Swapped/04 - Song 4.flac"]["tags"]["tracknumber"] = "5"
    spec["Swapped/2000 - Swapped/05 - Song 5.flac"]["tags"]["tracknumber"] = "4"
    spec["Nameless/Loose Song.flac"] = {"tags": {"title": "Loose Song"}}
    # An album whose years split two against two, its folder's name with both quotes and a
    # backslash in it.
    quoted = album(f"Quoted/{QUOTED}", "Quoted", 4, album="Quoted", albumartist="Quoted")
    for n, (_, track) in enumerate(sorted(quoted.items())):
        track["tags"]["date"] = "2000" if n < 2 else "2001"
    spec |= quoted
    lib, home = tmp_path / "lib", tmp_path / "home"
    music_library(lib, spec)
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr
    server = serve(home)
    yield server
    server.stop()


def opened(page, code: str):
    """The first question of ``code``'s group, its evidence and choices opened in place."""
    question = page.locator(f'article.group[data-code="{code}"] li.question').first
    question.get_by_role("link", name="Evidence and choices").click()
    expect(question.locator(".decision")).to_be_visible(timeout=WAIT)
    return question


def test_a_file_names_number_is_shown_beside_its_tags(served, browser):
    """"The file name says track 4, the tag 5" names one file of two: each file's tag is
    shown beside its name, which is what the two choices set one from the other."""
    page = browser.new_page()
    errors = page_errors(page)
    page.goto(served.url + "/")
    question = opened(page, "filename-mismatch")
    rows = question.locator(".decision table.evidence tr")
    expect(rows.first).to_contain_text("tracknumber")
    expect(rows.filter(has_text="04 - Song 4.flac")).to_contain_text("5")
    expect(rows.filter(has_text="05 - Song 5.flac")).to_contain_text("4")
    assert errors == []


def test_a_name_is_asked_about_as_it_is_spelled(served, browser):
    """An album's name in its question is its own, quotes and backslash as they are, never
    Python's spelling of it (``'It\\'s'``, a backslash doubled), and its values' choices
    likewise."""
    page = browser.new_page()
    errors = page_errors(page)
    page.goto(served.url + "/")
    question = page.locator("li.question", has_text="Quoted")
    expect(question.locator(".q")).to_have_text(
        f"Which year is right for the album '{QUOTED}'? Its tracks disagree.")  # fmt: skip
    question.get_by_role("link", name="Evidence and choices").click()
    choice = "1) date '2000' for the album's 4 tracks"
    expect(question.locator(".decision").get_by_role("button", name=choice)).to_be_visible()
    assert errors == []


def test_a_decisions_own_view_answers_the_keys_it_lists(served, browser):
    """The keys every view lists work on a decision's own view too, its one decision being
    the question: d previews leaving it as it is, a number previews that choice, y takes the
    preview shown, and the files are written as it said."""
    page = browser.new_page()
    errors = page_errors(page)
    page.goto(served.url + "/")
    link = page.locator("li.question", has_text="Quoted").get_by_role("link",
                                                                     name="Evidence and choices")
    page.goto(served.url + link.get_attribute("href"))
    preview = page.locator("#one-decision .preview")
    page.keyboard.press("d")
    expect(preview).to_contain_text("left as it is", timeout=WAIT)
    page.keyboard.press("2")
    expect(preview).to_contain_text("chose date '2001'", timeout=WAIT)
    page.keyboard.press("y")
    expect(page.locator("#said")).to_contain_text("1 closed", timeout=WAIT)
    folder = served.home.parent / "lib" / "Quoted" / QUOTED
    assert {mutagen.File(f)["date"][0] for f in folder.glob("*.flac")} == {"2001"}
    assert errors == []


def test_a_press_not_answered_leaves_no_other_choices_take(served, browser):
    """"Leave as it is" previewed, then a value to set previewed with its box still empty:
    the page says to type it, and the dismissal's "Take it" is gone with its preview, not
    left under the press it does not answer."""
    page = browser.new_page()
    errors = page_errors(page)
    page.goto(served.url + "/")
    question = opened(page, "missing-artist")
    question.locator(".decision").get_by_role("button", name="Leave as it is").click()
    preview = question.locator(".preview")
    expect(preview).to_contain_text("left as it is", timeout=WAIT)
    question.locator(".decision").get_by_role("button", name="Preview").click()
    expect(page.locator("#said")).to_contain_text("Type the value first.", timeout=WAIT)
    expect(preview.get_by_role("button", name="Take it")).to_have_count(0)
    assert errors == []


@pytest.fixture
def copies_served(tmp_path):
    """The dupes tests' library (an album in FLAC and as an MP3 rip, single tracks copied
    elsewhere), scanned; served."""
    home = tmp_path / "home"
    groups = scanned(home, build(tmp_path))
    server = serve(home)
    yield server, groups
    server.stop()


def copies_of(page, group):
    """The table of a duplicate group's copies, its question's evidence opened."""
    question = page.locator(".question", has=page.locator(
        f'.acts[data-kind="dupes"][data-name="{group["id"]}"]'))  # fmt: skip
    question.get_by_role("link", name="Evidence and choices").click()
    return question.locator("table.copies")


def test_every_copy_is_seen_whole_beside_the_others(copies_served, browser):
    """On a desktop window, a duplicate group's copies side by side fit it: the grade and why
    it ranks below, the last of eight columns, is not pushed past the table's edge (each
    word of it a line); and a copy of one file says "1 file"."""
    server, groups = copies_served
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors = page_errors(page)
    page.goto(server.url + "/")
    copies = copies_of(page, next(g for g in groups if g["level"] == "album"))
    expect(copies).to_contain_text("ranks below", timeout=WAIT)
    scroll = copies.locator("xpath=..")
    assert scroll.evaluate("e => e.scrollWidth <= e.clientWidth"), "the copies overflow"
    copies = copies_of(page, next(g for g in groups if g["level"] == "track"))
    expect(copies).to_contain_text("(1 file)", timeout=WAIT)
    expect(copies).not_to_contain_text("(1 files)")
    assert errors == []


def test_each_view_lists_the_keys_it_answers(served, browser):
    """Every view's footer listed the overview's keys: on a decision's own view j/k move
    through no list of questions, on the library no question takes a number or d, and /
    searches only where there is a search. Each view lists the keys it answers alone."""
    [first, *_] = [d["id"] for g in served.get("/api/decisions").json()["groups"]
                   for d in g["decisions"]]  # fmt: skip
    page = browser.new_page()
    errors = page_errors(page)
    footer = page.locator("footer")
    listed = {}
    for view in ("/", f"/decisions/{first}", "/library", "/changes"):
        page.goto(served.url + view)
        listed[view] = footer.inner_text()
    assert listed["/"].startswith("Keys: j/k next/previous question · o its evidence"), listed
    one = listed[f"/decisions/{first}"]
    assert one.startswith("Keys: 1–9 preview a choice · y take the preview shown · d"), one
    assert "j/k" not in one and "search" not in one, one
    assert listed["/library"] == "Keys: / search · u undo the last change", listed
    assert listed["/changes"] == "Keys: u undo the last change", listed
    # A key a view lists does what it says: d on the decision's own view previews leaving it.
    page.goto(served.url + f"/decisions/{first}")
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT)
    page.keyboard.press("d")
    expect(page.locator("#one-decision .preview")).to_contain_text("Take it", timeout=WAIT)
    assert errors == []
    page.close()
