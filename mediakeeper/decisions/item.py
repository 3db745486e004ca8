"""Deciding from the toolkit: the open decisions (``mediakeeper.core.decisions``) of one item with
their choices, and taking one: a listed choice, a value set by the person, or a dismissal.

A choice is written through the same journaled write as every fix (``fixes.apply_changes``,
a session of its own, so ``undo`` takes it back); the finding is closed with who decided it
and when (``decided``); the item's output document, its issue report, its queue counts and
the index are written again, and its files recorded as they are now, so ``--refresh`` does
not take the person's own decision for a change. Every kind whose record says how its
outputs are written again (``Kind.rewrite``) has its decisions taken here; only a kind whose
documents hold its tracks' tags (``Kind.sets_tags``: music) has values set.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper import tags
from mediakeeper.core import kinds, writemode
from mediakeeper.core.config import load_settings
from mediakeeper.core.decisions import is_open, question
from mediakeeper.core.errors import AudioError, MediakeeperError, NotFound, UsageError
from mediakeeper.core.findings import SEVERITIES
from mediakeeper.decisions import backups, words
from mediakeeper.decisions.backups import Good
from mediakeeper.music.fixes import (
    ChangeJournal,
    FilesWritten,
    apply_changes,
    would_be_left_alone,
)
from mediakeeper.music.model import TagChange
from mediakeeper.music.rule_base import tag_code
from mediakeeper.queue import dismissals
from mediakeeper.queue.fingerprints import FINGERPRINT, Recorder
from mediakeeper.queue.items import COMPLETED, finding_counts
from mediakeeper.queue.manager import choose_named
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.attention import NeedsYou
from mediakeeper.reports.issue_index import write_issue_indexes
from mediakeeper.reports.records import gather, read_output
from mediakeeper.reports.tally import attention
from mediakeeper.tags.table import LOGICAL_TAGS
from mediakeeper.text.fold import fold
from mediakeeper.text.matching import find_name
from mediakeeper.text.slug import slugify
from mediakeeper.text.wording import count
from mediakeeper.verify.kind import KIND as VERIFY

MOVIE_MATCH = ("ambiguous-match", "no-match")  # a movie's: settled by a TMDb id
MISMATCH = "filename-mismatch"
# The codes whose choices are worded alike in every item (so ``--all --choose N`` takes one
# for a whole group), beside dismissing: which of two numbers is right.
OWN_CHOICES = {MISMATCH: ("the file name's track number", "the tag's track number")}
DISMISSED = "dismissed: left as it is"  # what a dismissal decided, as every face says it


class DecideError(MediakeeperError):
    """A name that matches nothing or several items, a choice not listed, a bad value."""


@dataclass(frozen=True)
class Choice:
    number: int  # across the item's decisions, as listed
    label: str
    changes: tuple[TagChange, ...]
    act: str = ""  # a verify choice's (``backups``: accept, again, restore; ``verifying``)
    copy: Good | None = None  # restore: the good copy


@dataclass(frozen=True)
class Decision:
    at: int  # its place in the output document's findings
    finding: Mapping[str, Any]
    choices: tuple[Choice, ...]
    note: str = ""  # where a restore's copy is, or why none is offered


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

    def choice(self, number: int) -> tuple[Decision, Choice]:
        for decision in self.decisions:
            for choice in decision.choices:
                if choice.number == number:
                    return decision, choice
        raise DecideError(f"{self.name} has no choice {number}", "its decisions list them")


@dataclass(frozen=True)
class Taken:
    """What a decision wrote (or, in a dry run, would write) and closed."""

    changes: tuple[TagChange, ...]
    closed: tuple[Mapping[str, Any], ...]
    session: str  # the change journal's session: undo --session takes it back ("": none)
    refused: tuple[tuple[TagChange, str], ...] = ()
    files_written: FilesWritten = field(default_factory=FilesWritten)  # none in a dry run
    said: tuple[str, ...] = ()  # what else it did, for a person (a verify restore's files)


def listing(home: Path) -> list[NeedsYou]:
    """Every item awaiting a decision, worst first: error-level ones of every kind, then the
    rest, each by how many decisions, then by name (``reports.attention``)."""
    items = [i for kind in attention(gather(home, changes_too=False)) for i in kind.items]
    return sorted(items, key=lambda i: (i.level, -i.decisions, i.name.casefold(), i.kind))


def find_item(home: Path, kind: str, name: str) -> dict[str, Any]:
    """The completed item ``name`` means, found as every command finds a name
    (``text.matching``: case, accents and spacing aside, or the start of just one name);
    DecideError (a usage error) naming the candidates otherwise."""
    store = QueueStore(home / "status" / kinds.get(kind).name, kind)
    if not store.exists():
        raise DecideError(f"no {kind} queue in {home}", "run a batch first")
    items: dict[str, dict[str, Any]] = {}
    for item in store.peek()["items"]:
        if item.get("status") == COMPLETED:
            items.setdefault(str(item.get("name") or item["key"]), item)
    try:
        found = find_name(name, items, missing=f"no completed {kinds.noun(kind)} called {name!r}",
                          otherwise="`decide` lists those with decisions")  # fmt: skip
    except NotFound as err:  # a name that fits none, or several: the person's to mend
        raise DecideError(err.message, err.hint) from None
    return items[found]


def item_decisions(home: Path, kind: str, item: dict[str, Any]) -> ItemDecisions:
    """The item's open decisions, numbered choices included, from its output document."""
    document = read_output(home, kind, item)
    if document is None:
        raise DecideError(f"no readable output for {item.get('name')!r}", "run it again")
    result = ItemDecisions(kind, item, document)
    number = 0
    copies = backups.Backups(load_settings(home), item) if kind == VERIFY.name else None
    for at, finding in enumerate(document.get("findings") or []):
        if not is_open(finding):
            continue
        note, choices = "", []
        if copies is not None:  # damage and bit rot: accept, check again, restore
            listed, note = backups.offered(copies, finding)
        else:
            listed = [(label, "", None, changes) for label, changes in _choices(finding, document)]
        for label, act, good, changes in listed:
            number += 1
            choices.append(Choice(number, label, changes, act, good))
        result.decisions.append(Decision(at, finding, tuple(choices), note))
    return result


