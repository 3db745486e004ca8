"""Alerts on failure streaks, raised by the batch itself (served or not).

After ``[alerts] threshold`` items of one kind fail in a row (across batches: the streak is
kept in ``status/<kind>/alerts_state.json``), one alert is raised for that streak; the first
item to complete after it raises one ``resolved``. Each is appended to
``status/<kind>/alerts.jsonl`` (what ``mediakeeper serve`` follows for its ``alert`` events),
POSTed as JSON to ``[alerts] webhook_url`` when one is set, and told in a few lines to each of
``[alerts] apprise`` (Apprise URLs: ntfy, Discord, e-mail and the rest, ``apprise_send``).

A receiver that is down or slow never fails or slows the batch: the sending runs in a thread
of its own with short timeouts; what went wrong is told once the batch's items are done,
without the URL (it may hold a secret), and the batch waits a few seconds at most for a
sending still under way when it ends.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.batch.apprise_send import notify
from mediakeeper.batch.report import Outcome
from mediakeeper.batch.runner import Hooks
from mediakeeper.fs.atomic import append_lines, atomic_write_text, encode_text
from mediakeeper.queue.items import COMPLETED, ERROR
from mediakeeper.queue.left_out import PluginsLeftOut, lacked_by
from mediakeeper.text.failures import failure_line
from mediakeeper.text.jsonfmt import dumps_one
from mediakeeper.text.visible import one_line

VERSION = 1  # the payload's shape: a receiver can rely on its fields
SEND_TIMEOUT = 3.0  # seconds a webhook may take to answer (connecting and reading each)
STATE_FILE = "alerts_state.json"
EVENTS_FILE = "alerts.jsonl"
KEPT_ERRORS = 10  # the streak's last errors the alert names
LEFT_OUT_EVENT = "plugins-left-out"  # a batch's items completed without a plugin's findings


def alert_payload(home: Path, kind: str, streak: int, errors: list[dict[str, str]]) -> dict:
    """An alert, as the webhook receives it and the event stream says it."""
    return {"version": VERSION, "event": "alert", "kind": kind, "consecutive_failures": streak,
            "errors": errors[-KEPT_ERRORS:], "home": str(home), "at": _now()}  # fmt: skip


def resolved_payload(home: Path, kind: str, streak: int, item: str) -> dict:
    """The first success after an alerted streak: ``item`` completed."""
    return {"version": VERSION, "event": "resolved", "kind": kind,
            "consecutive_failures": streak, "item": item, "home": str(home),
            "at": _now()}  # fmt: skip


def left_out_payload(home: Path, kind: str, left_out: PluginsLeftOut) -> dict:
    """A batch that completed items without a rule plugin's findings: how many, which
    plugins, and the line that says how they are taken again."""
    return {"version": VERSION, "event": LEFT_OUT_EVENT, "kind": kind, **left_out.as_json(),
            "message": left_out.said(kind, home), "home": str(home), "at": _now()}  # fmt: skip


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def post(url: str, payload: dict[str, Any], timeout: float = SEND_TIMEOUT) -> str | None:
    """POST ``payload`` to ``url``: None when the receiver took it, else what went wrong
    (never naming the URL)."""
    import requests  # only when an alert goes out

    try:
        answer = requests.post(url, json=payload, timeout=(timeout, timeout))
    except requests.RequestException as err:
        return f"not reached ({type(err).__name__})"
    if answer.status_code >= 300:
        return f"answered HTTP {answer.status_code}"
    return None


def keep(kind_dir: Path, payload: dict[str, Any]) -> None:
    """Append an alert to the kind's ``alerts.jsonl`` (what ``serve`` follows)."""
    append_lines(kind_dir / EVENTS_FILE, encode_text(dumps_one(payload) + "\n"), durable=False)


def send_now(payload: dict[str, Any], webhook_url: str, apprise: tuple[str, ...]) -> list[str]:
    """Send an alert to its receivers, waiting for them (a batch's from a thread of its own,
    the scrub's at once); what went wrong, never naming a URL."""
    problems = []
    if webhook_url and (problem := post(webhook_url, payload)):
        problems.append(f"the alert webhook ([alerts] webhook_url) {problem}")
    if apprise and (problem := notify(apprise, payload)):
        problems.append(f"the alert's Apprise notification ([alerts] apprise) {problem}")
    return problems


