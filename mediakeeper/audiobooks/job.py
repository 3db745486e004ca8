"""One book folder through its working directory, step by step, resumable.

``<working>/<slug>/state.json`` records the step reached: ``backup`` (the folder copied to
``<backup>/<folder>_<YYYYMMDD_HHMMSS>/``, verified, with ``metadata.txt``), ``measure`` (each
file read, not decoded: its format, its length from its packets, its chapter title), ``merge``
(the M4B built, its chapters at what the encode decoded of each file, verified and tagged in
the working directory), ``place`` (moved to its place in the output with
``cover.jpg``), ``completed``. A killed run resumes at the step it was in; a finished step's
verified result is never redone, except a merge resumed with other encode settings
(``mediakeeper.audiobooks.resume``) and a backup gone before the merge that reads it (pruned
or deleted by hand since the kill: made again).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mediakeeper.audiobooks import checks, covers, metadata, resume
from mediakeeper.audiobooks.books import book_files, left_out
from mediakeeper.audiobooks.outputs import write_outputs
from mediakeeper.batch.job import ItemFailure, ItemResult
from mediakeeper.batch.stage_progress import report_fraction
from mediakeeper.batch.staged import COMPLETED, Attempt, Stage, StagedJob, copy_original
from mediakeeper.core import kinds
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.core.findings import finding_record
from mediakeeper.fs.atomic import atomic_write_bytes, fsync_dir
from mediakeeper.fs.names import beside, free_by_serial
from mediakeeper.fs.tree import files_below, make_folders, remove_tree
from mediakeeper.fs.workdir import PARTIAL, check_space, file_hash
from mediakeeper.media import ffmpeg, merge_m4b
from mediakeeper.queue import dismissals
from mediakeeper.queue.items import asked_details, finding_totals
from mediakeeper.text.slug import slugify
from mediakeeper.text.wording import count

if TYPE_CHECKING:  # the cluster's module is loaded only where a batch sends (plan.cluster_target)
    from mediakeeper.batch.cluster import Target

AUDIOBOOKS = kinds.get("audiobooks")  # its own record (its kind.py points at this module)

BACKUP, MEASURE, MERGE, PLACE = "backup", "measure", "merge", "place"
BOOK = "_book"
# The longest one ffmpeg run of the merge may take: ten minutes plus the length of the audio
# it handles, so it must go on average at least as fast as the book plays. A Raspberry Pi
# encodes AAC several times faster than that: a healthy encode is never stopped, while an
# input that stopped answering is stopped sooner, after stall_timeout seconds without progress.
RUN_FLOOR, RUN_PER_SECOND = 600.0, 1.0


@dataclass
class AudiobookJob(StagedJob):
    home: Path
    session: str
    output: Path
    backup: Path | None = None  # None: <home>/backup
    working: Path | None = None  # None: <home>/working/audiobooks
    bitrate: str = "128k"
    channels: int = 2
    sample_rate: int = 44100
    overwrite: bool = False
    ffmpeg_path: str = ""
    retries: int = 1
    stall_timeout: int = 300  # seconds an ffmpeg of the merge may go without progress
    cluster: Target | None = None  # the merge sent to a cluster's worker (batch/cluster.py)

    noun: ClassVar[str] = "book"
    first: ClassVar[str] = BACKUP
    # Measure and merge read the backup copy: a chapter replaced since it was copied (as a
    # failure asked) is read again only by a book started again from its folder.
    copied_stages: ClassVar[frozenset[str]] = frozenset({MEASURE, MERGE})
    failures: ClassVar[tuple[type[Exception], ...]] = (merge_m4b.MergeFailed,)
    kind: ClassVar[str] = AUDIOBOOKS.name  # type: ignore[misc]

    @property
    def backup_root(self) -> Path:
        return self.backup or self.home / "backup"

    def stages(self) -> dict[str, Stage]:
        return {BACKUP: self._backup, MEASURE: self._measure, MERGE: self._merge,
                PLACE: self._place}  # fmt: skip

    def places(self) -> list[tuple[str, Path | None]]:
        return [("output", self.output), ("backup", self.backup_root)]

    def upgrade(self, state: dict[str, Any]) -> dict[str, Any]:
        """A book's record from before the shared stage machine: ``step`` for ``stage``; a
        placing begun then is begun still (its manifest is made again from what is left)."""
        if "stage" in state or not isinstance(state.get("step"), str):
            return state
        placing = {"placing_output": {"target": "", "files": {}}} if state.get("placing") else {}
        kept = {k: v for k, v in state.items() if k not in ("step", "placing")}
        return {**kept, **placing, "stage": state["step"]}

    @staticmethod
    def copied_files(folder: Path) -> list[Path]:
        """Every file of the book's folder, its discs' too: what its backup copies."""
        return sorted(map(Path, files_below(folder)))

    def _backup(self, a: Attempt) -> str:
        item, state = a.item, a.state
        folder = Path(item["path"])
        files = self.copied_files(folder)
        if not files:
            raise MediakeeperError(f"the book folder {folder} is gone or empty")
        size = sum(p.stat().st_size for p in files)
        if state.get("backup") and Path(state["backup"]).is_dir():
            # Renamed into place last of all, after its metadata.txt: there, it is whole.
            return self._save(a, state, MEASURE)["stage"]
        if not state.get("backup"):
            # No audio (only a cover, notes), or a place it would be refused (its own
            # earlier output without --overwrite, another's M4B): said before a copy of the
            # whole folder is made for nothing.
            if not (audio := book_files(folder)):
                raise MediakeeperError(f"no audio files in {folder}")
            self._free_place(item, metadata.gather(folder, item["key"], audio))
        # Killed while copying: the same folder, made afresh (its partial copy removed).
        target = Path(state["backup"]) if state.get("backup") else self._new_backup(folder)
        check_space({self.backup_root: size}, 0, item["name"])
        state = self._save(a, {"key": item["key"], "backup": str(target)}, BACKUP)
        staged = beside(target, PARTIAL)
        remove_tree(staged, ignore_errors=True)
        originals = {}  # each file's identity as it was copied, by its path in the folder
        try:
            for path in files:
                dest = staged / path.relative_to(folder)
                make_folders(dest.parent)
                originals[str(path.relative_to(folder))] = copy_original(path, dest)
            (staged / "metadata.txt").write_text(
                f"source: {folder}\nwhen: {datetime.now(UTC).isoformat(timespec='seconds')}\n"
                f"files: {len(files)}\nbytes: {size}\n",
                encoding="utf-8", errors="surrogateescape",  # a name's own bytes, not UTF-8
            )
            fsync_dir(staged)
            staged.rename(target)
        except BaseException:
            remove_tree(staged, ignore_errors=True)
            raise
        return self._save(a, {**state, "originals": originals}, MEASURE)["stage"]

    def _new_backup(self, folder: Path) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
        # A backup of the same folder made in the same second gets _2, _3, ...
        name = free_by_serial(f"{metadata.safe_name(folder.name)}_{stamp}",
                              lambda n: (self.backup_root / n).exists(), "_")  # fmt: skip
        return self.backup_root / name

    def _measure(self, a: Attempt) -> str:
        item, state = a.item, a.state
        folder, backup = Path(item["path"]), Path(state["backup"])
        if not backup.is_dir():  # deleted by hand since: made again first
            return self._save(a, {"key": item["key"]}, BACKUP)["stage"]
        exe = ffmpeg.find(self.ffmpeg_path)
        copies = [backup / p.relative_to(folder) for p in book_files(folder)]
        if not copies:
            raise MediakeeperError(f"no audio files in {folder}")
        titles = [metadata.chapter_title(p) for p in copies]
        inputs, unreadable = checks.measure(exe, backup, copies, titles, timeout=_reading_time)
        if unreadable:
            raise ItemFailure("failed_measure", checks.unreadable(unreadable, folder))
        book = metadata.gather(folder, item["key"], book_files(folder))
        self._free_place(item, book)  # before an hour of encoding
        state = {**state, "inputs": [asdict(i) for i in inputs], "book": book.as_dict(),
                 "left_out": left_out(folder)}  # fmt: skip
        return self._save(a, state, MERGE)["stage"]

    def _merge(self, a: Attempt) -> str:
        item, wd, state = a.item, a.wd, a.state
        if not Path(state["backup"]).is_dir():  # its inputs: pruned or deleted since the kill
            return self._save(a, {"key": item["key"]}, BACKUP)["stage"]
        exe = ffmpeg.find(self.ffmpeg_path)
        inputs = [merge_m4b.Input(**i) for i in state["inputs"]]
        book = metadata.Book(**state["book"])
        folder = Path(state["backup"])
        cover = covers.choose(exe, folder, [Path(i.path) for i in inputs], wd / "cover")
        out = wd / BOOK / metadata.relative_output(book).name
        audio = self._audio()
        check_space({wd: merge_m4b.working_bytes(inputs, audio)}, 0, item["name"])
        shutil.rmtree(wd / BOOK, ignore_errors=True)
        (wd / BOOK).mkdir(parents=True)
        state = self._save(a, {**state, "audio": resume.recorded(audio)}, MERGE)
        watch = merge_m4b.Watch(RUN_FLOOR, RUN_PER_SECOND, self.stall_timeout, report_fraction)
        for attempt in range(self.retries + 1):
            try:
                merged = self._join(exe, inputs, out, wd / "links", audio, book.title, watch)
                break
            except merge_m4b.MergeFailed as err:
                if err.marks is not None:  # said with each chapter's title
                    drifts = checks.drift([i.title for i in inputs], *err.marks)
                    said = "; ".join(d.message for d in drifts)
                    raise ItemFailure("failed_merge", f"chapter-drift: {said}" if said
                                      else err.message) from None  # fmt: skip
                if not err.retry or attempt == self.retries:
                    raise
        metadata.write(out, book, cover.embed)
        if cover.jpeg:
            atomic_write_bytes(wd / BOOK / "cover.jpg", cover.jpeg)
        measured = zip(inputs, merged.lengths, strict=True)
        lengths = [asdict(replace(i, seconds=seconds)) for i, seconds in measured]
        state = {**state, "inputs": lengths, "sha256": file_hash(out), "copied": merged.copied,
                 "starts": merged.starts, "seconds": merged.seconds, "carried": merged.carried,
                 "cover": cover.embed is not None, "cover_notes": cover.notes}  # fmt: skip
        return self._save(a, state, PLACE)["stage"]

    def _join(self, exe: str, inputs: list[merge_m4b.Input], out: Path, links: Path,
              audio: merge_m4b.Audio, title: str, watch: merge_m4b.Watch) -> merge_m4b.Merged:
        """The book joined here, or on a cluster's worker: its files' bytes sent, the book
        sent back verified here (``merge_m4b.place_received``) before it takes its name."""
        if self.cluster is None:
            return merge_m4b.merge(exe, inputs, out, links, audio, title, watch)
        names = [f"{n:04d}{Path(i.path).suffix}" for n, i in enumerate(inputs)]
        params = {"chapters": [{**asdict(i), "path": name} for i, name in zip(inputs, names,
                                                                             strict=True)],
                  "output": out.name, "audio": asdict(audio), "title": title,
                  "limits": (watch.floor, watch.per_second, watch.stall)}  # fmt: skip
        files = {name: Path(i.path).read_bytes() for i, name in zip(inputs, names, strict=True)}
        sent = self.cluster.call(merge_m4b.merge_sent, params, files)
        merged = merge_m4b.Merged(**sent["result"])
        merge_m4b.place_received(exe, sent["outputs"][out.name], out, merged, watch)
        return merged

    def _free_place(self, item: dict[str, Any], book: metadata.Book) -> Path:
        """Its place in the output, refused now (before an hour of encoding) if placing the
        book there will be."""
        target = self.output / metadata.relative_output(book).parent
        self.check_place(item, target, {metadata.relative_output(book).name})
        return target

    def _place(self, a: Attempt) -> str:
        book = metadata.Book(**a.state["book"])
        target = self.output / metadata.relative_output(book).parent
        self.place(a, a.wd / BOOK, target, "output", move=True)
        a.save(PLACE, placed=str(target))
        return a.save(self.after_placing(a))

    def finish(self, a: Attempt) -> ItemResult:
        item, state = a.item, a.state
        inputs = [merge_m4b.Input(**i) for i in state["inputs"]]
        found = metadata.findings(metadata.Book(**state["book"]), b"" if state["cover"] else None)
        found += covers.findings(state.get("cover_notes", [])) + checks.formats(inputs)
        records = [finding_record(f) for f in found]
        dismissals.close(records, dismissals.standing(item, AUDIOBOOKS.files_below, self.home))
        document = {"name": item["name"], "key": item["key"], "session": self.session,
                    "processed_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "output": state["placed"],
                    "backup": state["backup"], "seconds": state["seconds"],
                    "copied": state["copied"], "carried_priming": state["carried"],
                    "book": state["book"],
                    "chapters": [{"title": i.title, "start": s}
                                 for i, s in zip(inputs, state["starts"], strict=True)],
                    "left_out": state.get("left_out", []),  # measured before it was said
                    "findings": records}  # fmt: skip
        slug = slugify(item["key"])
        write_outputs(self.home, slug, document)
        result = ItemResult(
            counts=finding_totals(records),
            details={"slug": slug, **asked_details(records),
                     "stage": COMPLETED, "output": state["placed"], "seconds": state["seconds"],
                     "copied": state["copied"]},
            summary=f"{count(len(inputs), 'chapter')}, {state['seconds'] / 3600:.2f} h, "
            + ("stream copy" if state["copied"] else "encoded"),
            notices=[*state.get("notes", []),
                     *(f"{item['name']}: {line}" for line in state.get("left_out", []))],
        )  # fmt: skip
        return result

    def adjust(self, a: Attempt) -> None:
        """A book resumed with other encode settings (``resume.against_settings``)."""
        again = resume.against_settings(
            a.state, self._audio(), merge_step=MERGE, place_step=PLACE,
            overwrite=self.overwrite, name=a.item["name"],
            leftovers=[a.wd / BOOK, a.wd / "links"],
        )  # fmt: skip
        if again is not a.state:
            self._save(a, again, again["stage"])

    def _audio(self) -> merge_m4b.Audio:
        return merge_m4b.Audio(self.bitrate, self.channels, self.sample_rate)

    def _save(self, a: Attempt, state: dict, stage: str) -> dict:
        """``state`` as the whole record (a stage may start it afresh), ``stage`` next."""
        a.state = {k: v for k, v in state.items() if k != "stage"}
        a.save(stage)
        return a.state


def _reading_time(path: Path) -> float:
    """The longest reading one file's packets may take: the floor, plus a second a megabyte
    (a mount slower than that has stopped answering, for a book)."""
    return RUN_FLOOR + os.stat(path).st_size / 1_000_000

