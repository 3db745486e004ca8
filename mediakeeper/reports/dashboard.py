"""The media dashboard: every queue at a glance, for the terminal or as a self-contained page.

:func:`build_dashboard` is pure (records and ``now`` in); :func:`render_text` draws plain-text
progress bars that need no tty (``[#######-------]  42.1%``); :func:`render_html` renders the
same with the shared Jinja environment. :func:`dashboard_for` reads a data home.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mediakeeper.core.decisions import stage_word, status_word
from mediakeeper.dupes.saved import would_free
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.fs.reports import linked
from mediakeeper.queue.items import ERROR, SKIPPED
from mediakeeper.reports.attention import ERROR_LEVEL, KindAttention
from mediakeeper.reports.pace import Outstanding, QueueProgress, outstanding, unidentified
from mediakeeper.reports.records import Records, gather
from mediakeeper.reports.weekly import (
    CONTEXT,
    SessionLine,
    WeeklyReport,
    session_line,
    start_lines,
    weekly_figures,
)
from mediakeeper.reports.weeks import Week, format_duration, format_moment, to_utc
from mediakeeper.text import width as cells
from mediakeeper.text.commands import kind_command, queue_manager, waiting_hints
from mediakeeper.text.render import render
from mediakeeper.text.visible import one_line, visible
from mediakeeper.text.wording import count, format_size

LAST_SESSIONS = 5
ATTENTION_SHOWN = 10
BAR_WIDTH = 30
NAME_WIDTH = 28
# A session's id in its row: a kind's fits (``20261201_audiobooks_001``); a pipeline's, which
# may be longer, is given a line of its own, never cut (it is what ``undo --session`` takes).
SESSION_ID_WIDTH = 24
LINE_WIDTH = 80  # a terminal of 80 columns shows every line whole (a command is never cut)


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
    duplicates: tuple[int, int] = (0, 0)  # groups and bytes `dupes set-aside --all` would move

    @cached_property  # its settings read once, however often a template asks
    def start(self) -> tuple[str, str, str]:
        """What starts a home without queues (``weekly.start_lines``)."""
        return start_lines(self.home)

    @property
    def batch_command(self) -> str:
        return self.start[2]

    @property
    def queues(self) -> tuple[QueueProgress, ...]:
        return tuple(q.progress for q in self.week.queues)

    @property
    def plugins_left_out(self) -> int:
        """The completed items of every queue that lack a rule plugin's findings."""
        return sum(q.plugins_left_out.items for q in self.queues)

    def attention_counts(self) -> tuple[int, int]:
        return (
            sum(q.failed for q in self.queues),
            sum(q.statuses.get(SKIPPED, 0) for q in self.queues),
        )


def build_dashboard(records: Records, now: datetime, *, home: str = "") -> Dashboard:
    now = to_utc(now)
    week = weekly_figures(records, Week.of(now), now, home=home)
    recent = sorted(records.sessions, key=lambda s: (s.started_at, s.id), reverse=True)
    rows = tuple(session_line(s, week.week, now) for s in recent[:LAST_SESSIONS])
    waiting = [o for queue in records.queues for o in outstanding(queue)]
    # Failed first, then skipped; stable within each queue.
    waiting.sort(key=lambda o: {ERROR: 0, SKIPPED: 1}.get(o.status, 2))
    return Dashboard(
        now=now,
        home=home,
        week=week,
        sessions=rows,
        session_count=len(records.sessions),
        attention=tuple(waiting[:ATTENTION_SHOWN]),
        attention_total=len(waiting),
        unidentified=sum(unidentified(queue) for queue in records.queues),
    )


def dashboard_for(home: Path, now: datetime) -> Dashboard:
    home = Path(home)
    # The week's issues by code and every item's open findings come from the queue's details.
    records = gather(home, changes_since=Week.of(now).start)  # it shows this week's
    return replace(build_dashboard(records, now, home=str(home)), duplicates=would_free(home))


# ---- terminal --------------------------------------------------------------------------


