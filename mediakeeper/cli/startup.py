"""Imported first by each script of ``utilities/`` (``import mediakeeper.cli.startup``), and
the console commands' entry points (``console``, ``music_queue``): until the command's own
signal handling is in place (``command.stops_on_signals``), Ctrl+C or SIGTERM ends it with
exit 130 and one word, not a KeyboardInterrupt traceback from whichever import was running.
Nothing is written yet then. It imports nothing beyond ``atexit``, ``io``, ``os``, ``signal``,
``sys``, ``warnings`` (these two loaded with Python itself), ``system.interrupts``,
``system.collector`` and ``cli.warning_lines``, so it is in place within milliseconds of the
start. It also holds the garbage collector back while the commands' modules load
(``system.collector``). A standard stream the command was started without is opened on
/dev/null (``_streams_never_closed``).

A script run by a Python that lacks the toolkit's dependencies (the system's, a bare venv)
says in one line how to set up (``make demo``, or the checkout's ``.venv``), exit 1, instead
of a ModuleNotFoundError traceback: whichever import first misses one, at any moment."""

from __future__ import annotations

import atexit
import io
import os
import signal
import sys
import warnings

from mediakeeper.cli.warning_lines import show_warning
from mediakeeper.system import collector
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


def how_to_set_up(module: str) -> str:
    """One line: the module this Python lacks, and how to run the script with one that has
    the toolkit's dependencies: the command line as given, the script by its whole path (a
    command pasted from any folder runs)."""
    import shlex  # (only here: the scripts' start imports no more than it needs)

    checkout = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    venv = os.path.join(checkout, ".venv")
    python = os.path.join(venv, "bin", "python")
    script = shlex.join([os.path.join(checkout, SCRIPTS,
                                      os.path.basename(sys.argv[0] or "SCRIPT.py")),
                         *sys.argv[1:]])  # fmt: skip
    lacks = f"{sys.executable} lacks mediakeeper's dependencies (no module named {module!r})"
    ours = os.path.realpath(sys.prefix) == os.path.realpath(venv)
    if os.path.isfile(python) and not ours:
        return f"{lacks}: run it with the project's environment: {python} {script}"
    return (f"{lacks}: in {checkout} run `make demo` (it makes .venv and installs them), "
            f"then {python} {script}")  # fmt: skip


def _missing_dependency(kind, value, traceback) -> None:
    """``sys.excepthook``: a dependency missing said in one line; so too the toolkit's own
    error raised as the commands load, before a command is there to say it (its kinds not
    registered: the dependencies there, mediakeeper itself not installed); anything else as
    ever."""
    name = getattr(value, "name", None) if isinstance(value, ModuleNotFoundError) else None
    if name and name.partition(".")[0] != "mediakeeper":
        os.write(2, (how_to_set_up(name.partition(".")[0]) + "\n").encode())
        return  # the exit status stays 1
    if kind.__module__ == "mediakeeper.core.errors":  # its message names the fix
        os.write(2, f"Error: {value}\n".encode())
        return
    sys.__excepthook__(kind, value, traceback)


def _streams_never_closed() -> None:
    """Each standard stream the command was started without (``<&-``, ``>&-``: Python then
    has no ``sys.stdin``, ``sys.stdout``) opened on /dev/null: a question then has no answer
    to read (exit 2 naming ``--yes``, as under cron), what is printed goes nowhere, and no
    file the command opens takes the stream's descriptor (where a program it starts would
    read or write)."""
    for fd, name, flags, mode in ((0, "stdin", os.O_RDONLY, "r"), (1, "stdout", os.O_WRONLY, "w"),
                                  (2, "stderr", os.O_WRONLY, "w")):  # fmt: skip
        if getattr(sys, name) is not None:
            continue
        try:
            os.fstat(fd)
        except OSError:  # closed: /dev/null takes the lowest descriptor free, this one
            null = os.open(os.devnull, flags)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
        raw = io.FileIO(fd, mode, closefd=False)
        raw.name = f"<{name}>"  # as Python names its own: "--keys-from <stdin>: ..."
        buffered = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
        setattr(sys, name, io.TextIOWrapper(buffered, line_buffering=mode == "w"))


def _start_a_command() -> None:
    """What a command's process does before it loads the commands' modules."""
    _streams_never_closed()
    collector.hold()  # until the command runs (system/collector.py says why)
    exit_130_on_signals()
    warnings.showwarning = show_warning
    # As Python shuts down it gives signals back their default action: one then would end
    # the process as killed by it (-2), not with 130. Everything is written by then.
    atexit.register(_ignore_signals)


def console() -> None:
    """The ``mediakeeper`` command (pyproject's entry point; ``python -m mediakeeper``): it
    starts as a script does, then loads the commands' group and runs it."""
    _start_a_command()
    from mediakeeper.cli.main import main

    main(prog_name="mediakeeper")


def music_queue() -> None:
    """``mediakeeper-music-queue`` (pyproject's entry point): the music queue manager, started
    as a script is."""
    _start_a_command()
    from mediakeeper.cli.main import command_of

    command_of("music", "queue")()


if _run_as_a_script():  # on import: the importing script's first line
    sys.excepthook = _missing_dependency
    _start_a_command()


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    from mediakeeper.cli.command import not_a_command

    not_a_command("the commands' start-up code", "weekly_report.py", "process_music_batch.py")
