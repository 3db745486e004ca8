"""Weekly reports and the dashboard, computed from a data home built with the real queue and
session code (and artist outputs written in their documented format), across a year boundary.

The story, all UTC (ISO weeks: 2025-W52 = Mon 22 Dec .. Sun 28 Dec, 2026-W01 = Mon 29 Dec ..
Sun 4 Jan, 2026-W02 = Mon 5 Jan .. Sun 11 Jan):

* Sat 2025-12-20 10:00  the music queue is created: 12 artists (2025-W51)
* Wed 2025-12-24 20:00-21:30  S1 completes ABBA, AC⧸DC (2025-W52)
* Wed 2025-12-31 23:40 - Thu 2026-01-01 00:20  S2, over midnight and new year: Guns, Sigur Rós
* Sun 2026-01-04 23:30 - Mon 2026-01-05 00:30  S3, over the week boundary: *NSYNC (Sun),
  "1. Numbered" (Mon), "Error Artist" fails (Mon)
* Tue 2026-01-06 08:00  the movie queue is created: 3 movies
* Tue 2026-01-06 09:00  S4 completes Björk, skips "Skipped Artist", then crashes (no end)
* Wed 2026-01-07 10:00-10:10  S5 (movies) completes Alien
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import stat
import struct
import subprocess
import sys
import zlib
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from mediakeeper.cli.dashboard import main as dashboard_main
from mediakeeper.cli.report import main as weekly_main
from mediakeeper.queue.items import new_item, new_queue
from mediakeeper.queue.session_log import EVENTS_FILE, start_session
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports import chart as chart_module
from mediakeeper.reports.dashboard import build_dashboard, render_text, write_dashboard_html
from mediakeeper.reports.dashboard import render_html as dashboard_html
from mediakeeper.reports.records import gather
from mediakeeper.reports.weekly import (
    render_html,
    render_markdown,
    report_paths,
    weekly_figures,
    write_all_weekly_reports,
    write_weekly_report,
)
from mediakeeper.reports.weeks import BadWeek, Week, parse_week
from mediakeeper.text.commands import kind_command, queue_manager
from mediakeeper.text.slug import slugify
from mediakeeper.text.width import width
from tests.helpers import run_pasted, run_script


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


ARTISTS = [
    "ABBA",
    "AC⧸DC & <Friends>",
    'Guns N\' Roses "Live"',
    "Sigur Rós",
    "*NSYNC_[x]|pipe",
    "1. Numbered",
    "Björk",
    "Error Artist <b>",
    "Skipped Artist",
    "Pending One",
    "Pending Two",
    "Pending Three",
]
MOVIES = ["Alien (1979)", "Amélie (2001)", "Heat (1995)"]

# artist -> (completed at, tracks, findings as (code, fixed)); None: no output file written
DONE = {
    "ABBA": (
        "2025-12-24 20:30",
        12,
        [("missing-year", True), ("whitespace", True), ("missing-cover", False)],
    ),
    "AC⧸DC & <Friends>": ("2025-12-24 21:00", 9, [("whitespace", True)]),
    'Guns N\' Roses "Live"': (
        "2025-12-31 23:55",
        10,
        [("mojibake", True), ("track-gap", False), ("whitespace", True)],
    ),
    "Sigur Rós": ("2026-01-01 00:10", 7, None),
    "*NSYNC_[x]|pipe": ("2026-01-04 23:50", 5, [("whitespace", False), ("missing-year", True)]),
    "1. Numbered": ("2026-01-05 00:10", 3, []),
    "Björk": ("2026-01-06 09:45", 11, [("low-bitrate", False)]),
}


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _findings_counts(findings):
    findings = findings or []
    return {
        "track_count": 0,
        "issues_found": len(findings),
        "issues_resolved": sum(1 for _, fixed in findings if fixed),
    }


def _complete(home, store, session, clock, key, when=None):
    stamp, tracks, findings = DONE.get(key, (when, 0, []))
    clock.now = at(stamp)
    item = store.claim_next(session.id, keys={key})
    counts = {**_findings_counts(findings), "track_count": tracks}
    store.record_success(key, session.id, counts=counts, details={"slug": slugify(key)})
    session.item(key, item["name"], "completed", **counts)
    if findings is not None and key in DONE:
        document = {
            "name": key,
            "folder_name": key,
            "slug": slugify(key),
            "session": session.id,
            "processed_at": at(stamp).isoformat(),
            "tracks": [],
            "findings": [
                {
                    "code": code,
                    "severity": "warning",
                    "path": "",
                    "album": "",
                    "message": "m",
                    "fixable": True,
                    "fixed": fixed,
                    "changes": [],
                    "details": {},
                }
                for code, fixed in findings
            ],
        }
        target = home / "outputs" / "music" / "artists" / f"{slugify(key)}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def _fail(store, session, clock, key, when, message, *, max_attempts=3):
    clock.now = at(when)
    item = store.claim_next(session.id, keys={key})
    status = store.record_failure(
        key, session.id, stage="scan", message=message, max_attempts=max_attempts
    )
    session.item(key, item["name"], status, stage="scan", error=message)


def build_home(home: Path, dead_pid: int) -> Path:
    status = home / "status"
    clock = Clock(at("2025-12-20 10:00"))
    music = QueueStore(status / "music", "music", clock=clock)
    items = [new_item(name, name, f"/library/{name}") for name in ARTISTS]
    music.create(new_queue("music", "/library", items, clock()))

    def session(start, kind="music"):
        clock.now = at(start)
        return start_session(status, kind, clock=clock, description="test batch")

    s1 = session("2025-12-24 20:00")
    _complete(home, music, s1, clock, "ABBA")
    _complete(home, music, s1, clock, "AC⧸DC & <Friends>")
    clock.now = at("2025-12-24 21:30")
    s1.end("completed", {"items_done": 2, "lookups": 10, "cache_hits": 4})

    s2 = session("2025-12-31 23:40")
    _complete(home, music, s2, clock, 'Guns N\' Roses "Live"')
    _complete(home, music, s2, clock, "Sigur Rós")
    clock.now = at("2026-01-01 00:20")
    s2.end("completed", {"items_done": 2, "lookups": 6, "cache_hits": 3})

    s3 = session("2026-01-04 23:30")
    _complete(home, music, s3, clock, "*NSYNC_[x]|pipe")
    _complete(home, music, s3, clock, "1. Numbered")
    _fail(
        music,
        s3,
        clock,
        "Error Artist <b>",
        "2026-01-05 00:20",
        "folder vanished: /library/Error Artist <b>\n  while scanning",
    )
    clock.now = at("2026-01-05 00:30")
    s3.end("completed", {"items_done": 2, "errors": 1, "lookups": 8, "cache_hits": 8})

    clock.now = at("2026-01-06 08:00")
    movies = QueueStore(status / "movies", "movies", clock=clock)
    movie_items = [new_item(name, name, f"/movies/{name}") for name in MOVIES]
    movies.create(new_queue("movies", "/movies", movie_items, clock()))

    s4 = session("2026-01-06 09:00")
    _complete(home, music, s4, clock, "Björk")
    _fail(
        music,
        s4,
        clock,
        "Skipped Artist",
        "2026-01-06 09:50",
        "cannot read 'x' & <y>",
        max_attempts=1,
    )
    # S4 crashed: no end event, and the process that ran it is gone.
    events = status / "music" / EVENTS_FILE
    lines = []
    for line in events.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["session"] == s4.id and event["event"] == "start":
            event.update(host=socket.gethostname(), pid=dead_pid, pid_started=None)
        lines.append(json.dumps(event, ensure_ascii=False))
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")

    s5 = session("2026-01-07 10:00", kind="movies")
    clock.now = at("2026-01-07 10:05")
    movies.claim_next(s5.id, keys={"Alien (1979)"})
    movies.record_success("Alien (1979)", s5.id)
    s5.item("Alien (1979)", "Alien (1979)", "completed")
    clock.now = at("2026-01-07 10:10")
    s5.end("completed", {"items_done": 1})
    music.fold()
    movies.fold()
    return home


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Path:
    """The story's data home (shared: tests only add report files to it)."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return build_home(tmp_path_factory.mktemp("story") / "home", gone.pid)


