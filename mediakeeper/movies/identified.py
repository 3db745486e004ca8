"""Whether a completed movie is identified, and if not, the person's next step: what its
queue details keep as ``unidentified`` (one decision where it has no open finding of its
own), said again whenever its match findings are decided or reopened (``decide``, undo)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mediakeeper.movies import rules
from mediakeeper.text.commands import kind_command, last_name, queue_manager, tool_command
from mediakeeper.text.visible import shell_word

BY_ID, OFFLINE, NOT_LOOKED_UP = "by-id", "offline", "not-looked-up"
UNUSABLE = "lookup-failed"  # TMDb answered, with something this movie's lookup cannot use
MATCH_CODES = (rules.AMBIGUOUS_MATCH, rules.NO_MATCH_CODE)


def unidentified(
    match: Mapping[str, Any], name: str, home: Path, findings: Iterable[Mapping[str, Any]] = ()
) -> str:
    """Why a completed movie is not identified, as the person's next step; "" when it is
    (or when there is nothing to identify: no video file is its own finding), and when a
    person decided its match finding (dismissed it, or a rule did: left unidentified)."""
    status = match["status"]
    enrich = f"`{kind_command('movies', 'batch', home)} --enrich`"
    if status == OFFLINE:
        return f"not identified yet (offline): {enrich} looks it up"
    choose = f"`{queue_manager('movies', home)} --choose {shell_word(name)} ID`"
    if status == UNUSABLE:
        why = match["why"]
        return f"not identified: {why}; {enrich} asks again, or give its TMDb id with {choose}"
    if any(f.get("code") in MATCH_CODES and f.get("decided") for f in findings):
        return ""
    if status == rules.NO_MATCH:  # nothing to list: TMDb proposed none
        return f"no TMDb match: its report says what was searched; give its TMDb id with {choose}"
    if status == rules.AMBIGUOUS:
        decide = f"`{tool_command('decide', home)} movies {last_name(name)}`"
        return f"several TMDb movies fit: {decide} lists them to take one"
    return ""
