"""What an everyday offline batch does not import: the web stack (a third of a second),
ftfy (50-80 ms) and rich (25 ms, only a terminal needs it) are imported where they are first
needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_script, step, write_pipeline
from tests.helpers.audio import build_library
from tests.helpers.deciding import TAKING

HEAVY = ("requests", "requests_cache", "pyrate_limiter", "ftfy", "rich")


def imported_of(modules: str, watched: tuple[str, ...], env: dict[str, str]) -> str:
    """Which of ``watched`` a new process has imported once it imported ``modules``."""
    code = (f"import sys\nimport {modules}\n"
            f"print(' '.join(m for m in {watched!r} if m in sys.modules))\n")  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def lines_of(code: str, env: dict[str, str], start: str) -> tuple[list[str], str]:
    """The lines a new process running ``code`` printed that begin with ``start``, and all it
    said (for a failure's message)."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    said = [line for line in result.stdout.splitlines() if line.startswith(start)]
    return said, result.stdout + result.stderr


# Every batch script and its kind's job (a movie's or an artist's lookups import the web
# stack when the first is made; an audiobook's cover is checked against the size an image
# may be, a constant of the images' module, not of the web stack's limits).
BATCHES = [f"utilities.process_{kind}_batch, mediakeeper.{package}.job"
           for kind, package in (("music", "music"), ("movie", "movies"),
                                 ("conversion", "conversions"), ("audiobook", "audiobooks"),
                                 ("verify", "verify"), ("dupes", "dupes"))]  # fmt: skip


@pytest.mark.parametrize("batch", BATCHES, ids=lambda b: b.split(",")[0])
def test_starting_a_batch_imports_neither_the_web_stack_nor_ftfy(child_env, batch):
    assert imported_of(batch, HEAVY, child_env) == ""


def test_those_batches_are_every_batch_script():
    scripts = Path(__file__).resolve().parents[2].glob("utilities/process_*_batch.py")
    assert sorted(f"utilities.{p.stem}" for p in scripts) == sorted(
        b.split(",")[0] for b in BATCHES)


def test_decide_and_undo_start_without_the_settings_file_editor(child_env):
    """tomlkit edits mediakeeper.toml when a rule is recorded or forgotten, and only then."""
    commands = "utilities.decide, utilities.undo_changes, mediakeeper.cli.decide"
    assert imported_of(commands, ("tomlkit",), child_env) == ""


def test_the_decide_command_loads_nothing_that_takes_a_decision(child_env):
    assert imported_of("utilities.decide, mediakeeper.cli.decide", TAKING, child_env) == ""


# What a verify batch needs only after its checks (the closing reports and this week's
# report) or never (the tag tables and mutagen's other formats: a FLAC's header is read as
# a FLAC): imported before the first check, they held it back. (The ``tags`` package itself
# loads nothing as it is imported; its MP4 atom walk, ``mp4_atoms``, is the checks' own.)
AFTER_THE_CHECKS = ("mediakeeper.reports.weekly", "mediakeeper.reports.issue_index",
                    "mediakeeper.tags.table", "mutagen.mp3", "mutagen.mp4", "jinja2")  # fmt: skip
# Imported by the job once an album's checks are done (its report): never with the command.
WITH_THE_CHECKS = ("jinja2", "mediakeeper.text.render")

# Runs the real verify batch in this process; as it starts its first check (a flac -t or an
# ffmpeg reading a file, not the ffmpeg -version asked on the side) says which of the above
# were imported by then.
_FIRST_CHECK = """
import sys
from mediakeeper.cli.main import command_of

seen = []

def hook(event, args):
    if event == "subprocess.Popen" and not seen and "-version" not in args[1]:
        seen.append(" ".join(m for m in {names!r} if m in sys.modules) or "-")

sys.addaudithook(hook)
try:
    command_of("verify", "batch")(["--home", {home!r}, "--library", {library!r}, "-q"])
except SystemExit as stop:
    print("imported at the first check:", *seen, "exit", stop.code)
"""


def test_a_verify_batch_starts_its_first_check_before_the_imports_its_reports_need(
    child_env, tmp_path
):
    from mediakeeper.demo import sound as synth
    from mediakeeper.media import ffmpeg

    synth.tone(ffmpeg.find(), tmp_path / "lib" / "Band" / "Album" / "01.flac", 1.0)
    code = _FIRST_CHECK.format(names=AFTER_THE_CHECKS, home=str(tmp_path / "home"),
                               library=str(tmp_path / "lib"))  # fmt: skip
    said, everything = lines_of(code, child_env, "imported at")
    assert said == ["imported at the first check: - exit 0"], everything


def test_the_verify_batch_command_and_job_import_no_report_template_engine(child_env):
    batch = "utilities.process_verify_batch, mediakeeper.verify.job"
    assert imported_of(batch, WITH_THE_CHECKS + AFTER_THE_CHECKS, child_env) == ""


# What a music batch over an empty library, offline, run to its end (this week's report and
# the closing reports written) and with no setting to parse (the library a flag's text) does
# not load: pydantic-core (only a value to parse or hold to a limit loads it), the duplicates'
# grading (the weekly report reads the groups a scan left, not how they were graded), the
# cluster's module (music sends it no step), AcoustID's records; nor does it fork a worker
# for nothing, nor load multiprocessing (the pool imports it as it starts); nor socket (the
# machine's name is read from uname) nor subprocess (a music batch offline starts no program):
# 2 ms of a start each.
NOT_AT_ITS_END = ("pydantic_core", "mediakeeper.dupes.groups", "mediakeeper.dupes.grade",
                  "mediakeeper.media.integrity", "mediakeeper.batch.cluster",
                  "mediakeeper.lookup.acoustid_types", "multiprocessing", "socket",
                  "subprocess")  # fmt: skip


def loaded_at_the_end(module: str, command: str, args: list[str], names: tuple[str, ...],
                      env: dict[str, str]) -> tuple[list[str], str]:  # fmt: skip
    """Which of ``names`` a new process has loaded once ``module.command(args)`` (a Click
    command) ran to its end: the line ``loaded: ... exit CODE``, and all it said."""
    code = (f"import sys\nfrom {module} import {command}\ntry:\n    {command}({args!r})\n"
            f"except SystemExit as stop:\n    print('loaded:', *[m for m in {names!r} "
            "if m in sys.modules], 'exit', stop.code)\n")
    return lines_of(code, env, "loaded:")


def test_an_empty_offline_music_batch_loads_only_what_it_runs(child_env, tmp_path):
    (tmp_path / "lib").mkdir()
    # The tests' "false" for [music] lookups is text to parse: --offline says it here.
    env = {k: v for k, v in child_env.items() if k != "MEDIAKEEPER_MUSIC_LOOKUPS"}
    args = ["music", "batch", "--home", str(tmp_path / "home"), "--library",
            str(tmp_path / "lib"), "--offline"]  # fmt: skip
    said, everything = loaded_at_the_end("mediakeeper.cli.main", "main", args, NOT_AT_ITS_END,
                                         env)  # fmt: skip
    assert said == ["loaded: exit 0"], everything
    assert (tmp_path / "home" / "status" / "reports").is_dir()  # this week's report written


# Listing the sessions there are to undo reads the journals and the ledger of the sessions
# undone (changes/undone.py), not the undo itself: neither the tag table and mutagen (the
# values put back) nor a session's undo (its files, decisions and reports) loads.
THE_UNDO = ("mediakeeper.changes.undo", "mediakeeper.decisions.undo", "mediakeeper.tags",
            "mutagen")  # fmt: skip


def test_listing_the_sessions_to_undo_loads_no_undo(child_env, tmp_path):
    (tmp_path / "lib").mkdir()
    home = str(tmp_path / "home")
    batch = run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
                       "--offline", "-q")  # fmt: skip
    assert batch.returncode == 0, batch.stdout + batch.stderr
    listing = ["--home", home, "--list"]
    said, everything = loaded_at_the_end("mediakeeper.cli.undo", "main", listing, THE_UNDO,
                                         child_env)  # fmt: skip
    assert said == ["loaded: exit 0"], everything
    assert "No tag changes have been made yet." in everything


