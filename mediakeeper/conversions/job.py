"""One album folder converted through its working directory, stage by stage.

``<working>/<slug>/state.json`` records the stage reached (``preparing``, ``converting``,
``archiving``, ``finalizing``, ``completed``) and what the album holds; each stage's end is
written there (atomically) before the next begins, so a run killed at any instant resumes
at the stage it was in, and ends exactly as an uninterrupted run would have. The queue item
shows each stage as it begins (``details.stage``, through ``item_progress``: during a batch
only the runner writes the queue), ``completed`` once recorded, and a failure as
``failed_<stage>`` in its error history.

- preparing: free space on every volume checked; the album copied into ``_source`` and
  verified (size and SHA-256).
- converting: each audio file encoded into ``_processed`` (``convert``: temporary name,
  verified length, tags and cover, rename), several at once (one ffmpeg per core); a track
  already there with its record is skipped on resume; lossy sources and other files copied.
- archiving (with an archive): ``_source`` copied to ``<archive>/<album>``, verified, renamed
  into place.
- finalizing: ``_processed`` placed at ``<output>/<album>`` (a rename on one volume; copied,
  verified and renamed across volumes); the originals deleted only when asked, once the
  archive (when set) is in place.
- completed: ``outputs/conversions/<slug>.json`` written, the working directory cleaned.

The working directory gone: the album starts again from its original; both gone: an error.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import traceback
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.batch.job import ItemFailure, ItemResult
from mediakeeper.batch.stage_progress import report_stage
from mediakeeper.batch.workfile import finished, load_work, save_finished, save_work, work_path
from mediakeeper.conversions import plan
from mediakeeper.conversions.outputs import write_outputs
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.core.findings import finding_record
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.fs.workdir import (
    PlaceTaken,
    copy_verified,
    place_folder,
    same_files,
    same_volume,
)
from mediakeeper.media import ffmpeg
from mediakeeper.media.convert import (
    PROFILES,
    Converted,
    ConvertFailed,
    convert,
    copy_track,
)
from mediakeeper.queue.items import finding_counts
from mediakeeper.text.slug import inside, slugify

PREPARING, CONVERTING, ARCHIVING = "preparing", "converting", "archiving"
FINALIZING, COMPLETED = "finalizing", "completed"
STAGES = (PREPARING, CONVERTING, ARCHIVING, FINALIZING, COMPLETED)
SOURCE, PROCESSED, TRACKS, STATE = "_source", "_processed", "_tracks", "state.json"


class Restart(Exception):
    """The working directory lost what the stage needs: start again from the original."""


@dataclass
class ConversionJob:
    home: Path
    session: str
    output: Path
    profile: str = "opus"
    archive: Path | None = None
    working: Path | None = None  # None: <home>/working/conversions
    delete_originals: bool = False
    overwrite: bool = False
    allow_lossy: bool = False
    cleanup_working_on_success: bool = True
    cleanup_working_on_failure: bool = False
    min_free_mb: int = 0
    ffmpeg_path: str = ""
    threads: int = 0  # ffmpeg processes at once per album; 0: one per core

    @property
    def working_root(self) -> Path:
        return self.working or self.home / "working" / "conversions"

    def workdir(self, item: dict[str, Any]) -> Path:
        return inside(self.working_root, slugify(item["key"]))

    def target(self, root: Path, item: dict[str, Any]) -> Path:
        """Where the album goes under ``root``: its path in the library. The library itself
        (it holds audio files directly: key ``.``) goes under its own name, never onto
        ``root`` itself, which holds every other album."""
        parts = Path(item["key"]).parts or (Path(item["path"]).name,)
        return inside(root, *parts)

    # ---- the stages ------------------------------------------------------------------

    def process(self, item: dict[str, Any]) -> ItemResult:
        album, wd = Path(item["path"]), self.workdir(item)
        work = work_path(self.home / "status" / "conversions", slugify(item["key"]))
        if (result := finished(load_work(work, item.get("run_token")))) is not None:
            return result  # done and cleaned up, killed before the runner recorded it
        save_work(work, {"token": item.get("run_token")})
        state = self._load(wd, item)
        stage = state["stage"] if state else PREPARING
        restarted = False
        try:
            while stage != COMPLETED:
                report_stage(stage)
                try:
                    state = self._run_stage(stage, item, album, wd, state)
                except Restart:
                    if restarted:  # its fresh copy vanished too: not a loop, a failure
                        gone = f"the working directory {wd} keeps vanishing"
                        raise MediakeeperError(gone) from None
                    state, stage, restarted = None, PREPARING, True
                    continue
                stage = state["stage"]
            return self._complete(item, wd, state, work)
        except Exception as err:  # a crash too is this stage's failure, with where it was
            if self.cleanup_working_on_failure:
                shutil.rmtree(wd, ignore_errors=True)
            raise ItemFailure(f"failed_{stage}", _message(err)) from None

    def _run_stage(self, stage, item, album, wd, state):
        if stage == PREPARING:
            return self._prepare(item, album, wd)
        if not (wd / SOURCE).is_dir() and not (stage == FINALIZING and state.get("placed")):
            self._vanished(album, wd)
        if stage == CONVERTING:
            return self._convert(wd, state)
        if stage == ARCHIVING:
            return self._archive(item, wd, state)
        return self._finalize(item, album, wd, state)

    def _vanished(self, album: Path, wd: Path) -> None:
        if album.is_dir():
            raise Restart
        raise MediakeeperError(
            f"the album folder {album} is gone, and its working copy in {wd} too: "
            "nothing is left to convert"
        )

    def _prepare(self, item, album: Path, wd: Path) -> dict[str, Any]:
        if not album.is_dir():
            raise MediakeeperError(f"the album folder {album} is gone")
        profile = PROFILES[self.profile]
        files = plan.entries(album, profile, allow_lossy=self.allow_lossy)
        out = self.target(self.output, item)
        if out.exists() and not self.overwrite:
            raise PlaceTaken(
                f"{out} already exists; it is never replaced silently: run with --overwrite "
                "to replace it"
            )
        for root in (self.output, self.archive, self.working_root):
            if root is not None:
                plan.check_writable(root)
        plan.check_space(self.needs(item, files), self.min_free_mb, item["name"])
        shutil.rmtree(wd, ignore_errors=True)
        (wd / SOURCE).mkdir(parents=True)
        (wd / PROCESSED).mkdir()
        (wd / TRACKS).mkdir()
        for entry in files:
            copy_verified(album / entry.name, wd / SOURCE / entry.name)
        state = {
            "key": item["key"],
            "profile": self.profile,
            "output": str(self.output),
            "archive": str(self.archive) if self.archive else None,
            "files": plan.as_records(files),
        }
        return self._save(wd, state, CONVERTING)

    def needs(self, item, files) -> dict[Path, int]:
        profile = PROFILES[self.profile]
        source = plan.source_bytes(files)
        estimate = sum(plan.estimated_output(e, profile) for e in files)
        needs = {self.working_root: source + estimate}
        if not same_volume(self.working_root, self.output):
            needs[self.output] = estimate
        if self.archive is not None:
            needs[self.archive] = source
        return needs

    def _convert(self, wd: Path, state: dict[str, Any]) -> dict[str, Any]:
        exe = ffmpeg.find(self.ffmpeg_path)
        (wd / PROCESSED).mkdir(exist_ok=True)  # (emptied by hand: the tracks are made again)
        (wd / TRACKS).mkdir(exist_ok=True)
        profile = PROFILES[self.profile]
        files = plan.from_records(state["files"])
        todo = [e for e in files if not _done(wd, e)]
        # Checked at preparing, but a resumed album may find its working volume filled since.
        estimate = sum(plan.estimated_output(e, profile) for e in todo)
        plan.check_space({self.working_root: estimate}, self.min_free_mb, state["key"])
        threads = self.threads or os.cpu_count() or 1
        pool = ThreadPoolExecutor(max_workers=max(1, threads))
        try:
            futures = [pool.submit(self._one, exe, wd, e, profile) for e in todo]
            wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:
                if future.done() and future.exception() is not None:
                    raise future.exception()
        except BaseException:
            ffmpeg.kill_running()  # an interrupt or a failed track: no encoder goes on
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return self._save(wd, state, ARCHIVING if self.archive else FINALIZING)

    def _one(self, exe: str, wd: Path, entry: plan.Entry, profile) -> None:
        source, output = wd / SOURCE / entry.name, wd / PROCESSED / entry.output
        if entry.action == plan.ENCODE:
            result = convert(exe, source, output, profile)
        elif entry.action == plan.COPY_LOSSY:
            result = copy_track(source, output, entry.seconds)
        else:
            copy_verified(source, output)
            size = output.stat().st_size
            result = Converted(entry.name, entry.output, "kept", size, size, 0.0, 0.0)
        atomic_write_text(_record(wd, entry), json.dumps(asdict(result)), durable=False)

    def _archive(self, item, wd: Path, state: dict[str, Any]) -> dict[str, Any]:
        assert self.archive is not None
        target = self.target(self.archive, item)
        if not (target.is_dir() and same_files(wd / SOURCE, target)):
            source = plan.source_bytes(plan.from_records(state["files"]))
            plan.check_space({self.archive: source}, self.min_free_mb, item["name"])
            try:
                place_folder(wd / SOURCE, target, move=False, overwrite=self.overwrite)
            except PlaceTaken:
                raise PlaceTaken(
                    f"{target} already exists in the archive and differs from this album; "
                    "run with --overwrite to replace it"
                ) from None
        state["archived"] = str(target)
        return self._save(wd, state, FINALIZING)

    def _finalize(self, item, album: Path, wd: Path, state: dict[str, Any]) -> dict[str, Any]:
        target = self.target(self.output, item)
        if not state.get("placed"):
            processed = wd / PROCESSED
            expected = {e.output for e in plan.from_records(state["files"])}
            if state.get("placing") and _holds(target, expected):
                pass  # placed by an attempt killed before it could say so
            elif processed.is_dir():
                if not same_volume(processed, self.output):
                    estimate = sum(f.stat().st_size for f in processed.iterdir())
                    plan.check_space({self.output: estimate}, self.min_free_mb, item["name"])
                state = self._save(wd, {**state, "placing": True}, FINALIZING)
                try:
                    place_folder(processed, target, move=True, overwrite=self.overwrite)
                except PlaceTaken:
                    raise PlaceTaken(
                        f"{target} already exists; it is never replaced silently: run with "
                        "--overwrite to replace it"
                    ) from None
            else:
                raise Restart
            state = self._save(wd, {**state, "placed": str(target)}, FINALIZING)
        if self.delete_originals and (self.archive is None or state.get("archived")):
            files = plan.from_records(state["files"])
            state["deleted"] = _delete_originals(album, files, keep_folder=item["key"] == ".")
        return self._save(wd, state, COMPLETED)

    def _complete(self, item, wd: Path, state: dict[str, Any], work: Path) -> ItemResult:
        files = plan.from_records(state["files"])
        tracks = [_read_record(wd, e) for e in files]
        audio = [t for t in tracks if t and t["action"] != "kept"]
        before = sum(t["source_bytes"] for t in tracks if t)
        after = sum(t["output_bytes"] for t in tracks if t)
        seconds = round(sum(t["source_seconds"] for t in audio), 3)
        slug = slugify(item["key"])
        document = {
            "name": item["name"],
            "key": item["key"],
            "slug": slug,
            "session": self.session,
            "processed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "profile": state["profile"],
            "output": state.get("placed"),
            "archive": state.get("archived"),
            "originals_deleted": state.get("deleted", []),
            "bytes_before": before,
            "bytes_after": after,
            "seconds": seconds,
            "files": tracks,
            "findings": [finding_record(f) for f in plan.findings(files)],
        }
        write_outputs(self.home, slug, document)
        encoded = sum(1 for t in audio if t["action"] == "encoded")
        result = ItemResult(
            counts={
                "track_count": len(audio),
                # An info finding (a lossy source copied) is no issue a person must see to.
                "issues_found": sum(f["severity"] != "info" for f in document["findings"]),
                "issues_resolved": 0,
            },
            details={
                "slug": slug,
                "finding_counts": finding_counts(document["findings"]),
                "stage": COMPLETED,
                "profile": state["profile"],
                "bytes_before": before,
                "bytes_after": after,
                "seconds": seconds,
                "output": state.get("placed"),
            },
            summary=f"{encoded} encoded, {len(audio) - encoded} copied; "
            f"{before / 1e6:.1f} MB -> {after / 1e6:.1f} MB",
        )
        save_finished(work, item.get("run_token"), result)
        if self.cleanup_working_on_success:
            shutil.rmtree(wd, ignore_errors=True)
        return result

    # ---- the working directory's record ----------------------------------------------

    def _load(self, wd: Path, item: dict[str, Any]) -> dict[str, Any] | None:
        """The state of an earlier attempt at this album with these settings; None to start
        afresh (none, unreadable, or made for another profile, output or archive)."""
        try:
            state = json.loads((wd / STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        same = (
            isinstance(state, dict)
            and state.get("key") == item["key"]
            and state.get("profile") == self.profile
            and state.get("output") == str(self.output)
            and state.get("archive") == (str(self.archive) if self.archive else None)
            and state.get("stage") in STAGES
        )
        return state if same else None

    def _save(self, wd: Path, state: dict[str, Any], stage: str) -> dict[str, Any]:
        state = {**state, "stage": stage}
        atomic_write_text(wd / STATE, json.dumps(state, ensure_ascii=False))
        return state


def _record(wd: Path, entry: plan.Entry) -> Path:
    return wd / TRACKS / f"{entry.output}.json"


def _done(wd: Path, entry: plan.Entry) -> bool:
    """Converted and verified by an earlier attempt (the output is renamed into place only
    once verified; its record is written after)."""
    return (wd / PROCESSED / entry.output).is_file() and _record(wd, entry).is_file()


def _holds(folder: Path, names: set[str]) -> bool:
    try:
        return {e.name for e in folder.iterdir()} == names
    except OSError:
        return False


def _read_record(wd: Path, entry: plan.Entry) -> dict[str, Any] | None:
    try:
        return json.loads(_record(wd, entry).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _delete_originals(album: Path, files: list[plan.Entry], *, keep_folder: bool) -> list[str]:
    """Delete the album's files that were copied, each only if it is still the file that
    was (size and modification time); the folder too once empty."""
    deleted = []
    for entry in files:
        if plan.unchanged(album, entry):
            os.unlink(album / entry.name)
            deleted.append(entry.name)
    if not keep_folder:  # (the library itself stays)
        with contextlib.suppress(OSError):  # something else is in it (a sub-album): it stays
            album.rmdir()
    return deleted


def _message(err: BaseException) -> str:
    if isinstance(err, ConvertFailed):
        return err.message
    if isinstance(err, OSError) and err.filename:
        return f"{err.strerror or err}: {err.filename}"
    if isinstance(err, MediakeeperError | OSError):
        return str(err)
    where = traceback.extract_tb(err.__traceback__)[-1]
    return f"{type(err).__name__}: {err} (at {os.path.basename(where.filename)}:{where.lineno})"
