"""Terminal rendering of a running batch, shared by every kind's batch script.

On a terminal a single live line at the bottom (rich's progress display) shows the count, an
ETA and the item in hand, fitted to the terminal's width; the lines of finished items are
printed above it and the live line is gone when the batch ends. A job that says how far it
is through an item (``item_progress.report_fraction``: a book's encode) adds that and the
item's own ETA after its name: ``Jane Doe - Title  encoding 43%  ETA 2:10``. Off a terminal
(a pipe, a log file) there is no live line: plain lines only, never an escape code, nothing
per percent. Colour only on a terminal and never when ``NO_COLOR`` is set (rich's rules).

How much is said (``-q``/``-v``, ``cli/verbosity.py``): by default a finished item gets a line
only when it needs the person (it failed, it was given up on, a fix could not be written, its
findings need a decision); ``--verbose`` gives every finished item its line, with its time;
``--quiet`` draws no live line either.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import click

from mediakeeper.batch.report import unidentified, waits_for_later
from mediakeeper.batch.runner import BatchReport, Hooks, Outcome
from mediakeeper.cli.verbosity import QUIET, VERBOSE, chosen_verbosity
from mediakeeper.core.decisions import item_decisions
from mediakeeper.text.failures import failure_line
from mediakeeper.text.visible import one_line, visible
from mediakeeper.text.wording import clock, count, written_to

MARKS = {"completed": "✓", "error": "✗", "skipped": "⤼", "released": "↺"}
UNIDENTIFIED = "○"  # completed, but not identified (offline, no match): no tick
STYLES = {"completed": "green", "error": "red", "skipped": "yellow", "released": "yellow"}


def console(file=None):
    """What prints the script's standard output. On a terminal, rich's console: it wraps at
    the terminal's width and colours unless ``NO_COLOR`` is set. Elsewhere plain lines that
    never wrap (a log line stays one line for grep), and rich is not even imported: a batch
    run from cron starts that much sooner."""
    file = file or sys.stdout
    if not file.isatty():
        return Plain(file)
    from rich.console import Console

    return Console(
        file=file,
        markup=False,  # names are printed as they are: "[2019]" is not a style
        highlight=False,
        emoji=False,
        **_size_of_a_dumb_terminal(),
    )


def _size_of_a_dumb_terminal() -> dict[str, int]:
    """rich takes a dumb terminal (``TERM=dumb``: Emacs' shell, a serial console) to be 80
    columns wide whatever it is, and wraps every line there: its own size instead. Any other
    terminal's rich reads itself, anew as it is resized."""
    if os.environ.get("TERM", "").lower() not in ("dumb", "unknown"):
        return {}
    columns, lines = shutil.get_terminal_size()
    return {"width": columns, "height": lines}


class Plain:
    """Lines for a pipe or a file: the text of each (text, style) segment, no style."""

    is_terminal = False

    def __init__(self, file):
        self.file = file

    def print(self, line: str | list[tuple[str, str]]) -> None:
        text = line if isinstance(line, str) else "".join(part for part, _ in line)
        click.echo(visible(text), file=self.file)


def _styled(out, segments: list[tuple[str, str]]):
    if not out.is_terminal:
        return segments
    from rich.text import Text

    return Text.assemble(*segments)


def say(lines: list[str]) -> None:
    """Print ``lines`` on standard output, each on one line (``text.visible.one_line``: a
    folder, a file or an error named in it with a line feed shown as its escape); on a
    terminal each wrapped between words to its width, a path (a long word) kept whole, to be
    copied."""
    shown = [one_line(line) for line in lines]
    if sys.stdout.isatty():
        width = shutil.get_terminal_size().columns
        shown = [textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False)
                 or line for line in shown]  # fmt: skip
    click.echo("\n".join(shown))


def needs_decision(outcome: Outcome) -> int:
    """How many decisions the item leaves for a person, counted as the summary, the queue and
    every other surface count them (``core.decisions.item_decisions``: an item not identified
    asks that too)."""
    return item_decisions(outcome.result.details) if outcome.result else 0


