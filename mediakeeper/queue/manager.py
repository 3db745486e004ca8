"""What the queue managers do, for any media kind: init, refresh, summary, resets, checkpoints.

The Click scripts in ``utilities/`` only parse flags and render what these functions return.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediakeeper.core import kinds
from mediakeeper.core.errors import BatchRunning, CheckpointMissing, LibraryError, QueueError
from mediakeeper.fs import left_behind
from mediakeeper.fs.links import is_folder_link, not_followed
from mediakeeper.fs.names import is_junk
from mediakeeper.queue import files as queue_files
from mediakeeper.queue import fingerprints
from mediakeeper.queue.itemlist import scan
from mediakeeper.queue.items import (
    COMPLETED,
    ERROR,
    FOLDED_INTO,
    NO_AUDIO,
    PENDING,
    SKIPPED,
    STATUSES,
    check_transition,
    default_folder_exists,
    held_by,
    holds_results,
    is_live,
    left_without_audio,
    new_item,
    new_queue,
    stages_in_progress,
    structure_problems,
    validate,
)
from mediakeeper.queue.left_out import plugins_left_out_of
from mediakeeper.queue.reading import decoded, read_each
from mediakeeper.queue.session_log import RUNNING, load_sessions
from mediakeeper.queue.store import QueueStore, statuses_of
from mediakeeper.queue.survey import Survey, listing, not_a_library, survey
from mediakeeper.system.processes import host
from mediakeeper.text.matching import find_name
from mediakeeper.text.visible import one_line, quoted, shell_word
from mediakeeper.text.wording import count, queue_name


def folder_links(library: Path) -> list[tuple[str, str]]:
    """The links to folders directly inside ``library``, by name, each with why it is not
    followed (mediakeeper.fs.links)."""
    links = [entry for entry in _listing(library) if is_folder_link(entry)]
    return [(e.name, not_followed(e.path, library)) for e in sorted(links, key=lambda e: e.name)]


def _listing(library: Path) -> list[os.DirEntry]:
    return [entry for entry in listing(library) if not is_junk(entry.name)]


def new_items(kind: str, library: Path, home: Path | None = None) -> list[dict[str, Any]]:
    """A pending queue item for each of ``kind``'s items in ``library`` (the data home
    ``home`` passed over)."""
    return [new_item(key, key, folder) for key, folder in survey(kind, library, home).found]



def check_library(
    store: QueueStore, data: Mapping[str, Any], library: Path | None, origin: str = "--library"
) -> None:
    """Refuse a library other than the queue's (compared as resolved paths): the queue would
    silently go on with its own, or mix the two; one that is no folder is said so first.
    ``origin``: where ``library`` was given."""
    queued = data.get("library")
    if library is None or not isinstance(queued, str):
        return
    given = library.expanduser().resolve()
    if given == Path(queued).expanduser().resolve():
        return
    if (run := runs_as(store, queued)) is not None:
        _refuse_other_input(store, queued, given, run)
    command = store.manager_command()
    keep = "leave out --library" if origin in ("", "--library") else f"set {_setting(origin)} to it"
    if why := not_a_library(given):  # a mistyped path: starting over with it is no advice
        queue = queue_name(store.kind)
        raise LibraryError(why, f"the {queue} is for the library {queued}: to go on with it, "
                                f"{keep}")  # fmt: skip
    raise LibraryError(
        f"the {queue_name(store.kind)} at {store.path} is for the library {queued}, not {given}",
        f"to start over with {given}: "
        f"`{command} --init --force --library {shell_word(str(given))}`; "
        f"to go on with {queued}, {keep}",
    )


def runs_as(store: QueueStore, library: Path | str) -> str | None:
    """The command that runs ``library`` through a kind with no queue manager of its own
    (``Kind.runs_as``: a pipeline's ``pipeline run``), for its hints; None for a kind that
    has one."""
    record = kinds.get(store.kind)
    if record.runs_as is None:
        return None
    return record.runs_as(os.path.abspath(fingerprints.home_of(store.dir)), library)


def _refuse_other_input(store: QueueStore, queued: str, given: Path, run: str) -> None:
    """``check_library``'s refusal for a kind without a queue manager: its command goes on
    with the queue's folder; no command replaces its queue, so starting over is moving it."""
    where = f"the {queue_name(store.kind)} at {store.path}"
    go_on = f"to go on with {queued}: `{run}`"
    if why := not_a_library(given):
        raise LibraryError(why, f"{where} is for {queued}; {go_on}")
    raise LibraryError(
        f"{where} is for the folder {queued}, not {given}",
        f"{go_on}; to start over with {given}, move the folder {store.dir} aside first "
        "(the next run makes a new queue)",
    )


def _setting(origin: str) -> str:
    """A setting's origin as a person names it: "MEDIAKEEPER_MUSIC_LIBRARY",
    "music.library in /home/mediakeeper.toml"."""
    if origin.startswith("environment "):
        return origin.removeprefix("environment ")
    file, found, key = origin.rpartition(": ")
    return f"{key} in {file}" if found else origin


def empty_library_warning(store: QueueStore, library: Path) -> str:
    """What to say when a queue was created from a library with no item folders at all."""
    noun = kinds.noun(store.kind)
    run = runs_as(store, library)
    then = (f"the next `{run}` takes them" if run is not None
            else f"`{store.manager_command()} --refresh` adds them")  # fmt: skip
    return (
        f"{library} has no {noun} folders: each {noun} should be a folder "
        f"{kinds.get(store.kind).item_layout} "
        f"({library / ('<' + noun + '>')}); {then} once they are there"
    )


def init_queue(
    store: QueueStore, library: Path, now, *, replace: bool = False
) -> tuple[Survey, Path | None]:
    """A new queue of ``library``'s folders: what was found, queued and passed over, and
    where the queue it replaced (``replace``) is kept. Never while a batch works on the queue
    it would replace."""
    library = library.expanduser().resolve()
    home = fingerprints.home_of(store.dir)
    found = survey(store.kind, library, home)  # raises for a library that is not there
    queue = new_queue(store.kind, str(library), (), now)
    # Made one at a time as the store writes them to its spill: never all held at once.
    queue["items"] = (new_item(key, key, folder) for key, folder in found.found)
    # The data home's first write (a batch's first run, --init): named first, so a kill
    # leaves no temp file of the new queue that the next command cannot find.
    left_behind.writing_home(store.dir.parent, create=True)
    backup = store.create(queue, replace=replace, check=lambda: refuse_while_a_batch_runs(store))
    found.queued = len(found.found)
    return found, backup


def restore_checkpoint(store: QueueStore, checkpoint: Path) -> Path | None:
    """Put a checkpoint in place of the queue (see QueueStore.restore), never while a batch
    works on it."""
    return store.restore(checkpoint, check=lambda: refuse_while_a_batch_runs(store))


def running_batch(store: QueueStore) -> tuple[int, str] | None:
    """A batch of this machine working on the queue now: its pid and session. Its session
    started and has not ended while its process lives (from before its first claim until
    after its last record), or, for a batch from before sessions named their process, an
    item it holds. Batches on other machines cannot be checked from here."""
    here = host()
    for record in reversed(load_sessions(store.dir.parent, store.kind, items=False)):
        if record.outcome == RUNNING and record.host == here and record.pid is not None:
            return record.pid, record.id
    try:
        items = store.peek()["items"]
    except QueueError:
        return None  # a damaged queue: its items cannot tell
    for item in items:
        claim = item.get("claimed_by") or {}
        if is_live(item) and claim.get("host") == here:
            return claim.get("pid"), str(claim.get("session"))
    return None


def refuse_while_a_batch_runs(store: QueueStore) -> None:
    """Replacing the queue under a running batch would leave it recording into a queue that
    no longer holds its items (it ended without a summary): refused, naming the batch."""
    found = running_batch(store)
    if found:
        pid, session = found
        raise BatchRunning(
            f"a {store.kind} batch is working on {store.path} right now "
            f"(pid {pid}, session {session})",
            "nothing was changed; wait for that batch to finish, or stop it (Ctrl+C, or "
            f"kill -INT {pid}) and run this again",
        )


@dataclass
class RefreshResult:
    added: list[str]
    vanished: list[str]
    returned: list[str]
    links: list[tuple[str, str]] = field(default_factory=list)  # not followed, and why
    # Completed items whose files changed since, put back to pending: (name, how).
    changed: list[tuple[str, fingerprints.Change]] = field(default_factory=list)
    unrecorded: int = 0  # completed items whose files were never recorded (see fingerprints)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (name, why)
    # Items whose folder is now part of another item's (a book's extras/, queued as a book
    # of its own by an older version): (name, the other's name). Never called missing.
    folded: list[tuple[str, str]] = field(default_factory=list)
    # Items whose folder is still there, with no audio left in it (a book's MP3s deleted):
    # no batch can take them, yet they are not gone. Never called missing.
    emptied: list[str] = field(default_factory=list)
    survey: Survey = field(default_factory=lambda: Survey([]))  # what the look found

    def lines(self, noun: str) -> list[tuple[str, bool]]:
        """What the refresh is said with, each line with whether it is a warning (stderr)."""
        folded = f", {len(self.folded)} folded into another {noun}" if self.folded else ""
        emptied = f", {len(self.emptied)} left with no audio" if self.emptied else ""
        lines = [(f"Refreshed: {len(self.added)} added, {len(self.vanished)} marked missing, "
                  f"{len(self.returned)} back on disk, {len(self.changed)} changed since "
                  f"completed (back to pending){folded}{emptied}", False)]  # fmt: skip
        for label, names in (("added", self.added), ("missing", self.vanished),
                             ("back", self.returned)):  # fmt: skip
            lines += [(f"  {label:<8}{one_line(name)}", False) for name in names]
        lines += [(f"  folded  {one_line(name)}  (into {one_line(into)}: its folder is that "
                   f"{noun}'s own now, left where it is)", False) for name, into in self.folded]
        lines += [(f"  no audio {one_line(name)}  (its folder is there, with no audio: left "
                   "where it is)", False) for name in self.emptied]  # fmt: skip
        lines += [(f"  changed {one_line(name)}  ({change})", False)
                  for name, change in self.changed]  # fmt: skip
        lines += self.survey.lines(noun)
        lines += [(f"{one_line(name)}: cannot read its folder ({why}); left as it was", True)
                  for name, why in self.unreadable]  # fmt: skip
        if self.unrecorded:
            completed = count(self.unrecorded, f"completed {noun}")
            lines.append((f"No record of the files yet for {completed} (completed before "
                          "files were recorded): each gets one at its next run; --refresh "
                          "notices changes from then on", False))  # fmt: skip
        return lines

    @property
    def changed_any(self) -> bool:
        """Whether it changed the queue, or found a folder it could not read."""
        return bool(self.added or self.vanished or self.returned or self.changed
                    or self.unreadable or self.folded or self.emptied)  # fmt: skip


def refresh_queue(
    store: QueueStore,
    library: Path | None = None,
    origin: str = "--library",
    only: Callable[[str], bool] | None = None,
    tops: Callable[[str], bool] | None = None,
) -> RefreshResult:
    """Add folders new on disk; mark items whose folder vanished (unmark ones that are back);
    put back to pending the completed items whose files changed since they completed.
    ``library`` (given by ``origin``) must be the queue's own. ``only``: the keys looked at
    (the watcher's settled folders), ``tops`` the top-level folders they lie in (only those
    are read); every other item and folder is left as it is."""
    result = RefreshResult([], [], [])
    store.update(lambda data: _refreshed(store, data, result, library, origin, only, tops),
                 fold=True)  # fmt: skip
    result.survey.queued, result.survey.requeued = len(result.added), len(result.changed)
    return result


def refreshed_items(
    store: QueueStore, library: Path | None = None, origin: str = "--library"
) -> list[dict[str, Any]]:
    """The queue's items as ``refresh_queue`` would leave them, in its order, read without
    writing anything (not even a lock file): what a dry run of a batch that refreshes first
    takes from."""
    data = store.peek()
    changed = {i["key"]: i for i in _refreshed(store, data, RefreshResult([], [], []), library,
                                               origin)}  # fmt: skip
    items = [changed.pop(item["key"], item) for item in data["items"]]
    return [*items, *changed.values()]  # the new ones last, where the queue adds them


def _refreshed(
    store: QueueStore,
    data: dict[str, Any],
    result: RefreshResult,
    library: Path | None,
    origin: str,
    only: Callable[[str], bool] | None = None,
    tops: Callable[[str], bool] | None = None,
) -> list[dict[str, Any]]:
    """``refresh_queue``'s change to ``data``: every item it changes or adds, each changed
    in place (said in ``result``)."""
    record = kinds.get(store.kind)
    tree = record.files_below
    # A kind that finds its items by what they hold (audio): a folder of one of its items can
    # be there yet no item, its audio gone. Every folder is an item of a kind that does not.
    finds = record.find is not None
    check_library(store, data, library, origin)
    root = (library or Path(data["library"])).expanduser().resolve()
    result.survey = survey(store.kind, root, fingerprints.home_of(store.dir), tops)
    on_disk = {k: f for k, f in result.survey.found if only is None or only(k)}
    unreadable = result.survey.unreadable()
    result.links[:] = folder_links(root)
    changed = []
    unseen = dict(on_disk)  # what is left of it once the queue's items are passed: new
    # Read one at a time, not kept (the store's items are in its spill): every item it
    # changes is returned, and the store puts it in place.
    for item in scan(data["items"]):
        if only is not None and not only(item["key"]):
            continue
        unseen.pop(item["key"], None)
        present = item["key"] in on_disk
        held = not present and _below(item["key"], unreadable)
        if held:  # a folder above it could not be read: unknown, never taken for gone
            result.unreadable.append((item["name"], f"{held} cannot be read"))
            continue
        if not present and (into := _folded_into(item, on_disk, root)):
            # Its folder is there, now another item's own (a book's extras/): said once, as
            # folded, never as a lost item; kept (its history) and, marked missing, not taken.
            item["missing"] = True
            item["details"] = {**(item.get("details") or {}), FOLDED_INTO: into}
            result.folded.append((item["name"], into))
            changed.append(item)
            continue
        empty = not present and finds and _without_audio(item, root)
        # Vanished, left with no audio, or back on disk: each said once, as it happens.
        touched = (bool(item.get("missing")), left_without_audio(item)) != (not present, empty)
        if touched:
            item["missing"] = not present
            (result.returned if present else result.emptied if empty
             else result.vanished).append(item["name"])  # fmt: skip
            details = {k: v for k, v in (item.get("details") or {}).items()
                       if k not in (FOLDED_INTO, NO_AUDIO)}  # fmt: skip
            item["details"] = {**details, NO_AUDIO: True} if empty else details
        if present and item["status"] == COMPLETED:
            folder = Path(on_disk[item["key"]])
            touched |= _files_changed(store.dir, item, folder, tree, result)
        if touched:
            changed.append(item)
    for key, folder in unseen.items():
        changed.append(new_item(key, key, folder))
        result.added.append(key)
    return changed


def _folded_into(item: Mapping[str, Any], on_disk: Mapping[str, str], root: Path) -> str | None:
    """The item on disk whose folder holds ``item``'s folder, still there but no longer an
    item of its own (the kind now counts it as that one's: a book's extras/); None when its
    folder is gone, or not inside another item's, or it was said folded already."""
    if (item.get("details") or {}).get(FOLDED_INTO):
        return None
    key = str(item["key"])
    into = next((k for k in _parents(key) if k in on_disk), None)
    return into if into is not None and (root / key).is_dir() else None


def _without_audio(item: Mapping[str, Any], root: Path) -> bool:
    """Whether ``item``'s folder, no longer found as an item, is still there (its audio gone):
    not when it was folded into another item (said so already), nor when it is a link."""
    if (item.get("details") or {}).get(FOLDED_INTO):
        return False
    folder = root / str(item["key"])
    return folder.is_dir() and not folder.is_symlink()


def _parents(key: str) -> list[str]:
    parts = key.split("/")
    return ["/".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]


def _below(key: str, folders: list[str]) -> str | None:
    """The first of ``folders`` (paths in the library) that ``key`` is, or lies below."""
    return next((f for f in folders if key == f or key.startswith(f"{f}/")), None)


def _files_changed(
    status_dir: Path, item: dict[str, Any], folder: Path, tree: bool, result: RefreshResult
) -> bool:
    """Put a completed item whose files changed since it completed back to pending, noting
    how in ``result``; whether it was. Reads directory entries and stat results only."""
    if not (item.get("details") or {}).get(fingerprints.FINGERPRINT):
        result.unrecorded += 1  # completed before its files were recorded: left as it is
        return False
    try:
        change = fingerprints.change_since(status_dir, item, folder, tree=tree)
    except OSError as err:
        result.unreadable.append((item["name"], err.strerror or str(err)))
        return False
    if change is None:
        return False
    _reset(item)
    result.changed.append((item["name"], change))
    return True


def summarize(data: Mapping[str, Any]) -> dict[str, Any]:
    """Counts by status; tracks and issues of the items whose results stand (completed), so
    a reset item leaves them until it is processed again. An item folded into another, or
    moved to another, is counted there, not here (``held_by``)."""
    items = [i for i in data["items"] if not held_by(i)]
    counts = statuses_of({"items": items})
    total = len(items)
    done = [i for i in items if holds_results(i)]
    return {
        "kind": data.get("kind"),
        "library": data.get("library"),
        "total": total,
        "statuses": counts,
        "missing_on_disk": sum(1 for i in items if i.get("missing") and not left_without_audio(i)),
        "without_audio": sum(1 for i in items if left_without_audio(i)),
        **{c.total: sum(i.get(c.field, 0) for i in done) for c in kinds.all_counters()},
        "percent_complete": round(100.0 * counts[COMPLETED] / total, 1) if total else 0.0,
        "not_identified": sum(
            1
            for i in items
            if i["status"] == COMPLETED and (i.get("details") or {}).get("unidentified")
        ),
        "in_progress_stages": stages_in_progress(items),
        # Completed without part of their work (a rule plugin stopped or left out).
        "plugins_left_out": plugins_left_out_of(items),
        "updated_at": data.get("updated_at"),
    }


def find_item(
    data: Mapping[str, Any],
    name: str,
    every_name: str = "--list shows every name",
    *,
    where: str = "the queue",
) -> dict[str, Any]:
    """The item ``name`` means: its exact key, else its name as ``mediakeeper.text.matching``
    finds names (accents and case aside, or the start of just one name). NotFound suggests
    the closest names, or else says where every name is shown (``every_name``: the queue
    manager's own flag by default; another command names the queue manager's)."""
    by_name: dict[str, dict[str, Any]] = {}
    for item in data["items"]:
        if item["key"] == name:  # keys are unique: one typed exactly is that item
            return item
        by_name.setdefault(item["name"], item)
    missing = f"no item named {quoted(name)} in {where}"
    found = find_name(name, by_name, missing=missing, otherwise=every_name)
    return by_name[found]


def refuse_if_live(item: dict[str, Any]) -> None:
    """An item a running batch is working on is that batch's until it records it."""
    if is_live(item):
        raise QueueError(
            f"{quoted(item['name'])} is being processed right now by pid "
            f"{item['claimed_by'].get('pid')}",
            "wait for that batch to finish or stop it first",
        )


def refuse_if_held(store: QueueStore, name: str) -> None:
    """The item named ``name`` exactly (as a change journal names it) refused, as
    ``refuse_if_live`` does, when a running batch holds it: what is written to its files
    meanwhile is the batch's. Read without the lock (a held batch may have it), a line at a
    time: an undo holds every change journaled meanwhile, and the whole queue beside them
    was 70 MB more at 55,000 artists."""

    def named(lines) -> list[dict[str, Any]]:
        return [item for line in lines if (item := decoded(line))["name"] == name]

    if store.exists():
        for item in read_each(store, named)[1]:
            refuse_if_live(item)


def _reset(item: dict[str, Any], status: str = PENDING, *, fresh: bool = False) -> None:
    """``fresh``: a person's retry from ``decide``, its attempts counted again from none
    (error_history keeps what they were); a reset keeps them as the item's history."""
    check_transition(item["status"], status)
    item["status"] = status
    item["claimed_by"] = None
    item["run_token"] = None  # a reset asks for fresh work, never a resumed one
    if status == PENDING:  # attempts and error_history stay: they are the item's history
        item["failures"] = 0
        item["started_at"] = None
        item["last_error"] = None
        if fresh:
            item["attempts"] = 0


def reset_where(store: QueueStore, wanted: Callable[[dict[str, Any]], bool]) -> list[str]:
    """Put every item ``wanted`` selects back to pending; returns their names."""

    def mutate(data):
        changed = [i for i in data["items"] if i["status"] != PENDING and wanted(i)]
        for item in changed:
            _reset(item)
        return changed

    return [i["name"] for i in store.update(mutate, fold=True)]


def reset_named(store: QueueStore, name: str, *, fresh: bool = False) -> tuple[str, str]:
    """Reset one item by name (``fresh``: its attempts too, ``_reset``); returns (its name,
    its previous status)."""
    previous = {}

    def mutate(data):
        item = find_item(data, name)
        previous.update(status=item["status"], name=item["name"])
        refuse_if_live(item)
        if item["status"] == PENDING:
            return []
        _reset(item, fresh=fresh)
        return [item]

    store.update(mutate, fold=True)
    return previous["name"], previous["status"]


def choose_named(store: QueueStore, name: str, choice: dict[str, Any]) -> tuple[str, str]:
    """Keep a person's choice in the item (``{"tmdb_id": 24}``: the movie it is) and put it
    back to pending, so the next batch takes it and honours the choice. Returns (its name,
    its previous status)."""
    previous = {}

    def mutate(data):
        item = find_item(data, name)
        previous.update(status=item["status"], name=item["name"])
        refuse_if_live(item)
        item["choice"] = dict(choice)
        if item["status"] != PENDING:
            _reset(item)
        return [item]

    store.update(mutate, fold=True)
    return previous["name"], previous["status"]


def skip_named(store: QueueStore, name: str) -> tuple[str, str]:
    previous = {}

    def mutate(data):
        item = find_item(data, name)
        previous.update(status=item["status"], name=item["name"])
        if item["status"] == SKIPPED:
            return []
        refuse_if_live(item)
        if item["status"] == COMPLETED:
            raise QueueError(
                f"{quoted(item['name'])} is already completed; reset it first to skip it"
            )
        _reset(item, SKIPPED)
        return [item]

    store.update(mutate, fold=True)
    return previous["name"], previous["status"]


def put_where(
    store: QueueStore, wanted: Callable[[dict[str, Any]], bool], status: str, *, fresh=False
) -> list[dict[str, Any]]:
    """Put every item ``wanted`` selects (none a batch works on) to ``status``, pending or
    skipped, as a reset or a skip does (``fresh``: ``_reset``); each one as it was before,
    for ``restore``."""
    before: list[dict[str, Any]] = []

    def mutate(data):
        chosen = [i for i in data["items"] if i["status"] != status and not is_live(i)
                  and wanted(i)]  # fmt: skip
        for item in chosen:
            before.append(json.loads(json.dumps(item)))
            _reset(item, status, fresh=fresh)
        return chosen

    store.update(mutate, fold=True)
    return before


def restore(store: QueueStore, before: list[dict[str, Any]], status: str, *,
            dry_run: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    """The items ``put_where`` put to ``status`` given back as they were (an undo), those
    still as it left them; a batch has taken the others since. Returns them as they are
    back (a dry run: as they would be, nothing written)."""
    was = {item["key"]: item for item in before}

    def mutate(data):
        return [was[i["key"]] for i in data["items"]
                if i["key"] in was and i["status"] == status and not is_live(i)]  # fmt: skip

    return mutate(store.peek()) if dry_run else store.update(mutate, fold=True)


def reset_errors(store: QueueStore) -> list[str]:
    return reset_where(store, lambda i: i["status"] == ERROR)


def reset_all(store: QueueStore) -> tuple[list[str], dict[tuple[Any, Any], int]]:
    """Every item back to pending but those a running batch holds (``refuse_if_live``): the
    names reset, and how many each batch kept, by its (pid, session)."""
    kept: dict[str, tuple[Any, Any]] = {}  # by key: a retried update counts each once

    def wanted(item: dict[str, Any]) -> bool:
        if is_live(item):
            claim = item["claimed_by"]
            kept[item["key"]] = (claim.get("pid"), claim.get("session"))
        return not is_live(item)

    names = reset_where(store, wanted)
    return names, dict(Counter(kept.values()))


def list_items(data: Mapping[str, Any], status: str | None = None) -> list[dict[str, Any]]:
    if status is not None and status not in STATUSES:
        raise QueueError(f"unknown status {status!r}", "one of: " + ", ".join(STATUSES))
    return [i for i in data["items"] if status is None or i["status"] == status]


def validate_file(store: QueueStore, *, check_folders: bool = True) -> list[str]:
    """Every problem with the queue on disk, including JSON that does not parse."""
    if not store.exists():
        return [f"no queue at {store.path}"]
    folder_exists = default_folder_exists if check_folders else None
    try:
        data = store.peek()  # reading only: no lock file, no folder (a read-only home too)
    except QueueError as err:
        # The store stops at the first structural problem; a person wants to see them all.
        try:
            raw = queue_files.loads(store.path.read_bytes())
        except (OSError, ValueError):
            return [err.message]
        if not structure_problems(raw):
            return [err.message]  # e.g. a damaged journal line
        return validate(raw, folder_exists=folder_exists)
    return validate(data, folder_exists=folder_exists)


def resolve_checkpoint(store: QueueStore, which: str) -> Path:
    if which == "latest":
        found = store.checkpoints()
        if not found:
            raise QueueError(f"no checkpoints in {store.checkpoint_dir}")
        return found[-1]
    path = Path(which)
    if not path.is_absolute() and not path.exists():
        path = store.checkpoint_dir / which
    if not path.is_file():
        raise CheckpointMissing(f"checkpoint not found: {which}")
    return path


def prune_checkpoints(store: QueueStore, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` checkpoints; returns what was deleted."""
    found = store.checkpoints()
    doomed = found[: max(0, len(found) - keep)]
    for path in doomed:
        path.unlink()
    return doomed