# A music batch loads the report's template engine once, in its own process before its
# workers fork (``MusicJob.warm``); each worker would otherwise import Jinja and read the
# artist template at its first artist (3 loads more in an everyday batch of ten).
def test_a_music_batch_loads_jinja_once_for_all_its_workers(tmp_path):
    build_library(tmp_path / "lib", {f"Band {n}/2001 - Album/01 - Song.flac": {"tags": {
        "title": "Song", "artist": f"Band {n}", "albumartist": f"Band {n}", "album": "Album",
        "tracknumber": "1", "tracktotal": "1", "date": "2001"}} for n in range(4)})
    batch = run_script("process_music_batch.py", "--home", tmp_path / "home", "--library",
                       tmp_path / "lib", "--offline", "--workers", "2", "-q",
                       env={"PYTHONPROFILEIMPORTTIME": "1"})  # every process's imports
    assert batch.returncode == 0, batch.stdout + batch.stderr
    [log] = (tmp_path / "home" / "status" / "music" / "session_logs").glob("*.log")
    assert "WORKERS 2 processes" in log.read_text(encoding="utf-8")  # two forked: each counts
    loads = [line for line in batch.stderr.splitlines() if line.endswith("| jinja2")]
    assert len(loads) == 1, batch.stderr[-3000:]
    assert len(list((tmp_path / "home" / "issues" / "music").glob("band-*.md"))) == 4


# A batch of a kind whose heavy step can be sent to a cluster (an encode, a join, a decode,
# a fingerprint), and a pipeline run, with no [cluster] scheduler set: neither loads the
# cluster's module nor multiprocessing (the [cluster] face's imports, issue 72; the kinds'
# dry runs fork no worker, the pipeline runs in its own process).
CLUSTER_ONLY = ("mediakeeper.batch.cluster", "multiprocessing")


