"""The weekly progress report: ``status/reports/YYYY-MM-DD_weekly_progress.md`` and ``.html``
(the date is the Monday of the ISO week; weeks run Monday to Sunday in UTC).

Three steps, so the same records always give the same report, byte for byte:

* :func:`mediakeeper.reports.records.gather` reads the data home into plain records (I/O);
* :func:`weekly_figures` computes one week's figures from the records, the week and ``now``
  (pure: ``now`` is passed in, the clock is never read here);
* :func:`render_markdown` / :func:`render_html` render them with the shared Jinja environment.

:func:`write_weekly_report` does all three for one week (what a batch calls when it ends);
:func:`write_all_weekly_reports` for every week since the first queue or session.

What counts where: an item counts in the week its ``completed_at`` falls in; its tracks and
issues are the queue's counters, its issues by code come from its output document. What a kind
that makes something made (``Kind.makes``: books, their hours of audio) counts for the week
and in all, up to the report's moment (:mod:`mediakeeper.reports.made_totals`). A session's
time counts by its overlap with the week (a session over midnight on Sunday is split); its
lookups and cache hits count in the week it ended. Errors and skipped items are the queues' now.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from itertools import accumulate
from pathlib import Path

from mediakeeper.core import kinds, writemode
from mediakeeper.core.config import load_settings
from mediakeeper.core.decisions import DECIDING, UPGRADES, severity_of
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.dupes.saved import would_free
from mediakeeper.fs.atomic import atomic_write_bytes, encode_text
from mediakeeper.fs.reports import linked
from mediakeeper.queue.session_log import RUNNING, SessionRecord
from mediakeeper.reports import records as rec
from mediakeeper.reports import upgrades
from mediakeeper.reports.attention import KindAttention, severity_rank
from mediakeeper.reports.change_weeks import ChangeCount
from mediakeeper.reports.chart import MAX_WEEKS, Chart, build_chart
from mediakeeper.reports.made_totals import Made
from mediakeeper.reports.pace import (
    PACE_WEEKS,
    Outstanding,
    Pace,
    QueueProgress,
    format_day,
    nouns,
    percent,
)
from mediakeeper.reports.tally import (
    Counted,
    Moment,
    Names,
    QueueTally,
    attention,
    combined_pace,
    completions,
    counted,
    progress_of,
    read_week,
)
from mediakeeper.reports.weeks import (
    FIRST_WEEK,
    BadWeek,
    Week,
    check_reach,
    format_duration,
    format_moment,
    overlap_seconds,
    to_utc,
    weeks_from,
)
from mediakeeper.system.interrupts import critical
from mediakeeper.text.commands import kind_command, queue_manager
from mediakeeper.text.render import render, render_pieces
from mediakeeper.text.visible import shell_word
from mediakeeper.text.wording import format_size, number, queue_name

REPORTS_DIR = ("status", "reports")


def start_lines(home: str = "") -> tuple[str, str, str]:
    """How a home without queues starts: (what the first command does, the command that
    creates the first queue, the one that then runs a batch), for the first kind whose library
    the home's settings name (a home made for movies alone is told of movies; none: the first
    kind), naming ``--home`` when one was given, and that library."""
    try:
        settings = load_settings(home or None)
    except MediakeeperError:  # said by the command that reads them; here only a hint
        settings = None
    libraries = {k: settings.section(k).get("library") for k in kinds.KINDS} if settings else {}
    kind = next((k for k in kinds.KINDS if libraries.get(k)), next(iter(kinds.KINDS)))
    library = shell_word(str(libraries[kind])) if libraries.get(kind) else "PATH"
    said = f"Create the {queue_name(kind)}, one item per {kinds.noun(kind)} folder"
    create = f"{queue_manager(kind, home)} --init --library {library}"
    return said, create, f"{kind_command(kind, 'batch', home)} --batch-size 10"


OUTSTANDING_SHOWN = 100  # per queue; the queue manager lists the rest


@dataclass(frozen=True)
class CodeCount:
    code: str
    found: int
    resolved: int

    @property
    def open(self) -> int | None:
        """Its open findings; None for an info code or an upgrade, found but never a decision."""
        deciding = severity_of(self.code) in DECIDING and self.code not in UPGRADES
        return self.found - self.resolved if deciding else None

    @property
    def open_text(self) -> str:
        """What the table's "open" column says when the code asks no decision."""
        return "— (upgrade)" if self.code in UPGRADES else "— (info)"


