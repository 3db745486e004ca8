"""The pure arithmetic under the weekly report: ISO weeks in UTC, overlap, pace, the chart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from mediakeeper.reports.chart import build_chart, nice_scale
from mediakeeper.reports.pace import format_day, pace_for, percent
from mediakeeper.reports.weekly import FORMATS
from mediakeeper.reports.weeks import (
    FIRST_WEEK,
    LAST_WEEK,
    BadWeek,
    Week,
    check_reach,
    format_duration,
    overlap_seconds,
    parse_time,
    parse_week,
    weeks_from,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "monday"),
    [
        ("2026-W47", date(2026, 11, 16)),
        ("2026W47", date(2026, 11, 16)),
        ("2026-w7", date(2026, 2, 9)),
        (" 2026-W01 ", date(2025, 12, 29)),  # ISO week 1 of 2026 starts in 2025
        ("2025-W52", date(2025, 12, 22)),
        ("2026-W53", date(2026, 12, 28)),  # 2026 has 53 weeks
        ("2020-W53", date(2020, 12, 28)),
    ],
)
def test_parse_week(text, monday):
    week = parse_week(text)
    assert week.monday == monday
    assert week.monday.weekday() == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "invalid week '': write it as YYYY-Www, e.g. 2026-W47"),
        ("2026-47", "invalid week '2026-47': write it as YYYY-Www, e.g. 2026-W47"),
        ("W47", "invalid week 'W47': write it as YYYY-Www, e.g. 2026-W47"),
        ("2026-W100", "invalid week '2026-W100': write it as YYYY-Www, e.g. 2026-W47"),
        ("2026-11-16", "invalid week '2026-11-16': write it as YYYY-Www, e.g. 2026-W47"),
        ("2026-W00", "invalid week '2026-W00': 2026 has ISO weeks W01 to W53"),
        ("2025-W53", "invalid week '2025-W53': 2025 has ISO weeks W01 to W52"),
        ("0000-W01", "invalid week '0000-W01': years start at 0001"),  # "0 has ISO weeks..."
    ],
)
def test_bad_weeks_say_what_is_wrong_in_one_line(text, message):
    with pytest.raises(BadWeek) as caught:
        parse_week(text)
    assert str(caught.value) == message
    assert caught.value.exit_code == 2


def test_weeks_run_monday_to_sunday_in_utc_across_new_year():
    assert Week.of(utc(2026, 1, 4, 23, 59, 59)).label == "2026-W01"
    assert Week.of(utc(2026, 1, 5, 0, 0, 0)).label == "2026-W02"
    assert Week.of(utc(2025, 12, 29)).label == "2026-W01"
    assert Week.of(date(2024, 12, 30)).label == "2025-W01"
    # 00:30 on Monday in UTC+2 is still Sunday in UTC.
    plus_two = timezone(timedelta(hours=2))
    assert Week.of(datetime(2026, 1, 5, 0, 30, tzinfo=plus_two)).label == "2026-W01"
    assert Week.of(datetime(2026, 1, 5, 0, 30)).label == "2026-W02"  # naive: taken as UTC
    week = parse_week("2026-W01")
    assert (week.start, week.end) == (utc(2025, 12, 29), utc(2026, 1, 5))
    assert week.contains(utc(2026, 1, 4, 23, 59)) and not week.contains(week.end)
    assert week.span() == "Mon 29 Dec 2025 – Sun 4 Jan 2026"
    assert parse_week("2026-W47").span() == "Mon 16 Nov – Sun 22 Nov 2026"
    assert week.shift(-1).label == "2025-W52" and week.shift(1).label == "2026-W02"


def test_the_calendars_first_and_last_weeks_and_what_reaches_beyond_them():
    assert (FIRST_WEEK.label, LAST_WEEK.label) == ("0001-W01", "9999-W51")
    assert LAST_WEEK.end == utc(9999, 12, 27)  # the last week whose end is a date
    check_reach(FIRST_WEEK.shift(3), 3, "its pace")  # exactly reachable: no error
    check_reach(LAST_WEEK, 0, "nothing")
    with pytest.raises(BadWeek) as caught:
        check_reach(FIRST_WEEK.shift(2), 3, "its pace")
    assert str(caught.value) == (
        "week 0001-W03 cannot be reported: its pace reaches 3 weeks back, before the first date"
        " (0001-01-01) (name a week from 0001-W04 to 9999-W51)"
    )
    with pytest.raises(BadWeek, match="9999-W52 cannot be reported: it ends after the last date"):
        check_reach(parse_week("9999-W52"), 3, "its pace")


def test_weeks_from():
    labels = [w.label for w in weeks_from(parse_week("2025-W52"), parse_week("2026-W02"))]
    assert labels == ["2025-W52", "2026-W01", "2026-W02"]
    assert weeks_from(parse_week("2026-W02"), parse_week("2025-W52")) == []


def test_overlap_splits_a_session_at_midnight_and_at_the_week_boundary():
    start, end = utc(2026, 1, 4, 23, 30), utc(2026, 1, 5, 0, 30)
    w01, w02 = parse_week("2026-W01"), parse_week("2026-W02")
    assert overlap_seconds(start, end, w01.start, w01.end) == 1800
    assert overlap_seconds(start, end, w02.start, w02.end) == 1800
    assert overlap_seconds(start, end, w02.end, w02.end + timedelta(days=7)) == 0
    assert overlap_seconds(end, start, w01.start, w02.end) == 0  # never negative


def test_parse_time_is_lenient_and_utc():
    assert parse_time("2026-01-05T01:30:00+01:00") == utc(2026, 1, 5, 0, 30)
    assert parse_time("2026-01-05T00:30:00") == utc(2026, 1, 5, 0, 30)
    assert parse_time("yesterday") is None
    assert parse_time(None) is None and parse_time(17) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 min"), (-5, "0 min"), (29, "0 min"), (31, "1 min"), (3569, "59 min"),
     (3599, "1 h 00 min"), (5400, "1 h 30 min"), (36000 + 420, "10 h 07 min")],
)  # fmt: skip
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_percent_never_shows_done_before_it_is():
    assert percent(2, 3) == 66.6
    assert percent(9999, 10000) == 99.9
    assert percent(5, 5) == 100.0
    assert percent(0, 0) == 0.0


# ---- pace --------------------------------------------------------------------------------

W47 = parse_week("2026-W47")


def test_no_completions_means_no_pace_and_no_division():
    pace = pace_for([], remaining=930, week=W47, as_of=W47.end)
    assert (pace.per_week, pace.projected, pace.state) == (0.0, None, "no pace")
    assert pace.describe("artists") == "no pace yet"
    assert [(w.label, n) for w, n in pace.weeks] == [
        ("2026-W44", 0),
        ("2026-W45", 0),
        ("2026-W46", 0),
        ("2026-W47", 0),
    ]


def test_pace_over_four_full_weeks_counts_zero_weeks():
    times = [utc(2026, 10, 27, 10), utc(2026, 10, 28, 10), utc(2026, 11, 20, 10), utc(2026, 11, 21)]
    times.append(utc(2026, 10, 25, 23, 59))  # Sunday before the window: not counted
    pace = pace_for(sorted(times), remaining=10, week=W47, as_of=W47.end)
    assert [n for _, n in pace.weeks] == [2, 0, 0, 2]
    assert (pace.completed, pace.days, pace.per_week) == (4, 28.0, 1.0)
    assert pace.projected == date(2026, 11, 23) + timedelta(days=70)  # 10 left at 1 a week
    assert pace.describe("artists") == "1.0 artists/week · done around Mon 1 Feb 2027"


def test_a_running_week_counts_only_the_time_that_has_passed():
    now = utc(2026, 11, 18, 12)  # Wednesday noon: 21 + 2.5 days of the window
    times = [utc(2026, 11, 2, 9), utc(2026, 11, 17, 9), utc(2026, 11, 18, 13)]  # last: future
    pace = pace_for(times, remaining=47, week=W47, as_of=now)
    assert (pace.completed, pace.days) == (2, 23.5)
    assert pace.per_week == pytest.approx(2 * 7 / 23.5)
    assert pace.projected == date(2026, 11, 18) + timedelta(days=553)  # ceil(47 * 23.5 / 2)


def test_done_and_hopeless():
    assert pace_for([utc(2026, 11, 17)], remaining=0, week=W47, as_of=W47.end).state == "done"
    slow = pace_for([utc(2026, 11, 17)], remaining=10**6, week=W47, as_of=W47.end)
    assert (slow.state, slow.projected) == ("too slow", None)
    assert slow.describe("artists").endswith("more than 100 years to go at this pace")
    assert format_day(None) == "—"


# ---- the chart ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peak", "scale"), [(0, (2, 1)), (1, (2, 1)), (3, (4, 1)), (8, (10, 2)), (20, (25, 5)),
                        (137, (200, 50)), (930, (1200, 200))],
)  # fmt: skip
def test_axis_scales_are_round_with_headroom(peak, scale):
    top, step = scale
    assert nice_scale(peak) == scale
    assert top >= peak * 1.15 and top % step == 0


def test_chart_geometry():
    weeks = weeks_from(parse_week("2025-W51"), parse_week("2026-W02"))
    chart = build_chart(weeks, [0, 2, 3, 3], [0, 2, 5, 8], "items")
    assert [b.value for b in chart.bars] == [0, 2, 3, 3]
    assert chart.bars[0].height == 0 and chart.bars[2].height == chart.bars[3].height
    assert chart.bars[1].height == pytest.approx(chart.bars[2].height * 2 / 3, abs=0.2)
    assert all(b.y + b.height == chart.bottom for b in chart.bars)
    assert [label for _, label, _ in chart.x_labels] == ["W51", "W52", "W01", "W02"]
    assert [year for _, _, year in chart.x_labels] == ["2025", "", "2026", ""]
    assert [t.label for t in chart.left_ticks] == ["0", "1", "2", "3", "4"]
    assert chart.points[0][1] == chart.bottom and not chart.empty
    assert "2025-W51 to 2026-W02: 0, 2, 3, 3" in chart.description
    assert chart.bars[3].title == "2026-W02 (Mon 5 Jan – Sun 11 Jan 2026): 3 completed, 8 in total"
    empty = build_chart(weeks, [0, 0, 0, 0], [0, 0, 0, 0], "artists")
    assert empty.empty and all(b.height == 0 for b in empty.bars)


def test_list_items_cannot_become_nested_lists():
    safe = FORMATS["list_safe"]
    assert safe("1. Numbered") == "1\\. Numbered"
    assert safe("- dash") == "\\- dash"
    assert safe("-leading dash") == "-leading dash"
    assert safe("Band 1. Two") == "Band 1. Two"