def _choices(finding: Mapping[str, Any], document: Mapping[str, Any]):
    """(label, changes) for each way to settle a finding: a proposal's choices (AcoustID), its
    planned fix, for an album whose tracks disagree each value they hold, for a movie each
    TMDb candidate (changes: none, its id is the choice: ``choose_movie``)."""
    details = finding.get("details") or {}
    if finding["code"] in MOVIE_MATCH:
        for c in details.get("candidates") or ():
            yield f"{c['title']} ({c.get('year') or 'year unknown'}), TMDb id {c['id']}", ()
        return
    tracks = document.get("tracks") or []
    if finding["code"] == MISMATCH:
        yield from _which_number(finding, tracks)
        return
    for proposed in details.get("choices") or ():
        score = f" (score {proposed['score']:.2f})" if "score" in proposed else ""
        yield f"{proposed['label']}{score}", _changes(proposed.get("changes") or ())
    if finding.get("changes") and not details.get("choices"):
        yield "the fix it proposes", _changes(finding["changes"])
    tag = details.get("tag")
    if finding["code"] == tag_code("inconsistent", str(tag)) and not finding.get("changes"):
        album = [t for t in tracks if t.get("album") == finding["album"]]
        for value in sorted({t["tags"].get(tag) for t in album if t["tags"].get(tag)}):
            changes = [_change(t, tag, value) for t in album if t["tags"].get(tag) != value]
            yield f"{tag} {value!r} for the album's {len(album)} tracks", tuple(changes)


def _which_number(finding: Mapping[str, Any], tracks: Sequence[Mapping[str, Any]]):
    """A file name and a tag that disagree on a track's number: the file name's, written
    into the tag (its total, "/12", kept), or the tag's, left as it is (the file keeps its
    name: a rename is no tag write)."""
    track = next((t for t in tracks if t.get("path") == finding["path"]), None)
    named = (finding.get("details") or {}).get("name_number")
    theirs, ours = OWN_CHOICES[MISMATCH]
    if track is not None and named is not None:
        now = track["tags"].get("tracknumber")
        _, slash, total = str(now or "").partition("/")
        yield theirs, (_change(track, "tracknumber", f"{named}{slash}{total}"),)
    yield ours, ()


