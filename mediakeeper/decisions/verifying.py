"""Verify's decisions taken from ``decide``: accept as is, verify again, restore from the backup
copy (``backups`` says which are offered), for one item's decision or a whole group's, each
as one session that ``undo --session`` gives back whole (``undo``, then ``sessions.undo``).

- accept as is: the item's open findings of the code closed with who and when, remembered as
  a dismissal is (asked again once its files change); for ``audio-changed`` each file's new
  audio checksum recorded as good, as ``--accept-changed`` does (a file that does not decode
  whole keeps the one it had). The session's record keeps the checksums as they were.
- verify again: the album back to pending, its attempts counted again from none, for the
  next batch; every decision it asks is closed with it (``closed_by_pending``: that batch
  asks anew what it still finds, and writes its report anew). No file is written.
- restore from the backup copy: the good copy put in the file's place and the damaged file
  set aside in the holding folder under its path in the library (``changes.swaps``); every open
  finding about that file closed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.changes import moves, swaps
from mediakeeper.changes.change import TagChange
from mediakeeper.core.config import load_settings
from mediakeeper.core.questions import ACCEPT, AGAIN, RESTORE, RESTORED
from mediakeeper.decisions import copies, sessions
from mediakeeper.decisions.answering import Taken, group_done, new_session
from mediakeeper.decisions.answering import take as close
from mediakeeper.decisions.item import Choice, Decision, ItemDecisions, queue_of
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.slug import inside, slugify
from mediakeeper.verify import ledger
from mediakeeper.verify.kind import KIND as VERIFY

CHANGED = "audio-changed"  # bit rot: accepting it takes the new audio as good
WHAT = {ACCEPT: "accepted as is", AGAIN: "verify again", RESTORE: RESTORED}

Asked = list[tuple[ItemDecisions, list[Decision]]]  # items, each with the decisions chosen


@dataclass
class Acted:
    session: str  # "" in a dry run
    what: str
    taken: list[tuple[str, Taken]] = field(default_factory=list)  # (item name, what it took)
    queued: list[str] = field(default_factory=list)  # verify again: the albums back to pending


def take_choice(home: Path, found: ItemDecisions, decision: Decision, choice: Choice, *,
                dry_run: bool = False) -> Acted:  # fmt: skip
    """One decision's verify choice (a restore: of its one file, ``choice.file``)."""
    return take(home, [(found, [decision])], choice.act, decision.code, dry_run=dry_run,
                only=choice.file)  # fmt: skip


def restore_places(home: Path, found: ItemDecisions, choice: Choice) -> tuple[Path, Path]:
    """Where a restore puts the good copy (the file's place), and where the damaged file is
    set aside (the holding folder, under its path in the library)."""
    holding = copies.holding_of(load_settings(home))
    album = Path(found.item["path"])
    target = album / (choice.file or _file_of(found, choice))
    return target, moves.in_holding(inside(holding, *Path(found.item["key"]).parts), album,
                                    target)  # fmt: skip


def _file_of(found: ItemDecisions, choice: Choice) -> str:
    return next(str(d.finding["path"]) for d in found.decisions if choice in d.choices)


def take(home: Path, asking: Asked, act: str, code: str, *, dry_run: bool = False,
         only: str = "") -> Acted:  # fmt: skip
    """Take ``act`` for the decisions of ``asking`` (their code ``code``) as one session
    (a restore: of every file with a good copy, or of the file ``only``)."""
    session = "" if dry_run else new_session(home)
    if act == AGAIN:
        return _again(home, asking, code, session)
    result, extra, store = Acted(session, WHAT[act]), {}, queue_of(home, VERIFY.name)
    for found, chosen in asking:
        if act == ACCEPT:
            taken = _accept(home, found, code, session, extra, store)
        else:
            taken = _restore(home, found, chosen, session, store, only)
        result.taken.append((found.name, taken))
    if not session:
        return result
    keys = [f.item["key"] for (f, _), (_, t) in zip(asking, result.taken, strict=True)
            if t.closed]  # fmt: skip
    if keys:
        sessions.record(home, VERIFY.name, session, code, keys, "", **extra)
        group_done(home, store)
    else:  # every file left as it was: what its journal holds of them goes
        swaps.put_back(home, session, copies.holding_of(load_settings(home)))
    return result


def _accept(
    home: Path, found: ItemDecisions, code: str, session: str, extra: dict, store: QueueStore
) -> Taken:
    """The item's open findings of ``code`` closed as accepted; bit rot's new audio taken."""
    closing = found.of_code(code)
    if session and code == CHANGED and (kept := _take_checksums(home, found, closing)):
        extra.setdefault("ledger", {}).update(kept)
    return close(home, found, (), closing, WHAT[ACCEPT], dry_run=not session,
                 dismissing=code, session=session, index=False, store=store)  # fmt: skip


