"""Regenerate weekly progress reports: python utilities/weekly_report.py --help"""

from __future__ import annotations

from datetime import UTC, datetime

import click

from mediakeeper.cli.command import (
    Command,
    echo_json,
    home_option,
    settings_for,
    stops_on_signals,
)
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.reports.weekly import write_all_weekly_reports, write_weekly_report
from mediakeeper.reports.weeks import Week, parse_time, parse_week


class UsageProblem(MediakeeperError):
    """A flag combination that makes no sense, said in one line."""


def moment(text: str | None) -> datetime:
    """--now (hidden): the moment to report as of, so a report can be reproduced exactly."""
    if text is None:
        return datetime.now(UTC)
    parsed = parse_time(text)
    if parsed is None:
        raise UsageProblem(f"invalid --now {text!r}: write it as ISO-8601, e.g. 2026-11-21T18:00Z")
    return parsed


@click.command(
    cls=Command, reads_home=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@home_option
@click.option(
    "--week", metavar="YYYY-Www", help="The ISO week to report, e.g. 2026-W47 (default: this week)."
)
@click.option(
    "--all",
    "all_weeks",
    is_flag=True,
    help="Every week from the first queue or session to this one.",
)
@click.option("--now", hidden=True, help="Report as of this UTC moment (ISO-8601).")
@click.option("--json", "as_json", is_flag=True,
              help='The paths written as JSON: {"reports": [{"markdown", "html"}]}.')  # fmt: skip
def main(home, week, all_weeks, now, as_json):
    """Write the weekly progress report (Markdown and a self-contained HTML page) to
    status/reports/YYYY-MM-DD_weekly_progress.md and .html, the date being the week's Monday.
    Weeks run Monday to Sunday in UTC. The issue reports it links get their web pages
    where they have none yet. Prints the paths written (--json: as JSON)."""
    if week is not None and all_weeks:
        raise UsageProblem("give --week or --all, not both")
    settings = settings_for(home)
    when = moment(now)
    with stops_on_signals():  # each report's pair is replaced whole, or not at all
        if all_weeks:
            written = write_all_weekly_reports(settings.home, now=when, make_pages=True)
        else:
            chosen = parse_week(week) if week is not None else Week.of(when)  # "" is refused
            written = [write_weekly_report(settings.home, chosen.monday, now=when, make_pages=True)]
        if as_json:
            echo_json({"reports": [{"markdown": str(md_path), "html": str(html_path)}
                                   for md_path, html_path in written]})  # fmt: skip
            return
        for md_path, html_path in written:
            click.echo(md_path)
            click.echo(html_path)


if __name__ == "__main__":
    main()