def _changes(records: Sequence[Mapping[str, Any]]) -> tuple[TagChange, ...]:
    return tuple(TagChange(r["path"], r["tag"], r["old"], r["new"]) for r in records)


def _change(track: Mapping[str, Any], tag: str, value: str | None) -> TagChange:
    return TagChange(track["path"], tag, track["tags"].get(tag), value)


def what_to_take(
    found: ItemDecisions,
    choose: int | None = None,
    values: Sequence[tuple[str, str]] = (),
    album: str | None = None,
    dismiss: str | None = None,
) -> tuple[tuple[TagChange, ...], list[Decision], str]:
    """An item's decision as a person gives it (one of ``choose`` N, ``values`` (tag,
    value) pairs, ``dismiss`` CODE): (the changes, the decisions it closes, what was
    decided)."""
    if sum(bool(x) for x in (choose, values, dismiss)) != 1:
        raise UsageError("one of choose, set or dismiss at a time")
    if choose:
        decision, choice = found.choice(choose)
        return choice.changes, [decision], f"chose {choice.label}"
    if dismiss:
        closing = [d for d in found.decisions if d.finding["code"] == dismiss]
        if not closing:
            raise UsageError(f"{found.name} has no open {dismiss!r} finding")
        return (), closing, DISMISSED
    changes: list[TagChange] = []
    closing = []
    for tag, new in values:
        more, settles = set_changes(found, tag, new, album)
        changes += more
        closing += [d for d in settles if d not in closing]
    return tuple(changes), closing, "set " + ", ".join(f"{t}={v}" for t, v in values)


def set_changes(found: ItemDecisions, word: str, value: str, album: str | None):
    """The changes setting the tag ``word`` names (``words``) to ``value`` on every track
    (of ``album``, a folder or an album name, when given), and the open decisions about that
    tag there they settle."""
    if not kinds.get(found.kind).sets_tags:
        raise DecideError(f"{found.kind}: --set writes tracks' tags, which its "
                          f"{kinds.noun(found.kind)}s have none of here",
                          "take a listed choice (--choose N) or --dismiss CODE")  # fmt: skip
    tag = words.tag_named(word)
    if tag is None:
        raise DecideError(f"{word!r} is not a tag mediakeeper writes",
                          f"one of: {', '.join(words.SETTABLE)} (or year)")  # fmt: skip
    if why := words.bad_value(tag, value):
        raise DecideError(f"--set {word}={value}: {why}; nothing written")
    tracks = [t for t in found.document.get("tracks") or [] if _in_album(t, album)]
    if not tracks:
        raise DecideError(f"{found.name} has no album {album!r}", "its issue report names them")
    now = _values_now(found, tracks, tag)
    changes = tuple(TagChange(t["path"], tag, now[t["path"]], value or None) for t in tracks
                    if now[t["path"]] != (value or None))  # fmt: skip
    paths = {t["path"] for t in tracks}
    albums = {t["album"] for t in tracks}
    settles = [
        d for d in found.decisions
        if (d.finding.get("details") or {}).get("tag") == tag
        and (d.finding["path"] in paths or (d.finding["path"] in albums and album is not None))
    ]  # fmt: skip
    return changes, settles


def _values_now(found: ItemDecisions, tracks, tag: str) -> dict[str, str | None]:
    """Each track's value of ``tag``: as the batch read it (the write refuses a file changed
    since), or for a field the scan does not read (composer, ISRC, ...) read now."""
    if tag in LOGICAL_TAGS:
        return {t["path"]: t["tags"].get(tag) for t in tracks}
    folder = Path(found.document["folder"])
    try:
        return {t["path"]: tags.more(folder / t["path"]).get(tag) for t in tracks}
    except AudioError as err:
        raise DecideError(f"{err}; nothing written", "run the batch on it again") from None


def _in_album(track: Mapping[str, Any], album: str | None) -> bool:
    if album is None:
        return True
    return fold(album) in (fold(track["album"]), fold(track["tags"].get("album") or ""))


