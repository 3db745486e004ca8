"""An MP3's ID3v2.2 tag (``legacy-tag``) written again as ID3v2.4 with the same values, taken
from ``decide`` (``UPGRADE``) as one session that ``undo --session`` gives back byte for byte.

A tag write that changes no value writes nothing (``changes.writes``), and the kept original
bytes of a write (``changes.originals``) only cover writes that kept the file's size, which
an upgrade never does (v2.4's frame ids and sizes are longer). So the upgrade goes the way a
verify restore does (``changes.swaps``): the upgraded file is made beside the original under a
temporary name (mutagen reads v2.2 and saves v2.4), its values read back and compared with
the original's (refused if any differs), then swapped into the file's place while the
original file itself is set aside in the holding folder, journaled before it moves. Undo
renames the original back over the upgraded file when that is still the one placed: the
very bytes it had.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from mutagen.id3 import ID3

from mediakeeper import tags
from mediakeeper.changes import moves, swaps
from mediakeeper.changes.change import TagChange
from mediakeeper.core import writemode
from mediakeeper.core.config import load_settings
from mediakeeper.core.errors import AudioError
from mediakeeper.decisions import copies, sessions, verifying
from mediakeeper.decisions.answering import Taken, new_session
from mediakeeper.decisions.answering import take as close
from mediakeeper.decisions.item import Choice, Decision, ItemDecisions
from mediakeeper.fs import left_behind
from mediakeeper.fs.atomic import create_temp
from mediakeeper.fs.checks import why_left_alone
from mediakeeper.fs.names import TEMP_PREFIX, home_id, short_suffix
from mediakeeper.text.slug import inside

LEGACY = "ID3v2.2"  # the tag version an upgrade rewrites (mutagen cannot write it back)
NEW = "ID3v2.4"
WHAT = "tags rewritten as ID3v2.4"


def places(home: Path, found: ItemDecisions, decision: Decision, choice: Choice):
    """Each file the upgrade rewrites, with where its original is set aside."""
    holding = inside(copies.holding_of(load_settings(home)), *Path(found.item["key"]).parts)
    album = Path(found.item["path"])
    names = [choice.file] if choice.file else [
        str(f["path"]) for f in decision.findings
        if (f.get("details") or {}).get("tag_version") == LEGACY]  # fmt: skip
    return [(album / n, moves.in_holding(holding, album, album / n)) for n in names]


def why_not(home: Path, target: Path) -> str:
    """Why the upgrade would leave ``target`` alone, as a tag write would (a read-only or
    hard-linked file, as the music settings say; one that cannot be read); "": it would not."""
    return _left_alone(target, writemode.chosen(load_settings(home).get))


def _left_alone(target: Path, writing: writemode.Writing) -> str:
    err = why_left_alone(str(target), None, writing.hard_links)
    return f"{err.reason}: left alone" if err is not None else ""


def take(home: Path, found: ItemDecisions, decision: Decision, choice: Choice) -> Taken:
    """Every file of ``decision`` upgraded (its original set aside), the decision closed
    when all were; a file left as it was said with why."""
    session, said, refused = new_session(home), [], []
    settings = load_settings(home)
    writing = writemode.chosen(settings.get)
    planned = places(home, found, decision, choice)
    for target, aside in planned:
        try:
            _upgrade(home, session, target, aside, writing)
        except (swaps.Refused, AudioError) as err:
            refused.append((TagChange(str(target), "", None, None), str(err)))
            continue
        except OSError as err:  # a folder that cannot be written, a full disk
            refused.append((TagChange(str(target), "", None, None),
                            f"not rewritten: {err.strerror or err}"))  # fmt: skip
            continue
        said.append(f"rewrote the tags of {target} as {NEW}; the original file is set aside "
                    f"at {aside}")  # fmt: skip
    if refused:  # what was upgraded goes back: the decision stays open, nothing half-done
        swaps.put_back(home, session, copies.holding_of(settings))
        return Taken((), (), "", tuple(refused))
    done = [str(t.relative_to(found.item["path"])) for t, _ in planned]
    taken = close(home, found, (), [verifying.about(decision, done)], WHAT, session=session)
    sessions.record(home, found.kind, session, decision.code, [found.item["key"]], "")
    return Taken((), taken.closed, session, said=tuple(said))


def _upgrade(home: Path, session: str, target: Path, aside: Path,
             writing: writemode.Writing) -> None:  # fmt: skip
    st = os.lstat(target)
    if why := _left_alone(target, writing):
        raise swaps.Refused(f"{target}: {why}")
    before = tags.read(target)
    if before.tag_version != LEGACY:
        raise swaps.Refused(f"{target}: its tags are {before.tag_version} now, not {LEGACY}")
    left_behind.will_write_in(target.parent, home / "status")
    fd, tmp = create_temp(target.parent, f"{TEMP_PREFIX}{home_id(home)}.",
                          ".tmp" + short_suffix(target.name))  # fmt: skip
    os.close(fd)
    try:
        shutil.copyfile(target, tmp)
        id3 = ID3(tmp)  # read as v2.4 frames (mutagen translates v2.2's)
        id3.save(tmp, v2_version=4)
        after = tags.read(tmp)
        if (after.tag_version, after.tags) != (NEW, before.tags):
            raise swaps.Refused(f"{target}: its values read back different as {NEW}: left "
                                   "alone")  # fmt: skip
        done = os.stat(tmp)
        swaps.put_in_place(home, session, target, swaps.Good(tmp, done.st_size, done.st_mtime_ns),
                              aside, was=st)  # fmt: skip
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
