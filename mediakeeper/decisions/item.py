"""One item's open decisions (``mediakeeper.core.decisions``), one per question, each with
what its kind says of it (``core.questions``: its words, its evidence, its choices numbered
within it), read from the item's output document; and every item awaiting one. Nothing here
writes: a person's answer is taken by ``answering``, so a listing loads none of the writing
machinery (the tag library, the change journal, the reports it writes again).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediakeeper.changes.change import TagChange
from mediakeeper.core import kinds
from mediakeeper.core.config import load_settings
from mediakeeper.core.decisions import (
    AGAIN_ONLINE_SAID,
    UNIDENTIFIED,
    is_open,
    not_identified,
    open_codes,
    question,
    unidentified_question,
)
from mediakeeper.core.errors import MediakeeperError, NotFound
from mediakeeper.core.questions import DEFAULT, RESTORE, WRITE, Asked, Questions, tag_of
from mediakeeper.decisions import ids
from mediakeeper.queue import dismissals
from mediakeeper.queue.items import COMPLETED, asked_details, is_live, kept_fixes
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.attention import NeedsYou, severity_rank
from mediakeeper.reports.records import gather, kinds_in, read_output
from mediakeeper.reports.tally import attention
from mediakeeper.text.cut import echoed
from mediakeeper.text.fold import fold, unicode_form, unicode_twins
from mediakeeper.text.matching import find_name
from mediakeeper.text.visible import quoted, shell_word_exact
from mediakeeper.text.wording import count

if TYPE_CHECKING:
    from mediakeeper.changes.swaps import Good
    from mediakeeper.decisions.backups import Backups

SCOPES = ("decision", "album", "item")  # what a typed value is written to: see ``answering``


class DecideError(MediakeeperError):
    """A name that matches nothing or several items, a choice not listed, a bad value."""


class DoesNotFit(DecideError):
    """An answer its decision cannot take as given: a value not of its tag's type or past its
    bound, a tag no kind's files hold, a scope that is none (the web's 400, not a 404)."""


class Stale(DecideError):
    """A decision no longer asked as it was shown: taken already, or its files changed since."""


@dataclass(frozen=True)
class Choice:
    number: int  # within its decision, as listed
    label: str
    changes: tuple[TagChange, ...]
    act: str = WRITE  # what the engine does (``core.questions``)
    value: Any = None  # what the act needs: a good copy, a TMDb id
    file: str = ""  # the one file it is about, when its decision concerns several

    @property
    def copy(self) -> Good | None:
        """A restore's good copy."""
        return self.value if self.act == RESTORE else None


@dataclass(frozen=True)
class Decision:
    """One question of one item (``core.decisions.question``): its open findings, its
    choices numbered within it, and what its kind says of it (``core.questions``)."""

    id: str
    code: str
    where: str  # the album it is about ("": the item, or files of it)
    ats: tuple[int, ...]  # its findings' places in the output document's findings
    findings: tuple[Mapping[str, Any], ...]
    choices: tuple[Choice, ...]
    words: str
    files: tuple[str, ...]
    evidence: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""  # where a restore's copy is, or why none is offered
    tag: str = ""  # the tag a typed value sets ("": none can be typed)
    item: str = ""  # its item's name, as messages say it

    @property
    def finding(self) -> Mapping[str, Any]:
        return self.findings[0]

    @property
    def severity(self) -> str:
        return "error" if any(f.get("severity") == "error" for f in self.findings) else "warning"

    def choice(self, number: int) -> Choice:
        if not 1 <= number <= len(self.choices):
            raise DecideError(f"{self.item} has no choice {number} ({self.code})",
                              self.other_ways())  # fmt: skip
        return self.choices[number - 1]

    def other_ways(self) -> str:
        """What can be given instead of a choice it does not have: its choices, or where it
        has none numbered, a typed value (where one can be) or a dismissal."""
        if self.choices:
            return "its choices: " + "; ".join(f"{c.number}) {c.label}" for c in self.choices)
        ways = [f"--set {self.tag}=VALUE"] if self.tag else []
        return "it has no numbered choice: give " + " or ".join([*ways, f"--dismiss {self.code}"])


