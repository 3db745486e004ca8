"""An alert told through Apprise (``[alerts] apprise``): one short notification to each URL,
for ntfy, Discord, e-mail and every other service Apprise knows. The alert's payload is the
webhook's (``alerts.alert_payload``); here it becomes a title and a few lines of text, each
name from tags and file names and each error on its line, its controls escaped as on every
terminal line (``text.visible.one_line``, ``text.failures.failure_line``).

Apprise is imported only when an alert goes out. Its log, which may name a URL and so a
secret, is kept to itself; what went wrong is said without any URL (``notify``'s answer).
"""

from __future__ import annotations

import re
from typing import Any

from mediakeeper.text.failures import failure_line
from mediakeeper.text.visible import one_line

TITLE = "mediakeeper"
# "@everyone", "@here", "<@123>": Discord (and Apprise's Discord plugin, which reads them out
# of the body) pings them, so a track titled "@everyone" would ring a whole server. A word
# joiner after the "@" keeps the text as it reads and stops every service seeing a mention.
_MENTION = re.compile(r"@(?=[\w&!])")
WORD_JOINER = "\u2060"


def message(payload: dict[str, Any]) -> tuple[str, str]:
    """(title, body) of an alert, a resolved or a scrub's payload, mentioning nobody."""
    title, body = _worded(payload)
    return _MENTION.sub("@" + WORD_JOINER, title), _MENTION.sub("@" + WORD_JOINER, body)


def _worded(payload: dict[str, Any]) -> tuple[str, str]:
    if payload["event"] == "scrub":
        title = f"{TITLE}: the scrub on {one_line(payload['host'])} found problems"
        lines = [one_line(payload["summary"])]
        lines += [f"{one_line(p['album'])}: {failure_line(p['problem'])}"
                  for p in payload["problems"]]  # fmt: skip
        lines.append(f"Data home: {one_line(payload['home'])}")
        return title, "\n".join(lines)
    if payload["event"] == "plugins-left-out":  # (alerts.LEFT_OUT_EVENT)
        title = (f"{TITLE}: {payload['items']} {one_line(payload['kind'])} items without a "
                 "rule plugin's findings")  # fmt: skip
        return title, f"{one_line(payload['message'])}\nData home: {one_line(payload['home'])}"
    kind, streak = payload["kind"], payload["consecutive_failures"]
    if payload["event"] == "resolved":
        title = f"{TITLE}: {kind} items complete again"
        lines = [f"{one_line(payload['item'])} completed after {streak} failed {kind} items."]
    else:
        title = f"{TITLE}: {streak} {kind} items failed in a row"
        # Each failure in a person's words, as every face says it (``text.failures``): a
        # phone shows the file, not where the toolkit held it. The webhook's JSON keeps it
        # as recorded, for a program.
        lines = [f"{one_line(e['item'])} ({e['stage']}): {failure_line(e['message'])}"
                 for e in payload["errors"]]  # fmt: skip
    lines.append(f"Data home: {one_line(payload['home'])}")
    return title, "\n".join(lines)


def notify(urls: tuple[str, ...], payload: dict[str, Any]) -> str | None:
    """Send ``payload`` to every Apprise URL: None when each took it, else what went wrong
    (never naming a URL: the second of the list is "URL 2")."""
    try:
        import apprise  # only when an alert goes out
    except ImportError:
        return "alerts by Apprise need the alerts extra: pip install 'mediakeeper[alerts]'"
    import logging  # (apprise's own: a batch that sends no alert needs neither)

    logging.getLogger("apprise").propagate = False  # its lines may hold a URL's secret
    sender, unknown = apprise.Apprise(), []
    for n, url in enumerate(urls, 1):
        if not sender.add(url):
            unknown.append(f"URL {n}")
    title, body = message(payload)
    resolved = payload["event"] == "resolved"
    sent = len(sender) == 0 or sender.notify(
        body=body, title=title, body_format=apprise.NotifyFormat.TEXT,
        notify_type=apprise.NotifyType.SUCCESS if resolved else apprise.NotifyType.FAILURE,
    )  # fmt: skip
    problems = []
    if unknown:
        problems.append(f"{', '.join(unknown)} not an address Apprise knows")
    if not sent:
        problems.append("not taken by every receiver")
    return "; ".join(problems) or None
