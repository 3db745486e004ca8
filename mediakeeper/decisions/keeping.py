"""A duplicate group decided (its choices: ``dupes``): keeping a copy is a set-aside session
(``copies``: the kept copy first gains the tags and cover it lacks); keeping all is a decision
session (``sessions``) whose undo asks again. A whole group's choice, keep the best or keep
all, is one session too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.decisions import copies, sessions
from mediakeeper.decisions.answering import new_session
from mediakeeper.decisions.dupes import code_of, numbered, open_groups
from mediakeeper.decisions.item import DecideError
from mediakeeper.dupes import kept
from mediakeeper.dupes import saved as found_groups
from mediakeeper.dupes.kind import KIND
from mediakeeper.dupes.questions import KEEP_ALL, KEEP_BEST
from mediakeeper.reports.closing import write_closing_reports


@dataclass
class Taken:
    """What a dupes decision did: the groups decided, the set-aside (keeping a copy) or the
    groups kept whole (keeping all); ``session``, what ``undo --session`` takes."""

    session: str
    what: str
    groups: int
    set_aside: copies.SetAside | None = None
    kept_whole: list[str] = field(default_factory=list)


def take(home: Path, group: dict[str, Any], *, choose: int | None = None,
         dismiss: str = "") -> Taken:  # fmt: skip
    """One group decided: choice ``choose`` of ``choices``, or ``dismiss`` its code (keep all)."""
    if dismiss and dismiss != code_of(group):
        raise DecideError(f"{group['id']} asks {code_of(group)}, not {dismiss}")
    if not choose and not dismiss:
        raise DecideError("give --choose N or --dismiss CODE")
    choice = numbered(group, choose) if choose is not None else None
    if dismiss or not choice.keep:  # keep all
        return keep_all(home, [group])
    done = copies.set_aside(home, [group["id"]], keepers={group["id"]: choice.keep})
    return Taken(_session(done), f"kept {choice.keep}", done.closed, set_aside=done)


def take_group(home: Path, code: str, *, choose: int | None = None,
               remember: bool = False) -> Taken:  # fmt: skip
    """Every open group of ``code`` decided as one session: keep the best (``choose`` 1) or
    keep all (``choose`` 2, or None: a dismissal)."""
    asking = asked(home, code, choose=choose, remember=remember)
    if choose == 1:
        done = copies.set_aside(home, [g["id"] for g in asking])
        return Taken(_session(done), KEEP_BEST, done.closed, set_aside=done)
    return keep_all(home, asking)


def asked(home: Path, code: str, *, choose: int | None = None,
          remember: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    """The open groups of ``code`` a whole level's answer takes, its dry run's as its own; or
    why it cannot be taken (``DecideError``)."""
    if remember:
        raise DecideError("keep all is remembered group by group already; --remember records "
                          "a rule for a finding code")  # fmt: skip
    found = open_groups(home, code)
    if not found:
        raise DecideError(f"no open {code!r} decision in dupes", "`decide` lists the groups")
    if choose is not None and choose not in (1, 2):
        raise DecideError(f"choice {choose} of {code} is a copy of each group's own",
                          "decide each group: decide dupes ID --choose N")  # fmt: skip
    return found


def _session(done: copies.SetAside) -> str:
    """The set-aside's session, when it changed anything ("": nothing to undo)."""
    return done.session if done.moved or done.tagged else ""


def keep_all(home: Path, chosen: Sequence[dict[str, Any]]) -> Taken:
    """The groups ``chosen`` kept whole, as one session (recorded: its undo asks again)."""
    session = new_session(home)
    every = found_groups.load_groups(home) or []
    added = kept.keep(home, every, [g["id"] for g in chosen], session)
    if added:
        codes = ",".join(sorted({code_of(g) for g in chosen}))
        sessions.record(home, KIND.name, session, codes, added, "")
        write_closing_reports(home, datetime.now(UTC))  # the space left to free
    return Taken(session if added else "", KEEP_ALL, len(added), kept_whole=added)
