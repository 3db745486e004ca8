"""Duplicates decided: the copy kept gains the tags it lacks that the others carry, the others
are set aside in the holding folder (never deleted), and a set-aside session is put back.
Here, among a person's choices, because it composes two kinds' parts (the dupes groups and
moves, and the music kind's journaled tag write) and is what ``decide`` takes for a dupe
group, what ``dupes set-aside`` does and what ``undo --session`` takes back.
"""

from __future__ import annotations

import contextlib
import os
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
from mediakeeper.dupes import kept as keeping
from mediakeeper.dupes import saved as dupes
from mediakeeper.dupes.groups import library_of
from mediakeeper.dupes.job import CARRIED
from mediakeeper.dupes.kind import KIND
from mediakeeper.fs.checks import content_hash
from mediakeeper.fs.names import COMPANION_SUFFIXES, JUNK_FILES
from mediakeeper.fs.write_errors import mount_point
from mediakeeper.media.albums import is_audio
from mediakeeper.queue.manager import refresh_queue
from mediakeeper.queue.session_log import start_session
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.closing import write_closing_reports
from mediakeeper.tags.cover import COVER, cover, takes_cover
from mediakeeper.tags.reading import loudness, read
from mediakeeper.text.commands import kind_command
from mediakeeper.text.visible import one_line
from mediakeeper.text.wording import format_size

CHANGED = moves.CHANGED


@dataclass
class SetAside:
    session: str
    home: Path
    moved: list[tuple[str, str]] = field(default_factory=list)  # (from, to)
    tagged: list[TagChange] = field(default_factory=list)  # what kept copies gained
    left_alone: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    # Groups whose best could not be told from the sound (``doubt``): (id, why), left for a
    # person to choose the copy kept (``decide dupes ID``).
    questions: list[tuple[str, str]] = field(default_factory=list)
    groups: int = 0  # groups acted on: their kept copy checked, their other copies moved
    # Of those, the groups no longer asked (decisions closed): a copy left alone, changed
    # since the scan, keeps its group open, with what is left of it.
    closed: int = 0
    freed: int = 0  # bytes moved out of the library
    removed: list[str] = field(default_factory=list)  # library folders the moves emptied
    resumed: list[str] = field(default_factory=list)  # killed sessions finished first
    stopped: str = ""  # why it stopped before the end (a full disk), "" when it did not


def holding_of(settings: Settings) -> Path:
    given = settings.get(KIND.name, "holding")
    return Path(given).expanduser().resolve() if given else settings.home / "set-aside"


def chosen(
    found: list[dict[str, Any]], ids: list[str], *, every: bool, include_releases: bool,
    home: Path, kept_whole: Collection[str] = (),
) -> list[dict[str, Any]]:  # fmt: skip
    """The groups asked for: by id (a release group too, a group kept whole too), or every
    album and track group (and release group with ``include_releases``) not kept whole
    (``home``: the data home the hints name)."""
    listing = kind_command(KIND.name, "", home)  # the groups listed, with their ids
    if every and ids:
        raise UsageError("give --all or group IDs, not both")
    if not every and not ids:
        raise UsageError(f"give --all or one or more group IDs (`{listing}` lists them)")
    if every:
        return dupes.asked_by_all(found, kept_whole, include_releases=include_releases)
    by_id = {g["id"]: g for g in found}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise UsageError(f"no duplicate group {one_line(unknown[0])}: `{listing}` lists them")
    return [by_id[i] for i in ids]


def set_aside(home: str | Path | None, ids: list[str] = (), *, every: bool = False,
              include_releases: bool = False,
              keepers: Mapping[str, str] | None = None) -> SetAside:  # fmt: skip
    """Move every copy but the one kept of the groups asked for into the holding folder
    (its path relative to the library kept), the kept copy first gaining the tags it lacks
    that the others carry; every change journaled under one session, which ``mediakeeper
    undo --session`` takes back. The copy kept is the best, or ``keepers[id]`` (a person's
    choice). A copy changed since the scan is left alone, and said; a group whose best the
    sound cannot tell (its ``doubt``) is left for a person, unless ``keepers`` names its copy."""
    settings = load_settings(home)
    library = library_of(settings)
    holding = holding_of(settings)
    with moves.exclusive(settings.home):
        resumed = recover(settings)  # what a killed set-aside left, finished first
        every_group = dupes.load_groups(settings.home) or []
        wanted = chosen(every_group, list(ids), every=every, include_releases=include_releases,
                        home=settings.home, kept_whole=keeping.load(settings.home))  # fmt: skip
        chose = keepers or {}
        questions = [(g["id"], g["doubt"]) for g in wanted
                     if not dupes.sure(g) and g["id"] not in chose]  # fmt: skip
        wanted = [g for g in wanted if dupes.sure(g) or g["id"] in chose]
        kept = [_kept_copy(found, chose.get(found["id"], found["best"])) for found in wanted]
        if not wanted:  # nothing to move: no session
            return SetAside("", settings.home, questions=questions, resumed=resumed)
        _room(wanted, kept, holding)
        _movable(wanted, kept)
        session = start_session(settings.status_dir, KIND.name, description="set-aside")
        done = SetAside(session.id, settings.home, questions=questions, resumed=resumed)
        dupes.keep_before(settings.home, done.session, every_group)
        try:
            _move_groups(settings, done, wanted, kept, holding, library)
            outcome = moves.COMPLETED
        except moves.NoRoom as err:
            done.stopped, outcome = err.message, moves.STOPPED
        still = _finish(settings, every_group, {source for source, _ in done.moved})
        done.closed = sum(found["id"] not in still for found in wanted)
        moves.end(settings.home, done.session, outcome)  # the groups know its moves: ended
        session.end(outcome, {"files_set_aside": len(done.moved), "bytes": done.freed,
                              "left_alone": len(done.left_alone)})  # fmt: skip
    return done


