"""Issue 36: every issue report is a web page too, beside its Markdown, and the HTML pages
link the pages (they opened the raw ``.md``). The page is the Markdown's page: what a tag
holds shows as text, never as markup. Issue 72: a report's page is made when it is read
(``fs.reports.read_page``, what ``serve`` answers), not by the batch; a page made is made
again when its report changes (``decide``, ``undo``); no link of a page on disk leads
nowhere. On a phone, a tablet and a desktop (real headless Chromium) nothing of a page linked
from the dashboard, nor of the dashboard and the weekly report, is cut off sideways."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

from mediakeeper.fs.reports import read_page
from mediakeeper.text.report_page import made_from, report_page
from mediakeeper.text.slug import slugify
from tests.helpers import run_script
from tests.integration.test_report_layout import window
from tests.integration.test_reports import chromium


class Page(HTMLParser):
    """The tags a page holds and the text a person reads on it."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[str] = []
        self.words: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        if self.lasttag not in ("style", "title"):
            self.words.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.words))


def pages(home: Path, name: str) -> tuple[str, Page]:
    """An artist's report: its Markdown and its page, as its reader is given it."""
    md = home / "issues" / "music" / f"{slugify(name)}.md"
    return md.read_text("utf-8"), Page(read_page(md).decode("utf-8"))


def item_pages(home: Path) -> list[Path]:
    """The items' pages on disk (not the indexes' nor the upgrades list's)."""
    return [p for p in (home / "issues").rglob("*.html")
            if not p.name.startswith(("index", "upgrades"))]  # fmt: skip


def dead_links(home: Path) -> list[tuple[str, str]]:
    """Every link of every page on disk (the issue reports' pages and indexes, the weekly
    reports) that leads to no file, as a browser opening the page with ``file://`` follows
    it: (page, link)."""
    dead = []
    for page in [*(home / "issues").rglob("*.html"), *(home / "status").rglob("*.html")]:
        for href in re.findall(r'href="([^"]*)"', page.read_text("utf-8")):
            href = html.unescape(href)
            if ":" in href.split("/", 1)[0] or href.startswith("#"):
                continue  # a web address, or a place on the page
            if not (page.parent / unquote(href.split("#")[0])).is_file():
                dead.append((str(page.relative_to(home)), href))
    return dead


def test_what_tags_hold_is_shown_as_text_never_as_markup(tmp_path, music_library):
    hostile = "<script>alert(1)</script>"
    folder = "<img src=x onerror=alert(1)>"
    music_library(tmp_path / "lib", {
        f"{folder}/2001 - Album/0{i} - Song.flac": {
            "tags": {"title": f"{hostile}  ", "artist": folder, "album": "Album",
                     "tracknumber": str(i), "date": "2001", "albumartist": folder},
            "picture": True} for i in (1, 2)})  # fmt: skip
    home = tmp_path / "home"
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
                        "--offline")  # fmt: skip
    assert batch.returncode == 0, batch.stdout + batch.stderr
    assert item_pages(home) == []  # made when read: none read yet
    md, page = pages(home, folder)
    assert hostile.replace("<", "\\<").replace(">", "\\>") in md  # the whitespace fix names it
    assert "script" not in page.tags and "img" not in page.tags
    assert f"{folder} — issue report" in page.text and hostile in page.text
    index = Page((home / "issues" / "music" / "index.html").read_text("utf-8"))
    assert "script" not in index.tags and "img" not in index.tags and folder in index.text


def test_raw_html_and_script_links_in_the_markdown_stay_text():
    page = report_page(
        "# A <b>bold</b> name\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) "
        "[next](other.md) [web](https://musicbrainz.org/x.md)\n",
        source="a.md",
        index="index.html",
    )
    seen = Page(page)
    assert "script" not in seen.tags and "b" not in seen.tags
    assert "<script>alert(1)</script>" in seen.text and "<title>A <b>" not in page
    assert 'href="javascript:' not in page
    assert '<a href="other.html">next</a>' in page  # another report: its page
    assert 'href="https://musicbrainz.org/x.md"' in page  # a web address as it is
    assert '<a href="a.md">a.md</a>' in page and '<a href="index.html">' in page




def same(home: Path, name: str, page_text: str | None = None) -> str:
    """The artist's page (``page_text``, else as its reader is given it) is the page of its
    Markdown as it is now, the page a batch wrote before pages were made on reading; its
    text."""
    md_path = home / "issues" / "music" / f"{slugify(name)}.md"
    md = md_path.read_text("utf-8")
    page_text = read_page(md_path).decode("utf-8") if page_text is None else page_text
    made = made_from(md_path.read_bytes(), source=md_path.name, index="index.html")
    assert page_text == report_page(md, source=md_path.name, index="index.html", made=made)
    return Page(page_text).text