def needs_you(outcome: Outcome) -> bool:
    return (
        outcome.status in ("error", "skipped")
        or waits_for_later(outcome)
        or unidentified(outcome)
        or bool(outcome.result and outcome.result.problem)
        or needs_decision(outcome) > 0
    )


def item_line(
    outcome: Outcome, *, verbose: bool, reports: Path | None = None
) -> list[tuple[str, str]]:
    """The finished item's line (and the lines under it) as (text, style) segments;
    ``reports``: the kind's issue reports folder, so a line needing a decision names its own."""
    # A failure in a person's words, as every face says it (the session log keeps it whole),
    # on the item's line: a file named in it with a line feed does not break it.
    detail = outcome.result.summary if outcome.result else failure_line(outcome.error or "")
    # Done, but not what a tick promises: no tick for a movie that was not identified.
    mark = UNIDENTIFIED if unidentified(outcome) else MARKS.get(outcome.status, "?")
    line = [
        (mark, STYLES.get(outcome.status, "")),
        (f" {one_line(outcome.name)} — {outcome.status}" + (f": {detail}" if detail else ""), ""),
    ]
    if verbose and outcome.seconds:
        line.append((f" ({outcome.seconds:.1f}s)", ""))
    if outcome.result and outcome.result.problem:
        line += [("\n  ! ", "red"), (one_line(outcome.result.problem), "")]
    if decisions := needs_decision(outcome):
        line.append((f"\n  {count(decisions, 'decision')} for you", "yellow"))
        slug = outcome.result.details.get("slug") if outcome.result else None
        where = (f"see {one_line(str(reports / slug))}.md" if reports and slug
                 else "its issue report says which")  # fmt: skip
        line.append((f" ({where})", ""))
    return [(visible(text), style) for text, style in line]  # names as they show: escaped


def _item_column(**options):
    """The column of the item in hand: its name, then how far it is (never cut: the name
    gives way to it)."""
    from rich.progress import ProgressColumn
    from rich.table import Table
    from rich.text import Text

    class ItemColumn(ProgressColumn):
        def render(self, task):
            name = Text(task.fields["name"], no_wrap=True, overflow="ellipsis")
            if not task.fields["through"]:
                return name
            grid = Table.grid(padding=(0, 2), expand=True)
            grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
            grid.add_column(no_wrap=True)
            grid.add_row(name, task.fields["through"])
            return grid

    return ItemColumn(**options)


@dataclass
class Through:
    """How far one item in hand is through what it is doing, as its job last said."""

    doing: str
    fraction: float
    first: tuple[float, float]  # (when, fraction) of its first report: its rate from there
    at: float  # when it last said

    def text(self) -> str:
        """``encoding 43%``, with ``ETA 2:10`` from its rate so far once it has one."""
        said = f"{self.doing} {int(self.fraction * 100)}%"
        when, fraction = self.first
        if self.fraction > fraction and self.at > when:
            rate = (self.fraction - fraction) / (self.at - when)
            said += f"  ETA {clock((1 - self.fraction) / rate)}"
        return said


STILL = 3.0  # seconds an item shown may go without saying how far it is before another's shows


