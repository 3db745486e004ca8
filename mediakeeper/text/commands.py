"""Commands worded for a person to paste: every hint, report and closing line that names a
command of the toolkit gets it from here, so each one runs from wherever the person is.

The program part:

- ``mediakeeper music queue`` when the ``mediakeeper`` console command (``pip install``)
  is on PATH and belongs to the environment of the interpreter running now (another
  installation's could be another version);
- else this interpreter, by its absolute path, running the package:
  ``/venv/bin/python -m mediakeeper music queue``: no activated environment, no current
  folder and no PYTHONPATH is needed for it to run.

Either way the words are the console command's (``<kind> queue|batch``, ``report``, ...):
the library never names a script; which script or module runs a command is the command
line's business (``mediakeeper.cli``).

The data home: ``--home DIR``, absolute, whenever the caller knows the home, even when the
person is in it now. A hint outlives the moment it was printed in (a report read next week,
a log line, a session file) and is pasted from wherever the person is then; a redundant
``--home`` costs nothing, a missing one acts on another home. Callers pass no home only for
a command meant for the current folder ("on your own library, run ...").

Each word is quoted as :func:`mediakeeper.text.visible.shell_word` quotes it: a data home
or an interpreter whose path holds a line feed gives a hint that stays one line and, pasted,
names that path. (Here, not in ``core``: ``text`` imports ``core``, and the quoting is
``text``'s.)
"""

from __future__ import annotations

import os
import shutil
import sys
from functools import cache
from pathlib import Path

from mediakeeper.text.visible import shell_join, shell_word

CONSOLE = "mediakeeper"
TOOLS = ("report", "dashboard", "undo", "decide", "pipeline", "sessions", "init", "serve",
         "alerts", "watch", "schedule", "worker", "cluster")  # no kind's


def kind_argv(kind: str, verb: str, home: Path | str | None = None) -> list[str]:
    """``verb`` is ``queue`` or ``batch``: the kind's queue manager or batch command (or
    a command of the kind's own, ``dupes scan``; "": the kind's, ``dupes`` listing groups)."""
    return _argv([kind, verb] if verb else [kind], home)


def tool_argv(tool: str, home: Path | str | None = None) -> list[str]:
    if tool not in TOOLS:
        raise ValueError(f"no such command: {tool}")
    return _argv([tool], home)


def last_name(name: str) -> str:
    """``name`` as the last word of a printed command that takes it as an argument, not an
    option's value (``decide KIND NAME``): after ``--`` where it begins with "-" (a folder
    "-Solaris"), which the command would otherwise read as options ("No such option '-S'")."""
    return f"-- {shell_word(name)}" if name.startswith("-") else shell_word(name)


def kind_command(kind: str, verb: str, home: Path | str | None = None) -> str:
    return shell_join(kind_argv(kind, verb, home))


def tool_command(tool: str, home: Path | str | None = None) -> str:
    return shell_join(tool_argv(tool, home))


def queue_manager(kind: str, home: Path | str | None = None) -> str:
    """The command that manages a kind's queue (for templates and messages)."""
    return kind_command(kind, "queue", home)


def resume_command(home: Path | str, session: str) -> str:
    """What resumes exactly ``session`` (``sessions resume ID``: its own options, what it left
    unfinished and the rest of its batch), where a plain run again would take whatever is
    pending, as any batch does."""
    return f"{tool_command('sessions', home)} resume {session}"


def waiting_hints(manager: str, noun: str, *, errors: int, skipped: int,
                  retry: str = "") -> list[tuple[str, str]]:  # fmt: skip
    """What lists and takes again a queue's failed and skipped items, each a command to
    paste and what it does, for the dashboard (its text and its page) and a batch's
    "Nothing to do": ``--status`` of the items there (a skipped item is no error); the failed
    ones retried by ``retry`` (default the queue manager's ``--reset-errors``; a batch names
    its own ``--retry-errors``); a skipped one only by the kind's own ``--reset-<noun> NAME``,
    as both of those leave it skipped. ``manager`` "": a queue without a manager (a
    pipeline's), only ``retry`` said."""
    if not errors and not skipped:
        return []
    hints = []
    if manager:
        listed = f"{manager} --list --status {'error' if errors else 'skipped'}"
        hints.append((listed, "(or skipped) lists them" if errors and skipped else "lists them"))
    if errors and (retry or manager):
        hints.append((retry or f"{manager} --reset-errors", "retries the errors"))
    if skipped and manager:
        hints.append((f"{manager} --reset-{noun} NAME", "retries one, skipped ones too"))
    return hints


def _argv(words: list[str], home: Path | str | None) -> list[str]:
    console = _console()
    program = [console, *words] if console else [sys.executable, "-m", CONSOLE, *words]
    return [*program, "--home", os.path.abspath(home)] if home else program


def _console() -> str | None:
    """``mediakeeper`` when that command, as found on PATH, is this environment's."""
    return _console_on(os.environ.get("PATH", os.defpath))


@cache
def _console_on(path: str) -> str | None:
    """``_console`` for this PATH, looked for once a process: a batch names the undo command
    in every artist's report, and each look stats a dozen files. (A console command installed
    on that PATH since is not seen until the next command: the hint it gives runs either way.)"""
    found = shutil.which(CONSOLE, path=path)
    if not found:
        return None
    here = Path(sys.executable).parent.resolve()
    return CONSOLE if Path(found).parent.resolve() == here else None
