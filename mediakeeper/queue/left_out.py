"""The completed items that lack a rule plugin's findings (``details.plugins_left_out``: the
plugin was stopped at its time limit on them, or left out of their run), counted once and
said in one line, the same on every face: the queue manager's summary, the dashboard (its
text, page and JSON), the weekly report, ``serve``'s page and ``/api/queues``, ``sessions
show`` and the alert a batch raises. The next batches of the kind take them again by
themselves (``batch.selection.retake_left_out``), up to ``max_attempts`` runs in a row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediakeeper.core import kinds
from mediakeeper.core.kind_record import PLUGIN_RULE_TIMEOUT
from mediakeeper.queue.items import COMPLETED, plugins_left_out
from mediakeeper.text.commands import kind_command
from mediakeeper.text.wording import count

# A session's line of an item completed without a plugin's findings: which (one text).
WITHOUT_FINDINGS_OF = "without_findings_of"


def lacked_by(details: Mapping[str, Any]) -> list[str]:
    """The rule plugins whose findings an item completed with ``details`` (a job's result)
    lacks."""
    return plugins_left_out({"status": COMPLETED, "details": details})


def session_figures(details: Mapping[str, Any]) -> dict[str, str]:
    """What a session records of a completed item's ``details``: the rule plugins whose
    findings it lacks, if any, as a list (``sessions show`` counts each)."""
    plugins = lacked_by(details)
    return {WITHOUT_FINDINGS_OF: plugins} if plugins else {}


def recorded_without(figures: Mapping[str, Any]) -> list[str]:
    """The rule plugins a session's line of an item says it lacks (a record written before
    they were a list holds them joined in one text)."""
    plugins = figures.get(WITHOUT_FINDINGS_OF) or []
    return plugins.split(", ") if isinstance(plugins, str) else [str(p) for p in plugins]


@dataclass
class PluginsLeftOut:
    """One queue's completed items that lack a rule plugin's findings: how many, and how
    many lack each plugin's. Items are counted in (and, as a queue followed changes, out:
    ``sign`` -1), so every face reads the same figures."""

    items: int = 0
    by_plugin: Counter[str] = field(default_factory=Counter)

    def count(self, item: Mapping[str, Any], sign: int = 1) -> None:
        """``item`` counted (a completed one that lacks a plugin's findings; any other:
        nothing)."""
        self.count_plugins(plugins_left_out(item), sign)

    def count_plugins(self, plugins: Iterable[str], sign: int = 1) -> None:
        """An item that lacks the findings of ``plugins`` (none: nothing counted)."""
        named = set(plugins)
        if named:
            self.items += sign
            self.by_plugin.update(dict.fromkeys(named, sign))

    @property
    def plugins(self) -> list[str]:
        return sorted(plugin for plugin, n in self.by_plugin.items() if n > 0)

    def __bool__(self) -> bool:
        return self.items > 0

    def as_json(self) -> dict[str, Any]:
        return {"items": self.items, "plugins": self.plugins}

    def said(self, kind: str, home: Path | str | None = None) -> str:
        """The one line a person reads of them, with how they are taken again: ``home`` the
        data home named in the command (None: the current folder's)."""
        noun = kinds.noun(kind)
        lack = "lack" if self.items != 1 else "lacks"
        them = "them" if self.items != 1 else "it"
        batch = kind_command(kind, "batch", home)
        return (f"{count(self.items, noun)} {lack} the findings of {', '.join(self.plugins)} "
                f"(stopped at its time limit, or left out of a run): the next batches take "
                f"{them} again by themselves, up to [{kind}] max_attempts runs in a row; after "
                f"that mend the plugin or raise [{kind}] {PLUGIN_RULE_TIMEOUT}, and run each "
                f"with `{batch} --{noun} NAME`")  # fmt: skip


def plugins_left_out_of(items: Iterable[Mapping[str, Any]]) -> PluginsLeftOut:
    """``items`` (a queue's) counted."""
    found = PluginsLeftOut()
    for item in items:
        found.count(item)
    return found