@pytest.mark.parametrize("kind", ["conversions", "audiobooks", "verify", "dupes", "pipeline"])
def test_a_batch_with_no_scheduler_set_loads_no_cluster(child_env, tmp_path, kind):
    (tmp_path / "lib").mkdir()
    env = {k: v for k, v in child_env.items() if not k.startswith("MEDIAKEEPER_CLUSTER")}
    home = str(tmp_path / "home")
    if kind == "pipeline":  # a real run (its dry run stops before the cluster is asked)
        spec = write_pipeline(tmp_path / "phone.yaml", step("to-flac", "convert", codec="flac"),
                              input=tmp_path / "lib", output=tmp_path / "out")  # fmt: skip
        module, args = "mediakeeper.cli.pipeline", ["run", str(spec), "--home", home]
    else:
        module = "mediakeeper.cli.main"
        args = [kind, "batch", "--home", home, "--library", str(tmp_path / "lib"),
                "--batch-size", "1", "--dry-run", "-q"]  # fmt: skip
        if kind in ("conversions", "audiobooks"):
            args += ["--output", str(tmp_path / "out")]
    said, everything = loaded_at_the_end(module, "main", args, CLUSTER_ONLY, env)
    assert said == ["loaded: exit 0"], everything


# A script of utilities/ (its folder's name is what makes it one, cli.startup) running a
# music batch's dry run over an empty library; at its exit it says whether the garbage
# collector was held back while its modules loaded, runs again, and how many objects were
# set out of its sight. A program that imports the toolkit runs the same command: its
# collector is its own business.
_COLLECTOR = """
import atexit, gc, sys
sys.path.insert(0, {repo!r})
import mediakeeper.cli.startup
held = not gc.isenabled()
atexit.register(lambda: print("collector:", held, gc.isenabled(), gc.get_freeze_count()))
from mediakeeper.cli.main import command_of
command_of("music", "batch")(["--home", {home!r}, "--library", {library!r}, "--offline",
                              "--dry-run", "-q"])
"""


# A console command as its entry point starts it: ``mediakeeper`` running the same dry run,
# ``mediakeeper-music-queue`` making the queue of the same library.
_CONSOLE = """
import atexit, gc, sys
from mediakeeper.cli.startup import {entry}
atexit.register(lambda: print("collector:", "-", gc.isenabled(), gc.get_freeze_count()))
sys.argv = {argv!r}
{entry}()
"""
ENTRIES = {
    "the console": ("console", ["mediakeeper", "music", "batch", "--home", "{home}",
                                "--library", "{library}", "--offline", "--dry-run", "-q"]),
    "the music queue command": ("music_queue", ["mediakeeper-music-queue", "--home", "{home}",
                                                "--library", "{library}", "--init"]),
}


@pytest.mark.parametrize("folder", ["utilities", "elsewhere", *ENTRIES])
def test_a_script_holds_the_collector_back_while_it_loads_and_sets_what_it_loaded_apart(
    child_env, tmp_path, folder
):
    """Until its command runs, a script's imports make nothing for the garbage collector to
    find, yet it walked what they had made some 60 times, again at the exit, and in each
    worker a batch forks (copying the pages it walked): held back until then, and what
    they made frozen (docs/performance.md, a batch's start). The console commands start the
    same way."""
    (tmp_path / "lib").mkdir()
    where = {"repo": str(Path(__file__).resolve().parents[2]), "home": str(tmp_path / "home"),
             "library": str(tmp_path / "lib")}  # fmt: skip
    if folder in ENTRIES:
        entry, argv = ENTRIES[folder]
        argv = [word.format(**where) for word in argv]
        command = [sys.executable, "-c", _CONSOLE.format(entry=entry, argv=argv)]
    else:
        script = tmp_path / folder / "process_music_batch.py"
        script.parent.mkdir()
        script.write_text(_COLLECTOR.format(**where))
        command = [sys.executable, str(script)]
    result = subprocess.run(command, capture_output=True, text=True, env=child_env,
                            timeout=120)  # fmt: skip
    said = [line.split()[1:] for line in result.stdout.splitlines()
            if line.startswith("collector:")]  # fmt: skip
    assert result.returncode == 0 and len(said) == 1, result.stdout + result.stderr
    held, enabled, frozen = said[0]
    assert enabled == "True"  # running again once the command runs, in either
    if folder == "elsewhere":
        assert held == "False" and frozen == "0"
    else:
        assert held in ("True", "-") and int(frozen) > 10_000  # the modules' functions...


def test_every_command_releases_the_collector_before_it_runs():
    """The collector a script or the ``mediakeeper`` command holds back is released by the
    toolkit's ``Command.invoke`` (a group's runs before its subcommand's): a command with no
    such command on its way would run its whole course without a collector. Every script's
    command is one of the console's (test_console)."""
    import click

    from mediakeeper.cli import main as cli_main
    from mediakeeper.cli.command import Command

    ctx = click.Context(cli_main.main)
    unreleased = []

    def walk(group: click.Group, path: list[str], released: bool) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            ours = released or isinstance(command, Command)
            if isinstance(command, click.Group):
                walk(command, [*path, name], ours)
            elif not ours:
                unreleased.append(" ".join([*path, name]))

    walk(cli_main.main, [], False)
    assert unreleased == []
