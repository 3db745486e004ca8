"""A whole group's preview shows the whole group before anything is written (issue 70): every
file and field a group choice would change, for a group of more than a hundred decisions on
real files, from ``decide --dry-run`` and ``POST /api/decisions/preview`` whole, and from the
page a page of items at a time (each page computed when asked); the take that carries the
preview's token takes exactly what was previewed (what the pages said together), and a file
changed between the preview and the take refuses the whole take with nothing written. A
dismissal is previewed from the queue alone: the decisions' ids are in each item's details.
Real FLAC files scanned by the real batch, a real ``mediakeeper serve`` asked over HTTP."""

from __future__ import annotations

import re
import shutil

import mutagen
import pytest

from mediakeeper.core.decisions import ALBUMS_ASKED
from mediakeeper.decisions import ids, whole_group
from mediakeeper.decisions.listing import HeldDecisions
from mediakeeper.queue.store import QueueStore
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


def take_whole(server, body: dict, token: str, lib, before: dict[str, bytes]) -> dict[str, list]:
    """Take the group ``body`` previewed with ``token``: every decision closed, nothing left
    open, the third tracks (no question asked of them) as they were; each track's number
    after it."""
    took = server.post("/api/decisions", {**body, "token": token})
    assert took.status_code == 200 and took.json()["closed"] == ARTISTS, took.text
    untouched = {p: b for p, b in before.items() if "03 - Song 3" in p}
    assert {p: b for p, b in files_of(lib).items() if p in untouched} == untouched
    assert server.get("/api/decisions").json()["total"] == 0
    return tracknumbers(lib)


ROW = re.compile(r"<li><strong>(Artist \d{3})</strong>: (.*?)</li>")
WRITE = re.compile(r"(2001 - Album/0\d - Song \d\.flac) tracknumber “(\d)” → “(\d)”")


def said_by(page: str) -> set[tuple[str, str, str, str]]:
    """Each write a page of a group's preview says: (item, file, old, new)."""
    return {(item, *write) for item, row in ROW.findall(page) for write in WRITE.findall(row)}


def token_of(page: str) -> str:
    return re.search(r'data-token="([^"]+)"', page).group(1)


def choice_pages(server) -> list[str]:
    pages = [server.get(f"/decisions/group?kind=music&code={CODE}&choose=1&page={n}")
             for n in (1, 2, 3)]  # fmt: skip
    assert [p.status_code for p in pages] == [200] * 3, [p.text for p in pages]
    return [p.text for p in pages]


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


def test_the_api_previews_the_whole_group_and_the_take_is_exactly_it(asked):
    home, lib = asked
    server = serve(home)
    try:
        before = files_of(lib)
        body = {"kind": "music", "code": CODE, "all": True, "choose": 1}
        preview = server.post("/api/decisions/preview", body)
        assert preview.status_code == 200, preview.text
        shown = preview.json()
        assert shown["closes"] == ARTISTS and len(shown["decisions"]) == ARTISTS
        groups = server.get("/api/decisions").json()["groups"]
        assert [g["means"] for g in groups] == ["the file name's track number is not the tag's"]
        listed = {d["id"] for g in groups for d in g["decisions"]}
        assert {d["id"] for d in shown["decisions"]} == listed
        assert len(shown["writes"]) == 2 * ARTISTS
        last = [w for w in shown["writes"] if w["item"] == "Artist 104"]
        assert {(w["file"], w["old"], w["new"]) for w in last} == {
            ("2001 - Album/01 - Song 1.flac", "2", "1"),
            ("2001 - Album/02 - Song 2.flac", "1", "2")}  # fmt: skip
        assert all(w["path"] == str(lib / w["item"] / w["file"]) for w in shown["writes"])
        assert files_of(lib) == before  # nothing written by the preview

        numbers = take_whole(server, body, shown["token"], lib, before)
        for w in shown["writes"]:
            assert numbers[f"{w['item']}/{w['file']}"] == [w["new"]]
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
        expect = pytest.importorskip("playwright.sync_api").expect
        # The group says what its code means, in words (the code beside, for a terminal).
        means = "The file name's track number is not the tag's"
        expect(page.locator(f'article[data-code="{CODE}"] h2')).to_contain_text(means)
        acts = page.locator(f'.group-acts[data-kind="music"][data-code="{CODE}"]')
        acts.get_by_role("button").first.click()
        dialog = page.locator("dialog#ask")
        expect(dialog.locator("#ask-title")).to_contain_text("the file name's track number")
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


