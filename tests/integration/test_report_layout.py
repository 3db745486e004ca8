"""The HTML pages read well on a phone (390 px) and on a desktop (1280 px), measured in
headless Chromium: no table runs off the page (a wide one scrolls in its own box), the
chart's text renders at 9 px or more, no bar's count lies under the running total's dot, and
a week of 199 names folds them away. The screenshots stay in the test's folder to look at."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from pathlib import Path

import pytest

from mediakeeper.queue.items import new_item, new_queue
from mediakeeper.queue.session_log import start_session
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.dashboard import build_dashboard, write_dashboard_html
from mediakeeper.reports.records import gather
from mediakeeper.reports.weekly import write_weekly_report
from tests.integration.test_reports import LATER, Clock, _complete, _fail, at, chromium

# Completions per week, 2025-W49 to 2026-W02: the first week's bar and dot meet (its count is
# the running total), and the last week completes 199 artists.
WEEKS = [("2025-12-02", 5), ("2025-12-09", 8), ("2025-12-23", 12), ("2025-12-30", 6),
         ("2026-01-06", 199)]  # fmt: skip
NAMES = [f"Artist number {i:03d} of a long list" for i in range(240)]
LONG_PATH = "/library/" + "/".join(["a-folder-name-without-any-spaces-at-all"] * 4)

MEASURE = """<script>
(function () {
  const seen = e => e.getBoundingClientRect().width > 0;
  const out = {viewport: document.documentElement.clientWidth,
               page: document.documentElement.scrollWidth, tables: [], texts: [], overlaps: [],
               folded: [...document.querySelectorAll("details")].map(d => ({open: d.open,
                 items: d.querySelectorAll("li").length}))};
  for (const table of document.querySelectorAll("table")) {
    let box = table.parentElement;
    while (box && !["auto", "scroll"].includes(getComputedStyle(box).overflowX)) {
      box = box.parentElement;
    }
    out.tables.push({right: table.getBoundingClientRect().right,
                     box: box ? box.getBoundingClientRect().right : null});
  }
  for (const svg of [...document.querySelectorAll("svg")].filter(seen)) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const text of svg.querySelectorAll("text")) {
      out.texts.push([text.textContent, parseFloat(getComputedStyle(text).fontSize) * scale]);
    }
    const dots = [...svg.querySelectorAll(".points circle")].map(c => c.getBoundingClientRect());
    for (const label of svg.querySelectorAll(".values text")) {
      const a = label.getBoundingClientRect();
      for (const b of dots) {
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
          out.overlaps.push(label.textContent);
        }
      }
    }
  }
  parent.document.getElementById("measured").textContent = JSON.stringify(out);
})();
</script>"""


@pytest.fixture(scope="module")
def busy_home(tmp_path_factory) -> Path:
    """Five weeks of a music queue, the last completing 199 artists, and an error whose
    message is one long unbreakable path."""
    home = tmp_path_factory.mktemp("busy") / "home"
    status = home / "status"
    clock = Clock(at("2025-12-01 08:00"))
    music = QueueStore(status / "music", "music", clock=clock)
    items = [new_item(name, name, f"/library/{name}") for name in NAMES]
    music.create(new_queue("music", "/library", items, clock()))
    names = iter(NAMES)
    for day, done in WEEKS:
        clock.now = at(f"{day} 09:00")
        session = start_session(status, "music", clock=clock, description="a batch")
        for minute in range(done):
            _complete(home, music, session, clock, next(names), f"{day} 10:{minute % 60:02d}")
        clock.now = at(f"{day} 12:00")
        session.end("completed", {"items_done": done})
    clock.now = at("2026-01-07 09:00")
    session = start_session(status, "music", clock=clock, description="a batch")
    _fail(music, session, clock, next(names), "2026-01-07 09:30", f"folder vanished: {LONG_PATH}")
    session.end("completed", {"items_done": 0, "errors": 1})
    music.fold()
    return home


def page_of(kind: str, home: Path, tmp_path: Path) -> Path:
    if kind == "weekly":
        return write_weekly_report(home, date(2026, 1, 7), now=LATER)[1]
    return write_dashboard_html(tmp_path / "dashboard.html", build_dashboard(gather(home), LATER))


def framed(page: Path, tmp_path: Path, width: int, script: str = "") -> Path:
    """The page in a frame ``width`` CSS px wide: headless Chromium makes no window narrower
    than 500 px, and a frame is a viewport of its own (its media queries see its width)."""
    inner = page.read_text("utf-8").replace("</body>", script + "</body>")
    frame = tmp_path / f"framed-{page.stem}-{width}.html"
    frame.write_text(
        '<!DOCTYPE html><html><body style="margin:0"><pre id="measured"></pre>'
        f'<iframe style="border:0;display:block" width="{width}" height="12000" '
        f'srcdoc="{html.escape(inner, quote=True)}"></iframe></body></html>',
        encoding="utf-8",
    )
    return frame


def window(width: int) -> str:
    return f"--window-size={max(500, width + 20)},2400"


def measure(page: Path, tmp_path: Path, width: int) -> dict:
    """The page laid out at ``width`` CSS px in Chromium, as a copy of it measures itself."""
    probe = framed(page, tmp_path, width, MEASURE)
    run = chromium(tmp_path, "--dump-dom", window(width), probe.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.search(r'<pre id="measured">(.*?)</pre>', run.stdout, re.S)
    assert found and found.group(1), run.stdout[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("kind", ["weekly", "dashboard"])
@pytest.mark.parametrize("width", [390, 880, 1280])  # a phone, a tablet, a desktop
def test_the_page_fits_the_screen_and_its_chart_reads(busy_home, tmp_path, kind, width):
    page = page_of(kind, busy_home, tmp_path)
    m = measure(page, tmp_path, width)

    assert m["viewport"] == width
    assert m["page"] <= width, "the page scrolls sideways"
    assert m["tables"], "no table to measure"
    for table in m["tables"]:  # one wider than the page scrolls inside a box on the page
        assert table["right"] <= width or (table["box"] is not None and table["box"] <= width)
    assert len(m["texts"]) > 20, "no chart is shown"
    small = [(text, round(px, 1)) for text, px in m["texts"] if px < 9]
    assert not small, f"chart text under 9 px: {small}"
    assert m["overlaps"] == [], "a count lies under a dot of the running total"
    if kind == "weekly":  # the 199 names of the week fold away, the first week's 5 do not
        assert {"open": False, "items": 199} in m["folded"]
        assert "Show all 199 artists" in page.read_text("utf-8")

    shot = tmp_path / f"{kind}-{width}.png"  # kept under the test's folder to look at
    run = chromium(
        tmp_path, f"--screenshot={shot}", window(width), framed(page, tmp_path, width).as_uri()
    )
    assert run.returncode == 0 and shot.stat().st_size > 10_000, run.stderr[-2000:]


WEEKS_TABLE = """<script>
(function () {
  const table = document.querySelector("table.pace-weeks");
  const box = table.parentElement.getBoundingClientRect();
  parent.document.getElementById("measured").textContent = JSON.stringify(
    {right: table.getBoundingClientRect().right, box: box.right});
})();
</script>"""


@pytest.mark.parametrize("width", [880, 1280])
def test_four_queues_weeks_fit_without_scrolling(tmp_path, width):
    """Issue 36: at 1280 px with four queues the last four weeks' table ran out of its box
    ("items comple..."); its headings wrap between words now."""
    home = tmp_path / "home"
    for kind in ("music", "movies", "conversions", "verify"):
        item = new_item(f"{kind} one", f"{kind} one", f"/library/{kind}")
        store = QueueStore(home / "status" / kind, kind)
        store.create(new_queue(kind, "/library", [item], at("2026-01-05 08:00")))
    page = write_weekly_report(home, date(2026, 1, 7), now=LATER)[1]
    probe = framed(page, tmp_path, width, WEEKS_TABLE)
    run = chromium(tmp_path, "--dump-dom", window(width), probe.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.search(r'<pre id="measured">(.*?)</pre>', run.stdout, re.S)
    measured = json.loads(html.unescape(found.group(1)))
    assert measured["right"] <= measured["box"] + 0.5, measured

