"""What a pipeline's session made, for an undo asked of it: a pipeline writes each album as
new files at ``<output>/<album path>`` (and a ``copy`` step's archive copy) and changes none
of the person's, so it journals nothing and an undo has nothing to put back. Said as such,
with the folders it made and how to be rid of them, rather than as "no journaled changes",
which reads as if its changes were lost.

Read from the session's own log (its completed albums, as ``sessions show`` lists them) and
the pipeline's queue (where each album was placed), never loading the steps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakeeper.core.errors import NotFound, QueueError
from mediakeeper.pipelines import KIND_PREFIX
from mediakeeper.queue.session_log import kind_of, load_sessions
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.commands import tool_command
from mediakeeper.text.visible import one_line, shell_join
from mediakeeper.text.wording import count, first_few

SHOWN = 3  # album folders named in the line; more are counted, `sessions show` lists them


class PipelineMadeFiles(NotFound):
    """An undo asked of a pipeline's session: nothing to undo (its files are new ones)."""

    def __init__(self, made: Made, home: Path):
        super().__init__(made.said(), made.removal(home))
        self.made = made


@dataclass(frozen=True)
class Made:
    """A pipeline session's albums: the folders it placed (and archived), in its order."""

    session: str
    pipeline: str
    albums: list[str]  # their keys, as `sessions show` lists them
    folders: list[str]  # where they were placed, and their archive copies

    def said(self) -> str:
        if not self.albums:
            what = "made no album"
        else:  # (where its queue could not be read, the albums alone)
            where = f" ({first_few(list(map(one_line, self.folders)), SHOWN)})" * bool(self.folders)
            what = f"made {count(len(self.albums), 'album')} as new files{where}"
        return (f"session {one_line(self.session)} ran the pipeline {self.pipeline}: it {what} "
                "and changed none of your files: nothing to undo")  # fmt: skip

    def removal(self, home: Path) -> str:
        """How a person is rid of what it made, should they want to: undo never deletes."""
        if not self.albums:
            return f"`{tool_command('sessions', home)} show {self.session}` shows how it ran"
        if self.folders and len(self.folders) <= SHOWN:
            return f"undo deletes no new file; to be rid of them: rm -r -- " \
                   f"{shell_join(self.folders)}"  # fmt: skip
        return (f"undo deletes no new file; to be rid of them, delete the folders of the albums "
                f"`{tool_command('sessions', home)} show {self.session}` lists")  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return {"session": self.session, "what": "pipeline", "pipeline": self.pipeline,
                "albums": self.albums, "made": self.folders, "undoable": False}  # fmt: skip


def refuse_made(home: Path, session: str) -> None:
    """An undo of ``session`` refused when it is a pipeline's (``PipelineMadeFiles``: what it
    made, which is new files, none of the person's changed); the one check every undo makes,
    a whole session's or one artist's of it, from the command line or the page."""
    if (made := made_by(home / "status", session)) is not None:
        raise PipelineMadeFiles(made, home)


def made_by(status_dir: Path, session: str) -> Made | None:
    """What the pipeline session ``session`` made; None when it is no pipeline's session."""
    kind = kind_of(session)
    if not kind.startswith(KIND_PREFIX) or not (status_dir / kind).is_dir():
        return None
    found = load_sessions(status_dir, kind, only=session)
    if not found:
        return None
    keys = [str(i.get("key")) for i in found[0].items if i.get("outcome") == "completed"]
    placed = _placed(status_dir / kind, kind)
    folders = [folder for key in keys for folder in placed.get(key, ())]
    return Made(session, kind.removeprefix(KIND_PREFIX), keys, folders)


def _placed(kind_dir: Path, kind: str) -> dict[str, list[str]]:
    """Each album's folders as its queue item recorded them (the output, the archive copy);
    none where the queue cannot be read: the line then names the albums' count alone."""
    try:
        items = QueueStore(kind_dir, kind).peek()["items"]
    except (QueueError, OSError):  # moved aside or damaged: what it made is still no change
        return {}
    placed = {}
    for item in items:
        details = item.get("details") or {}
        placed[str(item.get("key"))] = [str(details[k]) for k in ("output", "archive")
                                        if details.get(k)]  # fmt: skip
    return placed
