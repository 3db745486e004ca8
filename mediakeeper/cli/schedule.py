"""``mediakeeper schedule``: the nightly batches and scrub as systemd user units and crontab
lines (printed), or ``--install``ed into the user's systemd folder (never enabled)."""

from __future__ import annotations

import click

from mediakeeper.cli.command import Command, home_option, settings_for
from mediakeeper.core.errors import UsageError
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.watch.library import watched_libraries
from mediakeeper.watch.schedule import enable_command, jobs, user_unit_dir


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
    batch of each kind with a library and a nightly scrub of the verify library, then the
    same as crontab lines: this installation's interpreter and the data home by absolute
    path."""
    settings = settings_for(home)
    libraries = watched_libraries(settings)
    if not libraries:
        raise UsageError("no kind has a library: nothing to schedule",
                         "set [music] library (or another kind's) first")  # fmt: skip
    kinds = [w.kind for w in libraries]
    found = jobs(settings.home, kinds, scrub="verify" in kinds)
    folder = user_unit_dir()
    if install:
        for job in found:
            for name, text in job.units().items():
                atomic_write_text(folder / name, text)
                click.echo(f"Written: {folder / name}")
        click.echo(f"Nothing is enabled yet. To enable them: {enable_command(found)}")
        return
    for job in found:
        for name, text in job.units().items():
            click.echo(f"# {folder / name}\n{text}")
    click.echo(f"# enable with: {enable_command(found)}\n")
    click.echo("# or, instead, these crontab lines (crontab -e):")
    for job in found:
        click.echo(job.crontab())


if __name__ == "__main__":
    main()