class ProgressHooks(Hooks):
    def __init__(
        self,
        noun: str,
        verbosity: int | None = None,
        monotonic=time.monotonic,
        reports: Path | None = None,  # the kind's issue reports, named by the items' lines
    ):
        self.noun = noun
        self.reports = reports
        self.verbosity = chosen_verbosity() if verbosity is None else verbosity
        self.console = console()
        self.progress = None
        self.task = None
        self.monotonic = monotonic  # when a fraction is heard (a test gives its own)
        self.through: dict[str, Through] = {}  # by item key
        self.shown: str | None = None  # the key of the item whose fraction the line shows
        # The items claimed and not finished, oldest first: a batch claims some ahead of its
        # workers, which take them in that order, so the oldest is one being worked on.
        self.in_hand: dict[str, str] = {}

    def note(self, line: str, *, warning: bool = False) -> None:
        click.echo(line, err=warning)

    def started(self, total: int) -> None:
        if total == 0 or self.verbosity == QUIET or not self.console.is_terminal:
            return
        from rich.constrain import Constrain
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.table import Column

        terminal = self.console

        class Line(Progress):
            # Two columns short of the terminal: the "^C" a terminal echoes after a line that
            # fills it wraps to a new line, and the bar left above it stayed on screen.
            def get_renderable(self):
                return Constrain(super().get_renderable(), max(20, terminal.width - 2))

        self.progress = Line(
            TextColumn(f"{self.noun}s"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            # The item's name takes the rest of the line, cut short with … when too long.
            _item_column(table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)),
            console=self.console,
            # Redrawn on each event, no thread: the batch forks its workers after this.
            auto_refresh=False,
            redirect_stdout=False,
            redirect_stderr=False,
            transient=True,  # the closing summary says where the batch ended
            expand=True,
        )
        self.task = self.progress.add_task("", total=total, name="", through="")
        self.progress.start()
        self.progress.refresh()

    def item_started(self, item) -> None:
        self.in_hand[item.get("key", item["name"])] = item["name"]
        if self.progress is not None and self.shown is None:
            name = one_line(next(iter(self.in_hand.values())))
            self.progress.update(self.task, name=name, refresh=True)

    def item_fraction(self, item, doing: str, fraction: float) -> None:
        """Shown after the item's name. With several items in hand the line keeps to one
        while it goes on saying how far it is (two taking turns would flicker)."""
        if self.progress is None:
            return
        now, key = self.monotonic(), item["key"]
        was = self.through.get(key)
        if was is None or was.doing != doing or fraction < was.fraction:
            was = Through(doing, fraction, (now, fraction), now)
        self.through[key] = Through(doing, fraction, was.first, now)
        shown = self.through.get(self.shown) if self.shown else None
        if shown is not None and self.shown != key and now - shown.at < STILL:
            return
        self.shown = key
        self.progress.update(
            self.task, name=one_line(item["name"]), through=self.through[key].text(), refresh=True
        )

    def item_workers(self, item, workers: list[str]) -> None:
        """Where the item's steps are (a cluster's workers), after its name until it says
        how far it is (a fraction, which names the worker of each track come back)."""
        if self.progress is None or item["key"] in self.through:
            return
        if self.shown not in (None, item["key"]):
            return
        held = f"on {', '.join(visible(w) for w in workers)}" if workers else ""
        self.progress.update(self.task, name=one_line(item["name"]), through=held, refresh=True)

    def item_finished(self, outcome: Outcome) -> None:
        if self.verbosity == VERBOSE or needs_you(outcome):
            line = item_line(outcome, verbose=self.verbosity == VERBOSE, reports=self.reports)
            self.console.print(_styled(self.console, line))
        self.through.pop(outcome.key, None)
        self.in_hand.pop(outcome.key, None)
        if self.progress is not None:
            if self.shown in (outcome.key, None):
                self.shown = None
                oldest = next(iter(self.in_hand.values()), "")
                self.progress.update(self.task, name=one_line(oldest), through="")
            self.progress.update(self.task, advance=1, refresh=True)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _lookups_line(report: BatchReport, offline: bool) -> str:
    if offline:
        return "offline: no web lookups were made (`--enrich` adds them later)"
    return (
        f"lookups: {count(report.lookups, 'request')} sent, "
        f"{report.cache_hits:,} answered from the cache"
    )


def _written_line(report: BatchReport) -> str:
    """How the tags the batch wrote (its fixes, and MusicBrainz ids, which are no fix) reached
    the files: in place (only their changed bytes written) or rewritten whole (a copy swapped
    in: the write mode asks it, or the new tags outgrew the room in the file); nothing when
    no tag was written."""
    files = report.total_detail("files_written")
    if not files:
        return ""
    return f"tags {written_to(files, report.total_detail('files_rewritten'))}"