def _take_checksums(home: Path, found: ItemDecisions, closing: list[Decision]) -> dict:
    """Each changed file's new checksum recorded as good (a damaged file's is not): {slug:
    {"before": its entries as they were (None: none), "accepted": the checksums taken}}."""
    slug = (found.item.get("details") or {}).get("slug") or slugify(found.item["key"])
    path = ledger.path_of(home, slug)
    known = ledger.load(path)
    checked = {f["file"]: f for f in found.document.get("files") or []}
    now, before = datetime.now(UTC).isoformat(timespec="seconds"), {}
    for finding in (f for d in closing for f in d.findings):
        name = finding["path"]
        new = (finding.get("details") or {}).get("now")
        entry = checked.get(name) or {}
        try:
            st = os.stat(Path(found.item["path"]) / name)
        except OSError:
            continue
        if not new or entry.get("damaged") or name in before:
            continue
        before[name] = known.get(name)
        known[name] = {"checksum": new, "good_at": now, "size": st.st_size,
                       "mtime_ns": st.st_mtime_ns, "seconds": entry.get("seconds", 0)}  # fmt: skip
    if not before:
        return {}
    ledger.save(path, known)
    return {slug: {"before": before, "accepted": {n: known[n]["checksum"] for n in before}}}


def _restore(
    home: Path, found: ItemDecisions, chosen: list[Decision], session: str, store: QueueStore,
    only: str = "",
) -> Taken:
    """Each chosen decision's file restored from its good copy; the open findings about the
    files restored closed; a file left as it was said with why."""
    holding = copies.holding_of(load_settings(home))
    album = Path(found.item["path"])
    files = {}
    for decision in chosen:
        for choice in (c for c in decision.choices if c.act == RESTORE):
            name = choice.file or str(decision.finding["path"])
            if only in ("", name):
                files.setdefault(name, choice.copy)
    said, refused, done = [], [], []
    for name, good in files.items():
        target = album / name
        aside = moves.in_holding(inside(holding, *Path(found.item["key"]).parts), album, target)
        if not session:
            said.append(f"would restore {target} from {good.path} (the damaged file set aside "
                        f"at {aside})")  # fmt: skip
        else:
            try:
                swaps.put_in_place(home, session, target, good, aside)
            except swaps.Refused as err:
                refused.append((TagChange(str(target), "", None, None), str(err)))
                continue
            except OSError as err:  # a folder that cannot be written, a full disk
                why = f"not restored: {err.strerror or err}"
                refused.append((TagChange(str(target), "", None, None), why))
                continue
            said.append(f"restored {target} from {good.path}; the damaged file is set aside "
                        f"at {aside}")  # fmt: skip
        done.append(name)
    closing = [about(d, done) for d in found.decisions if set(d.files) & set(done)]
    taken = Taken((), (), session)
    if closing:
        taken = close(home, found, (), closing, WHAT[RESTORE], dry_run=not session,
                      session=session, index=False, store=store)  # fmt: skip
    return replace(taken, refused=tuple(refused), said=tuple(said))


def about(decision: Decision, files: list[str]) -> Decision:
    """The part of ``decision`` about ``files``: a question about several damaged files stays
    open for those not restored."""
    kept = [(at, f) for at, f in zip(decision.ats, decision.findings, strict=True)
            if f.get("path") in files]  # fmt: skip
    return replace(decision, ats=tuple(at for at, _ in kept),
                   findings=tuple(f for _, f in kept))  # fmt: skip


def _again(home: Path, asking: Asked, code: str, session: str) -> Acted:
    """The albums back to pending (attempts from none), as one session undo gives back; each
    one's decisions closed with it, as ``taken`` (a pending album asks none)."""
    keys = {found.item["key"] for found, _ in asking}
    queued = (sessions.again(home, VERIFY.name, session, code, keys) if session
              else [found.name for found, _ in asking])  # fmt: skip
    closed = [(found.name, Taken((), tuple(f for d in found.closed_by_pending
                                           for f in d.findings), session))
              for found, _ in asking if found.name in queued]  # fmt: skip
    return Acted(session, WHAT[AGAIN], closed, queued)


def undo(home: Path, session: str, *, dry_run: bool = False) -> moves.PutBack | None:
    """What a verify session did beside closing findings, taken back: the damaged files it
    restored put back (returned; None when it restored none), and the checksums it accepted
    as they were (left where a pass has recorded other audio since). A dry run: the files it
    would put back, nothing written."""
    if dry_run:
        planned = swaps.planned(home, session)
        return moves.PutBack(planned) if planned else None
    done = swaps.put_back(home, session, copies.holding_of(load_settings(home)))
    record = sessions.find(home, session)
    if record is not None:
        _checksums_back(home, json.loads(record.read_text(encoding="utf-8")).get("ledger") or {})
    return done


def _checksums_back(home: Path, kept: dict[str, Any]) -> None:
    for slug, entry in kept.items():
        path = ledger.path_of(home, slug)
        known = ledger.load(path)
        for name, was in entry["before"].items():
            if (known.get(name) or {}).get("checksum") != entry["accepted"][name]:
                continue
            if was is None:
                known.pop(name, None)
            else:
                known[name] = was
        ledger.save(path, known)
