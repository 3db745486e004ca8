"""A whole group's preview shows the whole group before anything is written (issue 70): every
file and field a group choice would change, for a group of more than a hundred decisions on
real files, alike from ``decide --dry-run``, ``POST /api/decisions/preview`` and the page;
the take that carries the preview's token takes exactly what was previewed, and a file
changed between the preview and the take refuses the whole take with nothing written.
Real FLAC files scanned by the real batch, a real ``mediakeeper serve`` asked over HTTP."""

from __future__ import annotations

import re
import shutil

import mutagen
import pytest

from tests.helpers import run_script, tag_by_hand
from tests.helpers.audio import build_library
from tests.integration.serving import serve

ARTISTS = 105  # more than the page's old limit of a hundred previewed
CODE = "filename-mismatch"


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """``ARTISTS`` artists whose album's first two tracks have their tag numbers swapped (the
    file names say 1 and 2): one filename-mismatch question each, after a real batch."""
    where = tmp_path_factory.mktemp("group")
    lib = where / "lib"
    spec = {}
    for a in range(ARTISTS):
        artist = f"Artist {a:03d}"
        for n in (1, 2, 3):
            tags = {"title": f"Song {n}", "artist": artist, "albumartist": artist,
                    "album": "Album", "date": "2001", "tracknumber": str({1: 2, 2: 1}.get(n, n))}
            spec[f"{artist}/2001 - Album/0{n} - Song {n}.flac"] = {"tags": tags}  # fmt: skip
    build_library(lib, spec)
    return lib


