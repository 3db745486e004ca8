"""What every kind reports in the same words: the one ``Finding``, the JSON record the outputs
store for it, and the one table of finding codes (severity, kind, what the code means),
gathered from the kinds' records (each declares its own codes: ``Kind.findings``).

Shared vocabulary, a low layer: nothing here imports from ``music/`` or ``movies/``. The codes
are a public contract; ``docs/findings.md`` is their reference list, and a test keeps it equal
to :data:`CODES`. Severity: error, the item is broken or unidentifiable; warning, wrong or
incomplete data a player or a lookup trips over (with errors, what needs a person); info,
worth knowing, often deliberate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mediakeeper.core.kinds import KINDS as _REGISTERED

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Code:
    severity: str
    kind: str
    means: str  # one line for a person; docs/findings.md's "what it means" says the same
    also: tuple[str, ...] = ()  # other kinds that report the same code, in the same sense

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.kind, *self.also)


def _codes(kind: str, table: Mapping[str, tuple[str, str]]) -> dict[str, Code]:
    return {code: Code(severity, kind, means) for code, (severity, means) in table.items()}


# Every code once, from every registered kind's record (``Kind.findings``: by who reports it,
# the kind or its lookups, "enrichment"). Paths in findings are relative to the item's folder
# ("" = the item itself). A code two report keeps one entry (its meaning is the same) naming
# both.
CODES: dict[str, Code] = {}
for _kind in _REGISTERED.values():
    for _source, _table in _kind.findings.items():
        for _code, _entry in _codes(_source, _table).items():
            if _code in CODES:
                CODES[_code] = replace(CODES[_code], also=(*CODES[_code].also, _source))
            else:
                CODES[_code] = _entry
# Who reports a code: an artist folder's own checks, its lookups (MusicBrainz, AcoustID), a
# movie folder, an album conversion, an audiobook, an album's integrity check.
KINDS = tuple(dict.fromkeys(s for k in _REGISTERED.values() for s in k.findings))

SEVERITY: dict[str, str] = {code: entry.severity for code, entry in CODES.items()}


def codes_of(kind: str) -> list[str]:
    """The codes one kind reports, in the table's order."""
    return [code for code, entry in CODES.items() if kind in entry.kinds]


@dataclass(frozen=True)
class Finding:
    """One thing found about an item that a person may want to know.

    ``path`` is the file or folder it concerns, relative to the item's folder ("" for the item
    itself); ``album`` the album folder it belongs to, for kinds that group by album ("" else).
    ``changes`` is the safe fix when there is one (the kind's change records, dataclasses):
    a finding with changes is ``fixable``. ``fixed`` says the fix was written; ``not_written``
    why a planned fix was not.
    """

    code: str
    severity: str
    path: str
    message: str
    album: str = ""
    changes: tuple[Any, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    fixed: bool = False
    not_written: str | None = None

    @property
    def fixable(self) -> bool:
        return bool(self.changes)


def finding_of(code: str, path: str, message: str, **fields: Any) -> Finding:
    """A finding of ``code`` with the table's severity (a code missing from it: KeyError)."""
    return Finding(code, SEVERITY[code], path, message, **fields)


def finding_record(finding: Finding) -> dict[str, Any]:
    """A finding as the outputs store it and the reports read it: the same keys for every
    kind (``code``, ``severity``, ``path``, ``album``, ``message``, ``fixable``, ``fixed``,
    ``not_written``, ``changes``, ``details``)."""
    return {
        "code": finding.code,
        "severity": finding.severity,
        "path": finding.path,
        "album": finding.album,
        "message": finding.message,
        "fixable": finding.fixable,
        "fixed": finding.fixed,
        "not_written": finding.not_written,
        "changes": [vars(c).copy() for c in finding.changes],
        "details": dict(finding.details),
    }