LATER = at("2026-03-01 12:00")  # long after the story: every week of it is complete
MID_W02 = at("2026-01-07 12:00")  # Wednesday of 2026-W02, after S5


def figures(home: Path, week: str, now: datetime = LATER):
    target = parse_week(week)
    records = gather(home)
    return weekly_figures(records, target, now)


def queue_week(report, kind):
    return next(q for q in report.queues if q.kind == kind)


def by_code(queue) -> dict[str, tuple[int, int]]:
    return {c.code: (c.found, c.resolved) for c in queue.by_code}


# ---- the figures -----------------------------------------------------------------------


def test_2025_w52_before_the_movies_queue_existed(story):
    r = figures(story, "2025-W52")
    assert (r.week.monday, r.week.sunday) == (date(2025, 12, 22), date(2025, 12, 28))
    assert not r.partial and r.as_of == at("2025-12-29 00:00")
    assert [q.kind for q in r.queues] == ["music"]  # movies was created in 2026-W02
    music = queue_week(r, "music")
    assert music.completed == ("ABBA", "AC⧸DC & <Friends>")
    assert (music.tracks, music.issues_found, music.issues_resolved) == (21, 4, 3)
    assert by_code(music) == {"whitespace": (2, 2), "missing-year": (1, 1), "missing-cover": (1, 0)}
    assert r.minutes == 90
    assert [s.id for s in r.sessions] == ["20251224_music_001"]
    assert (r.lookups, r.cache_hits) == (10, 4)
    p = music.progress
    assert (p.completed, p.total, p.percent) == (2, 12, 16.6)
    # Window 2025-W49..W52, counted from the queue's creation (Sat 20 Dec 10:00, 8 days 14 h
    # before Mon 29 Dec; the weeks before it existed are no pace): 2 done, 10 left.
    assert [(w.label, n) for w, n in p.pace.weeks] == [
        ("2025-W49", 0),
        ("2025-W50", 0),
        ("2025-W51", 0),
        ("2025-W52", 2),
    ]
    assert p.pace.days == 8 + 14 / 24
    assert p.pace.per_week == 2 * 7 / (8 + 14 / 24)
    assert p.pace.projected == date(2026, 2, 10)  # ceil(10 * 8.58 / 2) = 43 days


def test_2026_w01_spans_new_year_and_splits_the_sessions_that_cross_midnight(story):
    r = figures(story, "2026-W01")
    assert (r.week.monday, r.week.sunday) == (date(2025, 12, 29), date(2026, 1, 4))
    music = queue_week(r, "music")
    # Wed 23:55 and Thu 00:10 (over new year), Sun 23:50; Mon 00:10 belongs to W02.
    assert music.completed == ('Guns N\' Roses "Live"', "Sigur Rós", "*NSYNC_[x]|pipe")
    assert music.tracks == 22
    assert (music.issues_found, music.issues_resolved) == (5, 3)
    assert by_code(music) == {
        "whitespace": (2, 1),
        "missing-year": (1, 1),
        "mojibake": (1, 1),
        "track-gap": (1, 0),
    }
    assert music.without_output == 1  # Sigur Rós has no output document
    # S2 23:40-00:20 (40 min), and 30 of S3's 60 minutes (Sun 23:30 - Mon 00:30).
    assert {s.id: round(s.seconds_in_week / 60) for s in r.sessions} == {
        "20251231_music_001": 40,
        "20260104_music_001": 30,
    }
    assert r.minutes == 70
    assert (r.lookups, r.cache_hits) == (6, 3)  # S3 ended in W02: its lookups count there
    assert (music.progress.completed, music.progress.percent) == (5, 41.6)
    assert music.progress.pace.per_week == 5 * 7 / (15 + 14 / 24)  # since Sat 20 Dec 10:00
    assert music.progress.pace.projected == date(2026, 1, 27)  # ceil(7 * 15.58 / 5) = 22 days


def test_2026_w02_complete_covers_every_queue(story):
    r = figures(story, "2026-W02")
    music, movies = r.queues
    assert (music.kind, movies.kind) == ("music", "movies")
    assert music.completed == ("1. Numbered", "Björk")
    assert movies.completed == ("Alien (1979)",)
    assert by_code(music) == {"low-bitrate": (1, 0)}
    # Movies have outputs too (outputs/movies/<slug>.json); this story wrote none for Alien.
    assert movies.has_outputs and movies.by_code == () and movies.without_output == 1
    assert {s.id: (s.outcome, round(s.seconds_in_week / 60)) for s in r.sessions} == {
        "20260104_music_001": ("completed", 30),
        "20260106_music_001": ("unrecorded", 50),  # counts until its last recorded item
        "20260107_movies_001": ("completed", 10),
    }
    assert r.minutes == 90
    assert (r.lookups, r.cache_hits) == (8, 8)
    assert (music.progress.completed, music.progress.total, music.progress.percent) == (7, 12, 58.3)
    assert (movies.progress.completed, movies.progress.total) == (1, 3)
    assert (r.completed, r.total, r.percent) == (8, 15, 53.3)
    # Paces count from each queue's creation: music Sat 20 Dec 10:00 (22 days 14 h before the
    # week's end), movies Tue 6 Jan 08:00 (under a week: counted as one week).
    days = 22 + 14 / 24
    assert music.progress.pace.per_week == 7 * 7 / days
    assert music.progress.pace.projected == date(2026, 1, 29)  # ceil(5 * 22.58 / 7) = 17 days
    assert (movies.progress.pace.per_week, movies.progress.pace.projected) == (
        1.0,
        date(2026, 1, 26),
    )
    assert (r.pace.per_week, r.pace.projected) == (8 * 7 / days, date(2026, 2, 1))
    errors = [(o.name, o.status, o.stage, o.message) for o in music.outstanding]
    assert errors == [
        (
            "Error Artist <b>",
            "error",
            "scan",
            "folder vanished: /library/Error Artist <b> while scanning",
        ),
        ("Skipped Artist", "skipped", "scan", "cannot read 'x' & <y>"),
    ]
    assert [b.value for b in r.chart.bars] == [0, 2, 3, 3]  # W51, W52, W01, W02
    assert [b.total for b in r.chart.bars] == [0, 2, 5, 8]


