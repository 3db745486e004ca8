"""Checkpoints, and replacing the whole queue, as QueueStore's methods: a checkpoint every
``checkpoint_every`` completions, a new queue (``--init``), a checkpoint restored, and how a
person gets a queue back that cannot be read.

A mixin rather than functions so that ``QueueStore`` stays the one class callers know; it
relies on the store's lock, live state and folding (``_flush``, ``_fold``, ``_encode``), all
in ``mediakeeper.queue.store``. Whatever a replacement replaces is kept beside it, never lost.
"""

from __future__ import annotations

import itertools
import shlex
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from mediakeeper.core import kinds
from mediakeeper.core.errors import QueueCorrupt, QueueError
from mediakeeper.fs.atomic import atomic_write_bytes
from mediakeeper.queue.files import (
    by_hand_hint,
    generation_of,
    library_on_disk,
    restore_hint,
)
from mediakeeper.queue.loading import held, load_queue
from mediakeeper.text.wording import queue_name


def _no() -> None:
    """No check (see CheckpointsMixin.create)."""


class CheckpointsMixin:
    """Checkpoints and replacements (see the module docstring for what it relies on)."""

    def checkpoint(self) -> Path:
        with self.locked() as data:
            return self._checkpoint(self._completed_count(data))

    def _checkpoint(self, done: int) -> Path:
        # Written from the live state: folding the queue first would write it all twice. What
        # a transaction changed so far is journaled first: a checkpoint never runs ahead.
        self._flush()
        noun = kinds.noun(self.kind)
        name = f"checkpoint_{self.clock().date().isoformat()}_{noun}_{done:03d}.json"
        target = self.checkpoint_dir / name
        atomic_write_bytes(target, self._file_chunks(self._data))
        self._last_checkpoint = done
        return target

    def checkpoints(self) -> list[Path]:
        """Oldest first, by modification time then name."""
        if not self.checkpoint_dir.is_dir():
            return []
        found = [p for p in self.checkpoint_dir.glob("checkpoint_*.json") if p.is_file()]
        return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def restore(self, checkpoint: Path, check: Callable[[], None] = _no) -> Path | None:
        """Replace the queue by a checkpoint after validating it; keeps a copy of the old one.
        ``check``: as for ``create``."""
        listed = f"`{self.manager_command()} --list-checkpoints` shows the others"
        others = f"the queue was not touched; {listed}"
        restored = load_queue(checkpoint, lambda by_hand=False: others, self.dir)
        if restored[0].get("kind") != self.kind:
            kind = restored[0].get("kind")
            raise QueueCorrupt(f"{checkpoint} is a {kind!r} queue, not {self.kind}")
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            check()
            return self._replace_with(*restored)

    def _current_generation(self) -> int:
        """The highest generation on disk, read leniently (the queue may be the broken part)."""
        generations = [1]
        with suppress(OSError):
            generations.append(generation_of(self.path.read_bytes(), "generation") or 1)
        with suppress(OSError):
            for line in self.journal_path.read_bytes().splitlines():
                generations.append(generation_of(line, "gen") or 1)
        return max(generations)

    def create(
        self, data: dict[str, Any], *, replace: bool = False, check: Callable[[], None] = _no
    ) -> Path | None:
        """Write a brand-new queue (``--init``). Refuses to replace one unless told to; the
        one it replaces (damaged or not) is kept beside it, and returned. ``check`` runs with
        the lock held before a queue is replaced, and may refuse (raise)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if self.path.exists():
                if not replace:
                    raise QueueError(
                        f"a {queue_name(self.kind)} already exists at {self.path}",
                        "--refresh adds new folders; --init --force replaces it",
                    )
                check()
            return self._replace_with(data)

    def _replace_with(
        self, data: dict[str, Any], index: dict[str, int] | None = None
    ) -> Path | None:
        """Put ``data`` in place of the queue, whatever it holds (call with the lock held);
        the files it replaces are kept beside it (``_keep_replaced``), the queue's is returned.
        ``data``'s items: a list of dicts, or a spill read by ``load_queue`` with its ``index``."""
        backup = self._keep_replaced()
        # The file is written one generation above anything the old journal holds: its lines
        # are never replayed, not even by a reader that read the new file before the journal
        # was emptied.
        data["generation"] = max(data.get("generation", 1), self._current_generation())
        if index is None:
            data, index = held(data, self.dir)  # held in a spill, as a store reads them
        self._data, self._index = data, index
        self._journal_offset = 0
        self._derived_reset()
        self._fold()
        return backup

    def _keep_replaced(self) -> Path | None:
        """Copy the queue file and a journal with lines beside them as ``*.replaced-<time>``
        (call with the lock held, before replacing them); returns the queue's copy."""
        backup = None
        stamp = second = self.clock().strftime("%Y%m%dT%H%M%S")
        # Never over an earlier copy: two replacements within one second get -2, -3, ...
        taken = {p.name.rsplit(".replaced-", 1)[1] for p in self.dir.glob("*.replaced-*")}
        for serial in itertools.count(2):
            if stamp not in taken:
                break
            stamp = f"{second}-{serial}"
        if self.path.exists():
            backup = self.path.with_name(f"{self.path.name}.replaced-{stamp}")
            atomic_write_bytes(backup, self.path.read_bytes())
        if self.journal_path.exists() and self.journal_path.stat().st_size:
            kept = self.journal_path.with_name(f"{self.journal_path.name}.replaced-{stamp}")
            atomic_write_bytes(kept, self.journal_path.read_bytes())
        return backup

    def recovery_hint(self, *, by_hand: bool = False) -> str:
        """How a person gets this queue back when it cannot be read: the latest checkpoint
        (see restore_hint) or, with none yet (a library under ``checkpoint_every`` items has
        none), a new queue of the same library, which keeps the damaged file beside it."""
        if self.checkpoints():
            return restore_hint(self.manager_command(), by_hand=by_hand)
        library = library_on_disk(self.path, self.journal_path)
        noun = kinds.noun(self.kind)
        where = shlex.quote(library) if library else "PATH"
        what = "" if library else f", PATH being the folder of your {noun} folders,"
        edit = by_hand_hint(by_hand)
        return (
            f"nothing was changed; {edit}there is no checkpoint to restore yet: "
            f"`{self.manager_command()} --init --force --library {where}`{what} makes a new "
            f"queue, every {noun} pending (the damaged file is kept beside it; "
            "the undo journals, outputs and session logs are not touched)"
        )
