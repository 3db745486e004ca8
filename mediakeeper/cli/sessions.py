"""The batches' sessions, over every kind: python utilities/sessions.py --help"""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from mediakeeper.batch import session_history as sc
from mediakeeper.cli.command import (
    Command,
    echo_json,
    group_home_option,
    home_option,
    settings_for,
)
from mediakeeper.core import kinds
from mediakeeper.core.config import started_environment
from mediakeeper.core.errors import NotFound, unreachable
from mediakeeper.pipelines import FILE as PIPELINE_FILE
from mediakeeper.pipelines import KIND_PREFIX as PIPELINE
from mediakeeper.queue.left_out import PluginsLeftOut, recorded_without
from mediakeeper.queue.session_log import OUTCOME_SAID
from mediakeeper.system import collector
from mediakeeper.system.linux import child_dies_with_parent
from mediakeeper.text.commands import (
    kind_argv,
    kind_command,
    resume_command,
    tool_argv,
    tool_command,
)
from mediakeeper.text.failures import failure_line
from mediakeeper.text.visible import one_line, shell_join
from mediakeeper.text.wording import count

HELP = {"help_option_names": ["-h", "--help"]}


@click.group(context_settings=HELP)
@group_home_option
def main():
    """List the batches' sessions (every kind), show one, run again what an interrupted or
    killed one left unfinished, and delete old session logs and work files."""


