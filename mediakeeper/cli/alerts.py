"""``mediakeeper alerts test``: one alert of exactly the real shape sent to the webhook, to
check that it is reached (``mediakeeper.batch.alerts``)."""

from __future__ import annotations

import sys

import click

from mediakeeper.batch.alerts import alert_payload, post
from mediakeeper.cli.command import Group, home_option, settings_for
from mediakeeper.core import kinds
from mediakeeper.core.errors import UsageError


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """The alerts a batch raises after [alerts] threshold failed items in a row."""


@main.command("test")
@home_option
@click.option("--kind", default="music", show_default=True,
              type=click.Choice(list(kinds.KINDS)),
              help="The kind the test alert names.")  # fmt: skip
def test(home, kind):
    """POST a test alert to [alerts] webhook_url, shaped as a real one."""
    settings = settings_for(home)
    url = settings.get("alerts", "webhook_url")
    if not url:
        raise UsageError(
            "no [alerts] webhook_url is set",
            "set it in mediakeeper.toml or MEDIAKEEPER_ALERTS_WEBHOOK_URL",
        )
    streak = max(1, settings.get("alerts", "threshold"))
    errors = [{"item": "(a test alert)", "stage": "test",
               "message": "sent by mediakeeper alerts test"}]  # fmt: skip
    problem = post(url, alert_payload(settings.home, kind, streak, errors))
    if problem:
        click.echo(f"Error: the alert webhook ([alerts] webhook_url) {problem}", err=True)
        sys.exit(1)
    click.echo("The test alert was taken by the webhook.")


if __name__ == "__main__":
    main()
