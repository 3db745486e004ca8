"""The registry of media kinds: one line per kind, in the order reports and the command line
list them. Each kind's record is ``KIND`` in its own package (``mediakeeper/<kind>/kind.py``);
what a record holds is ``core/kind.py``. The queue engine, batch runner, queue manager,
reports and command line read these records and keep no per-kind tables of their own.

Adding a kind: its package (record, job, rules, outputs, ``cli.py``), one line below, its
tests (docs/architecture.md, "Add a kind").
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from mediakeeper.audiobooks.kind import KIND as AUDIOBOOKS
from mediakeeper.conversions.kind import KIND as CONVERSIONS
from mediakeeper.core.kind import COMMON_SETTINGS, ISSUES, TRACKS, Counter, Kind, Limit, Makes, load
from mediakeeper.movies.kind import KIND as MOVIES
from mediakeeper.music.kind import KIND as MUSIC
from mediakeeper.verify.kind import KIND as VERIFY

__all__ = ["COMMON_SETTINGS", "ISSUES", "TRACKS", "Counter", "Kind", "Limit", "Makes", "load"]

_REGISTERED: dict[str, Kind] = {
    k.name: k for k in (MUSIC, MOVIES, CONVERSIONS, AUDIOBOOKS, VERIFY)
}
# In the order reports and the command line list them.
KINDS: Mapping[str, Kind] = MappingProxyType(_REGISTERED)


def register(kind: Kind) -> None:
    """Add a kind made at run time (a pipeline's). Settings loaded before know no section
    for it: register it before ``load_settings``."""
    _REGISTERED[kind.name] = kind


def unregister(name: str) -> None:
    _REGISTERED.pop(name, None)


def all_counters() -> tuple[Counter, ...]:
    """Every counter any kind has, in a stable order: what a batch's session summary and a
    queue summary add up (a kind without one adds 0, as a movie's tracks)."""
    return tuple(dict.fromkeys(c for k in KINDS.values() for c in k.counters))


def get(name: str) -> Kind:
    """The record of kind ``name``. A queue of a kind this version does not know (written by
    a newer one, or a test's) still gets a record: items one level down, called "item"."""
    known = KINDS.get(name)
    if known is not None:
        return known
    return Kind(
        name=name,
        noun="item",
        label=name.capitalize(),
        job="",
        report_template="",
    )


def noun(name: str) -> str:
    return get(name).noun