@dataclass
class ItemDecisions:
    """One item's output document and its open decisions, each with its choices."""

    kind: str
    item: dict[str, Any]
    document: dict[str, Any]
    decisions: list[Decision] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.item.get("name") or self.item["key"])

    @property
    def closed_by_pending(self) -> list[Decision]:
        """What sending the item back to pending closes (verify again, a movie's candidate,
        an item not identified run again): every decision it asks, a pending item asking
        none; its next batch asks anew what it still finds."""
        return list(self.decisions)

    def by_id(self, wanted: str) -> Decision | None:
        return next((d for d in self.decisions if d.id == wanted), None)

    def of_code(self, code: str, album: str | None = None) -> list[Decision]:
        album = self.album_meant(album)
        return [d for d in self.decisions if d.code == code
                and (album is None or _same_album(d, album))]  # fmt: skip

    def taken(self, code: str) -> dict[str, Any] | None:
        """How its ``code`` decision was taken, where it was (what, by whom, when, in which
        session): its document's finding, else its dismissal in the queue's details."""
        for finding in self.document.get("findings") or []:
            if finding.get("code") == code and finding.get("decided"):
                return dict(finding["decided"])
        dismissed = ((self.item.get("details") or {}).get(dismissals.KEY) or {}).get(code)
        return dict(dismissed["decided"]) if dismissed and dismissed.get("decided") else None

    def album_meant(self, album: str | None) -> str | None:
        """The album of this item an ``--album`` means, found as every NAME is found (case,
        accents and spacing aside, or the start of just one: "1997" is "1997 - Homogenic")
        among its folders' and its tags' album names; DecideError when none or several fit."""
        if album is None:
            return None
        folders: dict[str, str] = {}  # each name an album goes by -> its folder's
        for t in self.document.get("tracks") or []:
            for name in (t.get("album"), (t.get("tags") or {}).get("album")):
                folders.setdefault(str(name or ""), str(t.get("album") or ""))
        for d in self.decisions:
            for name in (d.where, *(str(f.get("album") or "") for f in d.findings)):
                folders.setdefault(name, name)
        try:
            named = find_name(album, filter(None, folders), missing=f"{self.name} has no album "
                              f"{echoed(album)!r}", otherwise="its issue report names them")
        except NotFound as err:  # none, or several: the person's to mend, as a name is
            raise DecideError(err.message, err.hint) from None
        return folders[named] or named

    def only(self, code: str | None = None, album: str | None = None) -> Decision:
        """The one decision (of ``code``, of ``album``) a choice number is counted in;
        DecideError naming them when there are several, or none."""
        found = self.of_code(code, album) if code else self.decisions
        if len(found) == 1:
            return found[0]
        if not found:
            what = f" {code!r}" if code else ""
            raise DecideError(f"{self.name} has no open{what} decision",
                              "`decide KIND NAME` lists them")  # fmt: skip
        codes = ", ".join(dict.fromkeys(d.code for d in found))
        raise DecideError(f"{self.name} has {len(found)} open decisions ({codes}): a choice's "
                          "number counts within one", "give --code CODE (and --album) or --id ID")


def _same_album(decision: Decision, album: str) -> bool:
    return fold(album) in {fold(decision.where), *(fold(str(f.get("album") or ""))
                                                  for f in decision.findings)}  # fmt: skip


def listing(home: Path) -> list[NeedsYou]:
    """Every item awaiting a decision, worst first: error-level ones of every kind, then the
    rest, each by how many decisions, then by name (``reports.attention``)."""
    return listed(home)[0]


def listed(home: Path) -> tuple[list[NeedsYou], dict[str, str]]:
    """``listing``, and the queues it could not read: kind -> why (what asks of them is not
    known, so it must be said beside the list, never left out of it unsaid)."""
    records = gather(home, changes_too=False)
    items = [i for kind in attention(records) for i in kind.items]
    needs = sorted(items, key=lambda i: (i.level, -i.decisions, i.name.casefold(), i.kind))
    return needs, {q.kind: q.problem for q in records.queues if q.problem}


