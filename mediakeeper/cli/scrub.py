"""``mediakeeper verify scrub``: verify the albums least recently verified, a share of the
library per run, each run going on where the last stopped."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import click

from mediakeeper.batch import alerts
from mediakeeper.batch.report import RELEASED, Outcome
from mediakeeper.batch.runner import Hooks
from mediakeeper.batch.runs import open_store
from mediakeeper.cli.command import Command, echo_json, home_option, lines_on_stderr, settings_for
from mediakeeper.core.decisions import item_decisions
from mediakeeper.core.errors import ConfigError, MediakeeperError
from mediakeeper.queue.items import COMPLETED
from mediakeeper.queue.manager import refresh_queue
from mediakeeper.runs.batch import run_batch
from mediakeeper.system.interrupts import EXIT_INTERRUPTED
from mediakeeper.system.processes import host
from mediakeeper.text.commands import kind_command, tool_command
from mediakeeper.text.visible import one_line
from mediakeeper.watch import scrub
from mediakeeper.watch.lock import ScrubLock

DEFAULT_PERCENT = 5.0


@click.command(
    cls=Command, reads_home=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@home_option
@click.option("--percent", type=float, metavar="P",
              help="Verify this share of the library (default 5, unless --older-than is "
              "given): --percent 5 nightly covers the library every 20 nights.")  # fmt: skip
@click.option("--older-than", "older_than", type=float, metavar="DAYS",
              help="Verify the albums not verified within this many days (at most --percent "
              "of the library when both are given).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help='Each album verified and the coverage as '
              'JSON: {"albums": [{"key", "album", "problem"}], "coverage"}; the other lines on '
              "standard error.")  # fmt: skip
def main(home, percent, older_than, as_json):
    """Verify the albums least recently verified first (never-verified first of all), as the
    verify batch does: every file decoded or compared with its recorded audio checksum (bit
    rot). One line per album; each run goes on where the last stopped. Any album that fails
    or needs you makes the run end non-zero."""
    if percent is None and older_than is None:
        percent = DEFAULT_PERCENT
    scrub.check(percent, older_than)  # before anything is looked at or written
    settings = settings_for(home)
    # The lock before anything is said or written.
    with ScrubLock(settings.status_dir), lines_on_stderr(as_json):
        answer, worst = _scrub(settings, percent, older_than)
    if as_json:
        echo_json(answer)
    if worst:
        raise SystemExit(worst)


def _scrub(settings, percent: float | None, older_than: float | None) -> tuple[dict, int]:
    """The run, the home's scrub lock held: what ``--json`` prints of it, and its exit code
    (1: an album failed or needs you)."""
    now = datetime.now(UTC)
    store, _created = open_store(settings, scrub.KIND, create=True)
    _catch_up(store)
    albums = scrub.albums_of(store.peek()["items"], scrub.load_record(settings.status_dir))
    chosen = scrub.choose(albums, now, percent=percent, older_than=older_than)
    if (warning := scrub.unreachable(percent, older_than)) is not None:
        click.echo(warning, err=True)
    click.echo(f"Scrub: {len(chosen)} of {len(albums)} albums, least recently verified first")
    told = _Told(settings)
    worst = _verify(settings.home, chosen, told) if chosen else 0
    if worst == EXIT_INTERRUPTED:
        click.echo("interrupted: the next scrub goes on from here", err=True)
        raise SystemExit(EXIT_INTERRUPTED)
    problems = told.problems
    days = older_than if older_than is not None else scrub.DEFAULT_DAYS
    after = scrub.albums_of(store.peek()["items"], scrub.load_record(settings.status_dir))
    within, total = scrub.coverage(after, datetime.now(UTC), days, run_began=now)
    share = f"{100 * within / total:.0f}%" if total else "nothing to verify"
    window = f"within {days:g} days" if days > 0 else "by this run"  # --older-than 0: all
    coverage = f"{within} of {total} albums verified {window} ({share})"
    click.echo(f"Coverage: {coverage}")
    if worst:
        _alert(settings, problems, len(chosen), coverage)
    # --older-than takes a fraction of a day (0.5: twelve hours), so the window is a float; a
    # whole one goes out as the whole number it is (30, not 30.0), as the Coverage line says it.
    whole = int(days) if days.is_integer() else days
    answer = {"albums": told.albums,
              "coverage": {"verified": within, "total": total, "days": whole}}  # fmt: skip
    return answer, worst


def _catch_up(store) -> None:
    """Albums new to the library queued first (``--refresh``'s rule for them), never
    verified, so they come first. An album whose folder is gone is left as it is: the run
    fails on it (fail closed), as on one it cannot read; ``--refresh`` marks it missing."""
    known = {item["key"] for item in store.peek()["items"]}
    try:
        found = refresh_queue(store, only=lambda key: key not in known)
    except MediakeeperError as err:  # the queue's library is gone: its albums fail below
        click.echo(f"the library could not be looked at: {err.message}", err=True)
        return
    for name in found.added:
        click.echo(f"new: {one_line(name)}")


ROT, NOT_VERIFIED = "damage or bit rot found", "could not be verified"


def _said(home: Path, problem: str | None) -> str:
    """How a verified album's line ends: what was found, and where to see it."""
    if problem == ROT:
        return f"needs you: {ROT} (see `{tool_command('decide', home)} verify`)"
    if problem == NOT_VERIFIED:
        return (f"{NOT_VERIFIED} (`{kind_command('verify', 'queue', home)} --list --status "
                "error` says why)")
    return "fine"


class _Told(Hooks):
    """Each album's line and its scrub record as its verify ends (in the one batch of the
    run), and the problems the run's alert names."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.problems: list[dict[str, str]] = []
        self.albums: list[dict[str, str | None]] = []  # each album verified, for --json

    def item_finished(self, outcome: Outcome) -> None:
        if outcome.status == RELEASED:  # given back unverified (interrupted): its turn stays
            return
        rot = outcome.result is not None and item_decisions(outcome.result.details)
        problem = NOT_VERIFIED if outcome.status != COMPLETED else ROT if rot else None
        self.album_done(outcome.key, outcome.name, problem)
        click.echo(f"verified {one_line(outcome.name)}: {_said(self.settings.home, problem)}")

    def album_done(self, key: str, name: str, problem: str | None) -> None:
        verified = problem != NOT_VERIFIED
        scrub.scrubbed(self.settings.status_dir, key, datetime.now(UTC), verified=verified)
        self.albums.append({"key": key, "album": name, "problem": problem})
        if problem is not None:
            self.problems.append({"album": name, "problem": problem})


def _verify(home, albums: list[scrub.Album], told: _Told) -> int:
    """Verify the albums as one batch (one session, undone or listed as one run), each
    whatever its status; its exit code (1: an album failed or needs you)."""
    try:
        result = run_batch(home, scrub.KIND, batch_size=len(albums), retry_errors=True,
                           keys=[album.key for album in albums], again=True,
                           hooks=told)  # fmt: skip
    except ConfigError:  # the settings: every album would fail the same way
        raise
    except MediakeeperError as err:  # before any album: none of them verified
        click.echo(f"not verified ({err})", err=True)
        for album in albums:
            told.album_done(album.key, album.name, NOT_VERIFIED)
        return 1
    return EXIT_INTERRUPTED if result.interrupted else result.exit_code


def _alert(settings, problems: list[dict[str, str]], looked: int, coverage: str) -> None:
    """One alert for a run with problems: kept for ``serve``, sent to ``[alerts]
    webhook_url`` and ``apprise`` when set; what went wrong with the sending is said."""
    counts = Counter(p["problem"] for p in problems)
    summary = (f"scrub on {host()}: {len(problems)} of {looked} albums with a "
               f"problem ({', '.join(f'{n} {what}' for what, n in sorted(counts.items()))}); "
               f"coverage {coverage}")  # fmt: skip
    payload = scrub.alert_payload(settings.home, summary, problems, datetime.now(UTC))
    alerts.keep(settings.status_dir / scrub.KIND, payload)
    click.echo(f"ALERT: {summary}", err=True)
    get = settings.get
    for problem in alerts.send_now(payload, get("alerts", "webhook_url"), get("alerts", "apprise")):
        click.echo(f"Warning: {problem}", err=True)


def build(kind: str) -> click.Command:
    """The scrub as the verify kind's ``scrub`` command (``mediakeeper verify scrub``)."""
    del kind
    return main


if __name__ == "__main__":
    main()
