"""What needs a person, item by item: the open findings of every completed item and the items
completed but not identified (movies offline or without a match). Pure: records in, a list out.
The queues' errors and skipped items are listed beside it, with their messages and the
commands that retry them (``progress.outstanding``).

"Open" is ``mediakeeper.core.decisions``' one definition (info findings are worth knowing, not a
decision). Each open finding is one decision; the list leads with the items
that have an error-level one, then the rest, each with its open codes and the path of its
issue report under the data home. It is the queues' now, whichever week a report is about.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mediakeeper.core import kinds, rule_plugins
from mediakeeper.core.decisions import decisions_of, open_by_code, severity_of
from mediakeeper.core.findings import SEVERITIES
from mediakeeper.fs.reports import INDEX
from mediakeeper.reports.pace import nouns, one_line
from mediakeeper.reports.records import OUTPUT_DIRS, Findings
from mediakeeper.text.slug import slugify
from mediakeeper.text.wording import count

ERROR_LEVEL, WARNING_LEVEL = 0, 1
# An item whose folder the queue's refresh found gone (``missing``): asks nothing, and the
# issue index and the upgrades list say it missing rather than list it as if it were there.
MISSING_WHY = "the queue's refresh found it gone; a refresh once it is back lists it again"


@lru_cache(maxsize=4096)  # per code, as ``core.decisions.severity_of``
def severity_rank(code: str) -> int:
    """error 0, warning 1, info 2 (a plugin's code as a built-in's); a code this installation
    does not know after them."""
    severity = rule_plugins.severity_of(code)
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


@dataclass(frozen=True)
class OpenCode:
    code: str
    severity: str
    open: int  # how many findings of this code are open on the item


@dataclass(frozen=True)
class NeedsYou:
    """One item and what it asks of a person."""

    kind: str
    name: str
    level: int  # ERROR_LEVEL or WARNING_LEVEL
    codes: tuple[OpenCode, ...]  # error codes first, then warnings, then by name
    note: str  # why the item is not identified ("": it is)
    report: str  # its issue report, relative to the data home ("": none yet)
    decisions: int  # decisions.item_decisions: its open findings, or 1 for an unidentified item

    def codes_text(self) -> str:
        """``unreadable-file, track-gap ×2``."""
        return ", ".join(c.code + (f" ×{c.open}" if c.open > 1 else "") for c in self.codes)


@dataclass(frozen=True)
class KindAttention:
    kind: str
    noun: str
    plural: str
    items: tuple[NeedsYou, ...]
    index: str  # issues/<kind>/index.md when it is on disk ("": not written yet)

    @property
    def decisions(self) -> int:
        return sum(i.decisions for i in self.items)

    @property
    def errors(self) -> tuple[NeedsYou, ...]:
        return tuple(i for i in self.items if i.level == ERROR_LEVEL)

    @property
    def warnings(self) -> tuple[NeedsYou, ...]:
        return tuple(i for i in self.items if i.level != ERROR_LEVEL)

    def headline(self) -> str:
        """``9 decisions in 6 artists``."""
        return (
            f"{count(self.decisions, 'decision')} in "
            f"{count(len(self.items), self.noun, self.plural)}"
        )


def open_codes(opened: Mapping[str, int]) -> tuple[OpenCode, ...]:
    """The item's open codes from its open decisions by code (``open_by_code``)."""
    found = [OpenCode(code, severity_of(code), n) for code, n in opened.items()]
    return tuple(sorted(found, key=lambda c: (severity_rank(c.code), c.code)))


def report_path(kind: str, item: Mapping[str, Any]) -> str:
    """Where an item's issue report is written, relative to the data home."""
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    slug = details.get("slug") or slugify(str(item["key"]))
    return f"issues/{kind}/{slug}.md"


def need_of(kind: str, item: Mapping[str, Any], findings: Findings | None) -> NeedsYou | None:
    """What the completed ``item`` of ``kind`` asks of a person (``findings``: its own,
    counted by code), or None."""
    opened = open_by_code(findings)  # asked once: for its codes and its decisions both
    codes = open_codes(opened)
    why = (item.get("details") or {}).get("unidentified") or ""
    decisions = decisions_of(opened, why)
    if not decisions:
        return None
    name = str(item.get("name") or item.get("key"))
    level = ERROR_LEVEL if any(c.severity == "error" for c in codes) else WARNING_LEVEL
    note = one_line(str(why))  # says itself that it is not identified, and what to do
    reports = kind in OUTPUT_DIRS and bool(kinds.get(kind).report_template)
    report = report_path(kind, item) if reports else ""
    return NeedsYou(kind, name, level, codes, note, report, decisions)


def kind_attention(kind: str, needs: Iterable[NeedsYou], indexes: Collection[str]):
    """What needs a person in one queue: errors first, then by how many decisions, then by
    name. ``indexes``: the kinds whose issue index is on disk."""
    items = sorted(needs, key=lambda i: (i.level, -i.decisions, i.name.casefold(), i.name))
    noun, plural = nouns(kind)
    index = f"issues/{kind}/{INDEX}" if kind in indexes else ""
    return KindAttention(kind, noun, plural, tuple(items), index)
