"""Terminal rendering of a running batch: a progress bar with the item name and an ETA, one
line per finished item, and the closing summary. Shared by every kind's batch script."""

from __future__ import annotations

import sys

import click

from mediakeeper.batch import BatchReport, Hooks, Outcome
from mediakeeper.wording import count

MARKS = {"completed": "✓", "error": "✗", "skipped": "⤼", "released": "↺"}
UNIDENTIFIED = "○"  # completed, but not identified (offline, no match): no tick


class ProgressHooks(Hooks):
    def __init__(self, noun: str):
        self.noun = noun
        self.bar = None
        self.tty = sys.stdout.isatty()

    def started(self, total: int) -> None:
        if total == 0 or not self.tty:  # a log file gets the per-artist lines only
            return
        self.bar = click.progressbar(
            length=total,
            label=f"{self.noun}s",
            show_eta=True,
            show_pos=True,
            item_show_func=lambda name: name or "",
            file=sys.stdout,
        )
        self.bar.__enter__()

    def item_started(self, item) -> None:
        if self.bar is not None and self.tty:
            self.bar.current_item = item["name"]
            self.bar.render_progress()

    def item_finished(self, outcome: Outcome) -> None:
        mark = MARKS.get(outcome.status, "?")
        if outcome.result and outcome.result.details.get("unidentified"):
            mark = UNIDENTIFIED  # done, but not what a tick promises
        detail = outcome.result.summary if outcome.result else (outcome.error or "")
        line = f"{mark} {outcome.name} — {outcome.status}" + (f": {detail}" if detail else "")
        if outcome.result and outcome.result.problem:
            line += f"\n  ! {outcome.result.problem}"
        if self.tty:
            click.echo("\r\x1b[K", nl=False)
        click.echo(line)
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def render_summary(report: BatchReport, noun: str, *, offline: bool = False) -> str:
    done = report.count("completed")
    missed = sum(1 for o in report.outcomes if o.result and o.result.details.get("unidentified"))
    lines = [
        "",
        f"{count(done, noun)} completed"
        + (f" ({missed} not identified)" if missed else "")
        + f", {count(report.count('error'), 'error')}, "
        f"{report.count('skipped')} skipped in {report.seconds:.1f}s",
        " · ".join(
            ([f"tracks {report.total('track_count'):,}"] if report.total("track_count") else [])
            + [
                f"issues found {report.total('issues_found'):,}",
                f"resolved {report.total('issues_resolved'):,}",
            ]
        ),
    ]
    if offline:
        lines.append("offline: no web lookups were made (`--enrich` adds them later)")
    else:
        lines.append(
            f"lookups: {count(report.total_detail('lookups'), 'request', spec=',')} sent, "
            f"{report.total_detail('cache_hits'):,} answered from the cache"
        )
    if report.released_stale:
        lines.append(
            f"released {count(len(report.released_stale), 'stale claim')} from a crashed run"
        )
    if len(report.checkpoints) == 1:
        lines.append(f"checkpoint: {report.checkpoints[0]}")
    elif report.checkpoints:  # a long pass writes dozens: the latest is the one that matters
        lines.append(
            f"{count(len(report.checkpoints), 'checkpoint')}, the latest: {report.checkpoints[-1]}"
        )
    if problems := report.with_problems():
        names = ", ".join(o.name for o in problems)
        lines.append(
            f"needs you: {count(len(problems), noun)} with fixes that could not be written "
            f"({names}); mend the cause (see each one's line above) and run it again with "
            f"--{noun} NAME"
        )
    lines += report.notices
    if report.went_offline:
        lines.append(f"{report.went_offline[0]} unreachable: ran offline; run --enrich later")
    if report.stopped_early:
        lines.append(f"stopped early: {report.stopped_early}")
    if report.interrupted:
        released = report.count("released")
        lines.append(
            f"interrupted: {count(released, f'unfinished {noun}')} put back to pending; "
            "run again to resume"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    from utilities.cli import not_a_command

    not_a_command(
        "the batch scripts' progress display", "process_music_batch.py", "process_movie_batch.py"
    )