def test_a_week_in_progress_measures_pace_by_the_time_that_has_passed(story):
    r = figures(story, "2026-W02", now=MID_W02)
    assert r.partial and r.as_of == MID_W02
    music = queue_week(r, "music")
    pace = music.progress.pace
    assert pace.days == 18 + 2 / 24  # the queue's creation, Sat 20 Dec 10:00, to Wed 7 Jan 12:00
    assert pace.completed == 7
    assert round(pace.per_week, 2) == 2.71
    # Now, the skipped artist is decided: 4 left, ceil(4 * 18.08 / 7) = 11 days.
    assert (pace.remaining, pace.projected) == (4, date(2026, 1, 18))
    assert (r.pace.completed, r.pace.projected) == (8, date(2026, 1, 21))  # ceil(13.56) = 14
    assert r.minutes == 90  # S5 ended at 10:10, before now


def test_a_week_without_work_and_a_week_that_has_not_started(story):
    r = figures(story, "2025-W51")  # the music queue was created on its Saturday
    assert r.queues and not r.has_work
    assert (r.minutes, r.completed_this_week, r.lookups) == (0, 0, 0)
    assert r.pace.state == "no pace" and r.pace.projected is None
    assert r.pace.describe("artists") == "no pace yet"
    text = render_markdown(r)
    assert "No work recorded this week." in text
    assert "no pace yet" in text
    with pytest.raises(BadWeek, match="has not started yet"):
        figures(story, "2026-W03", now=MID_W02)


def test_a_running_session_counts_until_now(tmp_path, clock):
    clock.now = at("2026-01-04 23:00")
    session = start_session(tmp_path / "status", "music", clock=clock)  # ours: still alive
    records = gather(tmp_path)
    assert records.sessions[0].outcome == "running"
    sunday = weekly_figures(records, parse_week("2026-W01"), at("2026-01-05 00:45"))
    monday = weekly_figures(records, parse_week("2026-W02"), at("2026-01-05 00:45"))
    assert (sunday.minutes, monday.minutes) == (60, 45)
    assert session.id == "20260104_music_001"


# ---- rendering -------------------------------------------------------------------------


def test_markdown_shows_the_figures_and_escapes_names(story):
    text = render_markdown(figures(story, "2026-W01"))
    assert text.startswith(
        "# Weekly progress — 2026-W01\n\nMon 29 Dec 2025 – Sun 4 Jan 2026 · all times UTC"
    )
    assert "| Artists completed | 3 |" in text
    assert "| Tracks processed | 22 |" in text
    assert "| Findings / resolved | 5 / 3 |" in text
    assert "| Time invested | 1 h 10 min (2 sessions) |" in text
    assert "| Lookups / cache hits | 6 / 3 |" in text
    assert "| `whitespace` | 2 | 1 | 1 |" in text
    assert "| music | 5 | 12 | 41.6% | 2.2 artists/week · done around Tue 27 Jan 2026 |" in text
    assert "- \\*NSYNC\\_\\[x\\]\\|pipe" in text  # no emphasis, link or table cell break
    assert '- Guns N\' Roses "Live"' in text
    assert "| Error Artist \\<b\\> | failed | scan | 1 | folder vanished:" in text
    assert "1 artist completed this week has no readable output file" in text
    w02 = render_markdown(figures(story, "2026-W02"))
    assert "- 1\\. Numbered" in w02  # not an ordered list inside the list
    assert "| all queues |" not in w02 and "| **all queues** | 8 | 15 | 53.3% |" in w02


def test_html_is_self_contained_and_escapes_every_name(story):
    page = render_html(figures(story, "2026-W01"))
    assert page.startswith("<!DOCTYPE html>")
    for banned in ("<script", "<link", "src=", "url(", "http://", "@import", "javascript:"):
        assert banned not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "AC⧸DC" not in page  # only in W52
    assert "Guns N&#39; Roses &#34;Live&#34;" in page
    assert "*NSYNC_[x]|pipe" in page
    assert "Error Artist &lt;b&gt;" in page and "<b>" not in page
    assert "cannot read &#39;x&#39; &amp; &lt;y&gt;" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" id="progress-chart"' in page
    assert "<title>Artists completed per week, and the running total</title>" in page
    assert page.count('class="chart-bar"') == 2 * 4  # drawn for wide screens and for phones
    w52 = render_html(figures(story, "2025-W52"))
    # escaped, and its folder-name "⧸" shown as the "/" it stands for (a box in most fonts)
    assert "AC/DC &amp; &lt;Friends&gt;" in w52 and "<Friends>" not in w52


def test_the_same_records_give_the_same_bytes(story, tmp_path):
    copy = shutil.copytree(story, tmp_path / "copy")
    first = write_weekly_report(story, date(2026, 1, 1), now=LATER)
    before = [p.read_bytes() for p in first]
    second = write_weekly_report(story, date(2025, 12, 29), now=at("2026-06-30 08:00"))
    assert second == first  # the same week's files; a past week does not depend on now
    assert [p.read_bytes() for p in second] == before
    again = write_weekly_report(copy, date(2026, 1, 4), now=LATER)
    # Of the home, only its path goes in (the commands name it).
    moved = [b.replace(bytes(story), bytes(copy)) for b in before]
    assert bytes(story) in before[0]
    assert [p.read_bytes() for p in again] == moved


def test_write_all_renders_every_week_since_the_queue_was_created(story):
    written = write_all_weekly_reports(story, now=MID_W02)
    assert [md.name for md, _ in written] == [
        "2025-12-15_weekly_progress.md",
        "2025-12-22_weekly_progress.md",
        "2025-12-29_weekly_progress.md",
        "2026-01-05_weekly_progress.md",
    ]
    assert [html.suffix for _, html in written] == [".html"] * 4
    assert written[1] == report_paths(story, Week(date(2025, 12, 22)))
    assert "| Artists completed | 2 |" in written[1][0].read_text(encoding="utf-8")
    assert "week in progress" in written[3][0].read_text(encoding="utf-8")


def _young_home(home: Path, *, corrupt_movies: bool = False) -> Path:
    """A music queue created a minute ago with no items, and a movie queue created today."""
    today = at("2026-11-21 09:00")
    QueueStore(home / "status" / "music", "music").create(new_queue("music", "/m", [], today))
    movies = QueueStore(home / "status" / "movies", "movies")
    movies.create(new_queue("movies", "/v", [new_item("Heat", "Heat", "/v/Heat")], today))
    if corrupt_movies:
        movies.path.write_text('{"version": 1, "items": [', encoding="utf-8")
    return home