def _loudness_line(report: BatchReport) -> str:
    """What --replaygain wrote, and how it reached the files as the fixes' line says it;
    nothing without it."""
    loudness = report.total_detail("loudness_changes")
    if not loudness:
        return ""
    # No file written: a resumed run found the values already in the files.
    files = report.total_detail("loudness_files_written")
    whole = report.total_detail("loudness_files_rewritten")
    how = f"{written_to(files, whole)}," if files else "written"
    return (f"replaygain: {count(loudness, 'loudness tag')} {how} and journaled "
            "(each issue report offers the undo)")  # fmt: skip


def render_summary(
    report: BatchReport, noun: str, *, resume: str, offline: bool = False, lookups: bool = True
) -> list[str]:
    """The closing lines (for :func:`say`); ``resume``: the command that resumes this
    session, said if it was interrupted; ``lookups``: the kind asks web services (else no
    lookups line)."""
    done = report.count("completed")
    missed = report.unidentified
    lines = [
        "",
        f"{count(done, noun)} completed"
        + (f" ({missed} not identified)" if missed else "")
        + f", {report.count('error')} failed, "
        f"{report.count('skipped')} skipped in {report.seconds:.1f}s",
        " · ".join(
            ([f"tracks {report.total('track_count'):,}"] if report.total("track_count") else [])
            + [
                f"findings {report.total('issues_found'):,}",
                f"resolved {report.total('issues_resolved'):,}",
            ]
        ),
    ]
    if written := _written_line(report):
        lines.append(written)
    if lookups:  # a kind that never asks the web says nothing: "0 requests sent" would puzzle
        lines.append(_lookups_line(report, offline))
    if report.released_stale:
        lines.append(
            # Killed, crashed or its data home full: the record cannot tell which.
            f"released {count(len(report.released_stale), 'stale claim')} of a run that "
            "stopped before it could record why"
        )
    if len(report.checkpoints) == 1:
        lines.append(f"checkpoint: {report.checkpoints[0]}")
    elif report.checkpoints:  # a long pass writes dozens: the latest is the one that matters
        lines.append(
            f"{count(len(report.checkpoints), 'checkpoint')}, the latest: {report.checkpoints[-1]}"
        )
    if loudness := _loudness_line(report):
        lines.append(loudness)
    if report.awaiting:
        lines.append(
            f"needs you: {count(report.decisions, 'decision')} in {count(report.awaiting, noun)}"
        )
    if problems := report.with_problems():
        names = ", ".join(one_line(o.name) for o in problems)
        lines.append(
            f"needs you: {count(len(problems), noun)} with fixes that could not be written "
            f"({names}); mend the cause (see each one's line above) and run it again with "
            f"--{noun} NAME"
        )
    lines += report.notices
    if report.left_out:
        lines.append(f"needs you: {count(report.left_out, noun)} without a rule plugin's findings "
                     "(it was stopped or left out); the next run takes them again")  # fmt: skip
    lines += [f"{o.service} unreachable: ran offline; run --enrich later"
              for o in report.offline if not o.refused]  # a refusal's notice says it
    if waiting := report.given_back():
        as_was = "each as it was" if len(waiting) > 1 else "as it was"
        lines.append(
            f"not looked up: {count(len(waiting), noun)} ({_why_waiting(waiting)}), {as_was}; "
            "run --enrich again later"
        )
    if report.stopped_early:
        lines.append(f"stopped early: {report.stopped_early}")
    if report.interrupted:
        released = report.count("released")
        lines.append(
            f"interrupted: {count(released, f'unfinished {noun}')} put back to pending; "
            f"to resume this session: {resume}"
        )
    return lines


def _why_waiting(waiting: list[Outcome]) -> str:
    """Why the items given back were not looked up: the service unreachable, its answer
    unusable (each one's line says how), or some of each."""
    unreachable = sum(o.network for o in waiting)
    if unreachable == len(waiting):
        return "the service unreachable"
    if not unreachable:
        whose = "each one's" if len(waiting) > 1 else "its"
        return f"the service's answer unusable: {whose} line says how"
    return f"{unreachable:,} with the service unreachable, the rest with its answer unusable"


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    from mediakeeper.cli.command import not_a_command

    not_a_command(
        "the batch scripts' progress display", "process_music_batch.py", "process_movie_batch.py"
    )
