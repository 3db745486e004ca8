"""One album folder verified: each audio file decoded in full (one ffmpeg per core), its
damage and its audio's changes since it was last checked good reported.

Resumable: each file's result is appended to ``status/verify/work/<slug>.checked.jsonl`` as
it is checked, tagged with the item's run token; a run killed at any instant (``kill -9``
mid-file) resumes the album with the files already checked taken from there, and checks only
the file it was in and those after. The checksums (``ledger``) are written once, when the
album is done.

A file whose audio bytes are the ones the last good pass read is whole without a decode
(``integrity.check``'s ``last_good``): a later pass reads a FLAC's frames (a CRC-32, about a
thirtieth of ``flac -t``'s time) and copies any other file's packets out to hash them, and
decodes only what changed, or everything with ``decode_all``.

The analysis (``[verify] analyse``) measures a file's sound the first time the file is found
good; the measures are kept with its checksum and judged again on every later pass, so a
later pass, whose work is damage and bit rot, decodes a FLAC by ``flac -t`` where it must
decode it (a file changed since, by size or time, is analysed again unless its audio bytes
are the same).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediakeeper.batch.job import ItemFailure, ItemResult, failure_of
from mediakeeper.batch.workfile import finished, load_work, save_finished, save_work, work_path
from mediakeeper.core import kinds
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import ConfigError, MediakeeperError
from mediakeeper.core.findings import finding_record
from mediakeeper.fs.atomic import naming, write_all
from mediakeeper.fs.reports import write_item_outputs
from mediakeeper.media import ffmpeg, flactest, integrity
from mediakeeper.media.albums import album_files, is_checked
from mediakeeper.queue import dismissals
from mediakeeper.queue.items import asked_details, finding_totals
from mediakeeper.system import children
from mediakeeper.system.processes import usable_cores
from mediakeeper.text.slug import slugify
from mediakeeper.text.wording import count
from mediakeeper.verify import ledger, rules

if TYPE_CHECKING:  # the cluster's module is loaded only where a batch sends (plan.cluster_target)
    from mediakeeper.batch.cluster import Target

VERIFY = kinds.get("verify")  # its own record (its kind.py points at this module)

# Seconds an ffmpeg may go without its decode moving on before it is stopped (a mount that
# stopped answering): the file is then reported as not decoding, and the batch goes on.
STALL = 300.0
# One ffmpeg per core this process may run on (a benchmark, or taskset, may give it fewer
# than the machine has).
CORES = usable_cores()


@dataclass
class VerifyJob:
    home: Path
    session: str
    ffmpeg_path: str = ""
    threads: int = 0  # ffmpegs at once for one album; 0: one per core
    analyse: bool = True
    flac: str = ""  # Debian's flac: a FLAC checked by flac -t when not analysing
    accept_changed: bool = False
    decode_all: bool = False  # decode even the files whose audio bytes are the last good's
    cluster: Target | None = None  # the decodes sent to a cluster's workers ([cluster] send)

    def process(self, item: dict[str, Any]) -> ItemResult:
        slug = slugify(item["key"])
        token = item.get("run_token")
        work = work_path(self.home / "status" / VERIFY.name, slug)
        if (result := finished(load_work(work, token))) is not None:
            return result
        save_work(work, {"token": token})
        folder = Path(item["path"])
        if not folder.is_dir():
            raise ItemFailure("verify", f"the album folder {folder} is gone")
        files = [p for p in album_files(folder) if is_checked(p.name)]
        checked = work.with_suffix(".checked.jsonl")
        done = _checked(checked, token)
        try:
            known = ledger.load(ledger.path_of(self.home, slug))
            # ffmpeg found when a check first needs it: a FLAC that flac -t passes never does
            one = partial(self._one, cache(partial(ffmpeg.find, self.ffmpeg_path)), known)
            self._check_all(one, _longest_first(p for p in files if p.name not in done),
                            checked, token, done)  # fmt: skip
            result = self._complete(item, slug, files, done, known)
        except ConfigError:  # (a setting wrong for every album: the batch's, not this one's)
            raise
        except MediakeeperError as err:
            raise ItemFailure("verify", str(err)) from None
        except OSError as err:
            raise failure_of("verify", err) from None
        save_finished(work, token, result)
        checked.unlink(missing_ok=True)
        return result

    def _check_all(self, one, todo: list[Path], checked: Path, token, done: dict) -> None:
        """Check ``todo``, one ffmpeg per thread, each result recorded as soon as it comes
        (not in order: a long file never holds back the record of shorter ones after it)."""
        pool = ThreadPoolExecutor(max_workers=self.threads or CORES)
        try:
            # Unbuffered: a line is on its way once written (a kill after it never checks
            # the file again), and a full disk refuses it there, named, not again at close.
            with open(checked, "ab", buffering=0) as log:
                futures = {pool.submit(one, path): path for path in todo}
                for future in as_completed(futures):
                    name, record = futures[future].name, future.result()
                    line = json.dumps({"token": token, "name": name, **record}) + "\n"
                    with naming(checked):
                        write_all(log.fileno(), line.encode())  # (JSON: ASCII)
                    done[name] = record
        except BaseException:
            children.kill_all()  # an interrupt or a failure: no decoder goes on
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def _one(self, exe: Callable[[], str], known: dict, path: Path) -> dict[str, Any]:
        """One file checked; analysed unless its sound was measured when it was last found
        good and it has not changed since (the measures are kept with its checksum)."""
        st = path.stat()
        was = known.get(path.name, {})
        analyse = self.analyse and not _measured(was, st)
        # Compared, not decoded, only where what the decode would add is kept already.
        compare = not self.decode_all and (not self.analyse or "sound" in was)
        last_good = was if compare else None
        if self.cluster and last_good is None:  # (a comparison reads less than it sends)
            found = self._sent(path, analyse)
        else:
            found = integrity.check(exe, path, analyse=analyse, flac=self.flac, stall=STALL,
                                    last_good=last_good)  # fmt: skip
        return {"check": asdict(found), "mtime_ns": st.st_mtime_ns, "size": st.st_size,
                "analysed": analyse and not found.compared}  # fmt: skip

    def _sent(self, path: Path, analyse: bool) -> integrity.Check:
        """A file decoded on a cluster's worker ([cluster] send names verify: its bytes
        moved cost more than its decode here, unless this machine is the slow one)."""
        params = {"name": path.name, "analyse": analyse, "last_good": None,
                  "limits": {"stall": STALL}}  # fmt: skip
        sent = self.cluster.call(integrity.check_sent, params, {path.name: path.read_bytes()})
        return _as_check({**sent["result"], "path": os.fspath(path)})

    def _complete(self, item, slug: str, files: list[Path], done: dict, known) -> ItemResult:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        findings, entries = [], []
        for path in files:
            record = done[path.name]
            found = _as_check(record["check"])
            was = known.get(path.name, {})
            said = rules.one_question(rules.damage(path.name, found)
                                      + rules.changed(path.name, found, was, record["mtime_ns"]))
            sound = _sound(found) if record.get("analysed", self.analyse) else was.get("sound")
            if self.analyse and sound is not None:
                said += rules.sound(path.name, replace(found, **_measures(sound)))
            if self.accept_changed and not found.damaged and was.get("mtime_ns") != record[
                    "mtime_ns"]:  # rewritten by a program: its new audio is the good one now
                said = [f for f in said if f.code != "audio-changed"]  # (bit rot stays asked)
            findings += said
            if _good(found, said):
                known[path.name] = {
                    "checksum": found.audio_checksum, "good_at": now,
                    "size": record["size"], "mtime_ns": record["mtime_ns"],
                    "seconds": found.seconds,
                    **({"frames": found.frames} if found.frames else {}),
                    **({"sound": sound} if sound is not None else {}),
                }  # fmt: skip
            entries.append({"file": path.name, "seconds": found.seconds,
                            "checksum": found.audio_checksum, "damaged": found.damaged,
                            "decoded": not found.compared,
                            "decoded_in_full": not found.compared and not found.damaged,
                            "missing_seconds": found.missing_seconds,
                            "missing_bytes": found.header.missing_bytes,
                            "findings": [f.code for f in said]})  # fmt: skip
        ledger.save(ledger.path_of(self.home, slug), known)
        records = [finding_record(f) for f in findings]
        dismissals.close(records, dismissals.standing(item, VERIFY.files_below, self.home))
        seconds = round(sum(e["seconds"] for e in entries), 3)
        document = {"name": item["name"], "key": item["key"], "slug": slug,
                    "session": self.session, "checked_at": now, "seconds": seconds,
                    "files": entries, "findings": records}  # fmt: skip
        write_outputs(self.home, slug, document)
        errors = len({r["path"] for r in records if r["severity"] != "info"})  # files
        return ItemResult(
            counts={"track_count": len(entries), **finding_totals(records)},
            details={"slug": slug, **asked_details(records), "seconds": seconds},
            summary=f"{len(entries)} files, {seconds / 60:.1f} min of audio: "
            + (f"{errors} damaged or changed" if errors else "all whole"),
        )


def _longest_first(files: Iterable[Path]) -> list[Path]:
    """The largest files first: the last check of an album then is a short one, so one core
    is not left idle while the other finishes a long track alone."""
    return sorted(files, key=lambda p: p.stat().st_size, reverse=True)


def _good(found: integrity.Check, said: list) -> bool:
    """Whether this pass may record the file's checksum as good: whole and unchanged."""
    return not found.damaged and not any(f.code == "audio-changed" for f in said)


