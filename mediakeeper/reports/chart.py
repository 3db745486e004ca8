"""The progress chart's geometry: bars = items completed per week, line = the running total.

Pure arithmetic; ``templates/_chart.svg.j2`` draws it as inline SVG (no script, no assets).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    n = len(weeks)
    x0, x1 = layout.left, layout.width - layout.right
    y0, y1 = layout.top, layout.height - layout.bottom
    slot = (x1 - x0) / max(1, n)
    bar_width = min(56.0, slot * 0.64)
    left_top, left_step = nice_scale(max(counts, default=0))
    right_top, right_step = nice_scale(max(totals, default=0))
    show_values = slot >= 50  # room for a four-digit count over each bar

    def y_left(value: float) -> float:
        return y1 - (y1 - y0) * value / left_top

    def y_right(value: float) -> float:
        return y1 - (y1 - y0) * value / right_top

    bars, points, labels = [], [], []
    label_every = math.ceil(layout.label_room / slot) if n else 1
    previous_year = None
    for i, (week, count, total) in enumerate(zip(weeks, counts, totals, strict=True)):
        centre = x0 + slot * (i + 0.5)
        top = y_left(count)
        point = (round(centre, 1), round(y_right(total), 1))
        text_y, inside = label_place(top, y1, point[1], layout.dot)
        bars.append(
            Bar(
                x=round(centre - bar_width / 2, 1),
                y=round(top, 1),
                width=round(bar_width, 1),
                height=round(y1 - top, 1),
                value=count,
                total=total,
                title=f"{week.label} ({week.span()}): {count:,} completed, {total:,} in total",
                value_label=f"{count:,}" if show_values and count else "",
                text_y=text_y,
                label_inside=inside,
            )
        )
        points.append(point)
        year = week.monday.isocalendar()[0]
        if (n - 1 - i) % label_every == 0:  # counted from the report's week, always labelled
            labels.append(
                (round(centre, 1), week.short_label, "" if year == previous_year else str(year))
            )
            previous_year = year
    left_ticks = tuple(
        Tick(round(y_left(v), 1), f"{v:,}") for v in range(0, left_top + 1, left_step)
    )
    right_ticks = tuple(
        Tick(round(y_right(v), 1), f"{v:,}") for v in range(0, right_top + 1, right_step)
    )
    span = f"{weeks[0].label} to {weeks[-1].label}" if weeks else "no weeks"
    description = (
        f"Bars: {plural} completed per week, {span}: "
        + ", ".join(f"{c:,}" for c in counts)
        + f". Line: total completed, reaching {totals[-1] if totals else 0:,}."
    )
    return Chart(
        title=f"{plural.capitalize()} completed per week, and the running total",
        description=description,
        plural=plural,
        bars=tuple(bars),
        points=tuple(points),
        left_ticks=left_ticks,
        right_ticks=right_ticks,
        x_labels=tuple(labels),
        layout=layout,
        narrow=build_chart(weeks, counts, totals, plural, NARROW) if layout is WIDE else None,
    )
