"""The weekly report and the dashboard count the audiobooks (issue 27: "the weekly report counts
books and hours"): real books made by ffmpeg through the real batch, then the real
weekly_report.py and media_dashboard.py scripts; the pages read in headless Chromium. A book
made this week counts this week and in all; the next week shows none made and the same in
all; the books joined without re-encoding are counted from their output documents."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.test_audiobooks import make
from tests.integration.test_report_layout import framed, window
from tests.integration.test_reports import chromium

pytestmark = pytest.mark.slow  # two real books encoded and joined, pages in Chromium

# Each card's label, value and detail as the browser lays them out (innerText: what is shown),
# and whether it lies inside the viewport.
CARDS = """<script>
(function () {
  const width = document.documentElement.clientWidth;
  const text = (card, part) => [...card.querySelectorAll(part)].map(e => e.innerText).join(" | ");
  const cards = [...document.querySelectorAll(".card")].map(card => {
    const box = card.getBoundingClientRect();
    return {label: text(card, ".label"), value: text(card, ".value"),
            detail: text(card, ".detail"), shown: box.width > 0 && box.right <= width};
  });
  parent.document.getElementById("measured").textContent = JSON.stringify(cards);
})();
</script>"""


@pytest.fixture(scope="module")
def made(tmp_path_factory, request):
    """Two real books through the real batch: one of AAC files, joined as they are (6 min),
    one of MP3 files, encoded (4 min): 10 min of audio, 0.2 h (either alone is 0.1 h)."""
    from tests.helpers import run_script

    root = tmp_path_factory.mktemp("books")
    library = root / "lib"
    for n in range(1, 4):
        make(library / "Jane Doe - Copied" / f"{n:02d}.m4a", f"sine=d=120:frequency={200 * n}",
             "-c:a", "aac")  # fmt: skip
    for n in range(1, 3):
        make(library / "John Roe - Encoded" / f"{n:02d}.mp3", f"sine=d=120:frequency={300 * n}")
    home = root / "home"
    done = run_script("process_audiobook_batch.py", "--home", home, "--output", root / "out",
                       "--library", library, "--batch-size", "5", timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return home


def documents(home: Path) -> list[dict]:
    folder = home / "outputs" / "audiobooks"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def weekly_md(music_script, home: Path, now: datetime) -> tuple[str, Path]:
    result = music_script("weekly_report.py", "--home", home, "--now", now.isoformat())
    assert result.returncode == 0, result.stdout + result.stderr
    md_path, html_path = map(Path, result.stdout.splitlines())
    return md_path.read_text(encoding="utf-8"), html_path


def cards(page: Path, tmp_path: Path, width: int = 390) -> dict[str, tuple[str, str]]:
    """The cards of ``page`` as Chromium shows them at ``width`` CSS px (a phone): label ->
    (value, details joined by " | "); every one inside the page."""
    probe = framed(page, tmp_path, width, CARDS)
    run = chromium(tmp_path, "--dump-dom", window(width), probe.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.search(r'<pre id="measured">(.*?)</pre>', run.stdout, re.S)
    assert found and found.group(1), run.stdout[-2000:]
    shown = json.loads(html.unescape(found.group(1)))
    assert [c["label"] for c in shown if not c["shown"]] == [], "a card is off the page"
    return {c["label"]: (c["value"], c["detail"]) for c in shown}


def test_the_week_and_all_time_count_the_books_their_hours_and_the_copies(
    made, music_script, tmp_path
):
    books = documents(made)
    assert sorted(b["copied"] for b in books) == [False, True]
    seconds = sum(b["seconds"] for b in books)
    assert seconds == pytest.approx(600, abs=1)
    hours = f"{seconds / 3600:.1f}"
    assert hours == "0.2"  # each book alone would say 0.1

    markdown, page = weekly_md(music_script, made, datetime.now(UTC))
    # One row says the books: all of them were made this week, so no second row repeats it
    # (issue 36: "Albums converted" beside "Albums converted in all").
    assert f"| Books made | 2 · {hours} h of audio · 1 joined without re-encoding |" in markdown
    assert "Books made in all" not in markdown and "Books completed" not in markdown
    assert "converted" not in markdown.lower() and "space saved" not in markdown  # no albums

    shown = cards(page, tmp_path)
    assert shown["Books made"] == ("2", f"{hours} h of audio · 1 joined without re-encoding")
    assert not [label for label in shown if "in all" in label or "completed" in label]
    assert not [label for label in shown if "Album" in label or "converted" in label]

    board = music_script("media_dashboard.py", "--home", made)
    assert board.returncode == 0, board.stderr
    lines = board.stdout.splitlines()
    assert f"  made 2 books · {hours} h of audio · 1 joined without re-encoding" in lines
    assert "    in all " not in board.stdout
    assert "converted" not in board.stdout
    dashboard = tmp_path / "dashboard.html"
    written = music_script("media_dashboard.py", "--home", made, "--html", dashboard)
    assert written.returncode == 0, written.stderr
    shown = cards(dashboard, tmp_path)
    assert shown["Books made"] == ("2", f"{hours} h of audio · 1 joined without re-encoding")
    assert "Books made in all" not in shown and "Books completed" not in shown


def test_a_week_without_books_shows_none_made_and_every_book_made_before(
    made, music_script, tmp_path
):
    hours = f"{sum(b['seconds'] for b in documents(made)) / 3600:.1f}"
    next_week = datetime.now(UTC) + timedelta(days=7)
    markdown, page = weekly_md(music_script, made, next_week)
    assert "| Books made | 0 · 0.0 h of audio · 0 joined without re-encoding |" in markdown
    made_in_all = f"2 · {hours} h of audio · 1 joined without re-encoding"
    assert f"| Books made in all | {made_in_all} |" in markdown
    assert "No work recorded this week." in markdown

    shown = cards(page, tmp_path)
    assert shown["Books made"] == (
        "0",
        "0.0 h of audio · 0 joined without re-encoding"
        f" | in all: 2 books · {hours} h of audio · 1 joined without re-encoding",
    )