def _checked(path: Path, token: str | None) -> dict[str, dict[str, Any]]:
    """The files this claim already checked (a torn last line is ignored)."""
    done: dict[str, dict[str, Any]] = {}
    try:
        lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    except OSError:
        return done
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if token and record.get("token") == token:
            done[record.pop("name")] = {k: v for k, v in record.items() if k != "token"}
    return done


def _measured(entry: dict[str, Any], st: os.stat_result) -> bool:
    """Whether the file's sound was measured when it was last found good, and the file has
    not changed since (the same size and modification time)."""
    return "sound" in entry and (entry.get("size"), entry.get("mtime_ns")) == (
        st.st_size, st.st_mtime_ns)  # fmt: skip


def _sound(found: integrity.Check) -> dict[str, Any]:
    """What the analysis measured: what ``rules.sound`` judges, kept with the checksum."""
    return {"full_scale": found.full_scale, "silences": found.silences, "levels": found.levels}


def _measures(data: dict[str, Any]) -> dict[str, Any]:
    """The analysis's measures as a ``Check`` holds them, from JSON (lists, string keys)."""
    return {"full_scale": int(data.get("full_scale", 0)),
            "silences": tuple(tuple(s) for s in data.get("silences", ())),
            "levels": {int(k): v for k, v in data.get("levels", {}).items()}}  # fmt: skip


