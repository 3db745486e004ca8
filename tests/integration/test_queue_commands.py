"""One command style: a queue manager's actions as commands (``mediakeeper music queue list``),
every flag of the scripts kept as the same action, the top-level ``--home``/``-v``/``-q``, one
meaning per option name, and help texts that name ``mediakeeper`` commands."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from mediakeeper.cli.main import command_of
from mediakeeper.cli.main import main as mediakeeper
from mediakeeper.cli.queue_manager import flags_group
from mediakeeper.core import kinds
from mediakeeper.queue.store import QueueStore

# (the flags, as in the scripts; the same action as a command). Each pair runs on two copies of
# one queue part-way through, and must say the same and leave the same queue.
PAIRS = [
    (["--show-summary"], ["summary"]),
    (["--show-summary", "--json"], ["summary", "--json"]),
    ([], []),
    (["--list"], ["list"]),
    (["--list", "--status", "error"], ["list", "--status", "error"]),
    (
        ["--list", "--name", "abb", "--sort", "status", "--json"],
        ["list", "--name", "abb", "--sort", "status", "--json"],
    ),
    (["--reset-artist", "Sigur Ros"], ["reset", "Sigur Ros"]),
    (["--reset-errors"], ["reset", "--errors"]),
    (["--reset-stale"], ["reset", "--stale"]),
    (["--reset-all", "--yes"], ["reset", "--all", "--yes"]),
    (["--skip-artist", "Air"], ["skip", "Air"]),
    (["--validate-queue"], ["validate"]),
    (["--checkpoint"], ["checkpoint"]),
    (["--list-checkpoints"], ["checkpoint", "list"]),
    (["--restore-checkpoint", "latest"], ["checkpoint", "restore", "latest"]),
    (["--prune-checkpoints", "--keep", "0"], ["checkpoint", "prune", "--keep", "0"]),
    (["--refresh"], ["refresh"]),
    (["--init", "--force", "--library", "LIB"], ["init", "--force", "--library", "LIB"]),
]
# The flags of another kind's own: (kind, flags, command).
OWN = [
    ("movies", ["--choose", "Heat", "949"], ["choose", "Heat", "949"]),
    ("movies", ["--reset-movie", "Heat"], ["reset", "Heat"]),
    ("audiobooks", ["--prune-backups"], ["prune-backups"]),
]
SESSION = "20240309_session_001"


def _home(tmp_path: Path, kind: str, names: list[str], dead_pid: int) -> tuple[Path, Path]:
    """A data home whose queue is part-way through: a completed, an errored and a stale item,
    and a checkpoint."""
    library, home = tmp_path / "library", tmp_path / "home"
    for name in names:
        (library / name).mkdir(parents=True)
    (home / "status").mkdir(parents=True)
    assert run(kind, "--home", home, "init", "--library", library).exit_code == 0
    store = QueueStore(home / "status" / kind, kind)
    if not store.peek()["items"]:  # books are folders of audio: --prune-backups needs none
        return home, library
    store.claim_next(SESSION, keys={names[0]})
    store.record_success(names[0], SESSION, counts={})
    store.claim_next(SESSION, keys={names[1]})
    store.record_failure(names[1], SESSION, stage="scan", message="unreadable", max_attempts=1)
    store.claim_next(SESSION, keys={names[2]})

    def forge(data):
        item = next(i for i in data["items"] if i["name"] == names[2])
        item["claimed_by"].update(pid=dead_pid, pid_started=None)
        return [item]

    store.update(forge, fold=True)
    assert run(kind, "--home", home, "checkpoint").exit_code == 0
    return home, library


def run(kind: str, *args, input: str | None = None):
    result = CliRunner().invoke(
        command_of(kind, "queue"),
        [str(a) for a in args],
        input=input,
        env={"MEDIAKEEPER_HOME": None},
    )
    assert "Traceback" not in result.output, result.output
    if result.exception is not None:  # a usage error or an exit code, never a crash
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def same(kind: str, tmp_path: Path, dead_pid: int, names: list[str], flags, command) -> None:
    home, library = _home(tmp_path, kind, names, dead_pid)
    results, queues = [], []
    for words, where in ((flags, "a"), (command, "b")):
        copy = tmp_path / where
        shutil.copytree(home, copy)
        args = [str(library) if w == "LIB" else w for w in words]
        result = run(kind, "--home", copy, *args)
        # The replaced queue is named by the second it was replaced in, which may tick
        # between the two runs.
        said = re.sub(r"\.replaced-\d{8}T\d{6}", ".replaced-WHEN",
                      result.output.replace(str(copy), "HOME"))  # fmt: skip
        results.append((result.exit_code, said))
        queue = QueueStore(copy / "status" / kind, kind).peek()
        queues.append({i["name"]: (i["status"], i.get("details")) for i in queue["items"]})
    assert results[0] == results[1]
    assert queues[0] == queues[1]
    validates = flags == ["--validate-queue"]  # it finds the stale claim: 1
    assert results[0][0] == (1 if validates else 0), results[0]


@pytest.mark.parametrize("flags,command", PAIRS, ids=lambda words: " ".join(words) or "none")
def test_every_flag_and_its_command_do_the_same(tmp_path, dead_pid, flags, command):
    same("music", tmp_path, dead_pid, ["ABBA", "Sigur Rós", "Motörhead", "Air"], flags, command)


@pytest.mark.parametrize(
    "kind,flags,command", OWN, ids=lambda x: " ".join(x) if isinstance(x, list) else x
)
def test_a_kind_s_own_flags_and_their_commands_do_the_same(
    tmp_path, dead_pid, kind, flags, command
):
    same(kind, tmp_path, dead_pid, ["Heat", "Alien", "Brazil"], flags, command)


@pytest.mark.parametrize("kind", list(kinds.KINDS))
def test_every_flag_of_every_queue_manager_is_paired_with_a_command(kind):
    """A flag added to the queue managers without its command (or a test of the two) fails
    here; the docs contract keeps each flag in docs/reference.md."""
    record = kinds.get(kind)
    paired = {w for flags, _ in PAIRS for w in flags if w.startswith("--")}
    paired |= {w for k, flags, _ in OWN for w in flags if w.startswith("--") and k == kind}
    paired = {w.replace("artist", record.noun) for w in paired}
    flags = {opt for p in flags_group(record).params for opt in p.opts if opt.startswith("--")}
    assert flags - paired - {"--home", "--help"} == set()


def test_a_flag_and_a_command_together_are_refused(tmp_path, dead_pid):
    home, _ = _home(tmp_path, "music", ["ABBA", "Air", "Beck"], dead_pid)
    result = run("music", "--home", home, "--reset-errors", "list")
    assert result.exit_code == 2
    assert "give --reset-errors or the list command, not both" in result.output


def test_reset_takes_exactly_one_of_a_name_or_its_flags(tmp_path, dead_pid):
    home, _ = _home(tmp_path, "music", ["ABBA", "Air", "Beck"], dead_pid)
    for args in (["reset"], ["reset", "ABBA", "--errors"], ["reset", "ABBA", "--yes"]):
        result = run("music", "--home", home, *args)
        assert result.exit_code == 2, args
        assert result.output.startswith("Usage") and "Error:" in result.output


def test_a_read_only_command_refuses_a_home_that_is_none(tmp_path):
    for args in (["list"], ["summary"], ["validate"], ["checkpoint", "list"]):
        result = run("music", "--home", tmp_path / "typo", *args)
        assert result.exit_code == 2
        assert "no data home at" in result.output
    assert not (tmp_path / "typo").exists()


def test_home_given_to_the_group_holds_for_the_command_under_it(tmp_path, dead_pid):
    home, _ = _home(tmp_path, "music", ["ABBA", "Air", "Beck"], dead_pid)
    runner = CliRunner()
    env = {"MEDIAKEEPER_HOME": str(tmp_path / "elsewhere")}
    by_group = runner.invoke(mediakeeper, ["--home", str(home), "music", "queue", "list"], env=env)
    assert by_group.exit_code == 0, by_group.output
    assert "ABBA" in by_group.output and "3 artists" in by_group.output
    inner = runner.invoke(
        mediakeeper, ["--home", str(tmp_path / "x"), "music", "queue", "--home", str(home),
                      "checkpoint", "list"], env=env)  # fmt: skip
    assert inner.exit_code == 0, inner.output
    assert "1 checkpoint in" in inner.output
    dashboard = runner.invoke(mediakeeper, ["--home", str(home), "dashboard"], env=env)
    assert dashboard.exit_code == 0, dashboard.output
    assert str(home) in dashboard.output


def test_home_given_after_the_first_word_holds_for_the_command_under_it(tmp_path, dead_pid):
    """``mediakeeper music --home X queue list``, ``mediakeeper sessions --home X list``: a
    person puts ``--home`` after the group as often as after the command; every group takes
    it, and the innermost one given wins (it was "No such option '--home'")."""
    home, _ = _home(tmp_path, "music", ["ABBA", "Air", "Beck"], dead_pid)
    runner = CliRunner()
    env = {"MEDIAKEEPER_HOME": str(tmp_path / "elsewhere")}
    other = str(tmp_path / "x")
    for words in (["music", "--home", str(home), "queue", "list"],
                  ["--home", other, "music", "--home", str(home), "queue"],
                  ["music", "--home", other, "queue", "--home", str(home)]):  # fmt: skip
        result = runner.invoke(mediakeeper, words, env=env)
        assert result.exit_code == 0, (words, result.output)
        assert "3 artists" in result.output or "total" in result.output, result.output
    sessions = runner.invoke(mediakeeper, ["sessions", "--home", str(home), "list"], env=env)
    assert sessions.exit_code == 0 and f"No sessions under {home}" in sessions.output
    (home / "pipelines").mkdir()
    (home / "pipelines" / "mine.yaml").write_text("name: mine\nsteps: []\n", encoding="utf-8")
    pipelines = runner.invoke(mediakeeper, ["pipeline", "--home", str(home), "list"], env=env)
    assert pipelines.exit_code == 0 and "\nmine " in pipelines.output, pipelines.output
    for group in ("music", "movies", "conversions", "audiobooks", "verify", "dupes",
                  "sessions", "pipeline", "alerts"):  # fmt: skip
        shown = runner.invoke(mediakeeper, [group, "--help"])
        assert "--home DIRECTORY" in shown.output, group


def test_quiet_and_verbose_on_the_group_reach_the_batch(tmp_path):
    """``mediakeeper -q music batch``: the batch takes the group's -q (and refuses -q with -v
    as when both are given to it)."""
    runner = CliRunner()
    both = runner.invoke(
        mediakeeper, ["-q", "music", "batch", "-v", "--home", str(tmp_path)], env={}
    )
    assert both.exit_code == 2
    assert "give -q/--quiet or -v/--verbose, not both" in both.output


def test_pipeline_run_calls_retrying_failed_albums_retry_errors_as_a_batch_does():
    """``--resume`` is a session id in every batch; in ``pipeline run`` it meant "retry the
    failed albums", a batch's ``--retry-errors``: that is its name now, ``--resume`` its old
    one, kept."""
    batch = command_of("music", "batch")
    pipeline = mediakeeper.get_command(click.Context(mediakeeper), "pipeline")
    pipeline_run = pipeline.get_command(click.Context(pipeline), "run")
    retry = next(p for p in pipeline_run.params if "--retry-errors" in p.opts)
    assert retry.is_flag and "--resume" in retry.opts
    assert next(p for p in batch.params if "--retry-errors" in p.opts).is_flag
    assert next(p for p in batch.params if "--resume" in p.opts).metavar == "SESSION_ID"


def _commands(command: click.Command, path: list[str]):
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            yield from _commands(command.get_command(ctx, name), [*path, name])


def test_help_texts_name_mediakeeper_commands_not_scripts():
    """``mediakeeper sessions list``, never ``sessions.py list``, in every command's help."""
    runner = CliRunner()
    for path, _ in _commands(mediakeeper, []):
        result = runner.invoke(mediakeeper, [*path, "--help"], terminal_width=200)
        assert result.exit_code == 0, (path, result.output)
        assert not re.search(r"\b\w+\.py\b", result.output), (path, result.output)


def test_an_option_name_takes_a_value_everywhere_or_nowhere():
    """One meaning per option name: across every command, a name is a flag everywhere or
    takes a value everywhere. The one exception is the documented old name: ``pipeline run
    --resume``, which is ``--retry-errors`` (a batch's ``--resume`` takes a session id)."""
    kinds_of: dict[str, set[tuple[str, bool]]] = {}
    for path, command in _commands(mediakeeper, []):
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            for name in param.opts:
                if name.startswith("--") and not (
                    path == ["pipeline", "run"] and name == "--resume"
                ):
                    kinds_of.setdefault(name, set()).add(param.is_flag)
    assert {name: kinds for name, kinds in kinds_of.items() if len(kinds) > 1} == {}
    assert len(kinds_of) > 40  # every command was walked
