"""What needs a person: the one definition of a decision, and the one count of them.

A finding of severity error or warning is open while no fix of the run that found it
resolved it (``fixed``) and no person has decided or dismissed it since (``decided``). Info
findings are worth knowing, never a decision. A **decision** is one question a person
answers (``question``): one per item and code, per album where the finding is about an
album; fifteen tracks of an album at a low bit rate, or five files whose names disagree with
their tags, are one question each. An item that is done but not identified (a movie or an
artist whose lookup waits for ``--enrich``) asks one decision of its own (run it again),
counted the same whether or not it has other questions: so a decision taken never makes
another appear.

Every surface counts through here: a batch's lines, its closing lines and exit code, the
issue reports, their index, the dashboard (text and HTML) and the weekly report. "Failed"
is an item the batch could not finish (queue status ``error``); "error" is only ever the
severity of a finding. Pure: no I/O.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from mediakeeper.core import rule_plugins
from mediakeeper.core.bounded import SETTINGS_FILE, TooLarge, read_bounded, toml_of
from mediakeeper.core.errors import ConfigError
from mediakeeper.core.home import CONFIG_FILE

DECIDING = ("error", "warning")  # the severities that need a person
DISMISSED = "dismissed: left as it is"  # what a dismissal decided, as every face says it
# What no choice of the toolkit can mend: a copy worth replacing, listed as an upgrade
# (``reports.upgrades``), worst first, never a decision.
UPGRADES = ("low-bitrate", "lossy-origin", "clipping")
# The definition as every report words it.
MEANING = (
    "Open: a finding of severity error or warning that no fix of its run resolved and no one "
    "has decided yet. A decision is one question: an item's open findings of one code (of "
    "one album, where they are about an album) are one decision."
)


@lru_cache(maxsize=4096)
def severity_of(code: str) -> str:
    """A code's severity (an installed plugin's code as a built-in's); a code this
    installation does not know counts as a warning (better asked about than missed). Held
    per code: the plugins a process loads are loaded once (``rule_plugins.plugin_codes``),
    and every item of a queue asks it again for its codes."""
    return rule_plugins.severity_of(code) or "warning"


def is_open(finding: Mapping[str, Any]) -> bool:
    """Whether one finding record (``findings.finding_record``) is a decision."""
    code = str(finding.get("code"))
    severity = finding.get("severity") or severity_of(code)
    deciding = severity in DECIDING and code not in UPGRADES
    return deciding and not finding.get("fixed") and not finding.get("decided")


def question(finding: Mapping[str, Any]) -> tuple[str, str]:
    """The question a finding asks a person: its code, and its album where the finding is
    about an album (its path is the album's folder); ("code", "") otherwise."""
    album = str(finding.get("album") or "")
    return str(finding.get("code")), album if album and finding.get("path") == album else ""


def questions(findings: Iterable[Mapping[str, Any]], *, open_only: bool = True) -> int:
    """How many decisions the ``findings`` of one item ask for: their open questions (all
    their questions, open or not, without ``open_only``: what a decision closed)."""
    return len({question(f) for f in findings if is_open(f) or not open_only})


def settled(finding: Mapping[str, Any]) -> bool:
    """Resolved: fixed by its run, or decided by a person (a choice taken, or dismissed)."""
    return bool(finding.get("fixed") or finding.get("decided"))


def left_as_it_is(finding: Mapping[str, Any]) -> bool:
    """Settled by a dismissal (a person's, or a rule's), which writes nothing: the item's
    next scan finds it again, and the dismissal, while it stands, settles it again."""
    decided = finding.get("decided") or {}
    dismissal = decided.get("what") == DISMISSED or decided.get("by") == BY_RULE
    return dismissal and not finding.get("fixed")


def written(finding: Mapping[str, Any]) -> bool:
    """Settled by what was written to the item's files (its run's fix, a person's choice or
    value): the item's next scan does not find it again."""
    return settled(finding) and not left_as_it_is(finding)


def open_by_code(tallies: Mapping[str, Any] | None) -> dict[str, int]:
    """code -> open decisions, from an item's ``finding_counts`` (code -> [found, settled],
    and the open questions third where several open findings ask one)."""
    result = {}
    for code, (found, done, *asked) in (tallies or {}).items():
        if severity_of(code) in DECIDING and code not in UPGRADES and found > done:
            result[code] = asked[0] if asked else found - done
    return result


def open_codes(details: Mapping[str, Any] | None) -> frozenset[str] | None:
    """The codes an item's queue counts (``finding_counts`` in its ``details``) say are still
    open, of any severity; None when there are no counts to tell by (an item recorded before
    they were kept, or counts not as a job writes them): its output document says."""
    counts = (details or {}).get("finding_counts")
    if not isinstance(counts, Mapping):
        return None
    try:
        return frozenset(code for code, (found, done, *_) in counts.items() if found > done)
    except (TypeError, ValueError):
        return None


# An item's details key: the albums its open questions are about, by code, where one is
# about an album (``queue.items.albums_asked``); with its counts, its decisions' ids.
ALBUMS_ASKED = "albums_asked"


def questions_asked(details: Mapping[str, Any] | None, code: str) -> list[str] | None:
    """The albums of the item's open questions of ``code`` ("": its own), from its queue
    details alone; None when they do not tell (an item recorded before they did, or counts
    that disagree with them): its output document says."""
    details = details or {}
    albums = details.get(ALBUMS_ASKED)
    if not isinstance(albums, Mapping):
        return None
    asked = open_by_code(details.get("finding_counts")).get(code, 0)
    wheres = albums.get(code, [""] if asked else [])
    if not isinstance(wheres, list) or len(wheres) != asked:
        return None
    return [str(w) for w in wheres]


# A finding whose question is the item's identity itself (a movie's TMDb match): while it is
# open, the item's "not identified" is that question, not one more.
IDENTIFYING = ("ambiguous-match", "no-match")
# The code an item done but not identified asks under (no finding has it): its group's, and
# the one an item's open codes list beside its findings'. Its one choice, as its group lists
# it and as it is numbered: the item back to pending, for a batch online to identify.
UNIDENTIFIED = "unidentified"
AGAIN_ONLINE = "run it again online"
AGAIN_ONLINE_SAID = f"{AGAIN_ONLINE} (back to pending: the next batch, online, identifies it)"


def asks_identity(unidentified: Any, codes: Iterable[str]) -> bool:
    """Whether an item not identified (``unidentified``: why, "" when it is) asks that as a
    question of its own, beside its open ``codes``: always, but where one of them asks it."""
    return bool(unidentified) and not set(codes) & set(IDENTIFYING)


def not_identified(details: Mapping[str, Any] | None) -> bool:
    """Whether a completed item, by its queue details, asks its identity as a question of
    its own (``asks_identity``)."""
    details = details or {}
    return asks_identity(details.get("unidentified"), open_by_code(details.get("finding_counts")))


def unidentified_question(name: str) -> str:
    """That question, in words."""
    return f"{name} is done but not identified: {AGAIN_ONLINE}?"


def item_decisions(details: Mapping[str, Any] | None) -> int:
    """How many decisions one completed item asks for, from its queue details: its open
    questions, and one more when it is not identified (``asks_identity``), counted so
    whatever else it asks."""
    details = details or {}
    return decisions_of(open_by_code(details.get("finding_counts")), details.get("unidentified"))


def decisions_of(found: Mapping[str, int], unidentified: Any) -> int:
    """``item_decisions`` from the item's open decisions by code (``open_by_code``), for a
    caller that has them already."""
    return sum(found.values()) + asks_identity(unidentified, found)


def status_word(status: str) -> str:
    """A queue status as every surface says it: an item the batch could not finish (status
    ``error``, the queue's contract) "failed", since "error" is only a finding's severity."""
    return "failed" if status == "error" else status.replace("_", " ")


def stage_word(stage: str, message: str = "") -> str:
    """Where an item failed, as every surface says it: a staged kind records its failure as
    ``failed_<stage>`` (the queue's contract), said "converting" where a person reads "failed
    at converting"; ``deleting_originals`` is "deleting originals". Nothing where the
    failure's ``message`` opens by naming it already (a pipeline's names its step: "step 1
    (to-opus): ..."; a step's name is its own, underscores and all), so no face says it
    twice."""
    name = stage.removeprefix("failed_")
    words = name.replace("_", " ")
    head = message.partition(": ")[0]
    return "" if name and (words in head or name in head) else words


# ---- rules: a person's answer recorded once for every later finding of a code ---------------

RULES = "decisions"  # the table of mediakeeper.toml holding them: code = "dismiss"
ANSWERS = ("dismiss",)  # what a rule may answer: the one choice every code has
BY_RULE = "rule"  # who decided a finding a rule settled (its ``decided`` record's "by")


def check_rules(table: Any, where: str) -> dict[str, str]:
    """The ``[decisions]`` table of ``where`` (a mediakeeper.toml) as code -> answer; a code
    this installation does not know, or an answer no rule can give, a one-line ConfigError
    (exit 2): a rule that silently matched nothing would leave its findings asked forever."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: '{RULES}' must be a [{RULES}] table, not a value")
    rules = {}
    for code, answer in table.items():
        if rule_plugins.code_of(code) is None:
            raise ConfigError(f"{where}: [{RULES}] names the unknown code {code!r}",
                              "docs/findings.md lists the codes")  # fmt: skip
        if answer not in ANSWERS:
            raise ConfigError(f"{where}: [{RULES}] {code} = {answer!r} is not an answer",
                              f"a rule answers one of: {', '.join(ANSWERS)}")  # fmt: skip
        rules[code] = answer
    return rules


def rules_in(home: Path) -> dict[str, str]:
    """The data home's rules (code -> answer), checked; none when it has no settings file."""
    path = home / CONFIG_FILE
    try:  # read as ``config`` reads it: bounded (``core.bounded``)
        text = read_bounded(path, SETTINGS_FILE, "settings file").decode("utf-8")
    except FileNotFoundError:
        return {}
    except TooLarge as err:
        raise ConfigError(str(err)) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot be read: {err}") from None
    try:
        table = toml_of(text).get(RULES, {})
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    return check_rules(table, str(path))


def by_rule(code: str, answer: str, at: str) -> dict[str, str]:
    """The ``decided`` record of a finding the rule ``code = answer`` settled ``at`` (no
    session: the batch's own)."""
    what = f'{answer}ed by the rule {code} = "{answer}" in {CONFIG_FILE}'
    return {"what": what, "by": BY_RULE, "at": at, "session": ""}