def test_a_page_read_is_made_again_when_decide_and_undo_change_its_report(processed):
    home, _ = processed
    pink = home / "issues" / "music" / f"{slugify('Pink Floyd')}.html"
    assert not pink.exists()
    assert "0 fixed, 1 decision for you" in same(home, "Pink Floyd")  # read: made, kept
    assert pink.is_file()
    took = run_script("decide.py", "--home", home, "music", "Pink Floyd", "--choose", "2")
    assert took.returncode == 0, took.stderr
    text = same(home, "Pink Floyd", pink.read_text("utf-8"))  # the page on disk: made again
    assert "0 decisions for you" in text and "Needs a decision" not in text
    assert "chose date '1974'" in text
    index = Page((home / "issues" / "music" / "index.html").read_text("utf-8")).text
    assert "2 decisions in 1 artist." in index and "Pink Floyd" not in index.split("Nothing")[0]

    nina = home / "issues" / "music" / f"{slugify('Nina Simone')}.html"
    undo = run_script("undo_changes.py", "--home", home, "--artist", "Nina Simone")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert not nina.exists()  # never read: undo made no page
    text = same(home, "Nina Simone")
    assert "0 fixed, 2 decisions for you" in text and "Undo this artist's fixes" not in text
    index = Page((home / "issues" / "music" / "index.html").read_text("utf-8")).text
    assert "4 decisions in 2 artists." in index  # Nina's album's three tracks: one question


def test_no_link_of_a_page_on_disk_leads_nowhere(processed):
    """The batch makes no item's page: the index and the weekly report link the Markdown of
    a report whose page is not made, its page once it is (the next index, ``decide`` here),
    and ``report`` (a person reading) makes the pages its weekly report links."""
    home, _ = processed
    issues = home / "issues" / "music"
    assert item_pages(home) == [] and (issues / "index.html").is_file()
    assert dead_links(home) == []
    index = (issues / "index.html").read_text("utf-8")
    clean = slugify("Clean")
    assert f'href="{clean}.md"' in index and f'href="{clean}.html"' not in index
    read_page(issues / f"{clean}.md")  # read (serve): its page made
    took = run_script("decide.py", "--home", home, "music", "Metallica", "--dismiss",
                       "missing-year")  # fmt: skip
    assert took.returncode == 0, took.stderr
    index = (issues / "index.html").read_text("utf-8")
    assert f'href="{clean}.html"' in index and f'href="{clean}.md"' not in index
    assert dead_links(home) == []
    weekly = sorted((home / "status" / "reports").glob("*.html"))
    assert weekly and "issues/music/" in weekly[-1].read_text("utf-8")
    assert ".md\"" in weekly[-1].read_text("utf-8")  # the items needing a person: Markdown
    made = run_script("weekly_report.py", "--home", home)
    assert made.returncode == 0, made.stdout + made.stderr
    text = weekly[-1].read_text("utf-8")
    linked = re.findall(r'href="\.\./\.\./(issues/music/[^"]+)"', text)
    assert linked and all(link.endswith(".html") for link in linked), linked
    assert dead_links(home) == []


def test_the_index_follows_a_reset_as_the_dashboard_does(processed):
    """An artist with decisions put back to pending (or skipped) by the queue manager no
    longer counts: the dashboard and the weekly report said so, but the index they link as
    "every report" kept its rows and count until the next batch."""
    home, _ = processed

    def headlines() -> tuple[str, tuple[int, int], dict]:
        board = run_script("media_dashboard.py", "--home", home, "--json")
        music = json.loads(board.stdout)["attention"]["decisions_by_kind"][0]
        index = (home / "issues" / "music" / "index.md").read_text("utf-8")
        said = re.search(r"\*\*((\d+) decisions? in (\d+) artists?)\.\*\*", index)
        return said[1], (int(said[2]), int(said[3])), music

    _, counts, music = headlines()
    asking = music["items"][0]["name"]
    assert counts == (music["decisions"], len(music["items"])) and len(music["items"]) > 1
    reset = run_script("music_queue_manager.py", "--home", home, "--reset-artist", asking)
    assert reset.returncode == 0, reset.stdout + reset.stderr
    said, counts, music = headlines()
    assert asking not in [i["name"] for i in music["items"]]
    assert counts == (music["decisions"], len(music["items"]))
    index = (home / "issues" / "music" / "index.md").read_text("utf-8")
    assert f"| {asking} |" not in index
    page = (home / "issues" / "music" / "index.html").read_text("utf-8")
    assert said in page and dead_links(home) == []