def find_item(home: Path, kind: str, name: str) -> dict[str, Any]:
    """The completed item ``name`` means, found as every command finds a name
    (``text.matching``: case, accents and spacing aside, or the start of just one name);
    DecideError (a usage error) naming the candidates otherwise (two folders of one name in
    two Unicode forms, each with the ``decide`` that reaches it)."""
    items, held = _completed_and_held(home, kind)
    try:
        missing = f"no completed {kinds.noun(kind)} called {echoed(name)!r}"
        found = find_name(name, items, missing=missing,
                          otherwise="`decide` lists those with decisions",
                          word=lambda twin: _decide_word(kind, twin))  # fmt: skip
    except NotFound as err:  # a name that fits none, or several: the person's to mend
        unfit = err
    else:
        return items[found]
    with suppress(NotFound):  # unless it is one a batch has in hand: that is what to say
        refuse_if_processing(kind, held[find_name(name, held, missing="", otherwise="")])
    raise DecideError(unfit.message, unfit.hint)


def _completed_and_held(home: Path, kind: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """The queue's completed items by name (what ``decide`` answers), and those a running
    batch holds."""
    store = QueueStore(home / "status" / kinds.get(kind).name, kind)
    if not store.exists():
        raise DecideError(f"no {kind} queue in {home}", "run a batch first")
    items: dict[str, dict[str, Any]] = {}
    held: dict[str, dict[str, Any]] = {}
    for item in store.peek()["items"]:
        if item.get("status") == COMPLETED or is_live(item):
            named = items if item.get("status") == COMPLETED else held
            named.setdefault(str(item.get("name") or item["key"]), item)
    return items, held


def twins_said(home: Path, kind: str, item: Mapping[str, Any]) -> list[str]:
    """A line for each completed item that is ``item``'s name in another Unicode form (a
    folder copied from a Mac beside its twin): one looks like the other in every list, so
    it is said, with the word that reaches it."""
    name = str(item.get("name") or item["key"])
    return [f"Also {quoted(twin)} ({unicode_form(twin)}), another folder of this name in "
            f"another Unicode form: {_decide_word(kind, twin)} shows its decisions"
            for twin in unicode_twins(name, _completed_and_held(home, kind)[0])]  # fmt: skip


def _decide_word(kind: str, name: str) -> str:
    return f"`decide {kind} {shell_word_exact(name)}`"


def refuse_if_processing(kind: str, item: Mapping[str, Any]) -> None:
    """An item a running batch holds is being checked again: the decisions it was asked are
    asked anew when it completes, and its files are the batch's meanwhile. Stale, naming
    the batch."""
    if is_live(item):
        claim = item.get("claimed_by") or {}
        raise Stale(
            f"{echoed(str(item.get('name') or item['key']))!r} is being processed right now by "
            f"a {kind} batch (pid {claim.get('pid')}, session {claim.get('session')})",
            "its decisions are asked again when it completes: wait for that batch to finish, "
            "then `decide` lists what is open",
        )


def questions_of(kind: str) -> Questions:
    """What ``kind`` declares about its decisions: what its record points at (its package's
    ``questions.QUESTIONS``, ``core.questions``), or the default (its findings' words, no
    choice but dismissing)."""
    record = kinds.get(kind)
    return record.questions() if record.questions is not None else DEFAULT


def item_decisions(home: Path, kind: str, item: dict[str, Any], *, full: bool = True,
                   codes: Collection[str] | None = None) -> ItemDecisions:  # fmt: skip
    """The item's open decisions, one per question, choices numbered within each, from its
    output document and what its kind declares (``questions_of``); without ``full``, their
    ids and words only (a listing's: no good copy looked for, no evidence gathered);
    ``codes``: those of these codes alone (a group's: the others' choices not made)."""
    document = read_output(home, kind, item)
    if document is None:
        raise DecideError(f"no readable output for {item.get('name')!r}", "run it again")
    result = ItemDecisions(kind, item, document)
    asks = questions_of(kind)
    good = _good_copies(home, item)
    by_question: dict[tuple[str, str], list[int]] = {}
    for at, finding in enumerate(document.get("findings") or []):
        if is_open(finding) and (codes is None or finding.get("code") in codes):
            by_question.setdefault(question(finding), []).append(at)
    worst_first = sorted(by_question.items(), key=lambda q: severity_rank(q[0][0]))
    for (code, where), ats in worst_first:  # errors first: describe and -i ask so
        findings = tuple(document["findings"][at] for at in ats)
        asked = Asked(kind, code, where, item, document, findings, good)
        offered, note = asks.offers(asked) if full else ([], "")
        choices = tuple(Choice(n, o.label, tuple(o.changes), o.act, o.value, o.file)
                        for n, o in enumerate(offered, 1))  # fmt: skip
        tag = tag_of(findings) if asks.sets_values else ""
        result.decisions.append(Decision(
            ids.make(kind, str(item["key"]), where, code), code, where, tuple(ats), findings,
            choices, asks.words(asked), tuple(asked.files), asks.evidence(asked) if full else {},
            note, tag,
            result.name,
        ))  # fmt: skip
    return result


@dataclass(frozen=True)
class DecidedBehind:
    """An item's decision its output document has decided while its queue counts still ask
    it: a ``decide`` stopped (kill -9) between the two writes of its answer. ``decided``: who
    decided it, when, what and in which session (the document's)."""

    found: ItemDecisions
    code: str
    decided: dict[str, Any]


def decided_behind(home: Path, kind: str, item: dict[str, Any],
                   code: str | None = None) -> DecidedBehind | None:  # fmt: skip
    """The decision (of ``code``; else the first) that ``item``'s queue counts still ask
    though its output document has it decided; None when its counts are its document's."""
    asked = open_codes(item.get("details")) or frozenset()
    if item.get("status") != COMPLETED or not asked or (code and code not in asked):
        return None
    try:
        found = item_decisions(home, kind, item, full=False)
    except DecideError:  # no readable output: said where it is looked at
        return None
    if not counts_lag(item, found.document):
        return None
    still = {d.code for d in found.decisions}
    for finding in found.document.get("findings") or []:
        fcode = finding.get("code")
        if fcode in asked - still and (code is None or fcode == code) and finding.get("decided"):
            return DecidedBehind(found, str(fcode), dict(finding["decided"]))
    return None


def counts_lag(item: dict[str, Any], document: dict[str, Any]) -> bool:
    """Whether the item's queue counts are not those of its output document's findings (and
    of the fixes it keeps apart from them: ``queue.items.EARLIER_FIXES``)."""
    details = item.get("details") or {}
    counts = asked_details(document.get("findings") or [], kept_fixes(details))["finding_counts"]
    return json.loads(json.dumps(counts)) != details.get("finding_counts")


def _good_copies(home: Path, item: Mapping[str, Any]):
    """Where a good copy of one of the item's files is (``backups``), looked for once per
    file and only when a kind's question asks."""
    found: list[Backups] = []

    def good_copy(name: str) -> tuple[Good | None, str]:
        if not found:
            # Here, not at the top: looking for a copy loads the media probes, which a
            # listing (and every question but a damaged file's) never needs.
            from mediakeeper.decisions.backups import Backups

            found.append(Backups(load_settings(home), item))
        copy = found[0].of(name)
        return copy.good, copy.why_not

    return good_copy


def queue_of(home: Path, kind: str) -> QueueStore:
    """The queue whose items a decision of ``kind`` changes (a group's, read once for all)."""
    return QueueStore(home / "status" / kind, kind)


def kinds_here(home: Path) -> list[str]:
    """The kinds a decision may be about: every kind this installation knows, then every
    other queue of the home (a pipeline's, whose kind is made as it runs, has failed and
    skipped items too: listed by ``decide`` and the page, so taken by them)."""
    return list(dict.fromkeys([*kinds.KINDS, *kinds_in(home / "status")]))


def describe(found: ItemDecisions) -> list[str]:
    """One item's decisions, for a person: each its question in words, its id, its evidence
    in short, and its choices numbered within it."""
    asked, findings = len(found.decisions), sum(len(d.findings) for d in found.decisions)
    more = f" ({count(findings, 'finding')})" if findings != asked else ""
    item = found.item  # done but not identified: a question of its own, said last
    unidentified = item.get("status") == COMPLETED and not_identified(item.get("details"))
    lines = [f"{found.name}: {count(asked + unidentified, 'decision')} open{more}"]
    for n, decision in enumerate(found.decisions, 1):
        where = decision.where or ", ".join(decision.files[:3]) or "(the whole item)"
        if len(decision.files) > 3 and not decision.where:
            where += f" and {count(len(decision.files) - 3, 'more file')}"
        lines.append(f"  [{n}] {decision.severity} {decision.code} — {where}: {decision.words}")
        lines += [f"      {line}" for line in evidence_lines(decision.evidence)]
        lines += [f"      {c.number}) {c.label}" for c in decision.choices]
        if decision.tag:
            lines.append(f"      or type a value: --set {decision.tag}=VALUE")
        lines += [f"      ({decision.note})"] if decision.note else []
        lines.append(f"      id {decision.id}")
    if unidentified:
        why = found.item["details"]["unidentified"]
        lines += [f"  [{asked + 1}] warning {UNIDENTIFIED} — {unidentified_question(found.name)}",
                  f"      ({why})", f"      1) {AGAIN_ONLINE_SAID}",
                  f"      id {ids.make(found.kind, str(found.item['key']), '', UNIDENTIFIED)}"]
    return lines


def evidence_lines(evidence: Mapping[str, Any]) -> list[str]:
    """A decision's evidence in short: a split value's values with their tracks, else each
    file's value of the tag the question is about (as the page's table gives it beside the
    file's name: a file name's track number weighed against its tag's), where one holds
    any; a proposal's fields current beside proposed, a damaged file's seconds and bytes
    missing, a movie's candidates."""
    lines = []
    for v in evidence.get("values") or ():
        tracks = ", ".join(Path(p).name for p in v["tracks"])
        lines.append(f"{v['value'] if v['value'] is not None else '(none)'}: {tracks}")
    if (tag := evidence.get("tag")) and not (evidence.get("values") or evidence.get("proposals")):
        held = [(Path(t["path"]).name, (t.get("tags") or {}).get(tag))
                for t in evidence.get("tracks") or ()]  # fmt: skip
        if any(value for _, value in held):  # a missing tag's files: nothing to weigh
            lines += [f"{name}: {tag} {value or '(none)'}" for name, value in held]
    for p in evidence.get("proposals") or ():
        # The same value over several files is said once, with how many: a fix of one
        # album's three tracks read "artist x -> X" three times, naming no file.
        files_of: dict[tuple[str, str, str], int] = {}  # (field, now, proposed) -> files
        for f in p["fields"]:
            said = (f["field"], f["current"] or "(none)", f["proposed"])
            files_of[said] = files_of.get(said, 0) + 1
        fields = "; ".join(f"{field} {current} -> {proposed}" + (f" ({n} files)" if n > 1 else "")
                           for (field, current, proposed), n in files_of.items())  # fmt: skip
        lines.append(f"{p['label']}: {fields}")
    damage = evidence.get("damage") or ()
    for d in damage:
        missing = [f"{d['missing_seconds']} s" if d.get("missing_seconds") else "",
                   f"{d['missing_bytes']} bytes" if d.get("missing_bytes") else ""]
        lacks = " and ".join(m for m in missing if m)
        backup = "a good backup copy exists" if d["backup"]["good"] else "no good backup copy"
        named = f"{d['path']}: " if len(damage) > 1 else ""  # one file: named beside the words
        lines.append(f"{named}{f'lacks {lacks}; ' if lacks else ''}{backup}")
        lines += [f"  - {f['code']}: {f['message']}" for f in d.get("found") or ()]
    for c in evidence.get("candidates") or ():
        overview = f": {c['overview'][:80]}" if c.get("overview") else ""
        lines.append(f"{c['title']} ({c.get('year') or 'year unknown'}){overview}")
    return lines
