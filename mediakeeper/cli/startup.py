"""Imported first by each script of ``utilities/`` (``import mediakeeper.cli.startup``): until
the command's own signal handling is in place (``command.stops_on_signals``), Ctrl+C or
SIGTERM ends it with exit 130 and one word, not a KeyboardInterrupt traceback from whichever
import was running. Nothing is written yet then. It imports nothing beyond ``os``,
``signal``, ``sys`` and ``system.interrupts``, so it is in place within milliseconds of the
start."""

from __future__ import annotations

import atexit
import os
import signal
import sys

from mediakeeper.system.interrupts import exit_now

SCRIPTS = "utilities"  # the folder of the user's scripts, in a checkout


def _stop(signum, frame) -> None:
    os.write(2, b"interrupted\n")
    exit_now()


def exit_130_on_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stop)


def _ignore_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


def _run_as_a_script() -> bool:
    """Whether the process runs one of the user's scripts (``python
    utilities/weekly_report.py``), not a program that
    imports it (a test, another tool), whose signals are its own business."""
    main = getattr(sys.modules.get("__main__"), "__file__", None) or ""
    return bool(main) and os.path.basename(os.path.dirname(os.path.abspath(main))) == SCRIPTS


if _run_as_a_script():  # on import: the importing script's first line
    exit_130_on_signals()
    # As Python shuts down it gives signals back their default action: one then would end
    # the process as killed by it (-2), not with 130. Everything is written by then.
    atexit.register(_ignore_signals)


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    from mediakeeper.cli.command import not_a_command

    not_a_command("the commands' start-up code", "weekly_report.py", "process_music_batch.py")