@dataclass(frozen=True)
class QueueWeek:
    """One queue in one week."""

    progress: QueueProgress
    completed: Names  # the week's, in the order they were completed (read from the tally)
    tracks: int
    issues_found: int
    issues_resolved: int
    by_code: tuple[CodeCount, ...]
    has_outputs: bool  # the kind writes per-item findings (music)
    without_output: int  # completed this week, but no readable output document
    outstanding: tuple[Outstanding, ...]
    outstanding_total: int
    # What its items made this week and in all, for a kind that makes something (else None).
    made: Made | None = None
    made_in_all: Made | None = None

    @property
    def kind(self) -> str:
        return self.progress.kind

    @property
    def makes(self) -> kinds.Makes | None:
        return kinds.get(self.kind).makes

    @property
    def done_label(self) -> str:
        """``albums converted``, ``albums verified``, ``artists completed``: what its figure of
        the week counts, so two queues of albums never read as the same line; a queue of no
        installed kind (a pipeline's: every one counts its albums, or, outside its run,
        "items") is named too: ``pipeline-opus items completed``."""
        label = f"{self.progress.plural} {self.makes.verb if self.makes else 'completed'}"
        return label if self.kind in kinds.INSTALLED else f"{self.kind} {label}"

    @property
    def made_before(self) -> bool:
        """Whether its items made in all are more than this week's (else one figure says both)."""
        return bool(self.made_in_all and self.made and self.made_in_all.items > self.made.items)

    @property
    def counts_tracks(self) -> bool:
        return kinds.get(self.kind).counts("track_count")


@dataclass(frozen=True)
class SessionLine:
    id: str
    kind: str
    started: datetime
    ended: datetime | None
    outcome: str
    seconds: float  # the whole session
    seconds_in_week: float
    items_done: int
    failed: int

    @property
    def duration(self) -> str:
        return format_duration(self.seconds)


@dataclass(frozen=True)
class WeeklyReport:
    week: Week
    as_of: datetime
    partial: bool  # the week is still running at ``as_of``
    queues: tuple[QueueWeek, ...]
    sessions: tuple[SessionLine, ...]
    seconds: float
    lookups: int
    cache_hits: int
    total: int
    completed: int
    pace: Pace
    chart: Chart
    home: str = ""  # the data home its commands name ("": none, the current folder's)
    attention: tuple[KindAttention, ...] = ()  # what needs a person now, per queue
    changes: int = 0  # tag fixes journaled in the week (resets of the queue leave them)
    taken_back: int = 0  # tag values an undo put back in the week: not fixes, said apart
    later: tuple[rec.QueueRecord, ...] = ()  # queues created after this week
    upgrades: int = 0  # albums worth a better copy now (``reports.upgrades``): no decisions
    # groups and bytes `dupes set-aside --all` would move, as the last scan left them (the
    # report of the week running; (0, 0) for a past week)
    duplicates: tuple[int, int] = (0, 0)

    @property
    def decisions(self) -> int:
        return sum(a.decisions for a in self.attention)

    @property
    def counted(self) -> tuple[QueueWeek, ...]:
        """The queues the week's figures are of: those that could be read. One that could not
        holds no figure to show (its items completed, tracks, findings are not known, not 0);
        ``left_out`` says it is left out."""
        return tuple(q for q in self.queues if not q.progress.problem)

    @property
    def unread(self) -> list[str]:
        """The kinds whose queue could not be read: left out of every figure and total."""
        return [q.kind for q in self.queues if q.progress.problem]

    @property
    def left_out_said(self) -> str:
        """The queues that could not be read, as the figures that leave them out say it ("":
        every queue was)."""
        unread = self.unread
        if not unread:
            return ""
        they = "it" if len(unread) == 1 else "they"
        return (f"the {' and '.join(unread)} queue{'s' if len(unread) > 1 else ''} left "
                f"out: {they} could not be read")

    @property
    def not_known_said(self) -> str:
        """What a section of the week's figures says where no queue could be read ("": one
        was): not "nothing", which would say the week was read and found empty."""
        unread = self.unread
        if not unread or self.counted:
            return ""
        plural = "s" if len(unread) > 1 else ""
        return f"Not known: the {' and '.join(unread)} queue{plural} could not be read (above)."

    @property
    def left_out(self) -> str:
        """``left_out_said`` after the figures of all queues."""
        return f"; {self.left_out_said}" if self.left_out_said else ""

    @property
    def counts_changes(self) -> bool:
        return any(q.kind in writemode.tag_writing_kinds() for q in self.queues)

    @cached_property  # its settings read once, however often a template asks
    def start(self) -> tuple[str, str, str]:
        return start_lines(self.home)

    @property
    def minutes(self) -> int:
        return round(self.seconds / 60)

    @property
    def percent(self) -> float:
        """Completed or skipped (decided), of every item."""
        return percent(sum(q.progress.decided for q in self.queues), self.total)

    @property
    def completed_this_week(self) -> int:
        return sum(len(q.completed) for q in self.counted)

    @property
    def tracks_by_kind(self) -> list[tuple[str, int]]:
        """Each kind's tracks, never added up (a track converted and verified is one track)."""
        return [(q.kind, q.tracks) for q in self.counted if q.counts_tracks]

    @property
    def tracks_said(self) -> str:  # "97", or "97 music · 98 verify"
        counted = self.tracks_by_kind
        return " · ".join(f"{n:,}" + (f" {k}" if len(counted) > 1 else "") for k, n in counted)

    @property
    def issues_found(self) -> int:
        return sum(q.issues_found for q in self.counted)

    @property
    def issues_resolved(self) -> int:
        return sum(q.issues_resolved for q in self.counted)

    @property
    def has_tracks(self) -> bool:
        return any(q.counts_tracks for q in self.counted)

    @property
    def making(self) -> tuple[QueueWeek, ...]:
        """The queues whose kind makes something (albums converted, books made)."""
        return tuple(q for q in self.queues if q.made is not None)

    @property
    def has_work(self) -> bool:
        return bool(self.completed_this_week or self.sessions)


