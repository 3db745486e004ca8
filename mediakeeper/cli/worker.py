"""``mediakeeper worker ADDRESS``: a Dask worker ready for the toolkit's steps, a thin wrapper
over ``dask worker``: the scheduler's address checked as a batch checks it, the toolkit
preloaded (``batch/cluster_steps.py``: its ffmpeg found before the first task), the
``[cluster]`` TLS files and the ``[ffmpeg] path`` of this machine passed on. The worker needs
no data home, no library and no shared folder: everything it works on is sent to it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from mediakeeper.batch import cluster
from mediakeeper.batch.workers import MOST, PER_CPU, most_workers
from mediakeeper.cli.command import Command, home_option
from mediakeeper.core.config import load_settings, resolve_home
from mediakeeper.core.errors import ConfigError
from mediakeeper.core.extras import require
from mediakeeper.system.processes import usable_cores


def _within_most(ctx, param, value: int | None) -> int | None:
    """``--nworkers`` no more than a batch would start here (``batch.workers.most_workers``):
    10,000 processes would be started as asked, and take the machine down."""
    if value is not None and value > (most := most_workers()):
        raise click.BadParameter(f"{value} is more than this machine takes: at most {most} "
                                 f"({PER_CPU} per core, {MOST} in all)")  # fmt: skip
    return value


@click.command(cls=Command, context_settings={"help_option_names": ["-h", "--help"],
                                              "ignore_unknown_options": True})  # fmt: skip
@click.argument("address", required=False)
@click.option("--scheduler", metavar="ADDRESS",
              help="The scheduler's address, as a batch's --scheduler (or give it as ADDRESS).")
@click.option("--nworkers", type=click.IntRange(min=1), default=None, callback=_within_most,
              help=f"Worker processes to start (default: one per core; at most {PER_CPU} per "
              f"core and {MOST} in all).")
@click.option("--nthreads", type=click.IntRange(min=1), default=1, show_default=True,
              help="Tasks each process runs at once.")
@home_option
@click.argument("dask_args", nargs=-1, type=click.UNPROCESSED)
def main(address, scheduler, nworkers, nthreads, home, dask_args):
    """Start a worker for the Dask scheduler at ADDRESS (tcp://HOST:8786 or tls://HOST:8786)
    that batches with [cluster] scheduler (or --scheduler) send their encodes to. Runs until
    stopped (Ctrl+C). Options after -- go to dask worker as they are."""
    if scheduler and address and address.startswith("-"):  # after --: dask worker's own
        address, dask_args = None, (address, *dask_args)
    given = {"cluster": {"scheduler": _address(address, scheduler)}}
    if dask_args and not dask_args[0].startswith("-"):  # dask worker's one address is ours
        raise click.UsageError(f"two addresses: {given['cluster']['scheduler']} and "
                               f"{dask_args[0]}; give one (options for dask worker go after "
                               "it)")  # fmt: skip
    named = {("cluster", "scheduler"): "--scheduler" if scheduler else "ADDRESS"}
    settings = load_settings(_home(home), given, flags=named)
    target = cluster.target_of(settings)  # one line, exit 2: the address, TLS, its files
    require("cluster", "mediakeeper worker")
    # One task per process by default: a step's own Python (its bytes written and read, the
    # tags carried) then never waits for another's under one interpreter lock (measured in
    # docs/performance.md, "Placing the heavy steps: the cluster").
    nworkers = nworkers or usable_cores()
    # Dask's worker (and its nanny) takes commands from whoever connects: it listens where its
    # scheduler's peers are, over TLS on every address (each peer proves itself with the
    # cluster's CA), in plain TCP on loopback alone for a loopback scheduler (every address
    # only where [cluster] insecure opened the network); its HTTP port (health, metrics),
    # which no peer needs, on loopback always.
    argv = [sys.executable, "-m", "distributed.cli.dask_worker", target.address,
            "--preload", "mediakeeper.batch.cluster_steps", "--nworkers", str(nworkers),
            "--nthreads", str(nthreads), "--no-dashboard", "--dashboard-address",
            "127.0.0.1:0"]  # fmt: skip
    if not target.tls and target.on_loopback:
        argv += ["--host", "127.0.0.1"]
    if target.tls:
        ca, cert, key = target.tls
        argv += ["--tls-ca-file", ca, "--tls-cert", cert, "--tls-key", key]
    env = dict(os.environ)
    if path := settings.get("ffmpeg", "path"):
        env["MEDIAKEEPER_FFMPEG_PATH"] = path  # the steps' ffmpeg (cluster_steps.find)
    click.echo(f"Starting a worker for {target.address} ({nworkers} process(es)); "
               "Ctrl+C stops it.", err=True)  # fmt: skip
    sys.stdout.flush()
    os.execve(sys.executable, [*argv, *dask_args], env)


def _address(address: str | None, scheduler: str | None) -> str:
    """The scheduler's address, given as ADDRESS or with --scheduler (as a batch takes it).
    An option this command does not know, before any address, would be taken for one."""
    if address and scheduler and address != scheduler:
        raise click.UsageError(f"two addresses: {address} and --scheduler {scheduler}; give one")
    address = scheduler or address
    if not address:
        raise click.UsageError("give the scheduler's address: mediakeeper worker tcp://HOST:8786")
    if address.startswith("-"):
        raise click.UsageError(f"no option {address} here: give the scheduler's address first; "
                               "options for dask worker go after it")  # fmt: skip
    return address


def _home(given: str | None) -> Path:
    """Where its settings are read from: the home given or found; a worker's machine may
    have none (its settings then come from the environment)."""
    try:
        return resolve_home(given)
    except ConfigError:
        if given:
            raise
        return Path.cwd()