def test_a_choice_previewed_page_by_page_is_exactly_what_the_take_writes(asked):
    """The page computes a choice's writes a page of items at a time; the pages together
    say every write, the API's whole preview says the same, and the take carrying the
    pages' token writes exactly that."""
    home, lib = asked
    server = serve(home)
    try:
        before = files_of(lib)
        pages = choice_pages(server)
        for page in pages:  # each page says the whole group's count, with one token
            assert f"for {ARTISTS} decisions in {ARTISTS} items: {ARTISTS} would be closed" in page
        token = token_of(pages[0])
        assert token.startswith(whole_group.PAGED) and {token_of(p) for p in pages} == {token}
        assert [p.count("<li><strong>Artist ") for p in pages] == [50, 50, 5]
        assert "Items 1–50 of 105 (page 1 of 3)" in pages[0]
        assert "these: 100 values would be written to 100 files" in pages[0]
        assert "Items 101–105 of 105 (page 3 of 3)" in pages[2]
        assert "<li><strong>Artist 104</strong>" in pages[2]  # the last item, paged
        said = set().union(*map(said_by, pages))
        assert len(said) == 2 * ARTISTS
        body = {"kind": "music", "code": CODE, "all": True, "choose": 1}
        whole = server.post("/api/decisions/preview", body).json()
        assert said == {(w["item"], w["file"], w["old"], w["new"]) for w in whole["writes"]}
        assert files_of(lib) == before  # nothing written by any preview

        numbers = take_whole(server, body, token, lib, before)
        assert {p: n for p, n in numbers.items() if "03 - Song 3" not in p} == {
            f"{item}/{file}": [new] for item, file, _, new in said}  # fmt: skip
    finally:
        server.stop()


def test_a_paged_preview_taken_after_a_change_anywhere_in_the_group_is_refused(asked):
    """The pages' token covers the whole group, its pages not shown too: a decision taken
    in a terminal since, or a file of an item on a page never shown changed since, refuses
    the take whole, nothing written."""
    home, lib = asked
    server = serve(home)
    try:
        body = {"kind": "music", "code": CODE, "all": True, "choose": 1}
        first = token_of(choice_pages(server)[0])
        took = run_script("decide.py", "--home", home, "music", "Artist 050", "--dismiss", CODE)
        assert took.returncode == 0, took.stdout + took.stderr
        before = files_of(lib)
        refused = server.post("/api/decisions", {**body, "token": first})
        assert refused.status_code == 409, refused.text
        assert "changed since its preview; nothing written" in refused.json()["error"]
        assert files_of(lib) == before

        again = choice_pages(server)  # only the first page looked at
        assert token_of(again[0]) != first
        tag_by_hand(lib / "Artist 104" / "2001 - Album" / "01 - Song 1.flac", "title", "Song One")
        before = files_of(lib)
        refused = server.post("/api/decisions", {**body, "token": token_of(again[0])})
        assert refused.status_code == 409, refused.text
        assert ("2001 - Album/01 - Song 1.flac of Artist 104 changed since the batch read it; "
                "nothing written") in refused.json()["error"]  # fmt: skip
        assert files_of(lib) == before  # not one file of the hundred others either
        assert server.get("/api/decisions").json()["total"] == ARTISTS - 1
    finally:
        server.stop()