# ---- pure figures ----------------------------------------------------------------------

# How many weeks before its own a report looks at: its chart's bars (the pace window is shorter).
REACH_WEEKS = max(MAX_WEEKS, PACE_WEEKS) - 1


def check_week(week: Week, now: datetime) -> None:
    """BadWeek unless ``week`` has started by ``now`` and the calendar holds all it looks at."""
    if week.start > to_utc(now):
        raise BadWeek(
            f"week {week.label} has not started yet (this is {Week.of(now).label})",
            "name this week or an earlier one",
        )
    check_reach(week, REACH_WEEKS, "its chart", Week.of(now))


def moment_of(week: Week, now: datetime) -> Moment:
    """What ``week``'s figures are counted for at ``now``: the week as it stands then (a
    past week: at its end)."""
    as_of = min(to_utc(now), week.end)
    return Moment(week, as_of, as_of == to_utc(now))


def weekly_figures(
    records: rec.Records,
    week: Week,
    now: datetime,
    *,
    home: str = "",
    counts: Counted | None = None,
) -> WeeklyReport:
    """The figures of ``week`` as they stand at ``now`` (a past week: at its end). ``home``:
    the data home its commands name. ``counts``: the records counted for that moment
    (``tally.Counted``) when the caller has them; else they are counted here."""
    now = to_utc(now)
    check_week(week, now)
    moment = moment_of(week, now)
    as_of = moment.as_of
    if counts is None or counts.moment != moment:
        counts = counted(records, moment)
    # A past week shows the queues that existed by its end.
    shown = [
        n for n, q in enumerate(records.queues)
        if moment.current or not q.created_at or q.created_at < week.end
    ]  # fmt: skip
    existing = [records.queues[n] for n in shown]
    tallies = [counts.queues[n] for n in shown]
    later = tuple(q for n, q in enumerate(records.queues) if n not in shown)
    queues = tuple(_queue_week(q, t, moment) for q, t in zip(existing, tallies, strict=True))
    progress = [q.progress for q in queues]
    sessions = tuple(_session_lines(records.sessions, week, as_of))
    ended_here = [s for s in records.sessions if s.ended_at and week.contains(s.ended_at)]
    shown_kinds = {q.kind for q in existing}
    week_changes = sum(
        (n for kind, n in counts.changes.items() if kind in shown_kinds), ChangeCount()
    )
    return WeeklyReport(
        week=week,
        as_of=as_of,
        partial=now < week.end,
        queues=queues,
        sessions=sessions,
        seconds=sum(s.seconds_in_week for s in sessions),
        lookups=sum(rec.count_of(s.summary.get("lookups")) for s in ended_here),
        cache_hits=sum(rec.count_of(s.summary.get("cache_hits")) for s in ended_here),
        total=sum(p.total for p in progress),
        completed=sum(p.completed for p in progress),
        pace=combined_pace(existing, tallies, progress, moment),
        chart=progress_chart(records, existing, tallies, moment),
        home=home,
        attention=attention(records, existing, tallies),
        changes=week_changes.fixes,
        taken_back=week_changes.taken_back,
        later=later,
        upgrades=upgrades.counted(records.home, tallies) if records.home else 0,
    )