def test_young_and_empty_queues_render_sensibly(tmp_path):
    home = _young_home(tmp_path)
    r = weekly_figures(gather(home), Week.of(date(2026, 11, 21)), at("2026-11-21 09:01"))
    music, movies = r.queues
    assert (music.progress.total, music.progress.percent, music.progress.pace.state) == (
        0,
        0.0,
        "empty",
    )
    assert (movies.progress.total, movies.progress.pace.describe("movies")) == (1, "no pace yet")
    assert r.pace.projected is None and r.chart.empty
    assert len(r.chart.bars) == 4  # the pace window, even for a queue created today
    text, page = render_markdown(r), render_html(r)
    assert "| music | 0 | 0 | 0.0% | nothing queued |" in text
    assert "| movies | 0 | 1 | 0.0% | no pace yet |" in text
    assert "The queue has no items yet" in page
    assert "Nothing completed yet" in page


def test_a_queue_that_does_not_parse_is_reported_not_fatal(tmp_path):
    home = _young_home(tmp_path, corrupt_movies=True)
    md_path, html_path = write_weekly_report(home, None, now=at("2026-11-21 10:00"))
    text = md_path.read_text(encoding="utf-8")
    assert "**The movie queue could not be read:**" in text
    assert "no checkpoint to restore yet" in text and "--init --force --library" in text
    assert "could not be read" in html_path.read_text(encoding="utf-8")
    # Its progress is not told as that of an empty queue (nor --refresh offered, which would
    # fail on it), and the figures of all queues say they leave it out.
    page = html_path.read_text(encoding="utf-8")
    assert "| movies | – | – | – | could not be read (above) |" in text
    left_out = "nothing queued; the movies queue left out: it could not be read"
    assert f"| **all queues** | 0 | 0 | 0.0% | {left_out} |" in text
    movies_block = page.split('aria-label="movies queue progress"')[1].split("</div>")[1]
    assert "could not be read (above)" in movies_block and "--refresh" not in movies_block


def test_a_queue_that_does_not_parse_is_left_out_of_the_weeks_figures_not_counted_as_0(
    tmp_path, music_library
):
    """Two albums verified this week, then the verify queue torn: the week's figures said
    "albums verified 0", "0 verify" tracks and "Verify: 0 albums" as if it had done nothing
    (and --json ``"verify": 0``). What it did is not known: the figures are those of the
    queues read, and say which they leave out."""
    spec = {f"{artist}/Album/0{n} - Song.flac": {"tags": {"title": "Song", "artist": artist}}
            for artist in ("Artist", "Other") for n in (1, 2)}  # fmt: skip
    library, home = music_library(tmp_path / "lib", spec), tmp_path / "home"
    for script, *more in (("process_music_batch.py", "--offline"), ("process_verify_batch.py",)):
        done = run_script(script, "--home", home, "--library", library, *more)
        assert done.returncode in (0, 1), done.stdout + done.stderr  # music: decisions
    verify = home / "status" / "verify" / "processing_queue.json"
    verify.write_bytes(verify.read_bytes()[:200])

    board = run_script("media_dashboard.py", "--home", home)
    assert board.returncode == 0, board.stderr
    week = board.stdout.split("THIS WEEK")[1].split("LAST SESSIONS")[0]
    assert "artists completed 2 · tracks 4 · " in week and "verif" not in week.split("(")[0]
    assert "  (of the queues read: the verify queue left out: it could not be read)\n" in week
    figures = json.loads(run_script("media_dashboard.py", "--home", home, "--json").stdout)
    assert figures["week"]["completed"] == {"music": 2}
    assert "problem" in figures["queues"]["verify"]

    made = run_script("weekly_report.py", "--home", home)
    assert made.returncode == 0, made.stdout + made.stderr
    md_path = Path(made.stdout.splitlines()[0])
    text = md_path.read_text("utf-8")
    assert "| Albums verified |" not in text and "Verify: 0" not in text
    assert "| Tracks processed | 4 |" in text
    said = "the verify queue left out: it could not be read (above)."
    assert f"This week's figures, here and below, are of the queues read: {said}" in text
    page = md_path.with_suffix(".html").read_text("utf-8")
    assert said in page and "Albums verified" not in page.split("Overall progress")[0]


def test_the_needs_attention_total_says_it_leaves_out_a_queue_that_cannot_be_read(
    tmp_path, music_library
):
    """A torn verify queue: NEEDS ATTENTION counted the music decisions alone and said
    nothing of it (only QUEUES did), as if verify needed nothing. The total says it is of
    the queues read, in the text, the page and --json."""
    spec = {"Artist/Album/01 - Song.flac": {"tags": {"title": "Song  ", "artist": "Artist"}}}
    library, home = music_library(tmp_path / "lib", spec), tmp_path / "home"
    for script, *more in (("process_music_batch.py", "--offline"), ("process_verify_batch.py",)):
        done = run_script(script, "--home", home, "--library", library, *more)
        assert done.returncode in (0, 1), done.stdout + done.stderr
    verify = home / "status" / "verify" / "processing_queue.json"
    verify.write_bytes(verify.read_bytes()[:200])
    said = "of the queues read: the verify queue left out: it could not be read"

    board = run_script("media_dashboard.py", "--home", home)
    assert board.returncode == 0, board.stderr
    [total] = [line for line in board.stdout.splitlines() if line.startswith("NEEDS ATTENTION")]
    assert total.endswith(f" skipped · {said}"), total
    figures = json.loads(run_script("media_dashboard.py", "--home", home, "--json").stdout)
    assert figures["attention"]["left_out"] == ["verify"]
    page = tmp_path / "board.html"
    made = run_script("media_dashboard.py", "--home", home, "--html", page)
    assert made.returncode == 0, made.stdout + made.stderr
    heading = page.read_text("utf-8").split('id="attention-heading">')[1].split("</h2>")[0]
    assert f" skipped · {said}</span>" in heading


def test_a_queue_that_does_not_parse_leaves_the_pace_of_all_queues_to_the_others(tmp_path):
    """The unreadable queue has no creation time: the pace of all queues was measured over
    the whole four weeks, as if the others were that old (27 a week said as 4.7)."""
    today = at("2026-11-21 09:00")
    paces = []
    for name, corrupt in (("with", True), ("without", False)):
        home = tmp_path / name
        done = {**new_item("Abba", "Abba", "/m/Abba"), "status": "completed",
                "completed_at": today.isoformat()}  # fmt: skip
        music = QueueStore(home / "status" / "music", "music")
        music.create(new_queue("music", "/m", [done], today))
        if corrupt:
            movies = home / "status" / "movies" / "processing_queue.json"
            movies.parent.mkdir(parents=True)
            movies.write_text('{"version": 1, "items": [', encoding="utf-8")
        r = weekly_figures(gather(home), Week.of(date(2026, 11, 21)), at("2026-11-21 10:00"))
        paces.append((r.pace.per_week, r.pace.days))
    assert paces[0] == paces[1]


