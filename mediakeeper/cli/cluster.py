"""``mediakeeper cluster``: the workers of the Dask scheduler a batch would send to, their
threads, their ffmpeg and toolkit versions, and whether each is accepted (the same build as
this machine's: identical outputs) or refused, and why, or silent (its heartbeat unheard for
``[cluster] silent_worker_seconds``: ``Remote.silent``, as a batch judges it)."""

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
    version, and whether a batch would send them tasks (refused, or silent: no heartbeat
    for [cluster] silent_worker_seconds)."""
    settings = load_settings(resolve_home(home), {"cluster": {"scheduler": scheduler}})
    if not settings.get("cluster", "scheduler"):
        raise UsageError("no scheduler: give --scheduler ADDRESS or set [cluster] scheduler")
    target = cluster.target_of(settings)
    found = cluster.remote(target)
    workers = found.look()
    # The batch's own notion (``Remote.silent``): a worker it would send nothing to now
    unheard, silent, accepted = found.unheard(), found.silent(), set(found.accepted())
    if as_json:
        click.echo(json.dumps({
            "scheduler": target.address, "ffmpeg": target.ffmpeg, "toolkit": target.toolkit,
            "silent_worker_seconds": target.silent_worker_seconds,
            "workers": [{"address": w.address, "threads": w.threads, "ffmpeg": w.ffmpeg,
                         "toolkit": w.toolkit, "accepted": w.address in accepted,
                         "refused": w.refused, "silent": w.address in silent,
                         "unheard_seconds": round(unheard.get(w.address, 0.0), 1)}
                        for w in workers],
        }, indent=2))  # fmt: skip
        return
    quiet = f", {len(silent & {w.address for w in workers})} silent" if silent else ""
    click.echo(f"scheduler {target.address}: {len(workers)} worker(s){quiet}, "
               f"{sum(w.threads for w in workers if w.address in accepted)} accepted thread(s)")
    click.echo(f"this machine: {target.ffmpeg}, toolkit {target.toolkit}")
    for w in workers:
        click.echo(f"  {w.address}  {w.threads} thread(s)  {w.ffmpeg or '?'}  "
                   f"toolkit {w.toolkit or '?'}  {_state(w, unheard, silent)}")


def _state(worker: cluster.Worker, unheard: dict[str, float], silent: set[str]) -> str:
    """Whether a batch would send ``worker`` steps, and if not why."""
    said = f"refused: {worker.refused}" if worker.refused else "accepted"
    if worker.address not in silent:
        return said
    quiet = (f"silent: no heartbeat for {unheard[worker.address]:.0f} s (stopped, or its "
             "machine asleep): a batch sends it nothing until it is heard")  # fmt: skip
    if not worker.judged:
        return f"{quiet}, then asks its ffmpeg and toolkit"
    return f"{said}; {quiet}" if worker.refused else quiet