def _as_check(data: dict[str, Any]) -> integrity.Check:
    fields = dict(data)
    fields["header"] = integrity.Header(**fields["header"])
    fields["errors"] = tuple(fields["errors"])
    fields.update(_measures(fields))
    return integrity.Check(**fields)


def write_outputs(home: Path, slug: str, document: dict[str, Any]) -> None:
    write_item_outputs(home, VERIFY, slug, document, "album")


def job_from_settings(
    settings: Settings, *, accept_changed: bool, decode_all: bool = False, workers: int = 1,
    cluster: Target | None = None,
) -> Callable[[str], VerifyJob]:
    """The job of a batch of ``workers`` processes: the cores shared among them, one ffmpeg
    per core in all (sent to a cluster: its threads)."""
    section = settings.section(VERIFY.name)
    threads = cluster.threads if cluster else max(1, CORES // max(1, workers))
    return partial(_job, home=settings.home, ffmpeg_path=settings.get("ffmpeg", "path"),
                   threads=threads, cluster=cluster,
                   analyse=bool(section["analyse"]), flac=flactest.find(),
                   accept_changed=accept_changed, decode_all=decode_all)  # fmt: skip


def _job(session: str, **fields: Any) -> VerifyJob:
    return VerifyJob(session=session, **fields)


def preview(job: VerifyJob, item: dict[str, Any]) -> list[str]:
    files = [p for p in album_files(Path(item["path"])) if is_checked(p.name)]
    known = {} if job.decode_all else ledger.load(ledger.path_of(job.home, slugify(item["key"])))
    compared = sum(1 for p in files if p.name in known)
    if not compared:
        return [f"{item['name']}: would decode {count(len(files), 'file')} in full"]
    return [f"{item['name']}: would check {count(len(files), 'file')}: {compared} last found "
            f"whole by their audio bytes (decoded if those changed), {len(files) - compared} "
            "decoded in full"]
