"""``mediakeeper schedule``: the nightly batches and scrub as systemd user units and crontab
lines (printed), or ``--install``ed into the user's systemd folder (never enabled)."""

from __future__ import annotations

import click

from mediakeeper.cli.command import Command, home_option, settings_for
from mediakeeper.core.errors import UsageError
from mediakeeper.core.extras import MissingExtra, require
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.watch.library import watched_libraries
from mediakeeper.watch.schedule import (
    another_home,
    check_home,
    cron_missing,
    enable_command,
    installed_before,
    jobs,
    manager_missing,
    not_lingering,
    refusals,
    user_unit_dir,
    watcher,
)


@click.command(
    cls=Command, reads_home=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@home_option
@click.option("--install", is_flag=True,
              help="Write the units into the user's systemd folder ($XDG_CONFIG_HOME/systemd/"
              "user, else ~/.config/systemd/user) and say the command that enables them; "
              "nothing is enabled.")  # fmt: skip
def main(home, install):
    """Print a systemd user service and timer (OnCalendar=, Persistent=true) for a nightly
    batch of each kind with a library and a nightly scrub of the verify library, and a
    service that keeps the watcher running; then the same as crontab lines: this
    installation's interpreter and the data home by absolute path. A batch that would be
    refused as written (checked as its dry run is, with the data home's settings alone:
    a nightly job sees no shell variables) is left out, and what it misses said."""
    settings = settings_for(home, writes=False)  # (--install writes outside the home)
    check_home(settings.home)
    libraries = watched_libraries(settings)
    if not libraries:
        raise UsageError("no kind has a library: nothing to schedule",
                         "set [music] library (or another kind's) first")  # fmt: skip
    refused = refusals(settings.home, [w.kind for w in libraries])
    for kind, why in refused.items():  # said first, and on stderr: a person reads it
        jobs_of = f"the {kind} batch" + (" and the scrub" if kind == "verify" else "")
        click.echo(f"Not scheduled: {jobs_of}, which would be refused every night: {why}",
                   err=True)  # fmt: skip
    kinds = [w.kind for w in libraries if w.kind not in refused]
    found = jobs(settings.home, kinds, scrub="verify" in kinds)
    service = watcher(settings.home)
    try:
        require("watch", "mediakeeper watch")
    except MissingExtra as err:  # it would fail at every start
        click.echo(f"Not scheduled: the watcher, which would be refused at every start: {err}",
                   err=True)  # fmt: skip
        service = None
    every = [*found, *([service] if service else [])]
    folder = user_unit_dir()
    if install:
        if found_other := another_home(folder, settings.home):
            other, units = found_other
            timers = " ".join(u.removesuffix(".service") + ".timer" for u in units
                              if not u.endswith("-watch.service"))  # fmt: skip
            raise UsageError(
                f"the units in {folder} schedule another data home, {other} "
                f"({', '.join(units)}), and one user's units schedule one home",
                f"to schedule {settings.home} instead: systemctl --user disable --now {timers} "
                "(and the watcher's service), delete their files, then install again",
            )
        written = []
        for unit in every:
            for name, text in unit.units().items():
                atomic_write_text(folder / name, text)
                written.append(name)
                click.echo(f"Written: {folder / name}")
        for stem, suffixes in installed_before(folder, written).items():
            started_by = stem + (".timer" if ".timer" in suffixes else ".service")
            click.echo(f"Not scheduled now, but installed before: {stem} ({', '.join(suffixes)} "
                       f"in {folder}); if enabled it still runs: systemctl --user disable "
                       f"--now {started_by}, then delete its files", err=True)  # fmt: skip
        click.echo(f"Nothing is enabled yet. To enable them: {enable_command(found, service)}")
        if (why := manager_missing()) is not None:  # said last: the enable command fails
            click.echo(f"Warning: no systemd user manager runs for this user ({why}): the "
                       "units will not run until one does; the crontab lines `mediakeeper "
                       "schedule` prints run the same jobs", err=True)  # fmt: skip
        else:
            _say_lingering()
        return
    for unit in every:
        for name, text in unit.units().items():
            click.echo(f"# {folder / name}\n{text}")
    click.echo(f"# enable with: {enable_command(found, service)}\n")
    click.echo("# or, instead, these crontab lines (crontab -e):")
    for unit in every:
        click.echo(unit.crontab())
    # Said where either way cannot run here (a container, a server): a person would find
    # out from a night that never came.
    if (why := manager_missing()) is not None:
        click.echo(f"Warning: no systemd user manager runs for this user ({why}): the units "
                   "above will not run until one does", err=True)  # fmt: skip
    else:
        _say_lingering()
    if (why := cron_missing()) is not None:
        click.echo(f"Warning: {why}: the crontab lines need cron first", err=True)


def _say_lingering() -> None:
    """Said where the manager runs now but stops when its user logs out: the timers would
    fire only on nights someone is still logged in (a server reached by ssh: never)."""
    if (fix := not_lingering()) is not None:
        click.echo("Warning: this user's systemd manager stops when they log out (lingering is "
                   f"off): the units run only while they are logged in; to run them every "
                   f"night: {fix}", err=True)  # fmt: skip


if __name__ == "__main__":
    main()