def text_bar(percent: float, width: int = BAR_WIDTH) -> str:
    """``[#########---------------------]``: plain characters, fine in a log or a pipe."""
    filled = min(width, max(0, math.floor(width * percent / 100)))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def packed(parts: list[str], indent: str, width: int = LINE_WIDTH) -> list[str]:
    """``parts`` joined by " · " into as few lines as fit ``width``."""
    lines = [indent]
    for part in parts:
        joined = f"{lines[-1]} · {part}" if lines[-1].strip() else lines[-1] + part
        if len(joined) > width and lines[-1].strip():
            lines.append(indent + part)
        else:
            lines[-1] = joined
    return lines


def plain(text: str, width: int | None = None) -> str:
    """A name or message safe to print: one line, at most ``width`` cells as a terminal
    draws them (``text.width``: a Japanese letter takes two, a combining accent none); each
    hidden character shown as its escape, as every line a command prints shows it
    (``text.visible``)."""
    text = " ".join(visible(str(text)).split())  # (a tab or a line break: a space)
    return text if width is None else cells.cut(text, max(2, width))


def _column(name: str) -> str:
    """A name in the attention lists' name column: cut and filled to its cells."""
    return cells.pad(plain(one_line(name), NAME_WIDTH), NAME_WIDTH)


def render_text(d: Dashboard) -> str:
    lines = [
        f"mediakeeper dashboard · {format_moment(d.now)} UTC" + (f" · {d.home}" if d.home else "")
    ]
    if not d.queues:
        lines += [
            "",
            "No queues yet" + (f" under {d.home}/status" if d.home else "") + ".",
            f"{d.start[0]}:",
            f"  {d.start[1]}",
            "then process a batch:",
            f"  {d.start[2]}",
        ]
        return "\n".join(lines) + "\n"
    lines += attention_lines(d)
    lines += _queue_lines(d)
    lines += _week_lines(d)
    lines += _duplicate_lines(d)
    lines += ["", f"LAST SESSIONS  ({d.session_count:,} in all)" if d.sessions else "LAST SESSIONS"]
    if not d.sessions:
        lines.append(f"  none yet: {d.batch_command}")
    for s in d.sessions:  # its id says its day and kind: the row gives its time (80 columns)
        shown = plain(s.id)
        if cells.width(shown) > SESSION_ID_WIDTH:  # a pipeline's: whole, the row below it
            lines.append(f"  {shown}")
            shown = ""
        lines.append(
            f"  {shown:<{SESSION_ID_WIDTH}} {format_moment(s.started)[-5:]}  {s.duration:>10}  "
            f"{plain(s.outcome, 11):<11} {s.items_done:>4,} done {s.failed:>3,} failed"
        )
    return "\n".join(lines) + "\n"


def _duplicate_lines(d: Dashboard) -> list[str]:
    """DUPLICATES: what `dupes set-aside --all` would free, when the last scan found any."""
    groups, size = d.duplicates
    if not groups:
        return []
    command = f"{kind_command('dupes', 'set-aside', d.home)} --all"
    return ["", f"DUPLICATES  {count(groups, 'group')}: setting them aside would free "
            f"{format_size(size)}", f"  {command}"]  # fmt: skip


def _queue_lines(d: Dashboard) -> list[str]:
    """QUEUES: each queue's bar, statuses, stages in progress and pace."""
    lines = ["", "QUEUES"]
    width = max(len(q.kind) for q in d.queues)
    for q in d.queues:
        pad = " " * (width + 4)
        if q.problem:
            lines.append(f"  {q.kind:<{width}}  cannot be read: {plain(q.problem)}")
            continue
        lines.append(
            f"  {q.kind:<{width}}  {text_bar(q.percent)} {q.percent:5.1f}%  "
            f"{q.completed:,} of {count(q.total, q.noun, q.plural)}"
            + (f", {q.skipped:,} skipped" if q.skipped else "")
            + (f", {q.gone:,} gone" if q.gone else "")
        )
        lines.append(
            pad + " · ".join(f"{status_word(s)} {n:,}" for s, n in q.statuses.items())
        )
        if q.stages:  # where the items in progress are (a conversion's stage)
            at = ", ".join(f"{n:,} {stage}" for stage, n in q.stages.items())
            lines.append(f"{pad}in progress: {at}")
        lines.append(pad + ("pace " + q.pace.describe(q.plural) if q.total else "no items yet"))
    return lines