def test_no_queues_at_all_says_how_to_start(tmp_path):
    home = tmp_path / "my home"
    md_path, _ = write_weekly_report(home, None, now=at("2026-11-21 10:00"))
    assert md_path == home / "status" / "reports" / "2026-11-16_weekly_progress.md"
    text = md_path.read_text(encoding="utf-8")
    assert "**No queues yet.**" in text
    assert f"`{queue_manager('music', home)} --init --library PATH`" in text


def test_the_weekly_report_names_its_data_home_in_every_command(story):
    """The report is a file read from anywhere: a command without --home would act on
    whatever home the reader's current folder is."""
    md_path, html_path = write_weekly_report(story, date(2026, 1, 7), now=MID_W02)
    manager = queue_manager("music", story)
    for text in (md_path.read_text(encoding="utf-8"), html_path.read_text(encoding="utf-8")):
        assert f"{manager} --reset-errors" in text
        assert f"{manager} --reset-artist NAME" in text
        assert text.count(queue_manager("music")) == text.count(f"{manager} ")  # all of them


# ---- the dashboard ---------------------------------------------------------------------


def test_dashboard_text(story):
    board = build_dashboard(gather(story), MID_W02, home="/data")
    text = render_text(board)
    lines = text.splitlines()
    assert lines[0] == "mediakeeper dashboard · 2026-01-07 12:00 UTC · /data"
    # The skipped artist is decided: counted in the percent, said beside it.
    assert "  music   [###################-----------]  66.6%  7 of 12 artists, 1 skipped" in lines
    assert "  movies  [#########---------------------]  33.3%  1 of 3 movies" in lines
    assert "          pending 3 · in progress 0 · completed 7 · failed 1 · skipped 1" in lines
    assert "          pace 2.7 artists/week · done around Sun 18 Jan 2026" in lines
    assert "THIS WEEK  2026-W02 · Mon 5 Jan – Sun 11 Jan 2026" in lines
    week = lines[lines.index("THIS WEEK  2026-W02 · Mon 5 Jan – Sun 11 Jan 2026") + 1 :][:2]
    assert week == [  # packed into lines of 80 columns
        "  artists completed 2 · movies completed 1 · tracks 14 · findings 1, 0 resolved",
        "  tag changes 0",
    ]
    assert "  time invested 1 h 30 min in 3 sessions · lookups 8, cache hits 8" in lines
    sessions = lines[lines.index("LAST SESSIONS  (5 in all)") + 1 :][:5]
    assert [line.split()[0] for line in sessions] == [
        "20260107_movies_001",
        "20260106_music_001",
        "20260104_music_001",
        "20251231_music_001",
        "20251224_music_001",
    ]
    # Its id says the day and the kind: the row gives the time, and fits 80 columns.
    row = "  20260104_music_001       23:30  1 h 00 min  completed      2 done   1 failed"
    assert sessions[2] == row
    assert "unrecorded" in sessions[1]
    assert "NEEDS ATTENTION  2 decisions · 1 failed, 1 skipped" in lines  # a low bit rate: none
    assert any(line.startswith("  failed   Error Artist <b>") for line in lines)
    manager = queue_manager("music", "/data")  # the home it shows
    assert f"  music: {manager} --list --status error (or skipped) lists them;" in lines
    table = [line for line in lines if manager not in line]  # a command is never cut
    # Issue 36: at 80 columns the session rows wrapped; every line fits now but a command.
    assert all(width(line) <= 80 for line in table), max(table, key=width)
    # A pipeline's id, longer than the column, is given whole on a line of its own (an id cut
    # with "…" is no id `undo --session` takes), its row below it.
    long_id = "20260104_flac_to_opus_portable_001"
    rows = list(board.sessions)
    rows[2] = replace(rows[2], id=long_id)
    again = render_text(replace(board, sessions=tuple(rows))).splitlines()
    at = again.index(f"  {long_id}")
    assert again[at + 1] == " " * 26 + row[26:]


def test_the_dashboard_names_its_data_home_in_its_commands(story):
    board = build_dashboard(gather(story), MID_W02, home=str(story))
    manager = queue_manager("music", story)
    text, page = render_text(board), dashboard_html(board)
    assert f"  music: {manager} --list --status error (or skipped) lists them;" in text
    assert f"{manager} --reset-errors retries the errors" in text
    assert f"<code>{manager} --list --status error</code>" in page
    assert f"{queue_manager('music')} --list" not in text + page  # none without the home
    nameless = build_dashboard(gather(story), MID_W02)  # no home: the current folder's
    assert "--home" not in render_text(nameless) + dashboard_html(nameless)


def one_artist_skipped(tmp_path, music_library) -> Path:
    """A home whose music queue holds two artists, "Skipped One" skipped, none failed."""
    spec = {f"{artist}/Album/01 - Song.flac": {"tags": {"title": "Song", "artist": artist}}
            for artist in ("Artist", "Skipped One")}  # fmt: skip
    library, home = music_library(tmp_path / "lib", spec), tmp_path / "home"
    for step in (("--init", "--library", library), ("--skip-artist", "Skipped One")):
        done = run_script("music_queue_manager.py", "--home", home, *step)
        assert done.returncode == 0, done.stdout + done.stderr
    return home


def test_the_dashboards_hints_for_a_skipped_artist_work_pasted(tmp_path, music_library):
    """An artist skipped, none failed: the dashboard said `--list --status error (or skipped)
    lists them` (pasted: none) and `--reset-errors retries the errors` (it leaves a skipped
    one skipped). It names the status there and what puts a skipped one back."""
    home = one_artist_skipped(tmp_path, music_library)
    board = run_script("media_dashboard.py", "--home", home)
    assert board.returncode == 0, board.stderr
    hints = [line.split(": ", 1)[-1].strip() for line in board.stdout.splitlines()
             if line.endswith((" lists them;", " skipped ones too"))]  # fmt: skip
    assert len(hints) == 2 and "--reset-errors" not in board.stdout, board.stdout
    page = tmp_path / "board.html"
    assert run_script("media_dashboard.py", "--home", home, "--html", page).returncode == 0
    text = page.read_text("utf-8")
    assert "--list --status skipped</code> lists" in text and "--reset-errors" not in text
    listing = hints[0].removesuffix(" lists them;")
    listed = run_pasted(listing, tmp_path)
    assert listed.returncode == 0 and "Skipped One" in listed.stdout, listing + listed.stdout
    retry = hints[1].removesuffix(" retries one, skipped ones too").replace("NAME", "'Skipped One'")
    back = run_pasted(retry, tmp_path)
    assert back.returncode == 0 and "skipped -> pending" in back.stdout, retry + back.stderr


