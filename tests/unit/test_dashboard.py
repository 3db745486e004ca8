"""The dashboard's plain-text rendering, and the homes a new user has (no queue, empty queue)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from mediakeeper.queue.items import new_item, new_queue
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.dashboard import (
    build_dashboard,
    dashboard_for,
    plain,
    render_html,
    render_text,
    text_bar,
)
from mediakeeper.reports.records import gather
from mediakeeper.reports.weekly import render_html as week_html
from mediakeeper.reports.weekly import render_markdown, weekly_figures
from mediakeeper.reports.weeks import Week
from mediakeeper.text.commands import kind_command, queue_manager

NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)


def test_text_bars_need_no_terminal():
    assert text_bar(0) == "[" + "-" * 30 + "]"
    assert text_bar(42.1, width=14) == "[#####---------]"
    assert text_bar(99.9) == "[" + "#" * 29 + "-]"
    assert text_bar(100) == "[" + "#" * 30 + "]"
    assert text_bar(250, width=4) == "[####]"


def test_names_are_printed_with_their_control_characters_escaped_on_one_line():
    assert plain("Evil\x1b[31mRed\nBand\t X") == "Evil\\x1b[31mRed Band X"
    assert plain("Evil\u202egpj.exe") == "Evil\\u202egpj.exe"  # seen, not blanked
    assert plain("A" * 40, 10) == "AAAAAAAAA…"


def test_no_queues_says_how_to_start(tmp_path):
    board = dashboard_for(tmp_path, NOW)
    text = render_text(board)
    assert "No queues yet under" in text
    # commands for this home, wherever they are pasted
    start = f"{queue_manager('music', tmp_path)} --init --library PATH"
    batch = f"{kind_command('music', 'batch', tmp_path)} --batch-size 10"
    assert f"  {start}\n" in text and f"  {batch}\n" in text
    page = render_html(board)
    assert "<strong>No queues yet.</strong>" in page and 'id="progress-chart"' not in page
    assert f"<code>{start}</code>" in page and f"<code>{batch}</code>" in page
    assert not (tmp_path / "status").exists()


def test_an_empty_queue_and_one_created_today(tmp_path):
    today = datetime(2026, 11, 21, 17, 0, tzinfo=UTC)
    QueueStore(tmp_path / "status" / "music", "music").create(new_queue("music", "/m", [], today))
    items = [new_item(n, n, f"/v/{n}") for n in ("Heat", "Alien")]
    QueueStore(tmp_path / "status" / "movies", "movies").create(
        new_queue("movies", "/v", items, today)
    )
    text = render_text(build_dashboard(gather(tmp_path), NOW))
    assert "  music   [------------------------------]   0.0%  0 of 0 artists" in text
    assert "          no items yet" in text
    assert "  movies  [------------------------------]   0.0%  0 of 2 movies" in text
    assert "          pace no pace yet" in text
    assert "LAST SESSIONS\n  none yet" in text
    assert (
        "NEEDS ATTENTION  0 decisions · 0 failed, 0 skipped\n"
        "  nothing: no open findings, no failed and no skipped items"
    ) in text


def test_errors_needing_attention_are_capped_and_point_to_the_full_list(tmp_path):
    items = []
    for n in range(15):
        item = new_item(f"Band {n:02d}", f"Band {n:02d}", f"/m/Band {n:02d}")
        item.update(status="error", attempts=1, last_error=f"boom {n}\nsecond line")
        item["error_history"] = [{"at": "2026-11-20T10:00:00+00:00", "stage": "scan",
                                  "message": f"boom {n}", "session": "s"}]  # fmt: skip
        items.append(item)
    items[3]["status"] = "skipped"
    QueueStore(tmp_path / "status" / "music", "music").create(new_queue("music", "/m", items, NOW))
    board = build_dashboard(gather(tmp_path), NOW)
    lines = render_text(board).splitlines()
    assert "NEEDS ATTENTION  0 decisions · 14 failed, 1 skipped" in lines
    shown = [line for line in lines if line.startswith(("  failed ", "  skipped "))]
    assert len(shown) == 10
    assert shown[0] == "  failed   Band 00                       music   scan: boom 0 second line"
    assert "  … and 5 more" in lines
    assert any("music queue --list --status error" in line for line in lines)
    assert board.attention_total == 15 and board.attention[-1].status == "error"


def test_the_hint_names_each_kinds_own_queue_manager(tmp_path):
    """The movie queue's manager is movie_queue_manager.py (not movies_...), everywhere."""
    item = new_item("Heat", "Heat", "/v/Heat")
    item.update(status="error", attempts=1, last_error="boom")
    QueueStore(tmp_path / "status" / "movies", "movies").create(
        new_queue("movies", "/v", [item], NOW)
    )
    records = gather(tmp_path)
    board = build_dashboard(records, NOW)
    week = weekly_figures(records, Week.of(NOW), NOW)
    for text in (render_text(board), render_html(board), render_markdown(week), week_html(week)):
        assert queue_manager("movies") in text
        assert "movies_queue_manager" not in text