@main.command("list", cls=Command, reads_home=True, context_settings=HELP)
@home_option
@click.option("--kind", metavar="KIND", help="Only this kind's sessions (music, movies, ...).")
@click.option(
    "--limit", type=click.IntRange(min=1), metavar="N", help="Only the latest N sessions."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON list of the sessions.")
def list_sessions(home, kind, limit, as_json):
    """The sessions, latest first: id, kind, start, duration, outcome, items done/failed."""
    status_dir = settings_for(home, writes=False).status_dir
    if kind is not None:  # a pipeline's kind is made at run time: those that ran here
        known = list(dict.fromkeys([*kinds.KINDS, *sc.kinds_with_sessions(status_dir)]))
        if kind not in known:
            raise click.UsageError(f"no kind {kind!r}: one of {', '.join(known)}")
    records = sc.all_sessions(status_dir, kind, items=False)[::-1][:limit]
    rows = [sc.row(r) for r in records]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        where = f"{kind} sessions" if kind else "sessions"
        click.echo(f"No {where} under {status_dir}.")
        return
    table = [("SESSION", "KIND", "STARTED", "DURATION", "OUTCOME", "DONE/FAILED")]
    for r in rows:
        started = r["started"].replace("T", " ")[:16]
        done = f"{r['done']}/{r['failed']}"
        table.append((r["id"], r["kind"], started, sc.duration(r["seconds"]), r["outcome"], done))
    for line in sc.aligned(table):
        click.echo(line)


@main.command(cls=Command, reads_home=True, context_settings=HELP)
@home_option
@click.argument("session_id", metavar="SESSION_ID")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object: the session as list gives it, its items and what it left.")
def show(home, session_id, as_json):
    """One session: how it ran and ended, each item and its outcome, what it left unfinished."""
    status_dir = settings_for(home, writes=False).status_dir
    record = sc.find_session(status_dir, session_id)
    if as_json:
        echo_json(_shown(status_dir, record))
        return
    about = f" ({record.description})" if record.description else ""
    click.echo(f"session {record.id}: {record.kind}{about}")
    click.echo(
        f"started {record.started_at.isoformat(sep=' ', timespec='seconds')}, ran "
        f"{sc.duration(record.seconds)}, {OUTCOME_SAID.get(record.outcome, record.outcome)}: "
        f"{record.items_done} done, "
        f"{record.items_failed} failed"
    )
    if stopped := record.summary.get("stopped"):
        click.echo(f"stopped: {failure_line(str(stopped))}")
    # Completed, every item, yet not one looked up after it: said with the fix.
    for service, reason, refused in _went_offline(record.summary or {}):
        enrich = kind_command(record.kind, "batch", status_dir.parent)
        said = (f"{service} refused (the log's NOTICE line says what to set)" if refused
                else unreachable(service, reason))  # fmt: skip
        click.echo(f"went offline: {one_line(said)}; its lookups wait for `{enrich} --enrich`")
    if record.args:
        click.echo(f"options: {shell_join(record.args)}")
    if PIPELINE_FILE in record.settings:  # what `resume` runs again
        click.echo(f"pipeline file: {record.settings[PIPELINE_FILE]}")
    log = sc.log_path(status_dir, record)
    click.echo(f"log: {log}" if log.exists() else "log: deleted (by sessions clean)")
    left_out = PluginsLeftOut()
    for item in record.items:
        shown = one_line(str(item.get("name")))  # a name's controls shown as escapes
        lost = "  (its line never recorded: from the queue)" if item.get("recovered") else ""
        if without := recorded_without(item):  # completed, but for a plugin's findings
            left_out.count_plugins(without)
            lost += f"  (without the findings of {one_line(', '.join(without))})"
        click.echo(f"  {str(item.get('outcome', '')).upper():<10} {shown}{lost}")
        if item.get("error"):
            said = failure_line(str(item["error"]))  # as every face says a failure
            click.echo(f"             error: {said}")
    if left_out:
        click.echo(one_line(left_out.said(record.kind, status_dir.parent)))
    left, rest = _left(status_dir, record)
    noun = kinds.noun(record.kind)
    if left:
        names = ", ".join(one_line(i["name"]) for i in left)
        click.echo(f"left unfinished: {count(len(left), noun)} ({names})")
    if rest:
        click.echo(f"not come to: the rest of its batch, {count(len(rest), noun)}")
    if left or rest:
        click.echo(f"`{resume_command(status_dir.parent, record.id)}` runs them")


def _went_offline(summary: dict) -> list[tuple[str, str, bool]]:
    """Each service a session went on without: its name, why, whether it refused this
    client. An older session's summary names the first alone (``went_offline``), no why."""
    listed = summary.get("offline")
    if isinstance(listed, list):
        return [(str(o.get("service", "")), str(o.get("reason") or ""), bool(o.get("refused")))
                for o in listed if isinstance(o, dict)]  # fmt: skip
    first = summary.get("went_offline")
    return [(str(first), "", bool(summary.get("refused")))] if first else []


def session_document(status_dir: Path, session_id: str) -> dict:
    """The session ``session_id`` as ``show --json`` prints it (a batch's ``--json`` too)."""
    return _shown(status_dir, sc.find_session(status_dir, session_id))


def _shown(status_dir: Path, record) -> dict:
    """``show --json``: ``list``'s fields, then when it ended, how it was started, its
    closing figures, its log (null once ``clean`` deleted it), each item's event, and the
    items it left unfinished and did not come to (key and name; none once it completed)."""
    log = sc.log_path(status_dir, record)
    left, rest = _left(status_dir, record)
    return {
        **sc.row(record),
        "ended": record.ended_at.isoformat(timespec="seconds") if record.ended_at else None,
        "description": record.description,
        "options": record.args,
        **({"pipeline_file": record.settings[PIPELINE_FILE]}
           if PIPELINE_FILE in record.settings else {}),
        "summary": record.summary,
        "log": str(log) if log.exists() else None,
        "items": [{k: v for k, v in item.items() if k not in ("session", "event")}
                  for item in record.items],
        "left_unfinished": [{"key": i["key"], "name": i["name"]} for i in left],
        "not_come_to": [{"key": i["key"], "name": i["name"]} for i in rest],
    }


def _left(status_dir: Path, record) -> tuple[list, list]:
    """What the session left unfinished and did not come to (``left_by``); nothing for one
    that completed or is running still."""
    if record.outcome in (sc.SESSION_COMPLETED, sc.RUNNING):
        return [], []
    return sc.left_by(status_dir, record)


@main.command(cls=Command, reads_home=True, context_settings=HELP)
@home_option
@click.argument("session_id", metavar="[SESSION_ID]", required=False)
def resume(home, session_id):
    """Run again what a session left unfinished (default: the latest interrupted or unrecorded
    one), with its kind's batch and the options it ran with. A completed session has nothing
    to resume: exit 1."""
    settings = settings_for(home)
    record, left, rest = sc.resumable(settings.status_dir, session_id)
    argv = _resume_argv(record, settings.home)
    noun = kinds.noun(record.kind)
    parts = []
    if left:
        names = ", ".join(one_line(i["name"]) for i in left)
        parts.append(f"{count(len(left), noun)} it left unfinished ({names})")
    if rest:
        parts.append(f"the rest of its batch, {count(len(rest), noun)}")
    click.echo(f"Resuming session {record.id} ({record.outcome}): {' and '.join(parts)}")
    click.echo(f"running: {shell_join(argv)}")
    sys.stdout.flush()
    sys.exit(_run_to_its_end(argv))


def _resume_argv(record, home) -> list[str]:
    """The command that resumes ``record``: its kind's batch, or (a ``pipeline-<name>``
    session) ``pipeline.py run`` of the file it recorded (or of its name), with the options
    it ran with."""
    if record.kind in kinds.KINDS:
        return [*kind_argv(record.kind, "batch", home), *record.args, "--resume", record.id]
    if not record.kind.startswith(PIPELINE):
        raise NotFound(f"session {record.id} is of kind {record.kind}, which has no batch here")
    with collector.loading():  # its steps and their checks: a pipeline's alone
        from mediakeeper.pipelines import catalog
        from mediakeeper.pipelines.spec import PipelineInvalid

    if PIPELINE_FILE in record.settings:  # the file it ran, wherever it lies, unchanged
        found = catalog.recorded_file(home, record.id, record.settings)
        given = found.file
    else:  # a built-in, or an older session, which recorded no file: by name
        given = record.kind.removeprefix(PIPELINE)
        try:
            found = catalog.resolve(home, given, check_input=False)
        except PipelineInvalid:
            raise NotFound(f"session {record.id} ran the pipeline {given}, which is no longer "
                           f"under {home / 'pipelines'} nor built in",
                           f"run `{tool_command('pipeline', home)} run FILE "
                           f"--resume-session {record.id}` with its file") from None  # fmt: skip
    catalog.register_kind(found)  # its queue and its noun are found through its kind
    return [*tool_argv("pipeline"), "run", given, "--home", str(Path(home).absolute()),
            *record.args, "--resume-session", record.id]  # fmt: skip


def _run_to_its_end(argv: list[str]) -> int:
    """The batch's exit code. The batch runs in its own process group, so a Ctrl+C on the
    terminal reaches this process only, and a SIGINT or SIGTERM to it, from wherever it
    comes, is passed on to the batch once: the batch stops well by itself (records what
    finished, gives the rest back), is waited for, and its 130 passed on. A kill -9 of this
    process kills the batch too (it dies with its parent)."""
    batch = subprocess.Popen(argv, process_group=0, preexec_fn=child_dies_with_parent(),
                             env=started_environment())  # fmt: skip

    def forward(signum, frame) -> None:
        batch.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = batch.wait()
        return 128 - code if code < 0 else code  # killed by a signal: 128 + its number
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _age(ctx, param, value):
    try:
        return sc.parse_age(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


@main.command(cls=Command, reads_home=True, context_settings=HELP)
@home_option
@click.option(
    "--older-than",
    required=True,
    metavar="AGE",
    callback=_age,
    help="Delete what ended longer ago than this: 30d, 12h, 2w (0d: everything finished).",
)
@click.option("--yes", is_flag=True, help="Delete them; without it, only say what would go.")
def clean(home, older_than, yes):
    """Delete old session logs, the work files of finished items and the working folders
    (working/<kind>/<slug>) no unfinished item resumes from. Never touches the
    queues, their checkpoints, the change journals (undo needs them) or the session records
    (the weekly reports and resume read them)."""
    settings = settings_for(home, writes=yes)  # without --yes: a preview
    plan = sc.plan_clean(settings.home, older_than, datetime.now(UTC))
    for what, why in plan.kept:
        click.echo(f"kept {what}: {why}")
    size = sc.size_text(plan.freed)
    if not plan.delete:
        click.echo("Nothing to delete.")
        return
    for path, _ in plan.delete:
        click.echo(f"{'deleting' if yes else 'would delete'} {path.relative_to(settings.home)}")
    if not yes:
        click.echo(
            f"Would delete {count(len(plan.delete), 'file')} ({size}); nothing was deleted: "
            "add --yes to delete them."
        )
        return
    deleted, freed = sc.carry_out(plan)
    click.echo(f"Deleted {count(deleted, 'file')}, freed {sc.size_text(freed)}.")


if __name__ == "__main__":
    main()