def take(
    home: Path,
    found: ItemDecisions,
    changes: Sequence[TagChange],
    closing: Sequence[Decision],
    what: str,
    *,
    dry_run: bool = False,
    dismissing: str = "",
    writing: writemode.Writing = writemode.DEFAULT_WRITING,
    session: str = "",
    index: bool = True,
    store: QueueStore | None = None,
) -> Taken:
    """Write ``changes`` through the change journal (as the music settings ``writing`` say),
    close ``closing`` with who and when, and write the item's document, report, queue counts
    and the index again. ``dismissing``: the code dismissed, remembered until the item's files
    change (``dismissals``). A file the write would leave alone (read-only, hard-linked, ...)
    refuses the whole decision before anything is written: ``refused``, no session.
    ``session``: a session shared with other items' decisions (a whole group's, which undo
    takes back whole: its dismissals too); ``index``: fold the queue and write the index (a
    group's caller passes its one ``store`` and calls ``group_done`` after the last item)."""
    closed = tuple(d.finding for d in closing)
    if changes:
        item = {"path": found.document["folder"], "key": found.item["key"]}
        if why := would_be_left_alone(item, changes, writing.hard_links):
            return Taken((), (), "", tuple((c, why[c.path]) for c in changes if c.path in why))
    if dry_run:
        return Taken(tuple(changes), closed, "")
    shared, session = bool(session), session or new_session()
    written = FilesWritten()
    if changes:
        folder = Path(found.document["folder"])
        journal = ChangeJournal(home / "status" / found.kind, session, writing)
        applied = apply_changes(folder, found.item["key"], changes, journal, verify=True)
        written = applied.files_written
        if applied.refused:  # a file changed since the batch read it: nothing is closed
            return Taken(tuple(applied.changes), (), session, tuple(applied.refused), written)
        _update_tracks(found.document, applied.changes)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    session = session if changes or shared else ""
    decided = {"what": what, "by": _who(), "at": stamp, "session": session}
    for decision in closing:
        found.document["findings"][decision.at]["decided"] = decided
    extra = {}
    if dismissing:
        mark = dismissals.files_mark(found.item["path"], tree=kinds.get(found.kind).files_below)
        details = found.item.get("details") or {}
        extra[dismissals.KEY] = dismissals.remembered(details, dismissing, decided, mark)
    write_again(home, found, extra, index=index, store=store)
    return Taken(tuple(changes), closed, session, files_written=written)


