"""One album folder converted through its working directory, on the shared stage machine
(``mediakeeper.batch.staged``: the working directory, ``state.json``, resume, ``failed_<stage>``,
placing, deleting originals and cleaning are its, not this module's).

- preparing: free space on every volume checked, and the output's place (refused now rather
  than after the encodes); the album copied into ``_source`` and verified (size and SHA-256:
  the digest the copy computed is kept, what an encode's record says it was made from, so no
  source is read again to hash it), each original's identity recorded as it was copied
  (``staged.copied_originals_hashed``): an
  album failed at converting whose originals changed since (a damaged track replaced) starts
  again from them.
- converting: each audio file encoded into ``_processed`` (``convert``: temporary name,
  verified length, tags and cover, rename), several at once (one ffmpeg per core); a track
  already there with its record is skipped on resume; lossy sources and other files copied,
  a ``.cue`` file then naming the converted files (``cuesheet.renaming``).
  An album converted again (a track replaced, then ``--overwrite``) keeps each earlier
  output made from the same source bytes the same way (``status/conversions/made/``),
  placed by it and unchanged since, copied and verified: only changed sources are encoded.
- archiving (with an archive): ``_source`` placed at ``<archive>/<album>`` (copied, verified).
- finalizing: ``_processed`` placed at ``<output>/<album>``.
- then the machine's: deleting_originals (only when asked, once the archive, when set, is in
  place), completed (``outputs/conversions/<slug>.json``), cleaning.

The working directory gone: the album starts again from its original; both gone: an error.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mediakeeper.batch import placements
from mediakeeper.batch.job import ItemResult
from mediakeeper.batch.stage_progress import report_fraction
from mediakeeper.batch.staged import (
    COMPLETED,
    DELETING,
    Attempt,
    OriginalChanged,
    Restart,
    Stage,
    StagedJob,
    album_target,
    changed_originals,
    changed_since_copied,
    copied_originals_hashed,
)
from mediakeeper.conversions import plan
from mediakeeper.conversions.outputs import write_outputs
from mediakeeper.core import kinds
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.core.findings import finding_record
from mediakeeper.fs.atomic import atomic_write_bytes, atomic_write_text
from mediakeeper.fs.names import fitted
from mediakeeper.fs.workdir import copy_verified, file_hash, same_files, same_volume
from mediakeeper.media import cuesheet, ffmpeg
from mediakeeper.media.albums import album_files
from mediakeeper.media.convert import (
    PROFILES,
    Converted,
    ConvertFailed,
    DamagedSource,
    convert,
    convert_sent,
    copy_track,
    keep_earlier,
    made_with,
    place_received,
)
from mediakeeper.queue import dismissals
from mediakeeper.queue.items import asked_details, finding_totals
from mediakeeper.system import children
from mediakeeper.system.processes import usable_cores
from mediakeeper.text.slug import inside, slugify

if TYPE_CHECKING:  # the cluster's module is loaded only where a batch sends (plan.cluster_target)
    from mediakeeper.batch.cluster import Target

CONVERSIONS = kinds.get("conversions")  # its own record (its kind.py points at this module)

PREPARING, CONVERTING, ARCHIVING, FINALIZING = "preparing", "converting", "archiving", "finalizing"
STAGES = (PREPARING, CONVERTING, ARCHIVING, FINALIZING, DELETING, COMPLETED)
SOURCE, PROCESSED, TRACKS = "_source", "_processed", "_tracks"


@dataclass
class ConversionJob(StagedJob):
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
    damaged: str = plan.FAIL  # a damaged source fails its album, or is left out (LEAVE_OUT)
    cluster: Target | None = None  # the encodes sent to a cluster's workers (batch/cluster.py)

    noun: ClassVar[str] = "album"
    first: ClassVar[str] = PREPARING
    copied_stages: ClassVar[frozenset[str]] = frozenset({CONVERTING})
    failures: ClassVar[tuple[type[Exception], ...]] = (ConvertFailed,)
    kind: ClassVar[str] = "conversions"  # type: ignore[misc]

    def target(self, root: Path, item: dict[str, Any]) -> Path:
        return album_target(root, item)

    def stages(self) -> dict[str, Stage]:
        return {PREPARING: self._prepare, CONVERTING: self._convert,
                ARCHIVING: self._archive, FINALIZING: self._finalize}  # fmt: skip

    def places(self) -> list[tuple[str, Path | None]]:
        return [("output", self.output), ("archive", self.archive)]

    def resumable(self, item: dict[str, Any], state: dict[str, Any]) -> bool:
        """An earlier attempt at this album with these settings (not made for another
        profile, output or archive)."""
        return (
            state.get("key") == item["key"]
            and state.get("profile") == self.profile
            and state.get("output") == str(self.output)
            and state.get("archive") == (str(self.archive) if self.archive else None)
            and state.get("stage") in STAGES
        )

    def originals(self, attempt: Attempt) -> tuple[Path, dict[str, list[int]]] | None:
        if not self.delete_originals or (self.archive and not attempt.state.get("archived")):
            return None
        recorded = attempt.state.get("originals", {})
        if not self.archive:  # only an original the output holds a copy of is deleted
            files = plan.from_records(attempt.state["files"])
            carried = {e.name for e in _carried(attempt.wd, files)}
            recorded = {name: ids for name, ids in recorded.items() if name in carried}
        return Path(attempt.item["path"]), recorded

    # ---- the stages ------------------------------------------------------------------

    def _needs_source(self, attempt: Attempt) -> None:
        if (attempt.wd / SOURCE).is_dir():
            return
        album = Path(attempt.item["path"])
        if album.is_dir():
            raise Restart
        raise MediakeeperError(
            f"the album folder {album} is gone, and its working copy in {attempt.wd} too: "
            "nothing is left to convert"
        )

    def _prepare(self, attempt: Attempt) -> str:
        item, album, wd = attempt.item, Path(attempt.item["path"]), attempt.wd
        if not album.is_dir():
            raise MediakeeperError(f"the album folder {album} is gone")
        profile = PROFILES[self.profile]
        files = plan.entries(album, profile, allow_lossy=self.allow_lossy)
        plan.check_space(self.needs(item, files), self.min_free_mb, item["name"])
        # Refused now rather than after the encodes: a place it may not fill.
        self.check_place(item, self.target(self.output, item), {e.output for e in files})
        shutil.rmtree(wd, ignore_errors=True)
        for folder in (SOURCE, PROCESSED, TRACKS):
            (wd / folder).mkdir(parents=True)
        originals, digests = copied_originals_hashed(album, wd / SOURCE)
        attempt.state = {}
        return attempt.save(
            CONVERTING,
            key=item["key"],
            profile=self.profile,
            output=str(self.output),
            archive=str(self.archive) if self.archive else None,
            files=plan.as_records(files),
            originals=originals,
            sha256=digests,  # each source's, as its copy read it: not read again to record
        )

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

    def _convert(self, attempt: Attempt) -> str:
        self._needs_source(attempt)
        wd, state = attempt.wd, attempt.state
        exe = ffmpeg.find(self.ffmpeg_path)
        (wd / PROCESSED).mkdir(exist_ok=True)  # (emptied by hand: the tracks are made again)
        (wd / TRACKS).mkdir(exist_ok=True)
        profile = PROFILES[self.profile]
        files = plan.from_records(state["files"])
        todo = [e for e in files if not _done(wd, e)]
        sheets = [e for e in todo if plan.is_cue_sheet(e)]  # once what they name is made
        todo = [e for e in todo if e not in sheets]
        # Checked at preparing, but a resumed album may find its working volume filled since.
        estimate = sum(plan.estimated_output(e, profile) for e in todo)
        plan.check_space({self.working_root: estimate}, self.min_free_mb, state["key"])
        threads = self.threads or usable_cores()
        earlier = self.earlier_outputs(attempt.item)
        pool = ThreadPoolExecutor(max_workers=max(1, threads))
        try:
            done = itertools.count(1)  # (next() is atomic: the threads share it)
            tell = lambda worker: report_fraction(  # noqa: E731
                f"encoding on {worker}", next(done) / len(todo))  # the live line: where
            digests = state.get("sha256") or {}  # (none: an attempt prepared before they were kept)
            futures = [pool.submit(self._carry, exe, wd, e, profile, tell, earlier,
                                   digests.get(e.name, "")) for e in todo]  # fmt: skip
            wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:
                if future.done() and future.exception() is not None:
                    raise future.exception()
        except BaseException:
            children.kill_all()  # an interrupt or a failed track: no encoder goes on
            if self.cluster:
                self.cluster.cancel_all()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        names = plan.converted_names(_carried(wd, files))  # (not a damaged source left out)
        for sheet in sheets:
            _carry_sheet(wd, sheet, names)
        return attempt.save(ARCHIVING if self.archive else FINALIZING)

    def _carry(self, exe: str, wd: Path, entry: plan.Entry, profile, tell=None,
               earlier: dict[str, tuple[Path, dict]] | None = None,
               sha256: str = "") -> None:  # fmt: skip
        """One file carried; a damaged source left out, with why, when the settings say so.
        ``sha256``: its source's, as copied (else it is read to hash it)."""
        try:
            self._one(exe, wd, entry, profile, tell, earlier or {}, sha256)
        except DamagedSource as damaged:
            if self.damaged != plan.LEAVE_OUT:
                raise
            record = Converted(entry.name, "", plan.LEFT_OUT, entry.size, 0, 0.0, 0.0,
                               note=damaged.message)  # fmt: skip
            atomic_write_text(_record(wd, entry), json.dumps(asdict(record)), durable=False)

    def _one(self, exe: str, wd: Path, entry: plan.Entry, profile, tell=None,
             earlier: dict[str, tuple[Path, dict]] | None = None,
             sha256: str = "") -> None:  # fmt: skip
        source, output = wd / SOURCE / entry.name, wd / PROCESSED / entry.output
        if entry.action == plan.LEAVE:
            return  # a video: left where it is, said in the album's findings
        if entry.action == plan.ENCODE:
            sha256, how = sha256 or file_hash(source), made_with(profile)
            result = _kept(exe, (earlier or {}).get(entry.output), output, sha256, how) \
                or self._encode(exe, source, output, profile, tell)  # fmt: skip
            result.source_sha256, result.made_with = sha256, how
        elif entry.action == plan.COPY_LOSSY:
            result = copy_track(source, output, entry.seconds, exe)
        else:
            copy_verified(source, output)
            size = output.stat().st_size
            result = Converted(entry.name, entry.output, "kept", size, size, 0.0, 0.0)
        atomic_write_text(_record(wd, entry), json.dumps(asdict(result)), durable=False)

    def _encode(self, exe: str, source: Path, output: Path, profile, tell=None) -> Converted:
        """Here, or on a cluster's worker: its bytes sent, the encode sent back verified here
        as a local one is, then renamed into place; ``tell(worker)`` hears where it ran."""
        if self.cluster is None:
            return convert(exe, source, output, profile)
        params = {"source": source.name, "output": output.name, "profile": profile.name}
        sent = self.cluster.call(convert_sent, params, {source.name: source.read_bytes()})
        placed = place_received(exe, sent["outputs"][output.name], output, sent["result"])
        if tell:
            tell(sent["worker"])
        return placed

    def _archive(self, attempt: Attempt) -> str:
        self._needs_source(attempt)
        assert self.archive is not None
        item, wd = attempt.item, attempt.wd
        target = self.target(self.archive, item)
        # The same files, byte for byte, already there (archived by an earlier run) need no
        # room: placing them again moves nothing, it records them as this album's.
        if not (target.is_dir() and same_files(wd / SOURCE, target)):
            source = plan.source_bytes(plan.from_records(attempt.state["files"]))
            plan.check_space({self.archive: source}, self.min_free_mb, item["name"])
        self.place(attempt, wd / SOURCE, target, "archive", move=False)
        return attempt.save(FINALIZING, archived=str(target))

    def _finalize(self, attempt: Attempt) -> str:
        item, processed = attempt.item, attempt.wd / PROCESSED
        target = self.target(self.output, item)
        if processed.is_dir() and not same_volume(processed, self.output):
            estimate = sum(f.stat().st_size for f in processed.iterdir() if f.is_file())
            plan.check_space({self.output: estimate}, self.min_free_mb, item["name"])
        if "placing_output" not in attempt.state:  # (a placement begun is finished first)
            _unchanged_since_copied(attempt)
        self.place(attempt, processed, target, "output", move=True)
        self._record_made(attempt, target)
        attempt.save(FINALIZING, placed=str(target))
        return attempt.save(self.after_placing(attempt))

    # ---- what the placed outputs were made from -----------------------------------------

    def _made_path(self, item: dict[str, Any]) -> Path:
        return inside(self.home / "status" / self.kind, "made", f"{slugify(item['key'])}.json")

    def _record_made(self, attempt: Attempt, target: Path) -> None:
        """Each encode placed at ``target``: its record (its source's SHA-256, how it was
        made) and its bytes' SHA-256 as placed, which a later conversion of the album keeps
        instead of encoding the same source again (``earlier_outputs``)."""
        placed = attempt.state["placing_output"]["files"]
        files = plan.from_records(attempt.state["files"])
        tracks = {e.output: {**record, "output_sha256": placed[e.output][1]}
                  for e in files if e.output in placed
                  and (record := _read_record(attempt.wd, e)) and record.get("source_sha256")}
        path = self._made_path(attempt.item)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"target": str(target), "tracks": tracks},
                                           ensure_ascii=False))  # fmt: skip

    def earlier_outputs(self, item: dict[str, Any]) -> dict[str, tuple[Path, dict]]:
        """The album's earlier encodes in its output place that it placed there and nobody
        changed since (``placements.Record.owned``): output name -> (the file, its record)."""
        try:
            made = json.loads(self._made_path(item).read_text(encoding="utf-8"))
            target = self.target(self.output, item)
            if made.get("target") != str(target):
                return {}
            owned = placements.Record(self._record_path(item), item["key"]).owned(target)
            return {name: (target / name, record) for name, record in made["tracks"].items()
                    if name in owned}  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}  # (none, or unreadable: every track is encoded)

    def finish(self, attempt: Attempt) -> ItemResult:
        item, wd, state = attempt.item, attempt.wd, attempt.state
        files = plan.from_records(state["files"])
        tracks = [_read_record(wd, e) for e in files if e.action != plan.LEAVE]
        audio = [t for t in tracks if t and t["action"] not in ("kept", plan.LEFT_OUT)]
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
            "findings": [finding_record(f) for f in plan.findings(files, tracks)],
        }
        dismissed = dismissals.standing(item, CONVERSIONS.files_below, self.home)
        dismissals.close(document["findings"], dismissed)
        write_outputs(self.home, slug, document)
        encoded = sum(1 for t in audio if t["action"] == "encoded" and not t.get("unchanged"))
        unchanged = sum(1 for t in audio if t.get("unchanged"))
        # Every file carried as it is: a lossy source, and the cover, cue sheet or log beside
        # the tracks ("kept"), which the dry run says it copies and the output then holds.
        copied = sum(1 for t in tracks if t and t["action"] in ("copied", "kept"))
        result = ItemResult(
            counts={
                "track_count": len(audio),
                # Every finding, as every kind and the weekly table count them (an info one,
                # a lossy source copied, is found but never a decision: ``decisions``).
                **finding_totals(document["findings"]),
            },
            details={
                "slug": slug,
                **asked_details(document["findings"]),
                "stage": COMPLETED,
                "profile": state["profile"],
                "bytes_before": before,
                "bytes_after": after,
                "seconds": seconds,
                "output": state.get("placed"),
            },
            summary=f"{encoded} encoded, "
            + (f"{unchanged} kept unchanged, " if unchanged else "")
            + f"{copied} copied; "
            f"{before / 1e6:.1f} MB -> {after / 1e6:.1f} MB",
        )
        return result


