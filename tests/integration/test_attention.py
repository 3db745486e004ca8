"""What needs the user, as the reports tell it, on data homes made by the real scripts: the
demo, a music library processed, reset and processed again, movies processed offline.

Issue 24: the weekly report and the dashboard said "Nothing: no errors and no skipped items"
while error-level findings were open; the issues table put 10 unreadable files under 2,025 low
bitrates; a reset erased the week's fixes from its figures; a queue created last evening was
paced over four weeks, and a skipped item kept a finish date forever.
"""

from __future__ import annotations

import html as html_module
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mediakeeper.changes.journal import CHANGES_DIR, checked_line, read_journals
from mediakeeper.queue.session_log import (
    CHECKPOINT_FILE,
    EVENTS_FILE,
    ItemLine,
    start_session,
)
from mediakeeper.reports.weeks import Week
from mediakeeper.text.commands import kind_command
from tests.helpers import loaded_among
from tests.helpers.deciding import TAKING

REPO = Path(__file__).resolve().parents[2]


# The demo's damaged FLAC as a conversion refuses it: cut short, as verify names it (its MD5
# cannot match: the cut is its one damage), where the decode goes to its cut; a decoder
# that stops at the first bad frame says where.
DAMAGED_FLAC = (r"Blue in Green\.flac: [^\n]*cut short at \d"
                r"|Blue in Green\.flac: does not decode at 0:00\.\d{3}: ")


