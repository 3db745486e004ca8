"""The garbage collector around a command's start.

A command's imports make some 49,000 objects (functions, classes, tables) that live until
the exit and no garbage for the collector to find, yet it walked them some 60 times as they
loaded, would again at each later full pass and as the process exits, and in every worker a
batch forks, where touching each object's header copies the pages the worker shares with
its parent. So a script, and each console command, holds the collector back from its
first line (``hold``, called by ``cli.startup``), and once its command runs
(``imports_done``, called by the commands' ``invoke``) what the imports made is frozen out
of the collector's sight for good and the collector runs again for what the command makes:
the order Python's documentation of ``gc.freeze`` gives for a process that forks. What it
saves: docs/performance.md, a batch's start.

Modules a command imports only once it knows it needs them (``decide`` loads what takes a
decision as one is taken) load after that point: ``loading`` holds the collector back for
them too, and freezes what they made, as the first imports were (docs/performance.md, a
command's start, says what collecting while they loaded cost).

Python's last collection as a process exits walks every object again, to free memory the
exit frees anyway: a batch's end sets out of it what the batch made too (``exiting``).

A program that merely imports the toolkit (a test, another tool) never calls ``hold``: its
collector stays its own business.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_held = False  # whether ``hold`` turned the collector off (and ``imports_done`` has not run)
_ours = False  # whether ``hold`` ran: the collector is this command's to manage


def hold() -> None:
    """No collection while the modules load; a program that turned it off keeps it off."""
    global _held, _ours
    if gc.isenabled():
        gc.disable()
        _held = _ours = True


def imports_done() -> None:
    """What the imports made frozen, and the collector on again, if ``hold`` held it; once."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()


@contextmanager
def loading() -> Iterator[None]:
    """Modules imported once the command runs, loaded as its first were: no collection while
    they load, and what they made frozen with them. Nothing changes in a program whose
    collector was never held (a test), or while the first imports still hold it."""
    if not _ours or _held or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def exiting() -> None:
    """What the command made set out of the collection Python makes as it exits. Called once
    every file is written and closed: no object is left to a finalizer."""
    gc.freeze()
