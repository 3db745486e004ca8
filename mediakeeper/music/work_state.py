"""An artist's plan as its work file holds it (plain JSON), so a killed run resumes it exactly:
tracks as rows, findings and changes as their fields."""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from typing import Any

from mediakeeper.changes.change import TagChange
from mediakeeper.core.findings import Finding
from mediakeeper.music.model import Track

# A track in the work file: its fields in order, a list rather than a record (read back only
# by decoded, it need not name them).
_TRACK_ROW = attrgetter(*(f.name for f in fields(Track)))


def encoded(state: dict[str, Any]) -> dict[str, Any]:
    """The state as the work file holds it (plain JSON)."""
    return {
        **state,
        "tracks": [_TRACK_ROW(t) for t in state["tracks"]],
        "findings": [_finding_to_dict(f) for f in state["findings"]],
        "changes": [vars(c).copy() for c in state["changes"]],
    }


def decoded(saved: dict[str, Any]) -> dict[str, Any]:
    return {
        **saved,
        # A record: a work file left by a version before rows, resumed after an upgrade.
        "tracks": [Track(**t) if isinstance(t, dict) else Track(*t) for t in saved["tracks"]],
        "findings": [_finding_from_dict(f) for f in saved["findings"]],
        "changes": [TagChange(**c) for c in saved["changes"]],
    }


def _finding_to_dict(finding: Finding) -> dict[str, Any]:
    data = vars(finding).copy()
    data["changes"] = [vars(c).copy() for c in finding.changes]
    data["details"] = dict(finding.details)  # tuples and sets: lists in the work file
    return data


def _finding_from_dict(data: dict[str, Any]) -> Finding:
    changes = tuple(TagChange(**c) for c in data["changes"])
    return Finding(**{**data, "changes": changes})