def _queue_week(queue: rec.QueueRecord, found: QueueTally, moment: Moment) -> QueueWeek:
    # What needs a person first: errors, then warnings, then info; the most found first.
    by_code = sorted(found.found, key=lambda code: (severity_rank(code), -found.found[code], code))
    making = kinds.get(queue.kind).makes and not queue.problem
    return QueueWeek(
        progress=progress_of(queue, found, moment),
        completed=Names(found.done),
        tracks=found.tracks,
        # From the same tallies as the table by code, so the two agree for every kind.
        issues_found=sum(found.found.values()),
        issues_resolved=sum(found.resolved.values()),
        by_code=tuple(CodeCount(c, found.found[c], found.resolved[c]) for c in by_code),
        has_outputs=queue.kind in rec.OUTPUT_DIRS,
        without_output=found.without_output,
        outstanding=tuple(o for _, o in found.outstanding[:OUTSTANDING_SHOWN]),
        outstanding_total=found.outstanding_total,
        made=found.made_week.made() if making and found.made_week else None,
        made_in_all=found.made_all.made() if making and found.made_all else None,
    )


def session_end(session: SessionRecord, now: datetime) -> datetime:
    """Where a session's time stops: its end; an unrecorded one's last item; a running one's now."""
    if session.ended_at is not None:
        return to_utc(session.ended_at)
    if session.outcome == RUNNING:
        return max(to_utc(session.started_at), now)
    return to_utc(session.started_at) + timedelta(seconds=session.seconds)


def session_line(session: SessionRecord, week: Week, as_of: datetime) -> SessionLine:
    """One session as the report and the dashboard show it, with its time inside ``week``."""
    start = to_utc(session.started_at)
    end = session_end(session, as_of)
    return SessionLine(
        id=session.id,
        kind=session.kind,
        started=start,
        ended=to_utc(session.ended_at) if session.ended_at else None,
        outcome=session.outcome,
        seconds=(end - start).total_seconds(),
        seconds_in_week=overlap_seconds(start, end, week.start, min(week.end, as_of)),
        items_done=session.items_done,
        failed=session.items_failed,
    )


def _session_lines(sessions: Sequence[SessionRecord], week: Week, as_of: datetime):
    for session in sessions:
        if to_utc(session.started_at) > as_of:
            continue
        line = session_line(session, week, as_of)
        if line.seconds_in_week > 0 or week.contains(line.started):
            yield line


def progress_chart(
    records: rec.Records,
    queues: Sequence[rec.QueueRecord],
    tallies: Sequence[QueueTally],
    moment: Moment,
) -> Chart:
    """Every queue's completions per week up to the moment's week (at most MAX_WEEKS bars, at
    least the pace window), with the running total of all completions before each week's end."""
    week = moment.week
    first = Week.of(records.earliest() or week.start)
    first = max(min(first, week.shift(1 - PACE_WEEKS)), week.shift(1 - MAX_WEEKS))
    weeks = weeks_from(first, week)
    by_week = completions(tallies)
    counts = [by_week[w.monday] for w in weeks]
    before = sum(n for monday, n in by_week.items() if monday < first.monday)
    totals = list(accumulate(counts, initial=before))[1:]
    plurals = {nouns(q.kind)[1] for q in queues}
    return build_chart(weeks, counts, totals, plurals.pop() if len(plurals) == 1 else "items")


# ---- rendering -------------------------------------------------------------------------


FORMATS = {
    "num": number,
    "duration": format_duration,
    "size": format_size,
    "moment": format_moment,
    "day": format_day,
    "pct": lambda p: f"{p:.1f}%",
    "line": lambda text: " ".join(str(text).split()),
    "list_safe": lambda text: _LIST_MARKER.sub(lambda m: m[1] + "\\" + m[2], str(text), 1),
}
# What would turn a list item's text into a nested list: "1. x", "2) x", "+ x", "- x".
_LIST_MARKER = re.compile(r"^(\d{0,9})([.)+-])(?=\s|$)")