def would_move(settings: Settings, found: dict[str, Any], keep: str) -> list[tuple[str, Path]]:
    """What keeping the copy ``keep`` of the group ``found`` would set aside, as
    ``set_aside`` moves it: each file of every other copy (an album copy's tracks, not a
    name of a kept file), and what comes with an album copy whose folder they leave without
    audio (``_companions``), each with the place it would get in the holding folder."""
    holding, library = holding_of(settings), library_of(settings)
    names_kept = {_file_id(f["path"]) for f in _kept_copy(found, keep)["files"]}
    moving = []
    for copy in found["copies"]:
        if copy["path"] == keep:
            continue
        files = [f["path"] for f in copy["files"] if _file_id(f["path"]) not in names_kept]
        moving += files
        for folder in _albums_of(found["level"], copy, library):
            moving += map(str, _companion_files(folder, leaving=set(files)))
    return [(path, moves.in_holding(holding, library, Path(path))) for path in moving]


def _albums_of(level: str, copy: dict[str, Any], library: Path) -> list[Path]:
    """The album folders a copy set aside may leave without audio, whose companions then go
    with it: an album copy's own folder; a track copy's folder (not the library's own: what
    lies loose at its top is no album's)."""
    if level == "album":
        return [Path(copy["path"])]
    folders = {Path(f["path"]).parent for f in copy["files"]}
    return sorted(folder for folder in folders if folder != library)


def would_empty(settings: Settings, moving: Collection[str]) -> list[str]:
    """The library folders that setting aside the files ``moving`` (``would_move``'s) would
    leave empty, the deepest first, as ``set_aside`` removes them (``moves.prune_emptied``,
    from each moved file's folder up to the library): a folder on their way up that holds
    nothing but them, and such folders."""
    library, moving = library_of(settings), set(moving)
    on_the_way = {str(folder) for path in moving for folder in Path(path).parents
                  if library in folder.parents}  # fmt: skip
    emptied: dict[str, bool] = {}

    def empties(folder: str) -> bool:
        if folder not in emptied:
            try:
                entries = list(os.scandir(folder))
            except OSError:
                entries = None
            emptied[folder] = entries is not None and all(
                empties(e.path) if e.path in on_the_way and e.is_dir(follow_symlinks=False)
                else e.path in moving for e in entries)  # fmt: skip
        return emptied[folder]

    return sorted((f for f in on_the_way if empties(f)), reverse=True)


def _move_groups(settings: Settings, done: SetAside, wanted: list[dict], kept: list[dict],
                 holding: Path, library: Path) -> None:  # fmt: skip
    """Each group's kept copy checked to be what was graded and given the tags it lacks,
    then every other copy's files moved, each checked right before its move; the library
    folders the moves empty removed."""
    journal = ChangeJournal(settings.status_dir / "music", done.session,
                            writemode.chosen(settings.get))  # fmt: skip
    for found, best in zip(wanted, kept, strict=True):
        changed = [(f["path"], why) for f in best["files"] if (why := moves.unchanged(f))]
        if changed:
            path, why = changed[0]
            scan = kind_command(KIND.name, "scan", settings.home)
            done.left_alone.append((path, f"the copy kept was {why}: nothing of group "
                                    f"{found['id']} moved; run `{scan}` again"))  # fmt: skip
            continue
        done.groups += 1
        others = [c for c in found["copies"] if c is not best]
        _carry_tags(best, others, journal, done)
        names_kept = {_file_id(f["path"]) for f in best["files"]}
        for copy in others:
            albums = _albums_of(found["level"], copy, library)
            for album in albums:  # what comes with it goes too: after a kill as well
                moves.record(settings.home, done.session, {"album": str(album)})
            for file in copy["files"]:
                if _file_id(file["path"]) in names_kept:  # a hard link: one copy, never moved
                    done.left_alone.append((file["path"], "another name of the copy kept"))
                    continue
                target = moves.in_holding(holding, library, Path(file["path"]))
                _move_one(settings.home, done, file, target)
            folders = {str(Path(f["path"]).parent) for f in copy["files"]}
            for album in albums:  # its pictures too, once it holds no audio
                _companions(settings.home, done, album, holding, library)
            for folder in sorted(folders, reverse=True):
                done.removed += moves.prune_emptied(settings.home, done.session, Path(folder),
                                                    library)  # fmt: skip