@dataclass
class AlertWatch:
    """One batch's watch over its items' outcomes (``heard``), for ``kind`` in ``home``."""

    home: Path
    kind: str
    threshold: int
    webhook_url: str = ""
    apprise: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)  # what the receivers said, told at the end
    # Its items completed without a rule plugin's findings: one alert as the batch ends.
    left_out: PluginsLeftOut = field(default_factory=PluginsLeftOut)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def kind_dir(self) -> Path:
        return self.home / "status" / self.kind

    def heard(self, outcome: Outcome) -> str | None:
        """One finished item; returns the line the batch's output says when it raised an
        alert (or a ``resolved``)."""
        if self.threshold <= 0 or outcome.status not in (COMPLETED, ERROR, "skipped"):
            return None  # off, or an item given back (neither a failure nor a success)
        state = self._state()
        if outcome.status == COMPLETED:
            if outcome.result is not None:
                self.left_out.count_plugins(lacked_by(outcome.result.details))
            if not state["streak"]:
                return None
            was, alerted = state["streak"], state["alerted"]
            self._keep({"streak": 0, "alerted": False, "errors": []})
            if alerted:
                self._raise(resolved_payload(self.home, self.kind, was, outcome.name))
                return (f"Resolved: {one_line(outcome.name)} completed after {was} failed "
                        f"{self.kind} items")  # fmt: skip
            return None
        error = {"item": outcome.name, "stage": outcome.stage or "",
                 "message": outcome.error or outcome.status}  # fmt: skip
        state["streak"] += 1
        state["errors"] = [*state["errors"], error][-KEPT_ERRORS:]
        line = None
        if state["streak"] >= self.threshold and not state["alerted"]:
            state["alerted"] = True
            self._raise(alert_payload(self.home, self.kind, state["streak"], state["errors"]))
            last = f"{one_line(outcome.name)}: {failure_line(error['message'])}"
            line = f"ALERT: {state['streak']} {self.kind} items failed in a row (last: {last})"
        self._keep(state)
        return line

    def ended(self) -> None:
        """The batch's items are done: one alert for those it completed without a rule
        plugin's findings, if any (the batch's own lines say them already)."""
        if self.threshold > 0 and self.left_out:
            self._raise(left_out_payload(self.home, self.kind, self.left_out))

    def _state(self) -> dict[str, Any]:
        try:
            state = json.loads((self.kind_dir / STATE_FILE).read_text(encoding="utf-8"))
            if isinstance(state.get("streak"), int) and isinstance(state.get("errors"), list):
                return {"streak": state["streak"], "alerted": bool(state.get("alerted")),
                        "errors": state["errors"]}  # fmt: skip
        except (OSError, ValueError, AttributeError):
            pass  # none yet, or damaged: a new streak starts
        return {"streak": 0, "alerted": False, "errors": []}

    def _keep(self, state: dict[str, Any]) -> None:
        atomic_write_text(self.kind_dir / STATE_FILE, dumps_one(state) + "\n", durable=False)

    def _raise(self, payload: dict[str, Any]) -> None:
        keep(self.kind_dir, payload)
        if self.webhook_url or self.apprise:
            # Off the batch's thread, and after the one before: a receiver hears an alert
            # before the resolved that ends its streak, never the other way round.
            before = self._threads[-1] if self._threads else None
            thread = threading.Thread(target=self._deliver, args=(payload, before), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _deliver(self, payload: dict[str, Any], before: threading.Thread | None) -> None:
        if before is not None:
            before.join()
        self.problems += send_now(payload, self.webhook_url, self.apprise)

    def close(self) -> list[str]:
        """Wait (briefly) for the POSTs under way; what went wrong with them."""
        deadline = time.monotonic() + SEND_TIMEOUT * 2 + 1
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in self._threads):
            return [*self.problems, "an alert was still being sent as the batch ended"]
        return list(self.problems)


class AlertingHooks(Hooks):
    """``hooks`` as they were, each finished item also heard by ``watch``; an alert's line is
    said through ``hooks.note`` (on the error stream)."""

    def __init__(self, hooks: Hooks, watch: AlertWatch):
        self.inner, self.watch = hooks, watch

    def __getattr__(self, name: str) -> Any:  # what the wrapped hooks carry besides
        return getattr(self.inner, name)

    def started(self, total: int) -> None:
        self.inner.started(total)

    def item_started(self, item: dict[str, Any]) -> None:
        self.inner.item_started(item)

    def item_fraction(self, item: dict[str, Any], doing: str, fraction: float) -> None:
        self.inner.item_fraction(item, doing, fraction)

    def note(self, line: str, *, warning: bool = False) -> None:
        self.inner.note(line, warning=warning)

    def item_finished(self, outcome: Outcome) -> None:
        self.inner.item_finished(outcome)
        try:
            line = self.watch.heard(outcome)
        except OSError as err:  # an alert never fails the batch
            line = f"Warning: an alert could not be recorded: {err}"
        if line:
            self.inner.note(line, warning=True)

    def finish(self) -> None:
        try:
            self.watch.ended()
        except OSError as err:  # an alert never fails the batch
            self.inner.note(f"Warning: an alert could not be recorded: {err}", warning=True)
        for problem in self.watch.close():
            self.inner.note(f"Warning: {problem}; the batch went on", warning=True)