# What each of the week's figures counts: said under them, since a reset moves some and not others.
LEGEND = (
    "Completed: each item once, in the week of its latest completion (a reset and a re-run "
    "move it there). Findings / resolved: the findings of those items as last processed. "
    "Tag changes made: every fix written this week, whatever resets came after; the values "
    "an undo put back are not fixes and are counted apart (taken back by undo). A session's "
    "done: every item it finished, re-runs included."
)
ATTENTION_SHOWN = 100  # items per level and queue; the issue reports' index lists them all

CONTEXT = {
    **FORMATS,
    "legend": LEGEND,
    "shown": ATTENTION_SHOWN,
    "week_of": lambda moment: Week.of(moment).label,
}


def render_markdown(report: WeeklyReport) -> str:
    return render("weekly_progress.md.j2", r=report, **CONTEXT)


def render_html(report: WeeklyReport, *, make_pages: bool = False) -> str:
    return render("weekly_progress.html.j2", r=report, **_linking(report, make_pages), **CONTEXT)


def _linking(report: WeeklyReport, make_pages: bool) -> dict:
    """How the page links a report of the home: its page where made (made now, asked
    ``make_pages``: the ``report`` command a person runs to read it), else its Markdown
    (``fs.reports``: the batch that ends with this report makes no report's page)."""
    home = report.home or "."
    return {"linked": lambda path: linked(home, path, make=make_pages)}


# ---- files -----------------------------------------------------------------------------


def report_paths(home: Path, week: Week) -> tuple[Path, Path]:
    stem = f"{week.monday.isoformat()}_weekly_progress"
    folder = Path(home).joinpath(*REPORTS_DIR)
    return folder / f"{stem}.md", folder / f"{stem}.html"


def _write(home: Path, report: WeeklyReport, make_pages: bool = False) -> tuple[Path, Path]:
    """The .md and the .html are one report in two forms: each is written as it is rendered
    (a week's list of names is never whole in memory) and replaced atomically, and a signal
    (Ctrl+C) waits for the pair, so a reader never finds this week's .md beside last run's
    .html."""
    md_path, html_path = report_paths(home, report.week)
    with critical(exit_waits=True):  # two pages rendered and renamed: a moment
        for path, template in ((md_path, "weekly_progress.md.j2"),
                               (html_path, "weekly_progress.html.j2")):  # fmt: skip
            pieces = render_pieces(template, r=report, **_linking(report, make_pages), **CONTEXT)
            atomic_write_bytes(path, map(encode_text, pieces))
    return md_path, html_path


def write_weekly_report(
    home: Path,
    week: date | None = None,
    now: datetime | None = None,
    *,
    records=None,
    counts=None,
    make_pages: bool = False,
) -> tuple[Path, Path]:
    """Regenerate one week's report (``week``: any day of it; default the week of ``now``).
    Returns the .md and .html paths. The report lives in the data home and is read from
    anywhere, so its commands name that home. ``records``: the home's (``records.gather``),
    when the caller has read them already, and ``counts`` (``tally.Counted``) when it has
    counted them for the same moment. ``make_pages``: make the pages of the reports it links
    that are not made (a person's ``report``; a batch's leaves them to be made when read)."""
    now = to_utc(now) if now is not None else datetime.now(UTC)
    target = Week.of(week if week is not None else now)
    check_week(target, now)
    if records is None:  # the week's changes are counted: not those of the weeks before
        records, counts = read_week(Path(home), moment_of(target, now))
    figures = weekly_figures(records, target, now, home=str(home), counts=counts)
    if figures.partial:
        figures = replace(figures, duplicates=would_free(Path(home)))
    return _write(Path(home), figures, make_pages)


def write_all_weekly_reports(
    home: Path, now: datetime | None = None, *, make_pages: bool = False
) -> list[tuple[Path, Path]]:
    """Every week from the first queue or session to the week of ``now``, oldest first."""
    now = to_utc(now) if now is not None else datetime.now(UTC)
    this_week = Week.of(now)
    check_week(this_week, now)
    records = rec.gather(Path(home))
    first = min(Week.of(records.earliest() or now), this_week)
    # A record dated in the calendar's first half year (a hand-edited file) starts the reports
    # at the first week whose chart the calendar holds.
    first = max(first, FIRST_WEEK.shift(REACH_WEEKS))
    return [
        _write(Path(home), weekly_figures(records, week, now, home=str(home)), make_pages)
        for week in weeks_from(first, this_week)
    ]
