"""A finding as the run's writes left it: fixed when every tag its fix sets was written (its
own change, or the one a later stage settled on for the same tag: ``fixplan.Plan.settle``
notes those as ``settled_elsewhere``), else with why its planned fix was not written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from mediakeeper.changes.change import TagChange
from mediakeeper.core.findings import Finding


def _fixed(finding: Finding, slots: Mapping[tuple[str, str], TagChange], written: set[str]) -> bool:
    """Every tag its fix would set was written by this run (its own change, or the one a later
    stage settled on for the same tag: ``fixplan.Plan``), so nothing is left to decide; or,
    for a finding that any rewrite of its file resolves (details["resolved_by_rewrite"], a
    legacy ID3v1 tag), its file was written."""
    if finding.details.get("resolved_by_rewrite"):
        return finding.path in written
    wanted = _slots_of(finding)
    return bool(wanted) and all(slot in slots for slot in wanted)


def _slots_of(finding: Finding) -> list[tuple[str, str]]:
    """The (file, tag) its fix sets: its own changes', and those that a later stage's fix
    took over (``fixplan.Plan.settle``)."""
    own = [(c.path, c.tag) for c in finding.changes]
    return own + [(path, tag) for path, tag in finding.details.get("settled_elsewhere", ())]


def _why_not(finding: Finding, refused: Mapping[TagChange, str]) -> str | None:
    """Why a fix planned for the finding was not written, if one was refused."""
    for change in finding.changes:
        if change in refused:
            return refused[change]
    return None


def settled(
    finding: Finding,
    slots: Mapping[tuple[str, str], TagChange],
    written: set[str],
    refused: Mapping[TagChange, str],
) -> Finding:
    """The finding as the writes left it: fixed (with the changes actually written for its
    tags, which the report shows), or with why its planned fix was not written."""
    if _fixed(finding, slots, written):
        made = tuple(slots[slot] for slot in _slots_of(finding) if slot in slots)
        return replace(finding, fixed=True, changes=made)
    why = _why_not(finding, refused)
    return finding if why is None else replace(finding, not_written=why)
