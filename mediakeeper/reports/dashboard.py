"""The media dashboard: every queue at a glance, for the terminal or as a self-contained page.

:func:`build_dashboard` is pure (records and ``now`` in); :func:`render_text` draws plain-text
progress bars that need no tty (``[#######-------]  42.1%``); :func:`render_html` renders the
same with the shared Jinja environment. :func:`dashboard_for` reads a data home.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mediakeeper.atomic import atomic_write_text
from mediakeeper.commands import kind_command, queue_manager
from mediakeeper.queue_items import ERROR, SKIPPED
from mediakeeper.reports.progress import UNIDENTIFIED, Outstanding, QueueProgress, outstanding
from mediakeeper.reports.records import Records, gather
from mediakeeper.reports.render import render
from mediakeeper.reports.weekly import (
    FORMATS,
    SessionLine,
    WeeklyReport,
    session_line,
    start_command,
    weekly_figures,
)
from mediakeeper.reports.weeks import Week, format_duration, format_moment, to_utc
from mediakeeper.wording import count

LAST_SESSIONS = 5
ATTENTION_SHOWN = 10
BAR_WIDTH = 30
NAME_WIDTH = 28
LINE_WIDTH = 100


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    home: str  # shown in the heading and named in the commands ("": the current folder's)
    week: WeeklyReport  # this week, as of now
    sessions: tuple[SessionLine, ...]  # newest first
    session_count: int
    attention: tuple[Outstanding, ...]
    attention_total: int
    unidentified: int = 0  # completed items not identified (offline, no match), in attention

    @property
    def start_command(self) -> str:
        return start_command(self.home)

    @property
    def batch_command(self) -> str:
        return f"{kind_command('music', 'batch', self.home)} --batch-size 10"

    @property
    def queues(self) -> tuple[QueueProgress, ...]:
        return tuple(q.progress for q in self.week.queues)

    def attention_counts(self) -> tuple[int, int]:
        return (
            sum(q.statuses.get(ERROR, 0) for q in self.queues),
            sum(q.statuses.get(SKIPPED, 0) for q in self.queues),
        )


def build_dashboard(records: Records, now: datetime, *, home: str = "") -> Dashboard:
    now = to_utc(now)
    week = weekly_figures(records, Week.of(now), now, home=home)
    recent = sorted(records.sessions, key=lambda s: (s.started_at, s.id), reverse=True)
    rows = tuple(session_line(s, week.week, now) for s in recent[:LAST_SESSIONS])
    waiting = [o for queue in records.queues for o in outstanding(queue)]
    # Errors first, then skipped, then the unidentified; stable within each queue.
    waiting.sort(key=lambda o: {ERROR: 0, SKIPPED: 1}.get(o.status, 2))
    return Dashboard(
        now=now,
        home=home,
        week=week,
        sessions=rows,
        session_count=len(records.sessions),
        attention=tuple(waiting[:ATTENTION_SHOWN]),
        attention_total=len(waiting),
        unidentified=sum(1 for o in waiting if o.status == UNIDENTIFIED),
    )


def dashboard_for(home: Path, now: datetime) -> Dashboard:
    home = Path(home)
    records = gather(home)  # the dashboard shows no issues by code: no output files to read
    return build_dashboard(records, now, home=str(home))


# ---- terminal --------------------------------------------------------------------------


def text_bar(percent: float, width: int = BAR_WIDTH) -> str:
    """``[#########---------------------]``: plain characters, fine in a log or a pipe."""
    filled = min(width, max(0, math.floor(width * percent / 100)))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def plain(text: str, width: int | None = None) -> str:
    """A name or message safe to print: no control characters, one line, at most ``width``."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text))
    text = " ".join(text.split())
    if width is not None and len(text) > width:
        text = text[: max(1, width - 1)] + "…"
    return text


def render_text(d: Dashboard) -> str:
    lines = [
        f"mediakeeper dashboard · {format_moment(d.now)} UTC" + (f" · {d.home}" if d.home else "")
    ]
    if not d.queues:
        lines += [
            "",
            "No queues yet" + (f" under {d.home}/status" if d.home else "") + ".",
            "Create the music queue, one item per artist folder:",
            f"  {d.start_command}",
            "then process a batch:",
            f"  {d.batch_command}",
        ]
        return "\n".join(lines) + "\n"
    lines += ["", "QUEUES"]
    width = max(len(q.kind) for q in d.queues)
    for q in d.queues:
        pad = " " * (width + 4)
        if q.problem:
            lines.append(f"  {q.kind:<{width}}  cannot be read: {plain(q.problem)}")
            continue
        lines.append(
            f"  {q.kind:<{width}}  {text_bar(q.percent)} {q.percent:5.1f}%  "
            f"{q.completed:,} of {count(q.total, q.noun, q.plural, spec=',')}"
        )
        lines.append(
            pad + " · ".join(f"{s.replace('_', ' ')} {n:,}" for s, n in q.statuses.items())
        )
        lines.append(pad + ("pace " + q.pace.describe(q.plural) if q.total else "no items yet"))
    w = d.week
    lines += ["", f"THIS WEEK  {w.week.label} · {w.week.span()}"]
    done = " · ".join(
        f"{q.plural} completed {len(wq.completed):,}"
        for wq, q in zip(w.queues, d.queues, strict=True)
    )
    figures = [done]
    if w.has_tracks:
        figures.append(f"tracks {w.tracks:,}")
    figures.append(f"issues {w.issues_found:,} found, {w.issues_resolved:,} resolved")
    lines.append("  " + " · ".join(figures))
    lines.append(
        f"  time invested {format_duration(w.seconds)} in {count(len(w.sessions), 'session')}"
        f" · lookups {w.lookups:,}, "
        f"cache hits {w.cache_hits:,}"
    )
    lines += ["", f"LAST SESSIONS  ({d.session_count:,} in all)" if d.sessions else "LAST SESSIONS"]
    if not d.sessions:
        lines.append(f"  none yet: {d.batch_command}")
    for s in d.sessions:
        lines.append(
            f"  {plain(s.id, 24):<24} {plain(s.kind, 8):<8} {format_moment(s.started)}  "
            f"{s.duration:>11}  {plain(s.outcome, 11):<11} "
            f"{s.items_done:>4,} done {s.failed:>3,} failed"
        )
    errors, skipped = d.attention_counts()
    lines += [
        "",
        f"NEEDS ATTENTION  {count(errors, 'error', spec=',')}, {skipped:,} skipped"
        + (f", {d.unidentified:,} not identified" if d.unidentified else ""),
    ]
    if not d.attention:
        lines.append("  nothing: no errors and no skipped items")
    for o in d.attention:
        where = f"{o.stage}: " if o.stage else ""
        head = f"  {o.status:<8} {plain(o.name, NAME_WIDTH):<{NAME_WIDTH}}  {o.kind:<6}  "
        lines.append(head + plain(where + o.message, max(20, LINE_WIDTH - len(head))))
    if d.attention_total > len(d.attention):
        lines.append(f"  … and {d.attention_total - len(d.attention):,} more")
    for q in d.queues:
        if q.statuses.get(ERROR) or q.statuses.get(SKIPPED):
            manager = queue_manager(q.kind, d.home)
            lines.append(f"  {q.kind}: {manager} --list --status error (or skipped) lists them;")
            lines.append(f"  {' ' * len(q.kind)}  {manager} --reset-errors retries the errors")
    return "\n".join(lines) + "\n"


# ---- page ------------------------------------------------------------------------------


def render_html(d: Dashboard) -> str:
    return render("dashboard.html.j2", d=d, r=d.week, bar=text_bar, **FORMATS)


def write_dashboard_html(path: Path, d: Dashboard) -> Path:
    path = Path(path)
    atomic_write_text(path, render_html(d))
    return path
