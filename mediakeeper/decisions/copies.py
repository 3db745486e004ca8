"""Duplicates decided: the copy kept gains the tags it lacks that the others carry, the others
are set aside in the holding folder (never deleted), and a set-aside session is put back.
Here, among a person's choices, because it composes two kinds' parts (the dupes groups and
moves, and the music kind's journaled tag write) and is what ``decide`` takes for a dupe
group, what ``dupes set-aside`` does and what ``undo --session`` takes back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.changes import moves
from mediakeeper.changes.change import TagChange
from mediakeeper.changes.writes import ChangeJournal, Step, carry_out
from mediakeeper.core import kinds, writemode
from mediakeeper.core.config import Settings, load_settings
from mediakeeper.core.errors import MediakeeperError, UsageError
from mediakeeper.dupes import groups as dupes
from mediakeeper.dupes import kept as keeping
from mediakeeper.dupes.job import CARRIED, same_file
from mediakeeper.dupes.kind import KIND
from mediakeeper.queue.manager import refresh_queue
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.closing import write_closing_reports
from mediakeeper.tags.cover import COVER, cover, takes_cover
from mediakeeper.tags.read import loudness, read

CHANGED = "changed since the scan"
SESSION_PREFIX = "dupes_"


@dataclass
class SetAside:
    session: str
    home: Path
    moved: list[tuple[str, str]] = field(default_factory=list)  # (from, to)
    tagged: list[TagChange] = field(default_factory=list)  # what kept copies gained
    left_alone: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    groups: int = 0
    freed: int = 0  # bytes moved out of the library


def holding_of(settings: Settings) -> Path:
    given = settings.get(KIND.name, "holding")
    return Path(given).expanduser().resolve() if given else settings.home / "set-aside"


def chosen(
    found: list[dict[str, Any]], ids: list[str], *, every: bool, include_releases: bool,
    kept_whole: Collection[str] = (),
) -> list[dict[str, Any]]:  # fmt: skip
    """The groups asked for: by id (a release group too, a group kept whole too), or every
    album and track group (and release group with ``include_releases``) not kept whole."""
    if every == bool(ids):
        raise UsageError("give --all or one or more group IDs, not both")
    if every:
        return [g for g in found if (g["level"] != "release" or include_releases)
                and g["id"] not in kept_whole]  # fmt: skip
    by_id = {g["id"]: g for g in found}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise UsageError(f"no duplicate group {unknown[0]}: `mediakeeper dupes` lists them")
    return [by_id[i] for i in ids]


def set_aside(home: str | Path | None, ids: list[str] = (), *, every: bool = False,
              include_releases: bool = False,
              keepers: Mapping[str, str] | None = None) -> SetAside:  # fmt: skip
    """Move every copy but the one kept of the groups asked for into the holding folder
    (its path relative to the library kept), the kept copy first gaining the tags it lacks
    that the others carry; every change journaled under one session, which ``mediakeeper
    undo --session`` takes back. The copy kept is the best, or ``keepers[id]`` (a person's
    choice). A copy changed since the scan is left alone, and said."""
    settings = load_settings(home)
    library = dupes.library_of(settings)
    every_group = dupes.load_groups(settings.home) or []
    wanted = chosen(every_group, list(ids), every=every, include_releases=include_releases,
                    kept_whole=keeping.load(settings.home))  # fmt: skip
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    done = SetAside(SESSION_PREFIX + stamp, settings.home)
    holding = holding_of(settings)
    journal = ChangeJournal(settings.status_dir / "music", done.session,
                            writemode.chosen(settings.get))  # fmt: skip
    kept = [_kept_copy(found, (keepers or {}).get(found["id"], found["best"])) for found in wanted]
    if wanted:
        dupes.keep_before(settings.home, done.session, every_group)
    for found, best in zip(wanted, kept, strict=True):
        changed = [f["path"] for f in best["files"] if not _unchanged(f)]
        if changed:
            done.left_alone += [(p, f"the copy kept was {CHANGED}") for p in changed]
            continue
        done.groups += 1
        others = [c for c in found["copies"] if c is not best]
        _carry_tags(best, others, journal, done)
        for copy in others:
            for file in copy["files"]:
                path = Path(file["path"])
                if not _unchanged(file):
                    done.left_alone.append((str(path), CHANGED))
                    continue
                target = moves.in_holding(holding, library, path)
                moves.move(settings.home, done.session, path, target)
                done.moved.append((str(path), str(target)))
                done.freed += file["size"]
    _forget_moved(settings.home, every_group, {source for source, _ in done.moved})
    refresh_queues(settings)
    write_closing_reports(settings.home, datetime.now(UTC))  # the space left to free
    return done


def _kept_copy(found: dict[str, Any], path: str) -> dict[str, Any]:
    for copy in found["copies"]:
        if copy["path"] == path:
            return copy
    raise UsageError(f"duplicate group {found['id']} has no copy {path}")


def _forget_moved(home: Path, every_group: list[dict[str, Any]], moved: set[str]) -> None:
    """The groups kept without the copies set aside (a group left with one copy goes), and
    with the kept files' new tags as the scan's: a second set-aside does not take them for
    changes. Stamped as of no scan: the next scan groups afresh."""
    kept = []
    for found in every_group:
        copies = [c for c in found["copies"] if not all(f["path"] in moved for f in c["files"])]
        if len(copies) > 1:
            waste = sum(c["size"] for c in copies if c["path"] != found["best"])
            kept.append({**found, "copies": copies, "waste": waste})
    dupes.save_groups(home, kept)


def _unchanged(file: dict[str, Any]) -> bool:
    try:
        return same_file(file, Path(file["path"]).stat())
    except OSError:
        return False


def _carry_tags(best: dict, others: list[dict], journal: ChangeJournal, done: SetAside) -> None:
    """The kept files gain the carried tags and the cover they lack from the copies of the
    same recording set aside (an album's tracks matched by their ``recording``)."""
    files = []
    for kept in best["files"]:
        have = _carried(kept["path"])
        if not _takes_cover(kept["path"]):
            have[COVER] = ""  # an APE or ASF file: its cover is not written here
        gained: dict[str, str] = {}
        for copy in others:
            for other in copy["files"]:
                if other["recording"] != kept["recording"] or not _unchanged(other):
                    continue
                for tag, value in _carried(other["path"]).items():
                    if tag not in have:
                        gained.setdefault(tag, value)
        steps = [Step("", TagChange(kept["path"], tag, None, value), None)
                 for tag, value in sorted(gained.items())]  # fmt: skip
        if steps:
            files.append((Path(kept["path"]), steps, None))
    if not files:
        return
    result = carry_out(files, journal, verify=True, changed=CHANGED)
    done.tagged += [step.change for step in result.written]
    done.left_alone += [(step.change.path, f"{step.change.tag} not written: {why}")
                        for step, why in result.refused]  # fmt: skip
    for kept in best["files"]:  # its new tags are not a change since the scan
        st = Path(kept["path"]).stat()
        kept.update(size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino)


def _carried(path: str) -> dict[str, str]:
    """What a copy carries that a kept copy may gain: its MusicBrainz ids, its ReplayGain
    values, its cover."""
    try:
        info = read(path)
        values = {**info.tags, **loudness(path)}
        if info.has_picture:
            values[COVER] = cover(path)
    except (MediakeeperError, OSError):
        return {}
    return {tag: values[tag] for tag in (*CARRIED, COVER) if values.get(tag)}


def _takes_cover(path: str) -> bool:
    try:
        return takes_cover(read(path).format)
    except (MediakeeperError, OSError):
        return False


def refresh_queues(settings: Settings) -> None:
    """Every kind's queue learns the moves (the rule of ``--refresh``): an item whose
    folder vanished is marked so, one whose files changed goes back to pending."""
    for kind in kinds.KINDS.values():
        store = QueueStore(settings.status_dir / kind.name, kind.name)
        if store.exists():
            try:
                refresh_queue(store)
            except (MediakeeperError, OSError):
                continue  # a queue that cannot be read says so when its kind next runs


def put_back(home: Path, session: str) -> moves.PutBack | None:
    """The moves of a set-aside session undone (None when the session moved nothing); its
    tag changes are the undo's (``undo.restore``)."""
    if not moves.moved(home, session):
        return None
    settings = load_settings(home)
    done = moves.put_back(settings.home, session, holding_of(settings))
    dupes.bring_back(settings.home, session)
    refresh_queues(settings)
    return done