def test_the_weekly_reports_hints_for_a_skipped_artist_work_pasted(tmp_path, music_library):
    """An artist skipped, none failed: the weekly report said `--reset-errors retries every
    error` (there were none; it leaves a skipped one skipped) and `--list --status error`
    (listing none). It says what the dashboard says, and its commands work pasted."""
    home = one_artist_skipped(tmp_path, music_library)
    written = run_script("weekly_report.py", "--home", home)
    assert written.returncode == 0, written.stderr
    md, page = (next((home / "status" / "reports").glob(f"*.{end}")).read_text("utf-8")
                for end in ("md", "html"))  # fmt: skip
    for text in (md, page):
        assert "--reset-errors" not in text and "--status error" not in text, text
    listing = re.search(r"`([^`]*--list --status skipped)` lists them", md)
    assert listing and "--list --status skipped</code> lists them" in page, md
    listed = run_pasted(listing.group(1), tmp_path)
    assert listed.returncode == 0 and "Skipped One" in listed.stdout, listed.stdout
    retry = re.search(r"`([^`]*--reset-artist NAME)` retries one, skipped ones too", md)
    assert retry, md
    back = run_pasted(retry.group(1).replace("NAME", "'Skipped One'"), tmp_path)
    assert back.returncode == 0 and "skipped -> pending" in back.stdout, back.stderr


def test_dashboard_page_is_written_atomically_and_self_contained(story, tmp_path):
    board = build_dashboard(gather(story), MID_W02)
    path = write_dashboard_html(tmp_path / "out" / "dash.html", board)
    page = path.read_text(encoding="utf-8")
    assert "Error Artist &lt;b&gt;" in page and "<script" not in page
    assert page.count('class="chart-bar"') == 2 * 4  # drawn for wide screens and for phones
    assert [p.name for p in path.parent.iterdir()] == ["dash.html"]  # no temp file left


# ---- the command lines -----------------------------------------------------------------


def run(command, *args):
    result = CliRunner().invoke(command, list(args), env={"MEDIAKEEPER_HOME": None})
    assert "Traceback" not in result.output, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_weekly_report_cli_writes_the_week_and_prints_the_paths(story):
    result = run(
        weekly_main, "--home", str(story), "--week", "2026-W01", "--now", "2026-03-01T12:00Z"
    )
    assert result.exit_code == 0, result.output
    md_path, html_path = report_paths(story, parse_week("2026-W01"))
    assert result.output.splitlines() == [str(md_path), str(html_path)]
    assert "| Time invested | 1 h 10 min (2 sessions) |" in md_path.read_text(encoding="utf-8")


def test_weekly_report_cli_defaults_to_this_week_and_does_all(story):
    result = run(weekly_main, "--home", str(story), "--now", "2026-01-07T12:00:00+00:00")
    assert result.exit_code == 0, result.output
    assert [Path(p).name for p in result.output.splitlines()] == [
        "2026-01-05_weekly_progress.md",
        "2026-01-05_weekly_progress.html",
    ]
    result = run(weekly_main, "--home", str(story), "--all", "--now", "2026-01-07T12:00Z")
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--week", "2026-47"],
            "Error: invalid week '2026-47': write it as YYYY-Www, e.g. 2026-W47",
        ),
        (["--week", "2025-W53"], "Error: invalid week '2025-W53': 2025 has ISO weeks W01 to W52"),
        # An empty week is none (it wrote this week's report).
        (["--week", ""], "Error: invalid week '': write it as YYYY-Www, e.g. 2026-W47"),
        (["--week", "2026-W01", "--all"], "Error: give --week or --all, not both"),
        (["--week", "", "--all"], "Error: give --week or --all, not both"),
        (
            ["--now", "yesterday"],
            "Error: invalid --now 'yesterday': write it as ISO-8601, e.g. 2026-11-21T18:00Z",
        ),
    ],
)
def test_weekly_report_cli_bad_input_is_one_line(tmp_path, args, message):
    (tmp_path / "status").mkdir()  # a data home (where there is none, that is said first)
    result = run(weekly_main, "--home", str(tmp_path), *args)
    assert result.exit_code == 2
    assert result.output.splitlines() == [message]
    assert not (tmp_path / "status" / "reports").exists()


@pytest.mark.parametrize(
    ("week", "message"),
    [
        (
            "0001-W01",
            "Error: week 0001-W01 cannot be reported: its chart reaches 25 weeks back, before the"
            " first date (0001-01-01) (name a week from 0001-W26 to 9999-W51)",
        ),
        (
            "0001-W25",
            "Error: week 0001-W25 cannot be reported: its chart reaches 25 weeks back, before the"
            " first date (0001-01-01) (name a week from 0001-W26 to 9999-W51)",
        ),
        (
            "9999-W52",
            "Error: week 9999-W52 cannot be reported: it ends after the last date (9999-12-31)"
            " (name a week from 0001-W26 to 9999-W51)",
        ),
    ],
)
def test_weekly_report_script_weeks_beyond_the_calendar_are_one_line(
    music_script, tmp_path, week, message
):
    # --now late in 9999, so that 9999-W52 has started and only the calendar can refuse it.
    now = "9999-12-29T12:00Z"
    (tmp_path / "status").mkdir()
    result = music_script("weekly_report.py", "--home", tmp_path, "--week", week, "--now", now)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message + "\n")
    assert not (tmp_path / "status" / "reports").exists()


def test_a_week_before_the_calendar_is_told_the_weeks_it_may_name_as_of_now(music_script, tmp_path):
    """Refused, it was told to name a week up to 9999-W51, where every week after this one
    is refused as not started: the hint ends at this week."""
    (tmp_path / "status").mkdir()
    result = music_script("weekly_report.py", "--home", tmp_path, "--week", "0001-W01", "--now",
                          "2026-11-30T12:00Z")  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.endswith("(name a week from 0001-W26 to 2026-W49)\n"), result.stderr


def test_weekly_report_script_reports_the_calendars_first_and_last_weeks(music_script, tmp_path):
    (tmp_path / "status").mkdir()
    for week in ("0001-W26", "9999-W51"):
        result = music_script(
            "weekly_report.py", "--home", tmp_path, "--week", week, "--now", "9999-12-29T12:00Z"
        )
        assert result.returncode == 0, result.stderr
        monday = parse_week(week).monday
        md, html = report_paths(tmp_path, Week(monday))
        assert Path(result.stdout.splitlines()[0]) == md
        assert md.read_text("utf-8").startswith(f"# Weekly progress — {week}\n")
        assert f"<title>Weekly progress {week} · mediakeeper</title>" in html.read_text("utf-8")


def test_weekly_report_cli_with_no_queues(tmp_path):
    (tmp_path / "status").mkdir()  # a data home where no batch has run yet
    result = run(weekly_main, "--home", str(tmp_path), "--now", "2026-11-21T10:00Z")
    assert result.exit_code == 0, result.output
    assert "No queues yet" in Path(result.output.splitlines()[0]).read_text(encoding="utf-8")