@pytest.fixture
def asked(library, tmp_path):
    """A copy of the library and a data home whose batch asked the group's questions."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    shutil.copytree(library, lib)
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline",
                       "--batch-size", "1000", timeout=600)  # fmt: skip
    assert batch.returncode == 1, batch.stdout + batch.stderr  # it leaves the questions
    return home, lib


def tracknumbers(lib) -> dict[str, list]:
    return {str(p.relative_to(lib)): mutagen.File(p).get("tracknumber")
            for p in sorted(lib.rglob("*.flac"))}  # fmt: skip


def files_of(lib) -> dict[str, bytes]:
    return {str(p.relative_to(lib)): p.read_bytes() for p in sorted(lib.rglob("*.flac"))}


def test_decide_dry_run_says_every_write_of_the_whole_group(asked):
    home, lib = asked
    before = files_of(lib)
    shown = run_script("decide.py", "--home", home, "music", "--all", "--group", CODE,
                       "--choose", "1", "--dry-run")  # fmt: skip
    assert shown.returncode == 0, shown.stdout + shown.stderr
    said = re.findall(r"^would set tracknumber of (Artist \d{3})/2001 - Album/0(\d) - Song \d"
                      r"\.flac: '(\d)' -> '(\d)'$", shown.stdout, re.M)  # fmt: skip
    assert len(said) == 2 * ARTISTS  # both tracks of every artist, the last ones too
    assert ("Artist 104", "2", "1", "2") in said
    assert f"dry run: {ARTISTS} decisions in {ARTISTS} artists would be closed" in shown.stdout
    assert files_of(lib) == before


def test_decide_dry_run_of_a_dismissal_says_what_it_would_close(asked):
    home, _ = asked
    shown = run_script("decide.py", "--home", home, "music", "--all", "--dismiss", CODE,
                       "--dry-run")  # fmt: skip
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert f"dry run: {ARTISTS} decisions in {ARTISTS} artists would be closed" in shown.stdout


def test_the_api_and_the_page_preview_the_whole_group_and_the_take_is_exactly_it(asked):
    home, lib = asked
    server = serve(home)
    try:
        before = files_of(lib)
        body = {"kind": "music", "code": CODE, "all": True, "choose": 1}
        preview = server.post("/api/decisions/preview", body)
        assert preview.status_code == 200, preview.text
        shown = preview.json()
        assert shown["closes"] == ARTISTS and len(shown["decisions"]) == ARTISTS
        listed = {d["id"] for g in server.get("/api/decisions").json()["groups"]
                  for d in g["decisions"]}  # fmt: skip
        assert {d["id"] for d in shown["decisions"]} == listed
        assert len(shown["writes"]) == 2 * ARTISTS
        last = [w for w in shown["writes"] if w["item"] == "Artist 104"]
        assert {(w["file"], w["old"], w["new"]) for w in last} == {
            ("2001 - Album/01 - Song 1.flac", "2", "1"),
            ("2001 - Album/02 - Song 2.flac", "1", "2")}  # fmt: skip
        assert all(w["path"] == str(lib / w["item"] / w["file"]) for w in shown["writes"])
        pages = [server.get(f"/decisions/group?kind=music&code={CODE}&choose=1&page={n}")
                 for n in (1, 2, 3)]  # fmt: skip
        assert [p.status_code for p in pages] == [200] * 3
        for page in pages:  # each page says the whole, with its token, and shows its items
            assert f"{ARTISTS} decisions in {ARTISTS} items" in page.text
            assert f"{2 * ARTISTS} values would be written to {2 * ARTISTS} files" in page.text
            assert f'data-token="{shown["token"]}"' in page.text
        assert [p.text.count("<li><strong>Artist ") for p in pages] == [50, 50, 5]
        assert "Items 1–50 of 105 (page 1 of 3)" in pages[0].text
        assert "<li><strong>Artist 104</strong>" in pages[2].text  # the last item, paged
        assert files_of(lib) == before  # nothing written by any preview

        took = server.post("/api/decisions", {**body, "token": shown["token"]})
        assert took.status_code == 200 and took.json()["closed"] == ARTISTS, took.text
        numbers = tracknumbers(lib)
        for w in shown["writes"]:
            assert numbers[f"{w['item']}/{w['file']}"] == [w["new"]]
        untouched = {p: b for p, b in before.items() if "03 - Song 3" in p}
        assert {p: b for p, b in files_of(lib).items() if p in untouched} == untouched
        assert server.get("/api/decisions").json()["total"] == 0
    finally:
        server.stop()


def test_a_file_changed_between_the_preview_and_the_take_refuses_it_whole(asked):
    home, lib = asked
    server = serve(home)
    try:
        body = {"kind": "music", "code": CODE, "all": True, "choose": 1}
        token = server.post("/api/decisions/preview", body).json()["token"]
        tag_by_hand(lib / "Artist 104" / "2001 - Album" / "01 - Song 1.flac", "title", "Song One")
        before = files_of(lib)
        took = server.post("/api/decisions", {**body, "token": token})
        assert took.status_code == 409, took.text
        assert "changed since its preview; nothing written" in took.json()["error"]
        assert files_of(lib) == before  # not one file of the hundred others either
        assert server.get("/api/decisions").json()["total"] == ARTISTS
        again = server.post("/api/decisions/preview", body).json()
        assert again["token"] != token  # previewed anew, it is taken
        took = server.post("/api/decisions", {**body, "token": again["token"]})
        assert took.status_code == 200 and took.json()["closed"] == ARTISTS, took.text
    finally:
        server.stop()


def test_a_dismissal_previewed_names_every_decision_and_one_taken_since_refuses_it(asked):
    """Leaving a group as it is writes no file: its preview names each decision it closes;
    one decision taken since by ``decide`` in a terminal refuses the take."""
    home, _ = asked
    server = serve(home)
    try:
        body = {"kind": "music", "code": CODE, "all": True, "dismiss": CODE}
        shown = server.post("/api/decisions/preview", body).json()
        assert shown["writes"] == [] and len(shown["decisions"]) == ARTISTS
        dismissed = run_script("decide.py", "--home", home, "music", "Artist 000",
                               "--dismiss", CODE)  # fmt: skip
        assert dismissed.returncode == 0, dismissed.stdout + dismissed.stderr
        took = server.post("/api/decisions", {**body, "token": shown["token"]})
        assert took.status_code == 409, took.text
        assert server.get("/api/decisions").json()["total"] == ARTISTS - 1
        # Previewed again from what the server holds, the take (which reads the queue and
        # each document afresh) finds the same: taken.
        again = server.post("/api/decisions/preview", body).json()
        assert len(again["decisions"]) == ARTISTS - 1 and again["token"] != shown["token"]
        page = server.get(f"/decisions/group?kind=music&code={CODE}")
        assert f'data-token="{again["token"]}"' in page.text
        took = server.post("/api/decisions", {**body, "token": again["token"]})
        assert took.status_code == 200 and took.json()["closed"] == ARTISTS - 1, took.text
        assert server.get("/api/decisions").json()["total"] == 0
    finally:
        server.stop()


def test_the_page_shows_the_whole_group_and_takes_only_what_it_showed(asked, browser, tmp_path):
    """In the system's Chromium: the group's preview lists every item, in pages; a decision
    taken in a terminal between the preview and "Take it" refuses the take (the page says
    so) and nothing of the group is closed."""
    home, _ = asked
    server = serve(home)
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    try:
        page.goto(server.url + "/")
        acts = page.locator(f'.group-acts[data-kind="music"][data-code="{CODE}"]')
        acts.get_by_role("button").first.click()
        dialog = page.locator("dialog#ask")
        expect = pytest.importorskip("playwright.sync_api").expect
        expect(dialog).to_contain_text(f"for {ARTISTS} decisions in {ARTISTS} items")
        expect(dialog.locator(".preview-page li")).to_have_count(50)  # a page at a time
        expect(dialog.locator(".preview-pages")).to_contain_text("page 1 of 3")
        for shown in ("page 2 of 3", "page 3 of 3"):
            dialog.get_by_role("link", name=re.compile(r"^next")).click()
            expect(dialog.locator(".preview-pages")).to_contain_text(shown)
        expect(dialog.locator(".preview-page li")).to_have_count(5)  # 101-105
        expect(dialog).to_contain_text("Artist 104")
        expect(dialog).to_be_visible()  # a page's link leaves the dialog open
        page.screenshot(path=str(tmp_path / "group-preview.png"), full_page=True)
        took = run_script("decide.py", "--home", home, "music", "Artist 050", "--dismiss", CODE)
        assert took.returncode == 0, took.stdout + took.stderr
        dialog.get_by_role("button", name="Take it").click()
        expect(page.locator("#said")).to_contain_text("changed since its preview", timeout=30_000)
        assert server.get("/api/decisions").json()["total"] == ARTISTS - 1
    finally:
        page.close()
        server.stop()
