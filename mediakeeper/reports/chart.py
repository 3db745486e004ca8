"""The progress chart's geometry: bars = items completed per week, line = the running total.

Pure arithmetic; ``templates/_chart.svg.j2`` draws it as inline SVG (no script, no assets).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mediakeeper.reports.weeks import Week

BAR_COLOUR = "#3f6fb5"
LINE_COLOUR = "#e0662b"
MAX_WEEKS = 26  # half a year of bars stays legible at page width
FONT = 12  # the chart's text size in its own units; see Layout for what a screen makes of it


@dataclass(frozen=True)
class Layout:
    """One drawing of the chart. An SVG's text scales with it, so a chart 960 units wide shown
    on a phone would print 12-unit text at 4 px: the page carries a drawing for wide screens
    and one for narrow ones, each shown at about its own size (``_style.html.j2`` picks)."""

    name: str
    width: int
    height: int
    left: int
    right: int  # margins, in units
    top: int
    bottom: int
    dot: float  # the running total's dots, radius
    label_room: int  # units a week label needs: fewer labels when weeks are narrower
    legend_below: bool  # the legend's second entry under the first, not beside it
    axis_titles: bool  # beside the axes (narrow: no room; the legend names the axes)


WIDE = Layout("wide", 960, 340, 64, 72, 44, 66, 4, 60, False, True)
NARROW = Layout("narrow", 360, 300, 46, 46, 62, 66, 3, 44, True, False)
# Legend: a swatch, then its text 20 units on; the line's entry 290 on, or a row down.
LEGEND_BESIDE, LEGEND_ROW = 290, 18


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    total: int
    title: str  # the tooltip: week, dates, figures
    value_label: str  # the count printed at the bar ("" when hidden)
    text_y: float = 0.0  # the count's baseline: clear of the running total's dot
    label_inside: bool = False  # white inside the bar's top, or dark above it

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class Tick:
    position: float
    label: str

    @property
    def text_y(self) -> float:
        return round(self.position + 4, 1)


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    plural: str
    bars: tuple[Bar, ...]
    points: tuple[tuple[float, float], ...]
    left_ticks: tuple[Tick, ...]
    right_ticks: tuple[Tick, ...]
    x_labels: tuple[tuple[float, str, str], ...]  # x, week, year (shown where it changes)
    layout: Layout = WIDE
    narrow: Chart | None = None  # the same chart drawn for a phone (on the wide one only)
    bar_colour: str = BAR_COLOUR
    line_colour: str = LINE_COLOUR

    width = property(lambda self: self.layout.width)
    height = property(lambda self: self.layout.height)
    left = property(lambda self: self.layout.left)
    right = property(lambda self: self.layout.width - self.layout.right)
    top = property(lambda self: self.layout.top)
    bottom = property(lambda self: self.layout.height - self.layout.bottom)

    @property
    def legend_line(self) -> tuple[int, int]:
        """Where the running total's legend entry starts, from the legend's origin."""
        return (0, LEGEND_ROW) if self.layout.legend_below else (LEGEND_BESIDE, 0)

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars) and not any(b.total for b in self.bars)


def nice_scale(peak: int) -> tuple[int, int]:
    """(top, step): a round axis maximum >= ``peak`` with at most about five whole steps."""
    peak = max(1, peak)
    raw = peak / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, round(step))
    top = step * math.ceil(peak / step)
    if top < peak * 1.15:  # headroom for the count printed above the tallest bar
        top += step
    return top, step


def label_place(bar_top: float, bottom: float, dot_y: float, dot: float) -> tuple[float, bool]:
    """(baseline, inside) of a bar's count: inside the top of a tall bar, above a short one,
    and never on the running total's dot, which may sit just there (then above the dot, or
    below it). A label's box runs from 12 units above its baseline to 4 below."""

    def clear(baseline: float) -> bool:
        return baseline + 4 < dot_y - dot - 1 or baseline - 12 > dot_y + dot + 1

    inside = bottom - bar_top >= 24
    preferred = bar_top + 16 if inside else bar_top - 5
    for baseline in (preferred, dot_y - dot - 6, dot_y + dot + 14):
        if clear(baseline) and baseline <= bottom - 3:
            return round(baseline, 1), baseline - 12 >= bar_top + 1
    return round(preferred, 1), inside