def test_a_dismissal_is_previewed_from_the_queue_alone(asked):
    """Leaving a group as it is: its preview, first or again, reads no output document
    (the batch put each item's decisions in its queue details), and is the preview the
    take makes from the documents: the same token, taken."""
    home, _ = asked
    server = serve(home)
    documents = home / "outputs" / "music" / "artists"
    try:
        assert server.get("/api/queues").status_code == 200  # the queue read
        documents.rename(documents.with_name("away"))
        page = server.get(f"/decisions/group?kind=music&code={CODE}")
        assert page.status_code == 200, page.text
        assert f"for {ARTISTS} decisions in {ARTISTS} items: no file would be written" in page.text
        body = {"kind": "music", "code": CODE, "all": True, "dismiss": CODE}
        shown = server.post("/api/decisions/preview", body).json()
        assert [d["id"] for d in shown["decisions"]] == [
            ids.make("music", f"Artist {a:03d}", "", CODE) for a in range(ARTISTS)]
        assert shown["token"] == token_of(page.text)
        documents.with_name("away").rename(documents)
        took = server.post("/api/decisions", {**body, "token": shown["token"]})
        assert took.status_code == 200 and took.json()["closed"] == ARTISTS, took.text
    finally:
        server.stop()


def test_items_recorded_before_their_details_said_their_decisions_are_read(asked):
    """An item of an older queue (no ``albums_asked`` in its details): its document says
    its decisions, the preview is the same and taken."""
    home, _ = asked
    store = QueueStore(home / "status" / "music", "music")

    def older(data):
        for item in data["items"]:
            item["details"].pop(ALBUMS_ASKED)
        return data["items"]

    store.update(older, fold=True)
    assert all(ALBUMS_ASKED not in i["details"] for i in store.peek()["items"])
    server = serve(home)
    try:
        body = {"kind": "music", "code": CODE, "all": True, "dismiss": CODE}
        shown = server.post("/api/decisions/preview", body).json()
        assert len(shown["decisions"]) == ARTISTS
        took = server.post("/api/decisions", {**body, "token": shown["token"]})
        assert took.status_code == 200 and took.json()["closed"] == ARTISTS, took.text
    finally:
        server.stop()


def test_questions_about_albums_are_told_from_the_queue_as_the_documents_tell_them(tmp_path):
    """Albums whose tracks disagree on the year (a question about the album) beside a
    file-name question (about tracks): each group's dismissal previewed from the queue
    alone is the one the documents give, decision for decision, token for token."""
    spec = {}
    for a in range(3):
        artist = f"Artist {a}"
        for album in ("Album", "Other"):
            for n, date in ((1, "2001"), (2, "2002"), (3, "2003")):
                number = str({1: 2, 2: 1}.get(n, n)) if album == "Other" else str(n)
                spec[f"{artist}/{album}/0{n} - Song {n}.flac"] = {"tags": {
                    "title": f"Song {n}", "artist": artist, "albumartist": artist,
                    "album": album, "date": date, "tracknumber": number}}  # fmt: skip
    build_library(tmp_path / "lib", spec)
    home = tmp_path / "home"
    batch = run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
                       "--offline", timeout=600)  # fmt: skip
    assert batch.returncode == 1, batch.stdout + batch.stderr
    items = QueueStore(home / "status" / "music", "music").peek()["items"]
    assert all(i["details"][ALBUMS_ASKED] == {"inconsistent-year": ["Album", "Other"]}
               for i in items)  # fmt: skip
    held = HeldDecisions.read(home)
    for code, count in (("inconsistent-year", 6), (CODE, 3)):
        from_queue = whole_group.take_group(home, "music", code, dry_run=True, held=held)
        from_documents = whole_group.take_group(home, "music", code, dry_run=True)
        assert from_queue.family == "closing" and from_documents.family == "findings"
        said, read = from_queue.preview_json(), from_documents.preview_json()
        assert len(said["decisions"]) == count and said == read