def test_dashboard_cli(story, tmp_path):
    result = run(dashboard_main, "--home", str(story), "--now", "2026-01-07T12:00Z")
    assert result.exit_code == 0, result.output
    assert "[###################-----------]  66.6%" in result.output
    assert f"--home {shlex.quote(str(story))} --reset-errors retries" in result.output
    target = tmp_path / "dash.html"
    result = run(
        dashboard_main, "--home", str(story), "--html", str(target), "--now", "2026-01-07T12:00Z"
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"Dashboard written: {target}\n"
    assert "Media dashboard" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ("", "the file name is empty: name the file to write, e.g. dashboard.html"),
        (".", "'.' is a folder: name a file to write, e.g. ./dashboard.html"),
        ("out/", "'out/' is a folder: name a file to write, e.g. out/dashboard.html"),
        ("{home}", "'{home}' is a folder: name a file to write, e.g. {home}/dashboard.html"),
        ("x/..", "'x/..' is a folder: name a file to write, e.g. x/../dashboard.html"),
    ],
)
def test_dashboard_script_refuses_an_html_path_that_is_no_file(
    repo_root, child_env, tmp_path, html, problem
):
    home = tmp_path / "home"
    home.mkdir()
    html, problem = html.replace("{home}", str(home)), problem.replace("{home}", str(home))
    result = subprocess.run(
        [sys.executable, repo_root / "utilities" / "media_dashboard.py", "--html", html],
        cwd=home,  # the data home, and where a relative --html points
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"Error: Invalid value for '--html': {problem}"
    assert list(home.iterdir()) == []  # nothing written, not even a temporary file


def test_dashboard_script_makes_no_folder_for_its_page(repo_root, child_env, tmp_path):
    """A mistyped folder (``--html Dekstop/board.html``) was made, with every folder above it
    it took, to hold the page: a command that reads makes nothing but the file asked for."""
    home = tmp_path / "home"
    (home / "status").mkdir(parents=True)
    result = subprocess.run(
        [sys.executable, repo_root / "utilities" / "media_dashboard.py", "--home", home,
         "--html", "no/such/dashboard.html"],
        cwd=tmp_path, env=child_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--html': the folder 'no/such' does not exist: make it "
        "first, or name a file in a folder that does"
    ), result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_dashboard_script_writes_through_a_link_and_puts_no_file_in_a_pipe_s_place(
    repo_root, child_env, tmp_path
):
    """``--html`` named a link, a pipe or a device: each was replaced by a regular file (the
    page written beside it and renamed over it), ``/dev/full`` too for a root user, and the
    command said "Dashboard written". A link is written through, the link kept; a pipe is
    refused as a usage error, left a pipe."""
    home = tmp_path / "home"
    (home / "status").mkdir(parents=True)
    out = tmp_path / "out"
    out.mkdir()
    (out / "target.html").write_text("old", encoding="utf-8")
    (out / "link.html").symlink_to("target.html")
    os.mkfifo(out / "fifo.html")

    def dashboard(html):
        return subprocess.run(
            [sys.executable, repo_root / "utilities" / "media_dashboard.py", "--home", home,
             "--html", html],
            env=child_env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    linked = dashboard(out / "link.html")
    assert linked.returncode == 0, linked.stdout + linked.stderr
    assert linked.stdout == f"Dashboard written: {out / 'target.html'}\n"
    assert os.readlink(out / "link.html") == "target.html"
    assert "Media dashboard" in (out / "target.html").read_text(encoding="utf-8")
    piped = dashboard(out / "fifo.html")
    assert piped.returncode == 2, piped.stdout + piped.stderr
    assert piped.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--html': '{out / 'fifo.html'}' is not a regular file (a "
        "device or a pipe): name a file to write, e.g. dashboard.html"
    ), piped.stderr
    assert stat.S_ISFIFO(os.lstat(out / "fifo.html").st_mode)
    assert sorted(p.name for p in out.iterdir()) == ["fifo.html", "link.html", "target.html"]


def test_dashboard_script_names_an_html_name_too_long_as_asked(repo_root, child_env, tmp_path):
    """A name past the file system's 255 bytes: the error names the file asked for (it named
    the temporary file the page was written to) and says the name is too long."""
    home = tmp_path / "home"
    (home / "status").mkdir(parents=True)
    target = tmp_path / "out" / ("a" * 300 + ".html")
    target.parent.mkdir()
    result = subprocess.run(
        [sys.executable, repo_root / "utilities" / "media_dashboard.py", "--home", home,
         "--html", target],
        env=child_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"Error: file name too long: {target} (a name of 305 bytes, where a file system takes "
        "255 at most): give a shorter name"
    ), result.stderr
    assert list(target.parent.iterdir()) == []  # no temporary file left


def test_dashboard_cli_with_no_queues_says_how_to_start(tmp_path):
    home = tmp_path / "my home"
    (home / "status").mkdir(parents=True)  # a data home whose queues are not made yet
    result = run(dashboard_main, "--home", str(home), "--now", "2026-11-21T10:00Z")
    assert result.exit_code == 0, result.output
    assert f"No queues yet under {home}/status." in result.output
    assert f"  {queue_manager('music', home)} --init --library PATH" in result.output.splitlines()
    assert list(home.rglob("*")) == [home / "status"]  # looking writes nothing


def test_a_home_set_for_movies_alone_is_told_to_start_the_movie_queue_with_its_library(
    tmp_path,
):
    """The first command a home without queues is given is for the first kind whose library
    its settings name (here movies alone), that library filled in, in every face."""
    home, movies = tmp_path / "home", tmp_path / "My Movies"
    (home / "status").mkdir(parents=True)
    movies.mkdir()
    (home / "mediakeeper.toml").write_text(f'[movies]\nlibrary = "{movies}"\n')
    result = run(dashboard_main, "--home", str(home), "--now", "2026-11-21T10:00Z")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    create = f"{queue_manager('movies', home)} --init --library '{movies}'"
    assert lines[3:7] == [
        "Create the movie queue, one item per movie folder:", f"  {create}",
        "then process a batch:", f"  {kind_command('movies', 'batch', home)} --batch-size 10",
    ], result.output  # fmt: skip
    assert "music" not in result.output
    weekly = run(weekly_main, "--home", str(home), "--now", "2026-11-21T10:00Z")
    assert weekly.exit_code == 0, weekly.output
    text = Path(weekly.output.splitlines()[0]).read_text(encoding="utf-8")
    said = "**No queues yet.** Create the movie queue, one item per movie folder, with\n"
    assert f"{said}`{create}`" in text


# ---- in a real browser -----------------------------------------------------------------

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("chromium is not installed and could not be (`make test` installs Debian's)")
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
    )


