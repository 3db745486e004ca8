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

WIDTH, HEIGHT = 960, 340
LEFT, RIGHT, TOP, BOTTOM = 64, 72, 44, 66


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    total: int
    title: str  # the tooltip: week, dates, figures
    value_label: str  # the count printed above the bar ("" when hidden)

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def label_inside(self) -> bool:
        """A tall bar carries its count inside its top; a short one just above it."""
        return self.height >= 24

    @property
    def text_y(self) -> float:
        return round(self.y + 16 if self.label_inside else self.y - 5, 1)


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
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    bar_colour: str = BAR_COLOUR
    line_colour: str = LINE_COLOUR

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


def build_chart(
    weeks: Sequence[Week], counts: Sequence[int], totals: Sequence[int], plural: str
) -> Chart:
    """``counts[i]`` completed in ``weeks[i]``; ``totals[i]`` completed by its end."""
    n = len(weeks)
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    slot = (x1 - x0) / max(1, n)
    bar_width = min(56.0, slot * 0.64)
    left_top, left_step = nice_scale(max(counts, default=0))
    right_top, right_step = nice_scale(max(totals, default=0))
    show_values = n <= 16

    def y_left(value: float) -> float:
        return y1 - (y1 - y0) * value / left_top

    def y_right(value: float) -> float:
        return y1 - (y1 - y0) * value / right_top

    bars, points, labels = [], [], []
    label_every = math.ceil(n / 13) if n else 1
    previous_year = None
    for i, (week, count, total) in enumerate(zip(weeks, counts, totals, strict=True)):
        centre = x0 + slot * (i + 0.5)
        top = y_left(count)
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
            )
        )
        points.append((round(centre, 1), round(y_right(total), 1)))
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
    )
