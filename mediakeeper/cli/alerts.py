"""``mediakeeper alerts test``: one alert of exactly the real shape sent to the webhook and the
Apprise URLs, to check that they are reached (``mediakeeper.batch.alerts``)."""

from __future__ import annotations

import sys

import click

from mediakeeper.batch.alerts import alert_payload, post
from mediakeeper.batch.apprise_send import notify
from mediakeeper.cli.command import Group, group_home_option, home_option, settings_for
from mediakeeper.core import kinds
from mediakeeper.core.errors import UsageError


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@group_home_option
def main():
    """The alerts a batch raises after [alerts] threshold failed items in a row."""


@main.command("test")
@home_option
@click.option("--kind", default="music", show_default=True,
              type=click.Choice(list(kinds.KINDS)),
              help="The kind the test alert names.")  # fmt: skip
def test(home, kind):
    """Send a test alert, shaped as a real one, to [alerts] webhook_url (a POST) and to each
    [alerts] apprise URL."""
    settings = settings_for(home)
    url, urls = settings.get("alerts", "webhook_url"), settings.get("alerts", "apprise")
    if not url and not urls:
        raise UsageError(
            "no [alerts] webhook_url or apprise is set",
            "set one in mediakeeper.toml, or MEDIAKEEPER_ALERTS_WEBHOOK_URL or _APPRISE",
        )
    streak = max(1, settings.get("alerts", "threshold"))
    errors = [{"item": "(a test alert)", "stage": "test",
               "message": "sent by mediakeeper alerts test"}]  # fmt: skip
    payload = alert_payload(settings.home, kind, streak, errors)
    taken = []
    if url:
        taken.append(_told("the webhook ([alerts] webhook_url)", post(url, payload)))
    if urls:
        taken.append(_told("the Apprise URLs ([alerts] apprise)", notify(urls, payload)))
    if not all(taken):
        sys.exit(1)


def _told(receiver: str, problem: str | None) -> bool:
    if problem:
        click.echo(f"Error: the test alert to {receiver}: {problem}", err=True)
        return False
    click.echo(f"The test alert was taken by {receiver}.")
    return True


if __name__ == "__main__":
    main()