def test_an_index_on_disk_links_no_unmade_page_of_a_name_in_another_script(tmp_path, music_library):
    """A report whose name keeps letters of another script (``東京事変``, ``Ægir``: their
    slugs keep them) is linked by its Markdown until its page is made: the index's link was
    percent-encoded (``%E6%9D%B1...``) and so never matched the name of a page not made, and
    the index on disk linked a page that was not there."""
    spec = {
        f"{artist}/2001 - Album/0{n} - Song {n}.flac": {
            "tags": {"title": f"Song {n}", "artist": artist, "album": "Album",
                     "albumartist": artist, "tracknumber": str(n), "date": "2001"}}
        for artist in ("東京事変", "Ægir")
        for n in (1, 2)
    }  # fmt: skip
    music_library(tmp_path / "lib", spec)
    home = tmp_path / "home"
    batch = run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
                       "--offline")  # fmt: skip
    assert batch.returncode == 0, batch.stdout + batch.stderr
    issues = home / "issues" / "music"
    assert [slugify(a) for a in ("東京事変", "Ægir")] == ["東京事変-6ae4a7ab", "ægir-e26a3bca"]
    assert item_pages(home) == [] and (issues / "index.html").is_file()
    assert dead_links(home) == []
    read_page(issues / f"{slugify('Ægir')}.md")  # read (serve): its page made
    again = run_script("music_queue_manager.py", "--home", home, "--reset-artist", "東京事変")
    assert again.returncode == 0, again.stdout + again.stderr
    batch = run_script("process_music_batch.py", "--home", home, "--offline")
    assert batch.returncode == 0, batch.stdout + batch.stderr
    index = (issues / "index.html").read_text("utf-8")
    assert dead_links(home) == []
    assert "%C3%A6gir-e26a3bca.html" in index  # the page made is linked as a page


# ---- in Chromium: from the dashboard to a report ------------------------------------------

LINKS = """<script>
document.getElementById("links").textContent = JSON.stringify(
  [...document.querySelectorAll("a")].map(a => a.href));
</script>"""

MEASURE = """<script>
(function () {
  const width = document.documentElement.clientWidth;
  const out = {width: width, page: document.documentElement.scrollWidth, beyond: [], small: [],
               title: document.title};
  for (const e of document.querySelectorAll("main *")) {
    const box = e.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 0.5) {
      out.beyond.push(e.tagName + " " + e.textContent.slice(0, 50));
    }
  }
  for (const e of document.querySelectorAll("main p, main li, main td, main th, main footer")) {
    if (parseFloat(getComputedStyle(e).fontSize) < 12) out.small.push(e.textContent.slice(0, 50));
  }
  parent.document.getElementById("m" + NUMBER).textContent = JSON.stringify(out);
})();
</script>"""


def followed_links(board: Path, tmp_path: Path) -> list[str]:
    """Where the dashboard's links lead, as Chromium resolves them from where it lies."""
    probe = board.with_name("probe.html")
    probe.write_text(
        board.read_text("utf-8").replace("</body>", f'<pre id="links"></pre>{LINKS}</body>'),
        "utf-8",
    )
    run = chromium(tmp_path, "--dump-dom", probe.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.search(r'<pre id="links">(.*?)</pre>', run.stdout, re.S)
    return json.loads(html.unescape(found.group(1)))


def measured(targets: list[Path], tmp_path: Path, width: int) -> list[dict]:
    """Each page laid out in a frame ``width`` CSS px wide (headless Chromium makes no window
    under 500 px; a frame is a viewport of its own), as it measures itself."""
    frames = "".join(
        f'<pre id="m{n}"></pre><iframe style="border:0;display:block" width="{width}" '
        f'height="9000" srcdoc="{html.escape(page.read_text("utf-8").replace("</body>", MEASURE.replace("NUMBER", str(n)) + "</body>"), quote=True)}"></iframe>'  # noqa: E501
        for n, page in enumerate(targets)
    )
    frame = tmp_path / f"frames-{width}.html"
    frame.write_text(f'<!DOCTYPE html><html><body style="margin:0">{frames}</body></html>', "utf-8")
    run = chromium(tmp_path, "--dump-dom", window(width), frame.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.findall(r'<pre id="m\d+">(.*?)</pre>', run.stdout, re.S)
    assert len(found) == len(targets) and all(found), run.stdout[-2000:]
    return [json.loads(html.unescape(one)) for one in found]


def test_the_dashboard_links_open_report_pages_that_fit_every_screen(demo_home, tmp_path):
    board = tmp_path / "pages" / "dashboard.html"
    board.parent.mkdir()  # (a folder not there is refused, never made)
    made = run_script("media_dashboard.py", "--home", demo_home, "--html", board)
    assert made.returncode == 0, made.stderr
    links = [link for link in followed_links(board, tmp_path) if "/issues/" in link]
    # Five artists, two verified albums, each kind's index: each link opens a page.
    assert len(links) == 9, links
    assert [link for link in links if not link.endswith(".html")] == []
    targets = [Path(unquote(urlparse(link).path)) for link in links]
    assert all(target.is_file() for target in targets), targets
    # The pages that link them too: their failed items' messages (a long path) and the weekly
    # codes table ran past the screen's edge at 880 and 390 px, in boxes to scroll.
    weekly = sorted((demo_home / "status" / "reports").glob("*.html"))
    pages = [*targets, board, *weekly]
    for width in (390, 880, 1280):  # a phone, a tablet, a desktop
        for target, m in zip(pages, measured(pages, tmp_path, width), strict=True):
            assert m["width"] == width
            assert m["page"] <= width, (target.name, width, "the page scrolls sideways")
            assert m["beyond"] == [], (target.name, width, m["beyond"])
            assert m["small"] == [], (target.name, width, m["small"])
            assert m["title"].endswith(" · mediakeeper"), m["title"]
