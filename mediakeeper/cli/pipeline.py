"""Check, preview and run pipelines (YAML files of steps):
python utilities/pipeline.py --help"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import click

from mediakeeper.batch import selection
from mediakeeper.batch.plan import PIPELINES, SEND, cluster_target, describe
from mediakeeper.batch.runs import eligible_items
from mediakeeper.cli import batch_options as opts
from mediakeeper.cli.command import (
    NAMED,
    Command,
    echo_json,
    finish_writes,
    group_home_option,
    home_option,
    lines_on_stderr,
)
from mediakeeper.cli.progress_line import ProgressHooks, render_summary, say
from mediakeeper.core import kinds, rule_plugins
from mediakeeper.core.config import resolve_home
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.pipelines import catalog
from mediakeeper.pipelines.spec import PipelineInvalid, folder_problem
from mediakeeper.pipelines.steps import registry
from mediakeeper.system import collector
from mediakeeper.system.processes import usable_cores
from mediakeeper.text.commands import resume_command, tool_argv
from mediakeeper.text.visible import one_line, shell_join
from mediakeeper.text.wording import count


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@group_home_option
def main():
    """Pipelines: the steps of a YAML file (convert, replaygain, split, copy, ...) run in
    order on each album folder of its input, through a crash-safe working directory."""


@main.command(cls=Command)
@home_option
@click.argument("pipeline")
@click.option("--json", "as_json", is_flag=True, help="The verdict as JSON: the steps, or every "
              "problem.")  # fmt: skip
def validate(home, pipeline, as_json):
    """Check a pipeline file field by field: exit 0, or 2 with every problem."""
    try:
        # (its places too, as a run refuses them, each at its line among the rest)
        found = catalog.resolve(resolve_home(home), pipeline, places=True)
    except PipelineInvalid as err:
        if not as_json:
            raise
        echo_json({"pipeline": pipeline, "valid": False, "source": None, "steps": [],
                   "problems": err.problems})  # fmt: skip
        sys.exit(err.exit_code)
    if as_json:
        steps = [{"name": step.name, "processor": step.processor,
                  "origin": _origin(step.processor)} for step in found.steps]  # fmt: skip
        echo_json({"pipeline": pipeline, "valid": True, "source": found.source, "steps": steps,
                   "problems": []})  # fmt: skip
        return
    click.echo(f"{found.source}: valid ({count(len(found.steps), 'step')})")
    for number, step in enumerate(found.steps, 1):
        click.echo(f"  step {number} {step.name}: {step.processor} ({_origin(step.processor)})")


@main.command("list", cls=Command)
@home_option
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The same as one JSON object.")
def list_(home, files, as_json):
    """The built-in pipelines (the conversion profiles), yours (<data home>/pipelines/*.yaml)
    and the FILES given; then every processor and the plugins' finding rules, each with the
    package it comes from."""
    listed = _pipelines(resolve_home(home), files)
    if as_json:
        names, rules = registry.names(), rule_plugins.loaded()
        echo_json({
            "pipelines": listed,
            "processors": [{"name": name, "origin": _origin(name),
                            "summary": registry.get(name).summary} for name in names],
            "rules": [{"name": rule.name, "origin": _package(rule),
                       "codes": [rule.code(own) for own in rule.plugin.codes]} for rule in rules],
        })  # fmt: skip
        return
    for found in listed:
        name, source, description = found["name"], found["source"], found["description"]
        if found["problem"] is not None:
            click.echo(f"{name:<16} INVALID    {found['problem']}")
        elif source == "built-in":
            click.echo(f"{name:<16} built-in   {description}")
        else:
            click.echo(f"{name:<16} {source}  {description}")
    _list_plugins()


def _pipelines(home: Path, files: tuple[Path, ...]) -> list[dict]:
    """Each pipeline ``list`` lists: its ``name``, ``source`` (its file, or "built-in"),
    ``description``, and ``problem``: None, or the first problem of a file that is invalid
    (its name then the file's stem)."""
    listed = [{"name": found.name, "source": found.source, "description": found.description,
               "problem": None} for found in catalog.built_in().values()]  # fmt: skip
    for path in [*catalog.user_files(home), *files]:
        try:
            found = catalog.resolve(home, str(path), check_input=False)
        except PipelineInvalid as err:
            listed.append({"name": path.stem, "source": str(path), "description": "",
                           "problem": err.problems[0]})  # fmt: skip
            continue
        listed.append({"name": found.name, "source": str(path),
                       "description": found.description, "problem": None})  # fmt: skip
    return listed


def _list_plugins() -> None:
    """Every processor and each plugin's rules, with where they come from."""
    names = registry.names()
    rules = rule_plugins.loaded()
    origins = {name: _origin(name) for name in names}
    width = max(len(o) for o in [*origins.values(), *(_package(r) for r in rules)])
    click.echo("\nprocessors (the steps a pipeline can use):")
    for name in names:
        click.echo(f"  {name:<14} {origins[name]:<{width}}  {registry.get(name).summary}")
    click.echo("\nmusic finding rules of plugins (the built-in ones: docs/findings.md):")
    for rule in rules:
        codes = ", ".join(rule.code(own) for own in rule.plugin.codes)
        click.echo(f"  {rule.name:<14} {_package(rule):<{width}}  {codes}")
    if not rules:
        click.echo("  none installed")


def _origin(processor: str) -> str:
    where = registry.origin(processor)
    return where if where == registry.BUILT_IN else f"plugin: {where}"


def _package(rule: rule_plugins.LoadedRule) -> str:
    return f"plugin: {rule.package} {rule.version}".strip()


@main.command(cls=Command)
@home_option
@click.argument("pipeline")
@opts.batch_size("album")
@click.option("--retry-errors", "--resume", "resume", is_flag=True, help="Also continue albums "
              "whose last run failed, from the step that failed (as a batch's --retry-errors; "
              "--resume is its old name).")  # fmt: skip
@opts.dry_run()
@click.option("--input", "input_", type=click.Path(path_type=Path), help="Input folder "
              "(required for a built-in pipeline).")  # fmt: skip
@click.option("--output", type=click.Path(path_type=Path), help="Output folder "
              "(required for a built-in pipeline).")  # fmt: skip
@click.option("--resume-session", type=NAMED, metavar="SESSION_ID",
              help="Only what that session left unfinished and the rest of its batch (what "
              "`mediakeeper sessions resume` runs).")  # fmt: skip
@opts.scheduler()
@opts.as_json()
def run(home, pipeline, batch_size, resume, dry_run, input_, output, resume_session, scheduler,
        as_json):  # fmt: skip
    """Run a pipeline on the next albums of its input (queue kind pipeline-<name>). Stop any
    time: the next run (or --retry-errors for failed albums) continues each album at its step."""
    if as_json and dry_run:  # as every kind's batch refuses it (cli/batch.py)
        raise click.UsageError("--json prints a batch's session, which a --dry-run has none of")
    with lines_on_stderr(as_json):
        ran = _run(home, pipeline, batch_size, resume, dry_run, input_, output, resume_session,
                   scheduler)  # fmt: skip
    if ran is None:  # a dry run
        return
    status_dir, session_id, exit_code = ran
    if as_json:
        from mediakeeper.cli.sessions import session_document

        echo_json(session_document(status_dir, session_id))
    sys.exit(exit_code)


def _run(home, pipeline, batch_size, resume, dry_run, input_, output, resume_session,
         scheduler) -> tuple[Path, str, int] | None:  # fmt: skip
    """The run: its data home's status folder, its session and its exit code; or its dry
    run (None)."""
    found = catalog.resolve(resolve_home(home), pipeline, check_input=input_ is None)
    if input_ or output:
        found = dataclasses.replace(found, input=input_ or found.input,
                                    output=output or found.output)  # fmt: skip
    if found.input is None or found.output is None:
        raise click.UsageError(f"{found.name} has no input or output folder: give --input "
                               "and --output")  # fmt: skip
    if why := folder_problem(found.input):
        raise PipelineInvalid([f"{'--input' if input_ else f'{found.source}: input'}: {why}"])
    catalog.check_places(found)
    settings = catalog.settings_for(home, found)
    kind = found.kind
    options = selection.runner_options(
        settings, kind, batch_size=batch_size, retry_errors=resume, workers=1, online=True
    )
    options.stop_on_error = not found.continue_on_error
    if resume_session:
        selection.resume_only(settings, kind, options, resume_session)
    if dry_run:  # what the run would take: its queue as its refresh would leave it
        items = eligible_items(settings, kind, options, refresh=True)
        albums = [(item["key"], Path(item["path"])) for item in items]
        for line in catalog.plan_lines(found, albums):
            click.echo(line)
        return None
    with collector.loading():
        from mediakeeper.pipelines.job import PipelineJob

    if scheduler:  # as a flag overrides a setting (core/config.py)
        settings.values["cluster"]["scheduler"] = scheduler
        settings.origins["cluster"]["scheduler"] = "--scheduler"
    # Its sent processors (encodes) to a cluster's workers: reached before anything is claimed.
    target, refused = cluster_target(settings, PIPELINES, SEND)
    for line in refused:
        click.echo(f"Warning: {line}", err=True)
    finish_writes(settings.status_dir)
    # What the input holds now: albums added since the last run are taken, changed ones redone.
    store = opts.prepare_store(settings, kinds.get(kind), options, enrich=False, refresh=True)
    say_old_ffmpeg = opts.note_old_ffmpeg(settings)
    threads = usable_cores()
    session, report = opts.run_with_progress(
        store,
        lambda session: PipelineJob(settings.home, session.id, found,
                                    ffmpeg_path=settings.get("ffmpeg", "path"), threads=threads,
                                    cluster=target),
        options,
        ProgressHooks("album"),
        noun="album",
        description=describe(options.size, resume=resume),
        recorded=catalog.recorded(found),
    )  # fmt: skip
    say_old_ffmpeg()
    # What takes its failed albums again, as this run was given its folders (a pipeline's
    # queue has no manager: no command lists them or takes back a skipped one).
    places = [*(["--input", os.path.abspath(input_)] if input_ else []),
              *(["--output", os.path.abspath(output)] if output else [])]  # fmt: skip
    named = os.path.abspath(pipeline) if os.path.isfile(pipeline) else pipeline  # a file's
    retry = shell_join([*tool_argv("pipeline", settings.home), "run", named, *places,
                        "--retry-errors"])  # fmt: skip
    opts.say_nothing_to_do(report, "album", retry_errors=resume,
                           then=f"Album folders new or changed in {found.input} are taken by "
                           "the next run.", waiting=opts.waiting_after(store, report),
                           manager="", retry=retry)  # fmt: skip
    say(render_summary(report, "album", resume=resume_command(settings.home, session.id),
                       lookups=False))  # fmt: skip
    for outcome in report.outcomes:
        if outcome.error:
            # Whole (its paths too), on one line: a file named in it may hold a line feed.
            click.echo(f"{one_line(outcome.name)}: {one_line(outcome.error)}", err=True)
    click.echo(f"session log: {one_line(str(session.log_path))}")
    return settings.status_dir, session.id, report.exit_code


if __name__ == "__main__":
    try:
        main()
    except MediakeeperError as err:  # pragma: no cover - Command renders these
        click.echo(f"Error: {err}", err=True)
        sys.exit(err.exit_code)