def test_the_albums_converted_this_week_their_audio_and_the_space_saved(tmp_path):
    """From the same records as the weekly report: albums completed this week, their hours
    of audio and the bytes they shrank by; an album converted last week is not this week's."""

    def album(name: str, at: str, seconds: float, before: int, after: int) -> dict:
        item = new_item(name, name, f"/rips/{name}")
        item.update(status="completed", attempts=1, completed_at=at, track_count=10)
        item["details"] = {"stage": "completed", "seconds": seconds,
                           "bytes_before": before, "bytes_after": after}  # fmt: skip
        return item

    items = [
        album("A/One", "2026-11-20T10:00:00+00:00", 2400.0, 300_000_000, 60_000_000),
        album("B/Two", "2026-11-21T09:00:00+00:00", 3000.0, 400_000_000, 100_000_000),
        album("C/Old", "2026-11-10T09:00:00+00:00", 9000.0, 900_000_000, 100_000_000),
        new_item("D/Next", "D/Next", "/rips/D/Next"),
        new_item("E/Now", "E/Now", "/rips/E/Now"),
    ]
    items[-1].update(status="in_progress", details={"stage": "converting"})
    store = QueueStore(tmp_path / "status" / "conversions", "conversions")
    store.create(new_queue("conversions", "/rips", items, datetime(2026, 11, 1, tzinfo=UTC)))
    board = build_dashboard(gather(tmp_path), NOW)
    text = render_text(board)
    assert "  converted 2 albums · 1.5 h of audio · 540.0 MB saved" in text
    assert "in progress: 1 converting" in text  # where the album being converted is
    page = render_html(board)
    assert "In progress: 1 converting" in page
    assert '<div class="label">Albums converted</div><div class="value">2</div>' in page
    assert "1.5 h of audio · 540.0 MB saved" in page
    week = render_markdown(weekly_figures(gather(tmp_path), Week.of(NOW), NOW))
    assert "| Albums converted | 2 · 1.5 h of audio · 540.0 MB saved |" in week
    assert "| Albums converted in all | 3 · 4.0 h of audio · 1.3 GB saved |" in week
    assert "    in all 3 albums · 4.0 h of audio · 1.3 GB saved" in text


def test_a_conversion_that_grew_the_files_says_larger_never_a_negative_saving(tmp_path):
    """Issue 36: a lossless profile over lossy sources read "-4 kB saved" and "-0.0 GB"."""
    item = new_item("A/Lossy", "A/Lossy", "/rips/A/Lossy")
    item.update(status="completed", attempts=1, completed_at="2026-11-20T10:00:00+00:00")
    item["details"] = {"stage": "completed", "seconds": 1800.0,
                       "bytes_before": 1_000_000, "bytes_after": 1_004_000}  # fmt: skip
    store = QueueStore(tmp_path / "status" / "conversions", "conversions")
    store.create(new_queue("conversions", "/rips", [item], datetime(2026, 11, 1, tzinfo=UTC)))
    board = build_dashboard(gather(tmp_path), NOW)
    week = weekly_figures(gather(tmp_path), Week.of(NOW), NOW)
    said = "0.5 h of audio · 4 kB larger than the sources"
    assert f"  converted 1 album · {said}" in render_text(board)
    assert f'<div class="detail">{said}</div>' in render_html(board)
    assert f'<div class="detail">{said}</div>' in week_html(week)
    assert f"| Albums converted | 1 · {said} |" in render_markdown(week)
    for page in (render_text(board), render_html(board), render_markdown(week), week_html(week)):
        assert "-4 kB" not in page and "-0.0 GB" not in page and " saved" not in page


