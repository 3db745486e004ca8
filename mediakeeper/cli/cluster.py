"""``mediakeeper cluster``: the workers of the Dask scheduler a batch would send to, their
threads, their ffmpeg and toolkit versions, and whether each is accepted (the same build as
this machine's: identical outputs) or refused, and why (``batch/cluster.py``)."""

from __future__ import annotations

import json

import click

from mediakeeper.batch import cluster
from mediakeeper.cli.command import Command, home_option
from mediakeeper.core.config import load_settings, resolve_home
from mediakeeper.core.errors import UsageError


@click.command(cls=Command, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--scheduler", metavar="ADDRESS",
              help="The scheduler to ask (default: [cluster] scheduler).")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object: the scheduler and its workers.")
@home_option
def main(scheduler, as_json, home):
    """List the workers of the cluster's scheduler: address, threads, ffmpeg, toolkit
    version, and whether a batch would send them tasks."""
    settings = load_settings(resolve_home(home), {"cluster": {"scheduler": scheduler}})
    if not settings.get("cluster", "scheduler"):
        raise UsageError("no scheduler: give --scheduler ADDRESS or set [cluster] scheduler")
    target = cluster.target_of(settings)
    workers = cluster.remote(target).look()
    if as_json:
        click.echo(json.dumps({
            "scheduler": target.address, "ffmpeg": target.ffmpeg, "toolkit": target.toolkit,
            "workers": [{"address": w.address, "threads": w.threads, "ffmpeg": w.ffmpeg,
                         "toolkit": w.toolkit, "accepted": not w.refused,
                         "refused": w.refused} for w in workers],
        }, indent=2))  # fmt: skip
        return
    click.echo(f"scheduler {target.address}: {len(workers)} worker(s), "
               f"{sum(w.threads for w in workers if not w.refused)} accepted thread(s)")
    click.echo(f"this machine: {target.ffmpeg}, toolkit {target.toolkit}")
    for w in workers:
        state = f"refused: {w.refused}" if w.refused else "accepted"
        click.echo(f"  {w.address}  {w.threads} thread(s)  {w.ffmpeg or '?'}  "
                   f"toolkit {w.toolkit or '?'}  {state}")