def script(name: str, *args, cwd: Path = REPO, code: int = 0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MEDIAKEEPER_HOME", "TMDB_API_KEY")}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [sys.executable, *name.split(), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == code, result.stdout + result.stderr
    return result


def this_week_report(home: Path) -> tuple[str, Path]:
    md = home / "status" / "reports" / f"{Week.of(datetime.now(UTC)).monday}_weekly_progress.md"
    return md.read_text(encoding="utf-8"), md


def section(text: str, heading: str) -> str:
    """The Markdown section under ``## heading``, up to the next ``## ``."""
    start = text.index(f"## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def links(markdown: str, base: Path) -> list[Path]:
    return [base / target for target in re.findall(r"\]\(([^)]+\.md)\)", markdown)]


def test_the_weekly_report_leads_with_the_open_findings(demo_home):
    text, md = this_week_report(demo_home)
    assert "Nothing:" not in text
    assert text.index("## Needs attention") < text.index("## This week")
    attention = section(text, "Needs attention")
    # Open = error or warning, not fixed: Radiohead (unreadable-file, skipped-folder,
    # link-outside-library and the whitespace its link keeps,
    # track-gap), Metallica (missing-artist), Björk (filename-mismatch x2: one question),
    # Pink Floyd (inconsistent-year; and its untagged track's missing-artist,
    # missing-title, missing-year), The Beatles (legacy-tag).
    assert "### Music: 12 decisions in 5 artists" in attention
    # The verify step's findings are errors, so decisions too: Miles Davis's damaged track
    # (audio-md5-mismatch, its decode error listed inside: one damaged file, one question),
    # Radiohead's cut-off track (decode-error).
    assert "### Verify: 2 decisions in 2 albums" in attention
    # The conversion refused those two damaged sources: two failed items, not "errors".
    assert "### Conversions queue: 2 failed, 0 skipped" in attention
    # Each failure in a person's words, as the page and --list say it: the file, not where
    # the conversion held it; a digest by its first digits.
    assert "07 - Fitter Happier.ogg: does not decode: 07 - Fitter Happier.ogg: End of file" \
        in attention and "/working/" not in attention  # fmt: skip
    assert re.search(DAMAGED_FLAC, attention)
    errors, warnings = attention.split("**Warnings**")
    assert "`unreadable-file`" in errors and "`missing-artist`" in errors
    assert errors.index("Radiohead") < errors.index("Metallica")  # the most decisions first
    assert "| Björk | `filename-mismatch` |" in warnings  # two tracks, one question
    assert "`unreadable-file`" not in warnings
    # AC/DC's low bit rate is no decision: no choice mends it; it is an upgrade (issue 60).
    assert "`low-bitrate`" not in attention and "| AC/DC |" not in attention
    assert "| `low-bitrate` | 1 | 0 | — (upgrade) |" in text  # found, no decision
    assert "**Upgrades:** 1 album worth a better copy" in text
    reports = links(attention, md.parent)
    # Five artists and the music index; two albums and the verify index.
    assert len(reports) == 9
    assert all(path.resolve().is_file() for path in reports), reports
    assert (md.parent / "../../issues/music/index.md").resolve() in [p.resolve() for p in reports]


def test_the_issues_table_puts_errors_first(demo_home):
    text, _ = this_week_report(demo_home)
    table = section(text, "Findings and those resolved")
    codes = re.findall(r"^\| `([a-z-]+)` \| \d+ \|", table, re.M)
    # unreadable-file (1) and missing-artist (1) are errors: above missing-albumartist (6).
    assert codes.index("unreadable-file") < codes.index("missing-albumartist")
    assert codes.index("missing-title") < codes.index("missing-year")
    assert codes.index("low-bitrate") < codes.index("mixed-formats")  # warning, then info


def test_the_index_lists_every_issue_report_what_needs_a_person_first(demo_home):
    index = demo_home / "issues" / "music" / "index.md"
    text = index.read_text(encoding="utf-8")
    assert "**12 decisions in 5 artists.**" in text
    assert text.index("## Errors") < text.index("## Warnings") < text.index("## Nothing to decide")
    targets = links(text, index.parent)
    lists = ("index.md", "upgrades.md")
    reports = sorted(p for p in index.parent.glob("*.md") if p.name not in lists)
    assert sorted(targets) == reports and len(reports) == 9
    assert "Daft Punk" in section(text, "Nothing to decide")


def test_the_dashboard_leads_with_the_open_findings(demo_home, tmp_path):
    text = script("utilities/media_dashboard.py", "--home", demo_home).stdout
    lines = text.splitlines()
    # 12 music decisions + 3 verify ones; the two conversions refused for their damaged source.
    assert lines[2].startswith("NEEDS ATTENTION  14 decisions · 2 failed, 0 skipped")
    assert "  verify: 2 decisions in 2 albums · every report: issues/verify/index.md" in lines
    assert "  conversions  " in text and "completed 8 · failed 2 · skipped 0" in text
    assert "nothing:" not in text
    headline = "  music: 12 decisions in 5 artists · every report: issues/music/index.md"
    assert lines.index(headline) < lines.index("QUEUES")
    assert lines[4].split()[:2] == ["error", "Radiohead"]
    assert "             issues/music/radiohead-" in lines[5]
    # It counts the changes by their journals' stamps, and so imports no tag reader.
    said, loaded = loaded_among("media_dashboard.py", ("mutagen",), "--home", demo_home)
    assert said.splitlines()[2] == lines[2]
    assert loaded == []

    page = tmp_path / "pages" / "dashboard.html"
    page.parent.mkdir()  # (a folder not there is refused, never made)
    script("utilities/media_dashboard.py", "--home", demo_home, "--html", page)
    html = page.read_text(encoding="utf-8")
    assert html.index('id="attention-heading"') < html.index('id="queues-heading"')
    hrefs = re.findall(r'<a href="([^"]*issues/music/[^"]+)"', html)
    assert len(hrefs) == 6 and all((page.parent / h).resolve().is_file() for h in hrefs), hrefs
    # Issue 36: "AC⧸DC" (a folder name's stand-in for "/") showed a box: a page says AC/DC.
    # AC/DC asks no decision now (its low bit rate is an upgrade): its upgrades page says it.
    upgrades = (demo_home / "issues" / "music" / "upgrades.html").read_text(encoding="utf-8")
    assert "AC/DC — 1980 - Back in Black" in upgrades and "AC\u29f8DC" not in upgrades


def test_the_dashboard_s_json_holds_what_its_text_says(demo_home):
    """``--json``: the same figures for a script, every waiting item's message whole."""
    text = script("utilities/media_dashboard.py", "--home", demo_home).stdout
    board = json.loads(script("utilities/media_dashboard.py", "--home", demo_home,
                              "--json").stdout)  # fmt: skip
    attention = board["attention"]
    assert (attention["decisions"], attention["failed"], attention["skipped"]) == (14, 2, 0)
    by_kind = {a["kind"]: a for a in attention["decisions_by_kind"]}
    assert {k: a["decisions"] for k, a in by_kind.items()} == {"music": 12, "verify": 2}
    radiohead = by_kind["music"]["items"][0]
    assert radiohead["name"] == "Radiohead" and radiohead["level"] == "error"
    assert radiohead["codes"]["unreadable-file"] == 1
    assert (demo_home / radiohead["report"]).is_file()
    assert [w["stage"] for w in attention["waiting"]] == ["failed_converting"] * 2
    # The queue's record for a script; for a person, where it failed in words, on every face.
    assert "conversions  converting: " in text and "failed_converting" not in text
    [weekly] = (demo_home / "status" / "reports").glob("*_weekly_progress.md")
    assert "| failed | converting | 1 |" in weekly.read_text(encoding="utf-8")
    listed = script("utilities/decide.py", "--home", demo_home, "--group", "failed").stdout
    assert "Kind of Blue: failed at stage converting after 1 attempt: " in listed, listed
    assert "failed_converting" not in listed
    assert attention["waiting_total"] == 2
    # Whole where the text cuts it to its line: the file, not the working folder's path.
    happier = next(w for w in attention["waiting"] if "Fitter" in w["message"])
    assert happier["message"].startswith("07 - Fitter Happier.ogg: does not decode: ")
    assert "/working/" not in happier["message"] and "…" not in happier["message"]
    conversions = board["queues"]["conversions"]
    assert conversions["statuses"] == {"pending": 0, "in_progress": 0, "completed": 8,
                                       "error": 2, "skipped": 0}  # fmt: skip
    assert f"{conversions['percent']:5.1f}%  8 of 10 albums" in text
    assert board["queues"]["music"]["pace"]["state"] == "done"
    assert board["week"]["label"] in text and board["week"]["tag_changes"] > 0
    assert f"tag changes {board['week']['tag_changes']:,}" in text
    assert board["session_count"] >= len(board["sessions"]) > 0
    assert board["sessions"][0]["id"] in text
    # One form at a time.
    both = script("utilities/media_dashboard.py", "--home", demo_home, "--json", "--html",
                  demo_home / "d.html", code=2)  # fmt: skip
    assert "--json and --html each say the dashboard: give one" in both.stderr


def test_sessions_show_says_a_failure_as_every_face_does(demo_home):
    """The conversion the demo's damaged source failed: in a person's words, as the weekly
    report and the queue manager say it (before: the working folder's path and every digit
    of both digests)."""
    [session] = [line.split()[0] for line in script(
        "utilities/sessions.py", "list", "--home", demo_home).stdout.splitlines()
        if "_conversions_" in line]  # fmt: skip
    shown = script("utilities/sessions.py", "show", "--home", demo_home, session).stdout
    assert "error: 07 - Fitter Happier.ogg: does not decode: 07 - Fitter Happier.ogg: End of " \
        "file; replace it from a good copy" in shown  # fmt: skip
    assert "/working/" not in shown
    assert re.search(DAMAGED_FLAC, shown)


REPORT_LINKS = """<script>
(function () {
  const links = [...document.querySelectorAll("td a")].map(a => {
    let box = a.parentElement;  // the table's own scroll box, which would hide it
    while (box && getComputedStyle(box).overflowX !== "auto") box = box.parentElement;
    return {text: a.textContent, right: a.getBoundingClientRect().right,
            box: box ? box.getBoundingClientRect().right : document.documentElement.clientWidth};
  });
  parent.document.getElementById("measured").textContent = JSON.stringify(links);
})();
</script>"""


@pytest.mark.parametrize("width", [390, 880, 1280])
def test_each_issue_report_link_is_on_screen_without_scrolling(demo_home, tmp_path, width):
    """Issue 36: at 390 px the issue-report column was cut off (each link's text its path)."""
    from tests.integration.test_report_layout import framed, window
    from tests.integration.test_reports import chromium

    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed")
    _, md = this_week_report(demo_home)
    board = tmp_path / "dashboard.html"
    script("utilities/media_dashboard.py", "--home", demo_home, "--html", board)
    for page in (md.with_suffix(".html"), board):
        run = chromium(tmp_path, "--dump-dom", window(width),
                       framed(page, tmp_path, width, REPORT_LINKS).as_uri())  # fmt: skip
        assert run.returncode == 0, run.stderr[-2000:]
        found = re.search(r'<pre id="measured">(.*?)</pre>', run.stdout, re.S)
        links = json.loads(html_module.unescape(found.group(1)))
        assert len(links) == 7 and {link["text"] for link in links} == {"report"}, links
        assert [link for link in links if link["right"] > link["box"]] == [], (page, links)


def test_the_weekly_page_in_chromium_leads_with_what_needs_the_user(demo_home, tmp_path):
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("chromium is not installed")
    _, md = this_week_report(demo_home)
    dom = subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", md.with_suffix(".html").as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    assert page.index('id="attention-heading"') < page.index('id="week-heading"')
    assert "Music: 12 decisions in 5 artists" in page
    assert '<code class="severity-error">unreadable-file</code>' in page
    assert '<a href="../../issues/music/index.html">' in page  # the index as a page
    assert "Nothing:" not in page


def test_every_surface_tells_the_same_count_on_the_demo(demo_home):
    """Issue 36: one definition of a decision, one count: each batch's closing line, each
    kind's index, the weekly report, the dashboard and ``decide`` agree (12 + 2 = 14: one
    question per damaged file, issue 69)."""
    said = (demo_home.parent / "demo.out").read_text(encoding="utf-8")
    assert re.findall(r"^needs you: (.+)$", said, re.M) == [
        "12 decisions in 5 artists",  # the music batch
        "2 decisions in 2 albums",  # the verify batch; the conversion batch has none
    ]
    for kind, headline in (
        ("music", "12 decisions in 5 artists"),
        ("verify", "2 decisions in 2 albums"),
    ):
        index = (demo_home / "issues" / kind / "index.md").read_text(encoding="utf-8")
        assert f"**{headline}.**" in index
    assert "Nothing to decide: no open findings." in (
        demo_home / "issues" / "conversions" / "index.md"
    ).read_text(encoding="utf-8")  # lossy-source-copied is info: found, never a decision
    text, _ = this_week_report(demo_home)
    kinds = re.findall(r"^### (\w+): (\d+) decisions? in", text, re.M)
    assert kinds == [("Music", "12"), ("Verify", "2")]
    board = script("utilities/media_dashboard.py", "--home", demo_home).stdout
    assert "NEEDS ATTENTION  14 decisions · 2 failed" in board
    listing = script("utilities/decide.py", "--home", demo_home).stdout
    assert listing.startswith("14 decisions in 13 groups, worst first:")
    grouped = json.loads(script("utilities/decide.py", "--home", demo_home, "--json").stdout)
    assert grouped["total"] == sum(g["count"] for g in grouped["groups"]) == 14
    assert len(grouped["groups"]) == 13
    # The weekly table's "open" column counts decisions only; an info code is never open.
    assert "| `missing-cover` | 1 | 0 | — (info) |" in text
    assert "| `lossy-source-copied` | 60 | 0 | — (info) |" in text
    assert "| `filename-mismatch` | 2 | 0 | 2 |" in text


def test_decide_lists_and_shows_the_demo_without_loading_what_takes_a_decision(demo_home):
    """Listing the decisions (by group, as JSON, a group's items) and showing one item's reads
    the queues and the items' documents: the tag library, the engine, the media probes and
    the reports a decision writes again are loaded only when one is taken."""
    for args in ((), ("--json",), ("--group", "filename-mismatch"), ("music", "Björk")):
        said, loaded = loaded_among("decide.py", TAKING, "--home", demo_home, *args)
        assert said and loaded == [], (args, loaded)
    assert said.startswith("Björk: 1 decision open") and "1) the file name's" in said
    taken, loaded = loaded_among("decide.py", TAKING, "--home", demo_home, "music", "Björk",
                                 "--dismiss", "filename-mismatch", "--dry-run")  # fmt: skip
    assert "would be closed" in taken and "mediakeeper.decisions.engine" in loaded


# ---- movies --------------------------------------------------------------------------------


def test_movies_not_identified_and_without_a_video_are_in_the_attention_section(tmp_path):
    library = tmp_path / "Movies"
    (library / "Kill Bill").mkdir(parents=True)
    (library / "Kill Bill" / "kb.mkv").write_bytes(b"not really a video")
    (library / "Empty (2000)").mkdir()
    home = tmp_path / "home"
    batch = ("utilities/process_movie_batch.py", "--home", home, "--library", library, "--offline")
    script(*batch, code=1)  # both need a decision
    text, _ = this_week_report(home)
    attention = section(text, "Needs attention")
    # Each its finding, and its own "unidentified" (issue 69: counted whatever else it asks);
    # a folder without a video has nothing to identify: its finding alone (it was also said
    # to wait for --enrich, which had nothing to look up).
    assert "### Movies: 3 decisions in 2 movies" in attention
    errors, warnings = attention.split("**Warnings**")
    assert "| Empty (2000) | `no-video-file` |" in errors
    assert "not identified" not in errors
    assert "| Kill Bill | `missing-year-in-name` · not identified yet (offline)" in warnings
    # What looks them up is said beside them; no queue table repeats them with the advice to
    # --reset-errors, which only retries failed items (issue 36).
    enrich = kind_command("movies", "batch", home).replace("_", "\\_")  # Markdown-escaped
    assert f"`{enrich} --enrich\\` looks it up" in warnings  # pasted anywhere: with its home
    assert "Movies queue" not in attention and "--reset-errors" not in attention
    index = (home / "issues" / "movies" / "index.md").read_text(encoding="utf-8")
    assert "[empty-2000-" in index and "[kill-bill-" in index


# ---- music: a reset, a skipped artist, a young queue ----------------------------------------


def spec(name: str) -> dict:
    return {
        f"{name}/2000 - Album/0{n} - Song {n}.flac": {
            "tags": {
                "title": f"Song {n}  ",  # a whitespace fix on every track
                "artist": name,
                "albumartist": name,
                "album": "Album",
                "tracknumber": str(n),
                "date": "2000",
            }
        }
        for n in (1, 2)
    }


def test_a_reset_keeps_the_fixes_made_this_week(tmp_path, music_library):
    lib = music_library(tmp_path / "Music", {**spec("Alpha"), **spec("Bravo")})
    home = tmp_path / "home"
    script("utilities/process_music_batch.py", "--home", home, "--library", lib)
    script("utilities/music_queue_manager.py", "--home", home, "--reset-all", "--yes")
    script("utilities/process_music_batch.py", "--home", home)  # nothing left to fix
    journaled = len(read_journals(home / "status" / "music").entries)
    assert journaled == 4
    text, _ = this_week_report(home)
    week = section(text, "This week")
    # The re-run found only the two albums' missing covers (info) and had nothing to fix.
    assert "| Findings / resolved | 2 / 0 |" in week
    assert f"| Tag changes made | {journaled} |" in week  # but the fixes were made this week
    assert "Tag changes made: every fix written this week, whatever resets came after" in week
    assert "A session's done: every item it finished, re-runs included" in week


def _earlier_journal(home: Path, session: str, stamps: list[datetime], track: Path) -> None:
    """A journal an earlier batch left: its changes stamped as it made them, the file last
    written with the last of them."""
    folder = home / "status" / "music" / CHANGES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{session}.jsonl"
    lines = [checked_line({"session": session, "artist": "Alpha", "path": str(track),
                           "tag": "title", "old": f"Song {n}  ", "new": f"Song {n}",
                           "at": at.isoformat(), "size": track.stat().st_size})
             for n, at in enumerate(stamps)]  # fmt: skip
    path.write_text("".join(lines), encoding="utf-8")
    os.utime(path, (stamps[-1].timestamp(),) * 2)


def test_the_weeks_changes_are_counted_beside_the_journals_of_the_weeks_before(
    tmp_path, music_library
):
    """A batch's report and the dashboard count this week's changes only, beside a journal
    of weeks ago (which they do not read: tests/unit/test_journal_stamps.py shows it) and
    one whose session ran across the week's start, counted from the start."""
    lib = music_library(tmp_path / "Music", {**spec("Alpha"), **spec("Bravo")})
    home = tmp_path / "home"
    track = next(lib.rglob("*.flac"))
    monday = Week.of(datetime.now(UTC)).start
    _earlier_journal(home, "20250101_music_001", [monday - timedelta(weeks=3)] * 3, track)
    hour = timedelta(hours=1)
    _earlier_journal(home, "20250102_music_001", [monday - hour, monday - hour, monday], track)
    script("utilities/process_music_batch.py", "--home", home, "--library", lib)
    assert len(read_journals(home / "status" / "music").entries) == 3 + 3 + 4
    text, _ = this_week_report(home)
    assert "| Tag changes made | 5 |" in section(text, "This week")  # this batch's 4, and 1
    board = script("utilities/media_dashboard.py", "--home", home).stdout
    assert "tag changes 5" in board


def test_a_year_of_sessions_is_folded_from_the_checkpoint_the_closing_reports_write(
    tmp_path, music_library, clock
):
    """Beside 300 batches of ten from the year before, the first batch's closing reports
    write the session log's checkpoint; the next folds only its own lines after it, and its
    report, the dashboard and the queue manager tell the same sessions as the log read whole
    (the readings against the whole log: tests/unit/test_session_checkpoint.py)."""
    lib = music_library(tmp_path / "Music", {**spec("Alpha"), **spec("Bravo")})
    home = tmp_path / "home"
    status = home / "status"
    for n in range(300):
        session = start_session(status, "music", clock=clock, description="batch of 10")
        clock.advance(seconds=30)
        session.items([ItemLine(f"k{n}-{k}", f"Artist {k}", "completed", {"tracks": 12})
                       for k in range(10)])  # fmt: skip
        session.end("completed")
        clock.advance(days=1)
    log, checkpoint = status / "music" / EVENTS_FILE, status / "music" / CHECKPOINT_FILE
    script("utilities/process_music_batch.py", "--home", home, "--library", lib)
    first = json.loads(checkpoint.read_bytes().split(b"\n")[0])["offset"]
    assert first == log.stat().st_size  # written as the batch closed, its own lines in
    script("utilities/music_queue_manager.py", "--home", home, "--reset-all", "--yes")
    script("utilities/process_music_batch.py", "--home", home)
    assert json.loads(checkpoint.read_bytes().split(b"\n")[0])["offset"] == first
    assert log.stat().st_size > first  # the second batch's lines: folded after it
    text, _ = this_week_report(home)
    assert "(2 sessions) |" in section(text, "This week")
    rows = [line for line in section(text, "Sessions").splitlines() if line.startswith("| 20")]
    assert len(rows) == 2 and all(row.endswith("| completed | 2 | 0 |") for row in rows)
    board = script("utilities/media_dashboard.py", "--home", home).stdout
    assert "LAST SESSIONS  (302 in all)" in board
    checkpoint.unlink()  # the same home read whole: the same sessions
    again = script("utilities/media_dashboard.py", "--home", home).stdout
    # (its first line says the minute it was made: the two may fall either side of one)
    assert again.split("\n", 1)[1] == board.split("\n", 1)[1]


def test_a_skipped_artist_is_decided_and_a_young_queue_is_paced_from_its_creation(
    tmp_path, music_library
):
    lib = music_library(tmp_path / "Music", {**spec("Alpha"), **spec("Bravo"), **spec("Charlie")})
    home = tmp_path / "home"
    batch = ("utilities/process_music_batch.py", "--home", home, "--library", lib)
    script(*batch, "--batch-size", "2")
    text, _ = this_week_report(home)
    # Created minutes ago: two artists count as two a week (a young queue counts as a week
    # old), not two over the four weeks before it existed (0.5 a week).
    pace = r"^\| music \| 2 \| 3 \| 66\.6% \| 2\.0 artists/week · done around "
    assert re.search(pace, text, re.M)

    script("utilities/music_queue_manager.py", "--home", home, "--skip-artist", "Charlie")
    script("utilities/weekly_report.py", "--home", home)
    text, _ = this_week_report(home)
    assert "| music | 2 (+1 skipped) | 3 | 100.0% | all done |" in text
    board = script("utilities/media_dashboard.py", "--home", home).stdout
    assert "100.0%  2 of 3 artists, 1 skipped" in board and "pace all done" in board


def test_a_week_before_the_queue_existed_says_so(tmp_path, music_library):
    lib = music_library(tmp_path / "Music", spec("Alpha"))
    home = tmp_path / "home"
    script("utilities/process_music_batch.py", "--home", home, "--library", lib)
    earlier = Week.of(datetime.now(UTC)).shift(-6)
    written = script("utilities/weekly_report.py", "--home", home, "--week", earlier.label)
    text = Path(written.stdout.splitlines()[0]).read_text(encoding="utf-8")
    assert "No queues yet" not in text and "--init" not in text
    assert "**No queue existed yet in this week.** The music queue was created on " in text
