"""Every media queue at a glance: python utilities/media_dashboard.py --help"""

from __future__ import annotations

import click

from mediakeeper.cli.command import Command, OutputFile, home_option, settings_for, stops_on_signals
from mediakeeper.cli.report import moment
from mediakeeper.reports.dashboard import (
    dashboard_for,
    dashboard_json,
    render_text,
    write_dashboard_html,
)
from mediakeeper.text.jsonfmt import dumps_sent


@click.command(
    cls=Command, reads_home=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@home_option
@click.option(
    "--html",
    "html_path",
    type=OutputFile("dashboard.html"),
    help="Write the dashboard as a self-contained HTML page to this file instead.",
)
@click.option("--json", "as_json", is_flag=True,
              help="Print the same figures as JSON (nothing cut to a line), for a "
              "script.")  # fmt: skip
@click.option("--now", hidden=True, help="Show the dashboard as of this UTC moment (ISO-8601).")
def main(home, html_path, as_json, now):
    """Progress of every queue (bars, counts by status, pace), the last sessions, the errors
    that need you, and this week's numbers. Works in a pipe or a log: no colours needed."""
    if as_json and html_path is not None:
        raise click.UsageError("--json and --html each say the dashboard: give one")
    settings = settings_for(home, writes=html_path is not None)  # the pages it links
    with stops_on_signals():  # the --html page is replaced whole, or not at all
        board = dashboard_for(settings.home, moment(now))
        if as_json:
            click.echo(dumps_sent(dashboard_json(board), indent=2))
            return
        if html_path is not None:
            click.echo(f"Dashboard written: {write_dashboard_html(html_path, board)}")
            return
        click.echo(render_text(board), nl=False)


if __name__ == "__main__":
    main()