def _unchanged_since_copied(attempt: Attempt) -> None:
    """OriginalChanged, naming them, when album files were changed, added or removed since
    the album was copied (a tagger, a track replaced while its album was converted): its
    output, made from the copy, would hold them as they were, and the queue would record
    them as they are now (a ``--refresh`` would find no change), so the change would never
    reach the output. Nothing is placed; a retry converts the album as it is now."""
    album, recorded = Path(attempt.item["path"]), attempt.state.get("originals", {})
    if not changed_since_copied(album, recorded):
        return
    changed = [f.path for f in changed_originals(album, recorded)]
    with contextlib.suppress(OSError):  # (a file added, or one gone)
        changed += sorted({p.name for p in album_files(album)} ^ recorded.keys())
    again = "--retry-errors --overwrite" if attempt.state.get("archived") else "--retry-errors"
    raise OriginalChanged(
        f"original-changed: {', '.join(changed) or 'its files'} in {album} changed while the "
        f"album was converted from its copy: nothing placed; run it again with {again} to "
        "convert it as it is now"
    )


def made_alike(earlier: tuple[Path, dict] | None, sha256: str, how: str) -> bool:
    """Whether an earlier output (``earlier_outputs``) was made from a source of these
    bytes, this way (``convert.made_with``)."""
    return earlier is not None and earlier[1].get("source_sha256") == sha256 \
        and earlier[1].get("made_with") == how  # fmt: skip