def build_chart(
    weeks: Sequence[Week],
    counts: Sequence[int],
    totals: Sequence[int],
    plural: str,
    layout: Layout = WIDE,
) -> Chart:
    """``counts[i]`` completed in ``weeks[i]``; ``totals[i]`` completed by its end. The wide
    drawing carries the narrow one (``Chart.narrow``)."""
    left_top, left_step = nice_scale(max(counts, default=0))
    right_top, right_step = nice_scale(max(totals, default=0))
    frame = _Frame(layout, len(weeks), left_top, right_top)
    bars = tuple(
        _bar(frame, i, week, count, total)
        for i, (week, count, total) in enumerate(zip(weeks, counts, totals, strict=True))
    )
    return Chart(
        title=f"{plural.capitalize()} completed per week, and the running total",
        description=_description(weeks, counts, totals, plural),
        plural=plural,
        bars=bars,
        points=tuple(frame.point(i, total) for i, total in enumerate(totals)),
        left_ticks=_ticks(frame.y_left, left_top, left_step),
        right_ticks=_ticks(frame.y_right, right_top, right_step),
        x_labels=_week_labels(frame, weeks),
        layout=layout,
        narrow=build_chart(weeks, counts, totals, plural, NARROW) if layout is WIDE else None,
    )


@dataclass(frozen=True)
class _Frame:
    """One drawing's plot area and its two scales (a week's count on the left, the running
    total on the right), so that bars, dots, ticks and labels all place things alike."""

    layout: Layout
    weeks: int  # how many
    left_top: int  # the scales' maxima (``nice_scale``)
    right_top: int

    x0 = property(lambda self: self.layout.left)
    x1 = property(lambda self: self.layout.width - self.layout.right)
    y0 = property(lambda self: self.layout.top)
    y1 = property(lambda self: self.layout.height - self.layout.bottom)

    @property
    def slot(self) -> float:
        """Each week's share of the width."""
        return (self.x1 - self.x0) / max(1, self.weeks)

    def centre(self, i: int) -> float:
        return self.x0 + self.slot * (i + 0.5)

    def y_left(self, value: float) -> float:
        return self.y1 - (self.y1 - self.y0) * value / self.left_top

    def y_right(self, value: float) -> float:
        return self.y1 - (self.y1 - self.y0) * value / self.right_top

    def point(self, i: int, total: int) -> tuple[float, float]:
        """The running total's dot over week ``i``."""
        return (round(self.centre(i), 1), round(self.y_right(total), 1))


def _bar(frame: _Frame, i: int, week: Week, count: int, total: int) -> Bar:
    """Week ``i``'s bar, its count printed over it where the weeks leave room for one (and
    clear of the running total's dot), its tooltip naming the week and both figures."""
    centre = frame.centre(i)
    top = frame.y_left(count)
    bar_width = min(56.0, frame.slot * 0.64)
    show_values = frame.slot >= 50  # room for a four-digit count over each bar
    text_y, inside = label_place(top, frame.y1, frame.point(i, total)[1], frame.layout.dot)
    return Bar(
        x=round(centre - bar_width / 2, 1),
        y=round(top, 1),
        width=round(bar_width, 1),
        height=round(frame.y1 - top, 1),
        value=count,
        total=total,
        title=f"{week.label} ({week.span()}): {count:,} completed, {total:,} in total",
        value_label=f"{count:,}" if show_values and count else "",
        text_y=text_y,
        label_inside=inside,
    )


def _week_labels(frame: _Frame, weeks: Sequence[Week]) -> tuple[tuple[float, str, str], ...]:
    """The x axis: as many week labels as fit (``Layout.label_room`` each), counted back from
    the report's week so that it is always labelled; a label's year only where it changes."""
    n = len(weeks)
    label_every = math.ceil(frame.layout.label_room / frame.slot) if n else 1
    labels = []
    previous_year = None
    for i, week in enumerate(weeks):
        year = week.monday.isocalendar()[0]
        if (n - 1 - i) % label_every == 0:  # counted from the report's week, always labelled
            shown_year = "" if year == previous_year else str(year)
            labels.append((round(frame.centre(i), 1), week.short_label, shown_year))
            previous_year = year
    return tuple(labels)


def _ticks(place: Callable[[float], float], top: int, step: int) -> tuple[Tick, ...]:
    """An axis's ticks from 0 to ``top``, ``step`` apart, placed by its scale."""
    return tuple(Tick(round(place(v), 1), f"{v:,}") for v in range(0, top + 1, step))


def _description(
    weeks: Sequence[Week], counts: Sequence[int], totals: Sequence[int], plural: str
) -> str:
    """The chart in words, for a screen reader: every week's count and the total reached."""
    span = f"{weeks[0].label} to {weeks[-1].label}" if weeks else "no weeks"
    return (
        f"Bars: {plural} completed per week, {span}: "
        + ", ".join(f"{c:,}" for c in counts)
        + f". Line: total completed, reaching {totals[-1] if totals else 0:,}."
    )
