"""Imported first by a command that is not a batch (``import utilities.startup``): until its
own signal handling is in place (``cli.stops_on_signals``), Ctrl+C or SIGTERM ends it with
exit 130 and one word, not a KeyboardInterrupt traceback from whichever import was running.
Nothing is written yet then. It imports only ``os`` and ``signal``, so it is in place within
milliseconds of the start."""

from __future__ import annotations

import atexit
import os
import signal

EXIT_INTERRUPTED = 130


def _stop(signum, frame) -> None:
    os.write(2, b"interrupted\n")
    os._exit(EXIT_INTERRUPTED)


def exit_130_on_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stop)


def _ignore_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


exit_130_on_signals()  # on import: the importing script's first line
# As Python shuts down it gives signals back their default action: one then would end the
# process as killed by it (-2), not with 130 or its own code. Everything is written by then.
atexit.register(_ignore_signals)


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    from utilities.cli import not_a_command

    not_a_command("the commands' start-up code", "weekly_report.py", "media_dashboard.py")
