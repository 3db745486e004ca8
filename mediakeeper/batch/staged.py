"""The one stage machine of the kinds that copy, place and delete whole folders (conversions,
audiobooks, pipelines): an item goes through its kind's stages in a working directory, then
through the stages every such kind shares, each recorded before the next begins.

``<home>/working/<kind>/<slug>/state.json`` holds the stage reached and what the stages
before it found; it is written atomically at each stage's end, so a run killed at any instant
resumes at the stage it was in. Each stage is reported as it begins (``report_stage``: the
queue item's ``details.stage``) and a failure is ``failed_<stage>``. After the kind's own
stages come, in this order:

- ``deleting_originals`` (only for a kind asked to delete them): every original checked to be
  exactly the file that was copied and verified (device, inode, size, mtime_ns, ctime_ns as
  recorded when it was copied); one that changed keeps them all (``original-changed``);
- ``completed``: the kind's outputs written and its result saved in the work file;
- ``cleaning``: the working directory removed (a rerun that finds the saved result removes
  it too).

What the toolkit may replace is what it placed itself: each placement is recorded in
``<home>/status/<kind>/placed/<slug>.json`` (each target folder's files, size and mtime, and
the item's key), and a placement into a folder that exists replaces only the item's own
recorded files, keeps every other file and every subfolder (another item's, or the user's),
and refuses, naming it, a file of the user's in the way (or another item's, naming that
item). Before it moves anything it records what it places (each file's size and SHA-256), so
a run killed after the move recognises its own output.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from mediakeeper.batch import placements
from mediakeeper.batch.job import ItemFailure, ItemResult, crash_message, out_of_space
from mediakeeper.batch.stage_progress import report_stage
from mediakeeper.batch.workfile import finished, load_work, save_finished, save_work, work_path
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import ConfigError, MediakeeperError
from mediakeeper.core.findings import Finding, finding_of
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.fs.identity import lasting_identity
from mediakeeper.fs.links import gone
from mediakeeper.fs.workdir import check_writable, copy_verified
from mediakeeper.media.albums import album_files
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.slug import inside, slugify
from mediakeeper.text.visible import one_line

DELETING, COMPLETED, CLEANING, DONE = "deleting_originals", "completed", "cleaning", ""
STATE, PLACED_DIR = "state.json", "placed"


class Restart(Exception):
    """The working directory lost what the stage needs: start again from the original."""


class LayoutRefused(MediakeeperError):
    """A destination that is, holds or lies in a source folder (exit 2, before anything)."""


class OriginalChanged(MediakeeperError):
    """An original is no longer the file that was copied and verified."""


# ---- the layout -----------------------------------------------------------------------------


def relation(first: Path, second: Path) -> str | None:
    """How ``first`` overlaps ``second``: "is" (the same folder: same path, or same device
    and inode through a link), "is inside" or "holds"; None: apart."""
    a, b = first.expanduser().resolve(), second.expanduser().resolve()
    if a == b:
        return "is"
    if b in a.parents:
        return "is inside"
    if a in b.parents:
        return "holds"
    with contextlib.suppress(OSError):
        sa, sb = os.stat(a), os.stat(b)
        if (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino):
            return "is"
    return None


def check_layout(sources: Iterable[tuple[str, Path | None]],
                 destinations: Iterable[tuple[str, Path | None]]) -> None:  # fmt: skip
    """LayoutRefused, naming both folders, for a destination (output, archive, backup,
    working folder) that is a source (the library, an item), lies in it or holds it: its
    files would be written among the originals, or taken for new items next time."""
    given = [(label, path) for label, path in sources if path is not None]
    for what, where in destinations:
        if where is not None and (blocker := _file_in_the_way(where)) is not None:
            said = "is a file" if blocker == where else f"lies in {one_line(str(blocker))}, a file"
            raise LayoutRefused(f"the {what} folder {one_line(str(where))} {said}, not a folder: "
                                f"choose a folder for the {what}")  # fmt: skip
        for label, source in given if where is not None else ():
            if how := relation(where, source):
                raise LayoutRefused(
                    f"the {what} folder {one_line(str(where.expanduser().resolve()))} {how} the "
                    f"{label} {one_line(str(source.expanduser().resolve()))}: its files would be "
                    f"written among the originals; choose the {what} folder apart from the "
                    f"{label} (neither in it nor holding it)"
                )


def _file_in_the_way(folder: Path) -> Path | None:
    """``folder``, or the nearest of its parents that is there, when that is not a folder
    (a file, a broken link): every item would fail on it, so the batch is refused first."""
    for place in (folder, *folder.parents):
        if os.path.lexists(place):
            return None if place.is_dir() else place
    return None


def album_target(root: Path, item: dict[str, Any]) -> Path:
    """Where an album goes under ``root``: its path in the library. The library itself (it
    holds audio directly: key ``.``) goes under its own name, never onto ``root`` itself."""
    parts = Path(item["key"]).parts or (Path(item["path"]).name,)
    return inside(root, *parts)


# ---- the originals --------------------------------------------------------------------------


def identity(path: Path) -> list[int]:
    """What says a file is still the one that was copied (``fs.identity.lasting_identity``)."""
    return lasting_identity(os.stat(path))


def copy_original(source: Path, target: Path) -> list[int]:
    """``source`` copied and verified to ``target``; its identity as it was copied (a file
    written to meanwhile: a MediakeeperError, the copy may mix two versions; so is a link
    whose file is gone, named as such)."""
    return _copy_original(source, target)[0]


def _copy_original(source: Path, target: Path) -> tuple[list[int], str]:
    """``copy_original``, and the SHA-256 of the bytes copied (the copy computed it)."""
    if lost := gone(source):
        raise MediakeeperError(lost)
    before = identity(source)
    copied = copy_verified(source, target)
    if identity(source) != before:
        raise MediakeeperError(f"{source} changed while it was copied: run again")
    return before, copied.sha256


def copied_originals(folder: Path, target: Path) -> dict[str, list[int]]:
    """Each of the album ``folder``'s files (``album_files``) copied and verified into
    ``target``, by name, with its identity as it was copied."""
    return copied_originals_hashed(folder, target)[0]


def copied_originals_hashed(
    folder: Path, target: Path
) -> tuple[dict[str, list[int]], dict[str, str]]:
    """``copied_originals``, and each file's SHA-256 by name as its copy computed it: a
    kind that records what it made from each file need not read the file again."""
    identities, digests = {}, {}
    for path in album_files(folder):
        identities[path.name], digests[path.name] = _copy_original(path, target / path.name)
    return identities, digests


def changed_since_copied(
    folder: Path,
    recorded: dict[str, list[int]],
    files: Callable[[Path], Iterable[Path]] = album_files,
) -> bool:
    """Whether the album ``folder`` no longer holds the files copied with these identities
    (one replaced, added or removed since), by their paths in it (an album's: its files'
    names; ``files``: which are copied); False where it cannot be read (gone: its working
    copy is all there is)."""
    try:
        now = {str(path.relative_to(folder)): identity(path) for path in files(folder)}
    except OSError:
        return False
    return now != recorded


def changed_originals(folder: Path, recorded: dict[str, list[int]]) -> list[Finding]:
    """An ``original-changed`` finding for each original no longer the file that was copied
    (one already gone: deleted by an attempt killed meanwhile, not a change)."""
    changed = []
    for name, was in recorded.items():
        with contextlib.suppress(FileNotFoundError):
            if identity(folder / name) != was:
                changed.append(finding_of("original-changed", name, f"{name} changed since it "
                                          "was copied and verified: kept"))  # fmt: skip
    return changed


def delete_originals(
    folder: Path, recorded: dict[str, list[int]], *, keep_folder: bool
) -> list[str]:
    """Delete ``folder``'s originals, all or none: OriginalChanged (nothing deleted) if one
    is no longer the file copied."""
    if changed := changed_originals(folder, recorded):
        raise OriginalChanged(
            f"original-changed: {', '.join(f.path for f in changed)} in {folder} changed since "
            "it was copied and verified: every original of it is kept; run it again with "
            "--retry-errors --overwrite to convert and archive it as it is now"
        )
    for name in recorded:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(folder / name)
    if not keep_folder:  # (something else is in it, a sub-album: it stays)
        with contextlib.suppress(OSError):
            folder.rmdir()
    return list(recorded)


# ---- one item's attempt ---------------------------------------------------------------------


@dataclass
class Attempt:
    """One run at one item: its claim, working directory and recorded state."""

    item: dict[str, Any]
    wd: Path
    state: dict[str, Any] = field(default_factory=dict)
    result: ItemResult | None = None

    def save(self, stage: str, **changes: Any) -> str:
        """Record ``changes`` and that ``stage`` is next (atomically); returns ``stage``."""
        self.state = {**self.state, **changes, "stage": stage}
        self.wd.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.wd / STATE, json.dumps(self.state, ensure_ascii=False))
        return stage


Stage = Callable[[Attempt], str]


def worded(err: BaseException, failures: tuple[type[Exception], ...] = ()) -> str:
    """The one line a failure is recorded with: a file's error naming the file, a failure the
    toolkit words (its own errors and a kind's ``failures``) as it is, anything else as the
    crash it is. (A pipeline's step sent to a cluster's worker is worded there by it too.)"""
    if isinstance(err, OSError) and err.filename:
        return gone(err.filename) or f"{err.strerror or err}: {err.filename}"
    if isinstance(err, (MediakeeperError, OSError, *failures)):
        return str(err)
    return crash_message(err)


class StagedJob:
    """The base of a staged kind's job (a dataclass with ``home``). The kind says:
    ``kind`` (its status folder), ``noun``, ``first`` (its first stage), ``stages()`` (its
    own stages in order, each a function of the attempt returning the stage after it),
    ``finish()`` (its outputs and result), and may say ``resumable()``, ``places()`` (where
    its outputs go), ``failures`` (the exceptions its stages word for a person, which
    ``message`` says as they are), ``message()`` and ``originals()`` (what
    ``deleting_originals`` deletes)."""

    noun: ClassVar[str] = "item"
    first: ClassVar[str]
    # The kind's stages that work on its working copy of the item alone, nothing placed yet:
    # an attempt resumed at one of them whose originals changed since they were copied (a
    # damaged track replaced, as its failure asked) starts again from the originals, not
    # from the copy of what was replaced.
    copied_stages: ClassVar[frozenset[str]] = frozenset()
    failures: ClassVar[tuple[type[Exception], ...]] = ()
    home: Path
    overwrite: bool = False
    cleanup_working_on_success: bool = True
    cleanup_working_on_failure: bool = False
    working: Path | None = None  # the working folders' root; None: <home>/working/<kind>

    @property
    def kind(self) -> str:
        raise NotImplementedError

    @property
    def working_root(self) -> Path:
        return self.working or self.home / "working" / self.kind

    def workdir(self, item: dict[str, Any]) -> Path:
        return inside(self.working_root, slugify(item["key"]))

    def stages(self) -> dict[str, Stage]:
        raise NotImplementedError

    def finish(self, attempt: Attempt) -> ItemResult:
        raise NotImplementedError

    def resumable(self, item: dict[str, Any], state: dict[str, Any]) -> bool:
        return state.get("key") == item["key"]

    def upgrade(self, state: dict[str, Any]) -> dict[str, Any]:
        """A ``state.json`` an earlier version wrote, as this one reads it."""
        return state

    def adjust(self, attempt: Attempt) -> None:
        """Change a resumed attempt's state before it goes on (other settings since)."""

    def destinations(self) -> list[tuple[str, Path | None]]:
        """The folders it writes that no original may be in, nor hold: its working folders,
        and those a kind adds (``places``)."""
        return [*self.places(), ("working", self.working_root)]

    def places(self) -> list[tuple[str, Path | None]]:
        """The folders a kind writes its outputs to, each with its name for a message."""
        return []

    def originals(self, attempt: Attempt) -> tuple[Path, dict[str, list[int]]] | None:
        """The folder whose originals ``deleting_originals`` deletes, and their identities
        as copied; None: it deletes none."""
        return None

    def message(self, err: BaseException, stage: str = "") -> str:
        """The one line a failure of ``stage`` is recorded with (``worded``)."""
        return worded(err, self.failures)

    # ---- the loop -------------------------------------------------------------------------

    def process(self, item: dict[str, Any]) -> ItemResult:
        wd, token = self.workdir(item), item.get("run_token")
        work = work_path(self.home / "status" / self.kind, slugify(item["key"]))
        if (result := finished(load_work(work, token))) is not None:
            report_stage(CLEANING)  # done, killed before the runner recorded it
            self._clean(wd)
            return result
        save_work(work, {"token": token})
        attempt = Attempt(item, wd, self._resumed(item, wd))
        if attempt.state:
            self.adjust(attempt)
        stage = attempt.state.get("stage", self.first)
        restarted = False
        try:
            check_layout([(f"{self.noun} folder", Path(item["path"]))], self.destinations())
            if stage == self.first:
                self._check_writable()
            while stage != DONE:
                report_stage(stage)
                try:
                    stage = self._one_stage(stage, attempt, work)
                except Restart:
                    if restarted:  # its fresh copy vanished too: not a loop, a failure
                        raise MediakeeperError(f"the working directory {wd} keeps vanishing") \
                            from None  # fmt: skip
                    attempt.state, stage, restarted = {}, self.first, True
        except (ItemFailure, ConfigError):  # (a setting wrong for every item: the batch's)
            raise
        except Exception as err:  # a crash too is this stage's failure, with where it was
            if (full := out_of_space(err)) is not None:  # the next items would meet it too
                raise full from None
            if self.cleanup_working_on_failure or isinstance(err, OriginalChanged):
                shutil.rmtree(wd, ignore_errors=True)  # (changed: start afresh next time)
            raise ItemFailure(f"failed_{stage}", self.message(err, stage)) from None
        assert attempt.result is not None
        return attempt.result

    def _check_writable(self) -> None:
        """Every place it writes can be written to (not a read-only file system, not another
        user's folder): an item is refused at its first stage, before its work."""
        for _, root in self.destinations():
            if root is not None:
                check_writable(root)

    def _one_stage(self, stage: str, attempt: Attempt, work: Path) -> str:
        if stage == DELETING:
            folder, recorded = self.originals(attempt) or (Path(), {})
            deleted = delete_originals(folder, recorded, keep_folder=attempt.item["key"] == ".")
            return attempt.save(COMPLETED, deleted=deleted)
        if stage == COMPLETED:
            attempt.result = self.finish(attempt)
            save_finished(work, attempt.item.get("run_token"), attempt.result)
            return CLEANING
        if stage == CLEANING:
            self._clean(attempt.wd)
            return DONE
        own = self.stages()
        if stage not in own:  # a state.json of another version: start afresh
            raise Restart
        return own[stage](attempt)

    def after_placing(self, attempt: Attempt) -> str:
        """The stage after the kind's last (placing): deleting its originals, if asked."""
        return DELETING if self.originals(attempt) is not None else COMPLETED

    @staticmethod
    def copied_files(folder: Path) -> Iterable[Path]:
        """The files of an item's ``folder`` its first stage copies (and records as
        ``originals``, by their paths in it): an album's own files."""
        return album_files(folder)

    def _clean(self, wd: Path) -> None:
        if self.cleanup_working_on_success:
            shutil.rmtree(wd, ignore_errors=True)

    def _resumed(self, item: dict[str, Any], wd: Path) -> dict[str, Any]:
        """The state of an earlier attempt this run may resume; {} to start afresh."""
        try:
            state = json.loads((wd / STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(state, dict):
            return {}
        state = self.upgrade(state)
        ok = isinstance(state.get("stage"), str)
        if not (ok and self.resumable(item, state)):
            return {}
        recorded = state.get("originals")
        if state["stage"] in self.copied_stages and isinstance(recorded, dict) \
                and changed_since_copied(Path(item["path"]), recorded,
                                         self.copied_files):  # fmt: skip
            shutil.rmtree(wd, ignore_errors=True)  # (a copy of what is no longer there)
            return {}
        return state

    # ---- what the stages share ------------------------------------------------------------

    def place(self, attempt: Attempt, folder: Path, target: Path, role: str, *,
              move: bool) -> None:  # fmt: skip
        """``folder``'s files placed at ``target`` (``placements.place``), the manifest
        recorded first so a resumed attempt knows its own files there."""
        key = f"placing_{role}"
        if attempt.state.get(key, {}).get("target") != str(target):
            if not folder.is_dir():
                raise Restart
            entry = {"target": str(target), "files": placements.manifest(folder)}
            attempt.save(attempt.state["stage"], **{key: entry})
        record = placements.Record(self._record_path(attempt.item), attempt.item["key"])
        try:
            placements.place(folder, target, attempt.state[key]["files"], record, move=move,
                             overwrite=self.overwrite, noun=self.noun)  # fmt: skip
        except placements.PlacementLost:
            raise Restart from None

    def check_place(self, item: dict[str, Any], target: Path, names: set[str]) -> None:
        """PlaceTaken now if placing ``names`` at ``target`` will be refused."""
        record = placements.Record(self._record_path(item), item["key"])
        placements.check(target, names, record, overwrite=self.overwrite, noun=self.noun)

    def holds_earlier_output(self, item: dict[str, Any]) -> bool:
        """Whether a place this job writes to (``places``) holds files the item placed there
        before, as they were placed: a run would replace them (only with ``overwrite``). A
        completed item asked into another output finds none there."""
        record = placements.Record(self._record_path(item), item["key"])
        roots = [root for _, root in self.places() if root is not None]
        return any(
            record.owned(Path(target))
            for target in record.load()
            if target != placements.KEY and any(Path(target).is_relative_to(r) for r in roots)
        )

    def place_note(self, item: dict[str, Any], target: Path, names: set[str]) -> str:
        """What a dry run says of ``target``: nothing (free), that the item's own earlier
        output there is replaced (``overwrite``), that it goes beside what is there, or the
        refusal a run would meet."""
        try:
            self.check_place(item, target, names)
        except MediakeeperError as err:
            return f" (refused: {err})"
        if not target.exists():
            return ""
        if self.overwrite:
            record = placements.Record(self._record_path(item), item["key"])
            if any(record.owned(Path(placed)) for placed in record.load()
                   if placed != placements.KEY and Path(placed).is_relative_to(target)):
                return " (exists: its earlier output there replaced, nothing else)"
        return " (exists: placed beside what is there)"

    def _record_path(self, item: dict[str, Any]) -> Path:
        return inside(self.home / "status" / self.kind, PLACED_DIR, f"{slugify(item['key'])}.json")


def libraries(settings: Settings, kind: str) -> list[tuple[str, Path | None]]:
    """The libraries a batch of ``kind`` takes its items from: the one given (flag, setting)
    and the one its queue was created with, which a batch uses when none is given."""
    found: list[tuple[str, Path | None]] = [("library", settings.library(kind))]
    store = QueueStore(settings.status_dir / kind, kind)
    with contextlib.suppress(MediakeeperError, OSError):
        queued = store.peek().get("library") if store.exists() else None
        if isinstance(queued, str):
            found.append(("library", Path(queued)))
    return found