def _week_lines(d: Dashboard) -> list[str]:
    """THIS WEEK: what was completed, found, fixed and made, and the time it took."""
    w = d.week
    lines = ["", f"THIS WEEK  {w.week.label} · {w.week.span()}"]
    # A kind that makes something says its items on its own line below.
    done = [f"{q.done_label} {len(q.completed):,}" for q in w.counted if q.made is None]
    figures = [" · ".join(done)] if done else []
    if w.has_tracks:
        figures.append(f"tracks {w.tracks_said}")
    figures.append(f"findings {w.issues_found:,}, {w.issues_resolved:,} resolved")
    if w.counts_changes:
        figures.append(f"tag changes {w.changes:,}")
        if w.taken_back:
            figures.append(f"taken back by undo {w.taken_back:,}")
    lines += packed(figures, "  ")
    for q in w.making:  # what the weekly report counts, from the same records
        nouns = (q.makes, q.progress.noun, q.progress.plural)
        lines.append(f"  {q.makes.verb} {q.made.describe(*nouns)}")
        if q.made_before:
            lines.append(f"    in all {q.made_in_all.describe(*nouns)}")
    lines.append(
        f"  time invested {format_duration(w.seconds)} in {count(len(w.sessions), 'session')}"
        f" · lookups {w.lookups:,}, "
        f"cache hits {w.cache_hits:,}"
    )
    if w.left_out_said:
        lines.append(f"  (of the queues read: {w.left_out_said})")
    return lines


def attention_lines(d: Dashboard) -> list[str]:
    """What needs the user, first: each queue's open decisions (errors first, each item with
    its open codes and its issue report), then the queues' errors and skipped items."""
    errors, skipped = d.attention_counts()
    lines = [
        "",
        f"NEEDS ATTENTION  {count(d.week.decisions, 'decision')}"
        f" · {errors:,} failed, {skipped:,} skipped"
        + (f", {d.unidentified:,} not identified" if d.unidentified else "")
        # A queue that cannot be read holds what needs you too, not known: said at the total.
        + (f" · of the queues read: {d.week.left_out_said}" if d.week.left_out_said else ""),
    ]
    for a in d.week.attention:
        if not a.items:
            continue
        index = f" · every report: {a.index}" if a.index else ""
        lines.append(f"  {a.kind}: {a.headline()}{index}")
        for i in a.items[:ATTENTION_SHOWN]:
            level = "error" if i.level == ERROR_LEVEL else "warning"
            what = " · ".join(filter(None, (i.codes_text(), i.note)))
            head = f"    {level:<8} {_column(i.name)}  "
            lines.append(head + plain(what, max(20, LINE_WIDTH - cells.width(head))))
            if i.report:
                lines.append(f"    {'':<8} {i.report}")
        if len(a.items) > ATTENTION_SHOWN:
            more = f"    … and {len(a.items) - ATTENTION_SHOWN:,} more"
            lines.append(more + (f": {a.index} lists them all" if a.index else ""))
    for q in d.queues:  # complete but for a rule plugin's findings: taken again
        if q.plugins_left_out:
            lines.append(f"  {q.kind}: {plain(q.plugins_left_out.said(q.kind, d.home))}")
    if not d.attention and not d.week.decisions and not d.plugins_left_out:
        among = " in the queues read" if d.week.left_out_said else ""
        lines.append(f"  nothing{among}: no open findings, no failed and no skipped items")
    for o in d.attention:
        where = f"{at}: " if (at := stage_word(o.stage, o.message)) else ""
        head = f"  {o.word:<8} {_column(o.name)}  {o.kind:<6}  "
        lines.append(head + plain(where + o.message, max(20, LINE_WIDTH - cells.width(head))))
    if d.attention_total > len(d.attention):
        lines.append(f"  … and {d.attention_total - len(d.attention):,} more")
    for q in d.queues:
        hints = waiting_hints(queue_manager(q.kind, d.home), q.noun,
                              errors=q.failed,
                              skipped=q.statuses.get(SKIPPED, 0))  # fmt: skip
        for n, (command, what) in enumerate(hints):
            head = f"{q.kind}:" if n == 0 else " " * (len(q.kind) + 1)
            lines.append(f"  {head} {command} {what}{';' if n == 0 else ''}")
    return lines


# ---- JSON ------------------------------------------------------------------------------