def _move_one(home: Path, done: SetAside, file: dict[str, Any], target: Path) -> None:
    """One file set aside, said; left alone (and said) when it is not what was graded."""
    try:
        moves.move(home, done.session, file, target)
    except moves.Refused as why:
        done.left_alone.append((file["path"], str(why)))
        return
    done.moved.append((file["path"], str(target)))
    done.freed += file["size"]


def _companions(home: Path, done: SetAside, folder: Path, holding: Path, library: Path) -> None:
    """The album folder ``folder``'s companions (``_companion_files``) set aside with it once
    no audio file is left in it: what comes with an album goes with it, and the folder it
    leaves is empty."""
    for path in _companion_files(folder):
        st = path.stat()
        file = {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                "inode": st.st_ino}  # fmt: skip
        _move_one(home, done, file, moves.in_holding(holding, library, path))


def _companion_files(folder: Path, leaving: Collection[str] = ()) -> list[Path]:
    """The album folder ``folder``'s pictures, cue sheets, logs and the like (and a file
    manager's leftovers), which go with it once it holds no audio file but those
    ``leaving`` (the paths a preview would move first): none while it still holds a track
    (one no other copy has), which keeps them."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    if any(is_audio(name) and str(folder / name) not in leaving for name in names):
        return []
    return [folder / name for name in names
            if not (folder / name).is_symlink() and (folder / name).is_file()
            and (os.path.splitext(name)[1].lower() in COMPANION_SUFFIXES
                 or name in JUNK_FILES)]  # fmt: skip


def _file_id(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _room(wanted: list[dict], kept: list[dict], holding: Path) -> None:
    """Refuse before anything moves when the copies to set aside on another file system than
    the holding folder's need more room than it has (``moves.NoRoom``, naming it)."""
    where = holding
    while not where.exists() and where != where.parent:
        where = where.parent
    device, need = os.stat(where).st_dev, 0
    for found, best in zip(wanted, kept, strict=True):
        for copy in (c for c in found["copies"] if c is not best):
            for file in copy["files"]:
                with contextlib.suppress(OSError):
                    if os.stat(file["path"]).st_dev != device:
                        need += file["size"]
    vfs = os.statvfs(where)
    free = vfs.f_bavail * vfs.f_frsize
    if need > free:
        raise moves.NoRoom(
            f"disk full: {format_size(need)} to set aside in {holding}, {format_size(free)} "
            f"free on the file system mounted at {mount_point(str(where))}; nothing was moved",
            "free space there, or set [dupes] holding to a folder on a disk with room")


def _movable(wanted: list[dict], kept: list[dict]) -> None:
    """Refuse before anything moves when a copy to set aside lies on a read-only file system
    (a library on a read-only mount): each file would be copied to the holding folder and
    stay in the library too, in two places, and the session said to have moved it."""
    for found, best in zip(wanted, kept, strict=True):
        for copy in (c for c in found["copies"] if c is not best):
            for file in copy["files"]:
                folder = os.path.dirname(file["path"])
                try:
                    read_only = os.statvfs(folder).f_flag & os.ST_RDONLY
                except OSError:
                    continue  # gone: said when its move is tried
                if read_only:
                    raise moves.ReadOnly(
                        f"read-only file system: cannot set aside {one_line(file['path'])} "
                        f"(the file system mounted at {mount_point(folder)} is read-only); "
                        "nothing was moved", "mount it read-write and run this again")


def recover(settings: Settings) -> list[str]:
    """The set-aside sessions a kill cut short, finished (``moves.recover``; call it holding
    ``moves.exclusive``): the groups forget what they moved. Their ids."""
    library = library_of(settings)
    found = moves.recover(settings.home, library)
    for session, _ in found:  # an album copy it was setting aside: what came with it too
        albums = [e["album"] for e in moves.lines(settings.home, session) if "album" in e]
        for folder in albums:
            _companions(settings.home, SetAside(session, settings.home), Path(folder),
                        holding_of(settings), library)  # fmt: skip
            moves.prune_emptied(settings.home, session, Path(folder), library)
    if found:
        every_group = dupes.load_groups(settings.home) or []
        _finish(settings, every_group, {e["from"] for _, made in found for e in made})
    return [session for session, _ in found]


