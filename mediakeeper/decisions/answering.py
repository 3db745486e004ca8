"""A person's answer to one item's decision, taken: a listed choice, a value set by the
person, or a dismissal (the decisions themselves: ``item``).

A choice is written through the same journaled write as every fix (``changes.writes.apply_changes``,
a session of its own, so ``undo`` takes it back); the finding is closed with who decided it
and when (``decided``); the item's output document, its issue report, its queue counts and
the index are written again, and its files recorded as they are now, so ``--refresh`` does
not take the person's own decision for a change. Every kind whose record says how its
outputs are written again (``Kind.rewrite``) has its decisions taken here; only a kind whose
questions take typed values (``Questions.sets_values``: music's) has values set.
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
from mediakeeper.changes.change import TagChange
from mediakeeper.changes.journal import DECIDE_SUFFIX
from mediakeeper.changes.writes import (
    ChangeJournal,
    FilesWritten,
    apply_changes,
    would_apply,
)
from mediakeeper.core import kinds, writemode
from mediakeeper.core.decisions import DISMISSED
from mediakeeper.core.errors import AudioError, UsageError
from mediakeeper.decisions import words
from mediakeeper.decisions.item import (
    SCOPES,
    Choice,
    DecideError,
    Decision,
    DoesNotFit,
    ItemDecisions,
    Stale,
    questions_of,
    queue_of,
)
from mediakeeper.fs import last_given
from mediakeeper.queue import dismissals, fingerprints
from mediakeeper.queue.fingerprints import FINGERPRINT, Recorder
from mediakeeper.queue.items import COMPLETED, asked_details, count_totals, kept_fixes
from mediakeeper.queue.manager import choose_named
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.issue_index import write_issue_indexes
from mediakeeper.tags.table import LOGICAL_TAGS
from mediakeeper.text.cut import echoed
from mediakeeper.text.fold import fold
from mediakeeper.text.slug import slugify


@dataclass(frozen=True)
class Taken:
    """What a decision wrote (or, in a dry run, would write) and closed."""

    changes: tuple[TagChange, ...]
    closed: tuple[Mapping[str, Any], ...]
    session: str  # the change journal's session: undo --session takes it back ("": none)
    refused: tuple[tuple[TagChange, str], ...] = ()
    files_written: FilesWritten = field(default_factory=FilesWritten)  # none in a dry run
    said: tuple[str, ...] = ()  # what else it did, for a person (a verify restore's files)
    # Of ``changes``, those whose file held the new value already (a stopped run wrote it).
    already: tuple[TagChange, ...] = ()

    @property
    def written(self) -> tuple[TagChange, ...]:
        """Of ``changes``, those it wrote (or would write): not those found already so."""
        return tuple(c for c in self.changes if c not in self.already)


def what_to_take(
    found: ItemDecisions,
    choose: int | None = None,
    values: Sequence[tuple[str, str]] = (),
    album: str | None = None,
    dismiss: str | None = None,
    *,
    decision: Decision | None = None,
    scope: str = "decision",
    fields: Sequence[str] | None = None,
) -> tuple[tuple[TagChange, ...], list[Decision], str]:
    """An item's decision as a person gives it (one of ``choose`` N, ``values`` (tag,
    value) pairs, ``dismiss`` CODE): (the changes, the decisions it closes, what was
    decided). ``decision``: the one it is about (a choice counts within it; without it the
    item's one decision); ``fields``: of a choice's changes, only these tags (None: all)."""
    if sum(bool(x) for x in (choose, values, dismiss)) != 1:
        raise UsageError("one of choose, set or dismiss at a time")
    if choose:
        decision = decision or found.only()
        choice = decision.choice(choose)
        changes = choice.changes
        if fields is not None:
            unknown = sorted(set(fields) - {c.tag for c in changes})
            if unknown:
                raise DecideError(f"choice {choose} writes no {', '.join(unknown)}",
                                  f"its fields: {', '.join(sorted({c.tag for c in changes}))}")
            changes = tuple(c for c in changes if c.tag in fields)
        return changes, [decision], f"chose {choice.label}"
    if dismiss:
        closing = [decision] if decision else found.of_code(dismiss, album)
        if not closing or closing[0].code != dismiss:
            raise UsageError(f"{found.name} has no open {dismiss!r} finding")
        return (), closing, DISMISSED
    changes: list[TagChange] = []
    closing = []
    for tag, new in values:
        more, settles = set_changes(found, tag, new, album, decision=decision, scope=scope)
        changes += more
        closing += [d for d in settles if d not in closing]
    return tuple(changes), closing, "set " + ", ".join(f"{t}={v}" for t, v in values)


def set_changes(found: ItemDecisions, word: str, value: str, album: str | None, *,
                decision: Decision | None = None, scope: str = "decision"):  # fmt: skip
    """The changes setting the tag ``word`` names (``words``) to ``value``, and the open
    decisions about that tag they settle. Written to the files the decision is about: the
    one given, else the item's open decisions about that tag, else (no question asks it)
    every track; ``scope`` widens it to their albums' tracks ("album") or the item's
    ("item"); ``album`` (a folder or an album name) keeps it to that album's tracks."""
    if not questions_of(found.kind).sets_values:
        raise DoesNotFit(f"{found.kind}: a value typed writes tracks' tags, which its "
                         f"{kinds.noun(found.kind)}s have none of here",
                         "take a listed choice (--choose N) or --dismiss CODE")  # fmt: skip
    if scope not in SCOPES:
        raise DoesNotFit(f"scope {scope!r} is not one of {', '.join(SCOPES)}")
    tag = words.tag_named(word)
    if tag is None:
        raise DoesNotFit(f"{word!r} is not a tag mediakeeper writes",
                         f"one of: {', '.join(words.SETTABLE)} (or year)")  # fmt: skip
    if why := words.bad_value(tag, value):
        # Said as the value, not as decide's --set: the web's answers give it as "set".
        raise DoesNotFit(f"the {echoed(word)} value {echoed(value)!r}: {why}; nothing written")
    album = found.album_meant(album)
    every = [t for t in found.document.get("tracks") or [] if _in_album(t, album)]
    asking = [decision] if decision else [d for d in found.decisions if d.tag == tag]
    if decision is not None and decision.tag != tag and scope == "decision":
        raise DoesNotFit(f"decision {decision.code} is not about {tag}",
                         f"it is about {decision.tag or 'no tag a value can set'}")
    files = {f for d in asking for f in d.files}
    if scope == "item" or not files:
        tracks = every
    elif scope == "album":
        albums = {t["album"] for t in every if t["path"] in files} | {d.where for d in asking}
        tracks = [t for t in every if t["album"] in albums]
    else:
        tracks = [t for t in every if t["path"] in files]
    if not tracks:
        raise DecideError(f"{found.name}: no track of album {echoed(album)!r} is one the decision "
                          "is about", "leave out --album, or widen it to the album's every track: "
                          "--scope item")  # fmt: skip
    now = _values_now(found, tracks, tag)
    changes = tuple(TagChange(t["path"], tag, now[t["path"]], value or None) for t in tracks
                    if now[t["path"]] != (value or None))  # fmt: skip
    if not value and not changes:  # "remove it" where it is absent: no answer to a question
        raise DoesNotFit(f"an empty {echoed(word)} removes the tag, which none of those files has; "
                         "nothing written",
                         f"give a value, or leave it as it is: --dismiss {asking[0].code}"
                         if asking else "give a value")  # fmt: skip
    paths = {t["path"] for t in tracks}
    settles = [d for d in found.decisions if d.tag == tag and set(d.files) <= paths]
    return changes, settles


def _values_now(found: ItemDecisions, tracks, tag: str) -> dict[str, str | None]:
    """Each track's value of ``tag``: as the batch read it (the write refuses a file changed
    since), or for a field the scan does not read (composer, ISRC, ...) read now."""
    if tag in LOGICAL_TAGS:
        return {t["path"]: t["tags"].get(tag) for t in tracks}
    folder = Path(found.document["folder"])
    try:
        return {t["path"]: tags.read_fields(folder / t["path"], (tag,)).get(tag) for t in tracks}
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
    closed = tuple(f for d in closing for f in d.findings)
    if changes:
        item = {"path": found.document["folder"], "key": found.item["key"]}
        if refused := would_apply(item, changes, writing.hard_links).refused:
            return Taken((), (), "", refused)
    if dry_run:
        return Taken(tuple(changes), closed, "")
    shared, session = bool(session), session or new_session(home)
    written, already = FilesWritten(), ()
    tree = kinds.get(found.kind).files_below
    stood = dismissals.standing(found.item, tree) if changes else {}  # before the write
    if changes:
        folder = Path(found.document["folder"])
        journal = ChangeJournal(home / "status" / found.kind, session, writing)
        applied = apply_changes(folder, found.item["key"], changes, journal, verify=True)
        written, already = applied.files_written, applied.already
        if applied.refused:  # a file changed since the batch read it: nothing is closed
            return Taken(tuple(applied.changes), (), session, tuple(applied.refused), written)
        _update_tracks(found.document, applied.changes)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    session = session if changes or shared else ""
    decided = {"what": what, "by": _who(), "at": stamp, "session": session}
    for decision in closing:
        for at in decision.ats:
            found.document["findings"][at]["decided"] = decided
    extra = {}
    if stood:  # the person's dismissals stand through their own choice written since
        extra[dismissals.KEY] = dismissals.marked_again(found.item, tree, stood)
    if dismissing:
        mark = dismissals.files_mark(found.item["path"], tree=tree)
        details = {**(found.item.get("details") or {}), **extra}
        extra[dismissals.KEY] = dismissals.remembered(details, dismissing, decided, mark)
    write_again(home, found, extra, index=index, store=store)
    return Taken(tuple(changes), closed, session, files_written=written, already=already)


def changed_since(home: Path, kind: str, item: Mapping[str, Any],
                   decision: Decision | None) -> list[str]:  # fmt: skip
    """The files of ``decision`` that are not as the batch read them (nor as a decision or
    an undo since left them): each one's size and modification time against the list the
    item completed with (``fingerprints``) and the marks an undo left (``dismissals``). A
    name the list does not hold (a folder the batch did not enter) has nothing to tell by."""
    details = item.get("details") or {}
    recorded = details.get(FINGERPRINT)
    status = queue_of(home, kind).dir
    before = fingerprints.load(status, item["key"], recorded) if recorded else None
    if before is None or decision is None:
        return []  # no list to tell by: each write still checks its file (``apply_changes``)
    undone = details.get(dismissals.UNDONE) or {}
    changed = []
    for name in decision.files:
        then = before.get(name)
        if then is None:  # a folder the batch passed over (a link, no access): not listed
            continue
        try:
            st = os.stat(Path(item["path"]) / name)
        except OSError:
            changed.append(name)
            continue
        now = (st.st_size, st.st_mtime_ns)
        as_left = (undone.get(name) or {}).get("file")  # as an undo left it
        if now != tuple(then) and list(now) != as_left:
            changed.append(name)
    return changed


def changed_files(kind: str, name: str, changed: Sequence[str], then: str) -> Stale:
    """What refuses a decision whose files ``changed_since`` found changed: the first named,
    the batch to run again, then ``then``."""
    return Stale(f"{changed[0]} of {name} changed since the batch read it; nothing written",
                 f"run the {kind} batch on it again, then {then}")


def new_session(home: Path) -> str:
    """A decision's session id (its change journal's name, what ``undo --session`` takes):
    its moment's, never one given before in the data home (``fs.last_given``)."""
    return last_given.stamped(home / "status", "decide", suffix=DECIDE_SUFFIX)


def choose_candidate(home: Path, found: ItemDecisions, choice: Choice, *, dry_run=False) -> str:
    """Take a TMDb candidate (``CANDIDATE``): its id kept in the queue item, which goes back
    to pending so the next batch identifies it as that movie (the queue manager's
    ``--choose``). Returns the candidate's label."""
    if not dry_run:
        store = queue_of(home, found.kind)
        choose_named(store, found.item["key"], {"tmdb_id": int(choice.value)})
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
    details now hold, and find again the findings its written tags decide), its queue
    counts (of the findings as the rewrite left them), its files as they are now (``files_now``: a
    decision's own write is no change for ``--refresh``), and the index: every surface
    tells the decision at once. ``index`` False: one item of a group, whose caller reads
    the queue once (``store``) and writes its JSON and the index once (``group_done``)."""
    document, key = found.document, found.item["key"]
    slug = (found.item.get("details") or {}).get("slug") or slugify(key)
    said = rewriter(found.kind)(home, slug, document) or {}
    # The fixes its document no longer lists (an --enrich run's earlier ones) counted on.
    asked = asked_details(document["findings"], kept_fixes(found.item.get("details")))
    store = store or queue_of(home, found.kind)
    record = Recorder(store.dir, kinds.get(found.kind).files_below)

    def change(item: dict[str, Any]) -> bool:
        if item["status"] != COMPLETED:
            return False
        details = {**(item.get("details") or {}), **said, **(extra or {})}
        if files_now and details.get(FINGERPRINT):  # recorded when the item was completed
            details[FINGERPRINT] = record(item)
        item["details"] = {**details, **asked}
        item.update(count_totals(asked["finding_counts"]))
        return True

    store.update_item(key, change, fold=index)
    if index:
        _joined(home, found.kind)


def group_done(home: Path, store: QueueStore) -> None:
    """After a group's items (``index=False``): the queue's JSON written once, with every
    item's line, then the index (folded per item, a group would read and write the whole
    queue once for each of its items)."""
    store.fold()
    _joined(home, store.kind)


def _joined(home: Path, kind: str) -> None:
    """What joins the items written again (the kind's ``joins``: music's tracks.csv), and
    the index."""
    if joins := kinds.get(kind).joins:
        joins(home)
    write_issue_indexes(home)


def rewriter(kind: str):
    """What writes an item's outputs of ``kind`` again (``Kind.rewrite``); DecideError for a
    kind whose decisions are not taken from ``decide``."""
    record = kinds.get(kind)
    if not record.rewrite:
        raise DecideError(f"{kind}: its decisions are not taken here",
                          "its own commands decide them")  # fmt: skip
    return record.rewrite