def dashboard_json(d: Dashboard) -> dict[str, Any]:
    """What ``render_text`` shows, for a script (``media_dashboard.py --json``): the same
    figures, none cut to a line, moments in ISO-8601 UTC. A queue that cannot be read has its
    ``problem`` and no figures."""
    errors, skipped = d.attention_counts()
    week = d.week
    return {
        "now": _moment(d.now),
        "home": d.home,
        "attention": {
            "decisions": week.decisions,
            "failed": errors,
            "skipped": skipped,
            "unidentified": d.unidentified,
            "decisions_by_kind": [_kind_attention_json(a) for a in week.attention if a.items],
            "waiting": [_waiting_json(o) for o in d.attention],
            "waiting_total": d.attention_total,
            "left_out": week.unread,
        },
        "queues": {q.kind: _queue_json(q) for q in d.queues},
        "week": {
            "label": week.week.label,
            "monday": week.week.monday.isoformat(),
            "sunday": week.week.sunday.isoformat(),
            "completed": {q.progress.kind: len(q.completed) for q in week.counted},
            "issues_found": week.issues_found,
            "issues_resolved": week.issues_resolved,
            "tag_changes": week.changes,
            "tag_values_taken_back": week.taken_back,
            "seconds": round(week.seconds, 1),
            "sessions": len(week.sessions),
            "lookups": week.lookups,
            "cache_hits": week.cache_hits,
        },
        "duplicates": {"groups": d.duplicates[0], "bytes": d.duplicates[1]},
        "sessions": [_session_json(s) for s in d.sessions],
        "session_count": d.session_count,
    }


def _kind_attention_json(a: KindAttention) -> dict[str, Any]:
    items = [
        {
            "name": i.name,
            "level": "error" if i.level == ERROR_LEVEL else "warning",
            "decisions": i.decisions,
            "codes": {c.code: c.open for c in i.codes},
            "note": i.note,
            "report": i.report,
        }
        for i in a.items
    ]
    return {"kind": a.kind, "decisions": a.decisions, "index": a.index, "items": items}


def _waiting_json(o: Outstanding) -> dict[str, Any]:
    return {**asdict(o), "at": _moment(o.at)}  # its every field; its moment as text


def _session_json(s: SessionLine) -> dict[str, Any]:
    return {
        "id": s.id,
        "kind": s.kind,
        "started": _moment(s.started),
        "ended": _moment(s.ended),
        "outcome": s.outcome,
        "seconds": round(s.seconds, 1),
        "items_done": s.items_done,
        "failed": s.failed,
    }


def _queue_json(q: QueueProgress) -> dict[str, Any]:
    if q.problem:
        return {"problem": q.problem}
    pace = q.pace
    return {
        "total": q.total,
        "completed": q.completed,
        "skipped": q.skipped,
        "gone": q.gone,
        "percent": round(q.percent, 1),
        "statuses": dict(q.statuses),
        "stages": dict(q.stages),
        "plugins_left_out": q.plugins_left_out.as_json(),
        "pace": {
            "state": pace.state,
            "per_week": round(pace.per_week, 1),
            "done_around": pace.projected.isoformat() if pace.projected else None,
        },
    }


def _moment(at: datetime | None) -> str | None:
    return to_utc(at).isoformat(timespec="seconds") if at is not None else None


# ---- page ------------------------------------------------------------------------------


def render_html(d: Dashboard, folder: Path | None = None, *, make_pages: bool = False) -> str:
    """``folder``: where the page is written, so its links to the issue reports (paths under
    the data home) reach them from there (None: links relative to the data home). A report
    is linked as its page where that is made (made now, ``make_pages``), else as its
    Markdown (``fs.reports``)."""

    def href(relative: str) -> str:
        if folder is None or not d.home:
            return quote(relative)
        target = Path(os.path.abspath(Path(d.home) / relative))
        return quote(os.path.relpath(target, os.path.abspath(folder)).replace(os.sep, "/"))

    def link(report: str) -> str:
        return linked(d.home or ".", report, make=make_pages)

    return render("dashboard.html.j2", d=d, r=d.week, bar=text_bar, href=href, linked=link,
                  **CONTEXT)  # fmt: skip


def write_dashboard_html(path: Path, d: Dashboard) -> Path:
    """The page a person asked for: the reports it links get their pages where missing."""
    path = Path(path)
    atomic_write_text(path, render_html(d, path.parent, make_pages=True))
    return path