def test_books_and_albums_are_counted_apart_each_in_its_kinds_words(tmp_path):
    """Audiobooks and conversions in one home, as their jobs record them (queue details with
    "seconds" and, for a book, "copied": joined without re-encoding; a book recorded before
    its details said so has it read from its output document): each queue's figures this
    week and in all, none mixed with the other's; a book with neither still counts with its
    hours, not as a copy."""

    def book(name: str, at: str, seconds: float, copied: bool | None, old: bool = False) -> dict:
        item = new_item(name, name, f"/incoming/{name}")
        item.update(status="completed", attempts=1, completed_at=at)
        slug = name.replace(" ", "-").lower()
        item["details"] = {"slug": slug, "finding_counts": {}, "stage": "completed",
                           "output": f"/books/{name}", "seconds": seconds}  # fmt: skip
        if copied is not None and not old:  # its document is not read: there is none here
            item["details"]["copied"] = copied
        elif copied is not None:
            document = {"name": name, "key": name, "seconds": seconds, "copied": copied,
                        "findings": []}  # fmt: skip
            out = tmp_path / "outputs" / "audiobooks" / f"{slug}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(document), encoding="utf-8")
        return item

    books = [
        book("A - Copied", "2026-11-20T10:00:00+00:00", 7200.0, True),
        book("B - Encoded", "2026-11-21T09:00:00+00:00", 5400.0, False),
        book("C - Old copy", "2026-11-10T09:00:00+00:00", 3600.0, True, old=True),
        book("D - No document", "2026-11-12T09:00:00+00:00", 1800.0, None),
        new_item("E - Next", "E - Next", "/incoming/E - Next"),
    ]
    created = datetime(2026, 11, 1, tzinfo=UTC)
    QueueStore(tmp_path / "status" / "audiobooks", "audiobooks").create(
        new_queue("audiobooks", "/incoming", books, created)
    )
    album = new_item("X/One", "X/One", "/rips/X/One")
    album.update(status="completed", attempts=1, completed_at="2026-11-19T10:00:00+00:00",
                 track_count=10, details={"stage": "completed", "seconds": 2400.0,
                                          "bytes_before": 300_000_000, "bytes_after": 60_000_000})
    QueueStore(tmp_path / "status" / "conversions", "conversions").create(
        new_queue("conversions", "/rips", [album], created)
    )
    records = gather(tmp_path)
    lines = render_text(build_dashboard(records, NOW)).splitlines()
    assert "  converted 1 album · 0.7 h of audio · 240.0 MB saved" in lines
    assert "    in all 1 album · 0.7 h of audio · 240.0 MB saved" not in lines  # the same album
    assert "  made 2 books · 3.5 h of audio · 1 joined without re-encoding" in lines
    assert "    in all 4 books · 5.0 h of audio · 2 joined without re-encoding" in lines
    week = render_markdown(weekly_figures(records, Week.of(NOW), NOW))
    assert "| Albums converted | 1 · 0.7 h of audio · 240.0 MB saved |" in week
    assert "Albums converted in all" not in week
    assert "| Books made | 2 · 3.5 h of audio · 1 joined without re-encoding |" in week
    assert "| Books made in all | 4 · 5.0 h of audio · 2 joined without re-encoding |" in week
    page = render_html(build_dashboard(records, NOW))
    assert ('<div class="label">Books made</div><div class="value">2</div>'
            '<div class="detail">3.5 h of audio · 1 joined without re-encoding</div>'
            '<div class="detail">in all: 4 books · 5.0 h of audio · 2 joined without re-encoding'
            "</div>") in page
    # The week before, as it stood at its end: the old books only, the newer not yet made.
    before = render_markdown(weekly_figures(records, Week.of(NOW).shift(-1), NOW))
    assert "| Books made | 2 · 1.5 h of audio · 1 joined without re-encoding |" in before
    assert "Books made in all" not in before  # none before them


def test_a_dashboard_without_conversions_says_nothing_of_them(tmp_path):
    QueueStore(tmp_path / "status" / "music", "music").create(new_queue("music", "/m", [], NOW))
    board = build_dashboard(gather(tmp_path), NOW)
    assert "converted" not in render_text(board)
    assert "Albums converted" not in render_html(board)
