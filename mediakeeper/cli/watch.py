"""``mediakeeper watch``: keep watch over the libraries, queue what settles (and with
``--run`` process it), until SIGTERM or Ctrl+C."""

from __future__ import annotations

import signal
import threading

import click

from mediakeeper.cli.command import Command, finish_writes, home_option
from mediakeeper.core.config import load_settings
from mediakeeper.core.errors import UsageError
from mediakeeper.core.extras import require
from mediakeeper.system.interrupts import EXIT_INTERRUPTED
from mediakeeper.text.visible import one_line
from mediakeeper.watch.ignore import Ignore
from mediakeeper.watch.library import watched_libraries
from mediakeeper.watch.lock import WatchLock
from mediakeeper.watch.runner import run_batch_process
from mediakeeper.watch.state import WatchState
from mediakeeper.watch.watcher import Watcher


@click.command(
    cls=Command, reads_home=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@home_option
@click.option("--kind", "kind_names", multiple=True, metavar="KIND",
              help="Watch this kind's library only (repeat for more; default: every kind "
              "with a library).")  # fmt: skip
@click.option("--settle", type=float, metavar="SECONDS",
              help="How long nothing under a folder may change before it is queued "
              "(default: [watch] settle_seconds, 30).")  # fmt: skip
@click.option("--run/--no-run", "run", default=None,
              help="Also run the kind's batch, by key: what the watcher queued, then what "
              "was already pending (default: [watch] run).")
def main(home, kind_names, settle, run):
    """Watch the library of every kind that has one and queue each new or changed folder
    once nothing under it has changed for the settle time (deleted ones are marked missing),
    as `queue --refresh` does; what changed while no watcher ran is queued at start. One
    watcher per data home. SIGTERM ends it with exit 0, Ctrl+C with 130; a batch it runs is
    stopped as Ctrl+C stops it (resumable)."""
    require("watch", "mediakeeper watch")
    # The settings read, not yet what a killed run left finished: a watcher refused for
    # another one holding the home touches nothing in it.
    settings = load_settings(home, {"watch": {"settle_seconds": settle, "run": run}},
                             flags={("watch", "settle_seconds"): "--settle"})  # fmt: skip
    watched = watched_libraries(settings, kind_names)
    if not watched:
        raise UsageError("no kind has a library to watch", "set [music] library (or another "
                         "kind's) in the data home's mediakeeper.toml")  # fmt: skip
    heard: list[int] = []  # the signals that asked the watcher to stop
    with WatchLock(settings.status_dir):  # before anything is said or written
        finish_writes(settings.status_dir)
        stop = threading.Event()

        def on_signal(signum, frame) -> None:
            heard.append(signum)
            stop.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            _keep_watch(settings, watched, stop, stopping=lambda: len(heard))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    click.echo("stopped" + (" (SIGTERM)" if heard and heard[0] == signal.SIGTERM else ""))
    if heard and heard[0] == signal.SIGINT:
        raise SystemExit(EXIT_INTERRUPTED)


def _keep_watch(settings, watched, stop: threading.Event, stopping) -> None:
    """The watcher, its lines said and kept for the other faces (``status/watch.json``),
    until ``stop``; ``stopping()``: how many signals asked it to."""
    polling = settings.get("watch", "polling")
    libraries = [{"kind": w.kind, "library": w.library} for w in watched]
    state = WatchState(settings.status_dir, libraries, polling)

    def say(line: str) -> None:
        click.echo(one_line(line))  # names of folders: their controls shown, the line whole
        state.said(line)

    def run_batch(kind: str, keys: list[str]) -> int:
        return run_batch_process(settings.home, kind, keys, stop, say, stopping=stopping)

    watcher = Watcher(
        settings, watched,
        settle=settings.get("watch", "settle_seconds"),
        longest=settings.get("watch", "max_wait_seconds"),
        say=say, stop=stop,
        ignore=Ignore.from_setting(settings.get("watch", "ignore")),
        run=run_batch if settings.get("watch", "run") else None,
        polling=polling, tick=lambda: state.write(scanned=watcher.scanned),
    )  # fmt: skip
    try:
        watcher.keep_watch()
    finally:
        say(watcher.summary())
        state.stopped()


if __name__ == "__main__":
    main()