def _finish(settings: Settings, every_group: list[dict], moved: set[str]) -> set[str]:
    """The groups without what ``moved`` (``_forget_moved``), the queues and the reports
    after: the ids of the groups still asked."""
    still = _forget_moved(settings.home, every_group, moved)
    refresh_queues(settings)
    write_closing_reports(settings.home, datetime.now(UTC))  # the space left to free
    return still


def _kept_copy(found: dict[str, Any], path: str) -> dict[str, Any]:
    for copy in found["copies"]:
        if copy["path"] == path:
            return copy
    raise UsageError(f"duplicate group {found['id']} has no copy {path}")


def _forget_moved(home: Path, every_group: list[dict[str, Any]], moved: set[str]) -> set[str]:
    """The groups kept without the files set aside (an album copy part set aside keeps the
    rest; a group left with one copy, or without its best, goes), and with the kept files'
    new tags as the scan's: a second set-aside does not take them for changes. Stamped as
    of no scan: the next scan groups afresh. The ids of the groups kept."""
    kept = []
    for found in every_group:
        copies = []
        for c in found["copies"]:
            files = [f for f in c["files"] if f["path"] not in moved]
            if len(files) < len(c["files"]):
                c = {**c, "files": files, "size": sum(f["size"] for f in files)}
            if files:
                copies.append(c)
        if len(copies) > 1 and any(c["path"] == found["best"] for c in copies):
            waste = sum(c["size"] for c in copies if c["path"] != found["best"])
            kept.append({**found, "copies": copies, "waste": waste})
    dupes.save_groups(home, kept)
    return {found["id"] for found in kept}


def would_gain(found: dict[str, Any], keep: str) -> list[tuple[str, str, str]]:
    """What keeping the copy ``keep`` of the group ``found`` would write into its files, as
    ``set_aside`` writes it before the moves: each (path, tag, value) a kept file lacks and
    a copy set aside carries."""
    best = _kept_copy(found, keep)
    others = [c for c in found["copies"] if c is not best]
    return [(path, tag, value) for path, gained in _gains(best, others)
            for tag, value in gained.items()]  # fmt: skip


def _gains(best: dict, others: list[dict]) -> list[tuple[str, dict[str, str]]]:
    """Each kept file with the carried tags and the cover it lacks that the copies of the
    same recording set aside carry (an album's tracks matched by their ``recording``): one
    reckoning for the preview and the take."""
    gains = []
    for kept in best["files"]:
        have = _carried(kept["path"])
        if not _takes_cover(kept["path"]):
            have[COVER] = ""  # an APE or ASF file: its cover is not written here
        gained: dict[str, str] = {}
        for copy in others:
            for other in copy["files"]:
                if other["recording"] != kept["recording"] or moves.unchanged(other):
                    continue
                for tag, value in _carried(other["path"]).items():
                    if tag not in have:
                        gained.setdefault(tag, value)
        if gained:
            gains.append((kept["path"], dict(sorted(gained.items()))))
    return gains


def _carry_tags(best: dict, others: list[dict], journal: ChangeJournal, done: SetAside) -> None:
    """The kept files given what they gain (``_gains``), journaled for the undo."""
    files = [(Path(path), [Step("", TagChange(path, tag, None, value), None)
                           for tag, value in gained.items()], None)
             for path, gained in _gains(best, others)]  # fmt: skip
    if not files:
        return
    result = carry_out(files, journal, verify=True, changed=CHANGED)
    done.tagged += [step.change for step in result.written]
    done.left_alone += [(step.change.path, f"{step.change.tag} not written: {why}")
                        for step, why in result.refused]  # fmt: skip
    for kept in best["files"]:  # its new tags are not a change since the scan
        st = Path(kept["path"]).stat()
        kept.update(size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino,
                    hash=content_hash(kept["path"]))  # fmt: skip


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


def put_back(home: Path, session: str, *,
             dry_run: bool = False) -> tuple[moves.PutBack, int] | None:  # fmt: skip
    """The moves of a set-aside session undone (None when the session moved nothing), a
    killed one's finished first, and how many duplicate groups are listed again (their
    decisions open again); its tag changes are the undo's (``changes.undo``). A dry run:
    what it would put back, leave alone and list again, nothing moved (a killed one's not
    finished)."""
    if not moves.moved(home, session):
        return None
    settings = load_settings(home)
    if dry_run:
        done = moves.put_back(settings.home, session, holding_of(settings), dry_run=True)
        return done, dupes.bring_back(settings.home, session, coming=done.restored)
    with moves.exclusive(settings.home):
        recover(settings)
        done = moves.put_back(settings.home, session, holding_of(settings))
    again = dupes.bring_back(settings.home, session)
    refresh_queues(settings)
    return done, again