def read_png(path: Path) -> tuple[int, int, list[bytearray], int]:
    """Width, height, rows of pixel bytes and bytes per pixel (8-bit RGB/RGBA, no interlace)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(idat)), width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray(map(lambda a, b: (a + b) & 255, line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, rows, bpp


def rgb(colour: str) -> bytes:
    return bytes(int(colour[i : i + 2], 16) for i in (1, 3, 5))


@pytest.mark.parametrize("page", ["weekly", "dashboard"])
def test_the_page_loads_in_chromium_and_the_chart_is_visible(story, tmp_path, page):
    if page == "weekly":
        _, html_path = write_weekly_report(story, date(2026, 1, 7), now=MID_W02)
    else:
        html_path = write_dashboard_html(
            tmp_path / "dashboard.html", build_dashboard(gather(story), MID_W02)
        )
    url = html_path.resolve().as_uri()

    dom = chromium(tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<svg" in dom.stdout and 'id="progress-chart"' in dom.stdout
    assert len(re.findall(r'<rect class="chart-bar"', dom.stdout)) == 2 * 4  # wide, narrow
    assert re.search(
        r'aria-label="Bars: items completed per week, 2025-W51 to 2026-W02: 0, 2, 3, 3', dom.stdout
    )
    assert "Error Artist &lt;b&gt;" in dom.stdout

    shot = tmp_path / "shot.png"
    run_shot = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2400", url)
    assert run_shot.returncode == 0, run_shot.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 20_000
    width, height, rows, bpp = read_png(shot)
    assert (width, height) == (1200, 2400)
    colours = {bytes(row[x * bpp : x * bpp + 3]) for row in rows[::20] for x in range(0, width, 20)}
    assert len(colours) > 5, "the page rendered as a blank single colour"
    bar, line = rgb(chart_module.BAR_COLOUR), rgb(chart_module.LINE_COLOUR)
    # Rows crossed by a bar: a solid run of the bar colour at least 20 px wide (text drawn in
    # a similar blue, or the 14 px legend swatch, never makes one).
    bar_rows = [y for y, row in enumerate(rows) if bar * 20 in row]
    assert bar_rows, "no bar of the chart is visible"
    top, bottom = min(bar_rows), max(bar_rows)
    assert bottom - top > 100, "the bars are not drawn at their height"
    # Just above the baseline every non-empty bar is cut: three solid runs (W52, W01, W02).
    probe = rows[bottom - 3]
    pixels = [bytes(probe[x * bpp : x * bpp + 3]) for x in range(width)]
    starts = [x for x in range(1, width) if pixels[x] == bar and pixels[x - 1] != bar]
    assert len(starts) == 3, starts
    line_pixels = sum(row.count(line) for row in rows[max(0, top - 40) : bottom + 5])
    assert line_pixels > 200, "the running-total line is not visible"


def test_the_weekly_reports_nothing_to_attend_says_the_queue_it_could_not_read(
    tmp_path, music_library
):
    """Two albums verified, nothing asked, then the verify queue torn: the weekly report's
    "Needs attention" said "Nothing: no open findings, no failed and no skipped items", as if
    the queue it could not read had been read and found clean."""
    spec = {f"{artist}/Album/01 - Song.flac": {"tags": {"title": "Song", "artist": artist}}
            for artist in ("Artist", "Other")}  # fmt: skip
    library, home = music_library(tmp_path / "lib", spec), tmp_path / "home"
    done = run_script("process_verify_batch.py", "--home", home, "--library", library)
    assert done.returncode == 0, done.stdout + done.stderr
    verify = home / "status" / "verify" / "processing_queue.json"
    verify.write_bytes(verify.read_bytes()[:200])

    made = run_script("weekly_report.py", "--home", home)
    assert made.returncode == 0, made.stdout + made.stderr
    md_path = Path(made.stdout.splitlines()[0])
    said = ("Nothing in the queues read (the verify queue left out: it could not be read): no "
            "open findings, no failed and no skipped items.")  # fmt: skip
    assert said in md_path.read_text("utf-8")
    assert said in md_path.with_suffix(".html").read_text("utf-8")


@pytest.mark.parametrize("counts", [[1e400, 1], [-7, -5], [2.5, 1], ["2", 1]])
def test_a_hand_edited_finding_count_is_read_from_the_artists_document(
    tmp_path, music_library, counts
):
    """A queue's counts as a hand edit may leave them (1e400, which JSON reads as infinity; a
    negative count): the weekly report, the dashboard and ``decide`` died on the first with a
    traceback, and the report said "-2 open" of the second. A count no job writes is not
    trusted: the artist's document decides, as where there are no counts."""
    library, home = tmp_path / "Music", tmp_path / "home"
    music_library(library, {"Artist/Album/01 - One.flac": {"tags": {
        "title": "One ", "artist": "Artist", "albumartist": "Artist", "album": "Album",
        "date": "2001", "tracknumber": "1"}}})  # fmt: skip
    assert run_script("process_music_batch.py", "--home", home, "--library", library,
                      "--no-fix").returncode in (0, 1)  # fmt: skip
    queue = home / "status" / "music" / "processing_queue.json"
    data = json.loads(queue.read_text("utf-8"))
    assert data["items"][0]["details"]["finding_counts"]["whitespace"][:2] == [1, 0]
    data["items"][0]["details"]["finding_counts"]["whitespace"] = counts
    queue.write_text(json.dumps(data), encoding="utf-8")
    (home / "status" / "music" / "processing_queue.journal").unlink(missing_ok=True)

    written = run_script("weekly_report.py", "--home", home)
    assert written.returncode == 0 and "Traceback" not in written.stderr, written.stderr
    md = next((home / "status" / "reports").glob("*.md")).read_text("utf-8")
    assert "| `whitespace` | 1 | 0 | 1 |" in md, md
    for command in (("media_dashboard.py", "--home", home), ("decide.py", "--home", home)):
        said = run_script(*command)
        assert said.returncode in (0, 1) and "Traceback" not in said.stderr, said.stderr
        assert "whitespace" in said.stdout, said.stdout


def test_a_queue_that_does_not_parse_alone_makes_the_week_not_known_not_nothing(tmp_path):
    """The only queue torn: "Completed this week" said "Nothing yet." and the findings "No
    issues recorded.", as if the week had been read and found empty. What it did is not
    known, and the report says so and why, in the text and the page."""
    home = tmp_path / "home"
    movies = QueueStore(home / "status" / "movies", "movies")
    movies.create(new_queue("movies", "/v", [new_item("Heat", "Heat", "/v/Heat")],
                            at("2026-11-21 09:00")))  # fmt: skip
    movies.path.write_text('{"version": 1, "items": [', encoding="utf-8")
    md_path, html_path = write_weekly_report(home, None, now=at("2026-11-21 10:00"))
    said = "Not known: the movies queue could not be read (above)."
    text = md_path.read_text(encoding="utf-8")
    page = html_path.read_text(encoding="utf-8")
    for section in ("Completed this week", "Findings and those resolved"):
        in_text = text.split(f"## {section}\n")[1].split("\n## ")[0]
        assert "Nothing yet" not in in_text and "No issues recorded" not in in_text, in_text
        assert said in in_text, in_text
        in_page = page.split(f">{section}</h2>")[1].split("</section>")[0]
        assert "Nothing yet" not in in_page and said in in_page, in_page


def test_a_week_before_any_queue_says_so_without_a_trailing_space(tmp_path):
    home = _young_home(tmp_path)
    md_path, _ = write_weekly_report(home, date(2026, 11, 9), now=at("2026-11-21 10:00"))
    [line] = [line for line in md_path.read_text(encoding="utf-8").splitlines()
              if line.startswith("**No queue existed yet")]  # fmt: skip
    assert line == line.rstrip(), repr(line)
    assert line.endswith("(2026-W47)."), line