def _kept(exe: str, earlier: tuple[Path, dict] | None, output: Path, sha256: str,
          how: str) -> Converted | None:  # fmt: skip
    """The album's earlier output of this very source made this very way, kept (copied,
    its bytes those placed, verified as an encode is); None: it is encoded."""
    if not made_alike(earlier, sha256, how):
        return None
    path, made = earlier  # type: ignore[misc]
    try:
        return keep_earlier(exe, path, output, made, made["output_sha256"])
    except (ConvertFailed, OSError, KeyError, TypeError):
        return None  # (changed, rotted or gone since: encoded again)


def _carry_sheet(wd: Path, entry: plan.Entry, names: dict[str, str]) -> None:
    """A ``.cue`` file beside the tracks carried naming their converted files (``names``),
    written atomically; one naming none of them copied as it is."""
    source, output = wd / SOURCE / entry.name, wd / PROCESSED / entry.output
    data, named = cuesheet.renaming(source.read_bytes(), names)
    if named:
        atomic_write_bytes(output, data)
    else:
        copy_verified(source, output)
    result = Converted(entry.name, entry.output, "kept", entry.size, output.stat().st_size,
                       0.0, 0.0, note=plan.sheet_rewritten(named) if named else "")  # fmt: skip
    atomic_write_text(_record(wd, entry), json.dumps(asdict(result)), durable=False)


def _record(wd: Path, entry: plan.Entry) -> Path:
    return wd / TRACKS / fitted("", entry.output, ".json")  # a 255-byte name's: its stand-in


def _carried(wd: Path, files: list[plan.Entry]) -> list[plan.Entry]:
    """The entries whose output the album holds: not a video, not a damaged source left out."""
    return [e for e in files if e.action != plan.LEAVE
            and (_read_record(wd, e) or {}).get("action") != plan.LEFT_OUT]  # fmt: skip


def _done(wd: Path, entry: plan.Entry) -> bool:
    """Converted and verified by an earlier attempt (the output is renamed into place only
    once verified; its record is written after)."""
    return (wd / PROCESSED / entry.output).is_file() and _record(wd, entry).is_file()


def _read_record(wd: Path, entry: plan.Entry) -> dict[str, Any] | None:
    try:
        return json.loads(_record(wd, entry).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None