def new_session() -> str:
    """A decision's session id (its change journal's name, what ``undo --session`` takes)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f_decide")


def is_candidate(found: ItemDecisions, number: int) -> bool:
    """Whether choice ``number`` is a TMDb candidate (``choose_movie`` takes it)."""
    decision, _ = found.choice(number)
    return decision.finding["code"] in MOVIE_MATCH


def choose_movie(home: Path, found: ItemDecisions, number: int, *, dry_run=False) -> str:
    """Take a movie's TMDb candidate: kept in its queue item, which goes back to pending so
    the next batch identifies it as that movie (the queue manager's ``--choose``). Returns
    the candidate's label."""
    decision, choice = found.choice(number)
    candidates = (decision.finding.get("details") or {}).get("candidates") or []
    movie_id = next(c["id"] for c in candidates if choice.label.endswith(f"TMDb id {c['id']}"))
    if not dry_run:
        store = queue_of(home, found.kind)
        choose_named(store, found.item["key"], {"tmdb_id": int(movie_id)})
    return choice.label


def _who() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def _update_tracks(document: dict[str, Any], changes: Sequence[TagChange]) -> None:
    """The document's tracks as the changes left them (the tags the scan reads: a field it
    does not, composer or ISRC, is read from the file when asked again)."""
    by_path = {t["path"]: t for t in document.get("tracks") or []}
    for change in (c for c in changes if c.tag in LOGICAL_TAGS):
        tags = by_path[change.path]["tags"]
        if change.new:
            tags[change.tag] = change.new
        else:
            tags.pop(change.tag, None)


def write_again(
    home: Path,
    found: ItemDecisions,
    extra: Mapping[str, Any] | None = None,
    *,
    files_now: bool = True,
    index: bool = True,
    store: QueueStore | None = None,
) -> None:
    """The item's document and issue report (its kind's ``rewrite``, which may say what its
    details now hold), its queue counts, its files as they are now (``files_now``: a
    decision's own write is no change for ``--refresh``), and the index: every surface
    tells the decision at once. ``index`` False: one item of a group, whose caller reads
    the queue once (``store``) and writes its JSON and the index once (``group_done``)."""
    document, key = found.document, found.item["key"]
    slug = (found.item.get("details") or {}).get("slug") or slugify(key)
    said = rewriter(found.kind)(home, slug, document) or {}
    counts = finding_counts(document["findings"])
    store = store or queue_of(home, found.kind)
    record = Recorder(store.dir, kinds.get(found.kind).files_below)

    def change(item: dict[str, Any]) -> bool:
        if item["status"] != COMPLETED:
            return False
        details = {**(item.get("details") or {}), **said, **(extra or {})}
        if files_now and details.get(FINGERPRINT):  # recorded when the item was completed
            details[FINGERPRINT] = record(item)
        item["details"] = {**details, "finding_counts": counts}
        item["issues_resolved"] = sum(done for _, done, *_ in counts.values())
        return True

    store.update_item(key, change, fold=index)
    if index:
        write_issue_indexes(home)


def queue_of(home: Path, kind: str) -> QueueStore:
    """The queue whose items a decision of ``kind`` changes (a group's, read once for all)."""
    return QueueStore(home / "status" / kind, kind)


def group_done(home: Path, store: QueueStore) -> None:
    """After a group's items (``index=False``): the queue's JSON written once, with every
    item's line, then the index (folded per item, a group would read and write the whole
    queue once for each of its items)."""
    store.fold()
    write_issue_indexes(home)


def rewriter(kind: str):
    """What writes an item's outputs of ``kind`` again (``Kind.rewrite``); DecideError for a
    kind whose decisions are not taken from ``decide``."""
    record = kinds.get(kind)
    if not record.rewrite:
        raise DecideError(f"{kind}: its decisions are not taken here",
                          "its own commands decide them")  # fmt: skip
    return kinds.load(record.rewrite)


def asked(decisions: Sequence[Decision]) -> list[list[Decision]]:
    """The decisions as the questions they ask (``core.decisions.question``: the findings of
    one code, per album where they are about an album, are one), worst first (by severity,
    then as found), each with its findings' decisions in their order."""
    by: dict[tuple[str, str], list[Decision]] = {}
    for decision in decisions:
        by.setdefault(question(decision.finding), []).append(decision)
    return sorted(by.values(), key=lambda ds: _severity_rank(ds[0].finding))


def _severity_rank(finding: Mapping[str, Any]) -> int:
    severity = str(finding.get("severity"))
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def describe(found: ItemDecisions) -> list[str]:
    """One item's decisions, one numbered entry per question, worst first: its findings
    listed inside it (and what each found, where one finding holds several: a damaged
    file's), each with its numbered choices, for a person."""
    questions_asked, findings = asked(found.decisions), len(found.decisions)
    more = f" ({count(findings, 'finding')})" if findings != len(questions_asked) else ""
    lines = [f"{found.name}: {count(len(questions_asked), 'decision')} open{more}"]
    for n, decisions in enumerate(questions_asked, 1):
        f = decisions[0].finding
        head = f"  [{n}] {f['severity']} {f['code']}"
        if len(decisions) == 1:
            lines += [f"{head} — {_about(found.kind, decisions[0])}"]
            lines += _inside(decisions[0], "      ")
            continue
        lines.append(f"{head} — {count(len(decisions), 'finding')}:")
        for decision in decisions:
            lines.append(f"    - {_about(found.kind, decision)}")
            lines += _inside(decision, "        ")
    return lines


def _about(kind: str, decision: Decision) -> str:
    """Where a finding is and what it says (what it found, where it holds several, is
    listed under it by ``_inside``)."""
    f = decision.finding
    where = f["path"] or f"({kinds.noun(kind)})"
    return f"{where}:" if _found_in(f) else f"{where}: {f['message']}"


def _inside(decision: Decision, indent: str) -> list[str]:
    """What one finding found, where it holds several (a damaged file's damage and bit rot),
    then its numbered choices and note."""
    lines = [f"{indent}- {each['code']}: {each['message']}" for each in _found_in(decision.finding)]
    lines += [f"{indent}{c.number}) {c.label}" for c in decision.choices]
    return lines + ([f"{indent}({decision.note})"] if decision.note else [])


def _found_in(finding: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = (finding.get("details") or {}).get("found")
    return found if isinstance(found, list) and len(found) > 1 else []
