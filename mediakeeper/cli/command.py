"""Click pieces every script shares: the --home option, settings, and error rendering.

Only this layer turns library errors into one-line messages and exit codes.
"""

from __future__ import annotations

import codecs
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

import mediakeeper
from mediakeeper.cli import safe_streams
from mediakeeper.cli.warning_lines import show_warning
from mediakeeper.core.config import (
    PREFIX,
    Settings,
    existing_home,
    known_variables,
    load_settings,
    stray_variables,
    strays_said_by_parent,
)
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.core.home import notice as home_notice
from mediakeeper.fs import write_errors
from mediakeeper.fs.sweep import recover_home
from mediakeeper.system import collector
from mediakeeper.system.interrupts import EXIT_INTERRUPTED, Interrupted, exit_now, interruptible
from mediakeeper.text.visible import json_document, one_line, visible

WHOLE = 1 << 16  # characters: a short help never cut (``ListedWhole``)


@contextmanager
def click_errors_escaped() -> Iterator[None]:
    """Click's own errors (a ``--keys-from`` file that is not there, a choice that is not
    one) name what they were given as it is: each control in it shown as its escape, on one
    line (``one_line``), as every other error is; the same error, exit code and usage line."""
    try:
        yield
    except click.ClickException as err:
        message = err.format_message()
        shown = one_line(message)
        if shown == message:
            raise
        escaped = (click.UsageError(shown, err.ctx) if isinstance(err, click.UsageError)
                   else click.ClickException(shown))  # fmt: skip
        escaped.exit_code = err.exit_code
        raise escaped from None


class EscapesClickErrors(click.Command):
    """A command whose Click errors, from reading its command line (its own or its
    subcommand's) or from running it, are shown escaped (``click_errors_escaped``): Click
    renders them in ``main``, above any command."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with click_errors_escaped():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with click_errors_escaped():
            return super().invoke(ctx)


class ListedWhole(EscapesClickErrors):
    """A command a group's list shows by its help's first sentence whole, wrapped, where
    Click cuts it with "..." at the width it allows (the commands' first sentences are
    written to be read whole)."""

    def get_short_help_str(self, limit: int = WHOLE) -> str:
        return super().get_short_help_str(WHOLE)


class SaysHome(ListedWhole):
    """A command made inside one of our groups (``group.command``, ``group.group``): says the
    home in use, as ``Command`` does, once its own ``--home`` is read (the group, whose
    command follows, left it the saying)."""

    def invoke(self, ctx: click.Context) -> Any:
        say_home(ctx)
        return super().invoke(ctx)


class ListedWholeGroup(SaysHome, click.Group):
    """A group made inside one of ours (``group.group``): its commands listed whole too."""

    command_class = SaysHome


class Command(ListedWhole):
    """A click command whose user errors end in one line on stderr and an exit code.

    ``reads_home``: the command reads a data home that must already be there (True, or a
    function of the command's parameters that says so for one invocation: a queue manager's
    ``--list`` reads, its ``--init`` creates). A ``--home`` that is no data home is then
    refused, exit 2, before the command runs and creates anything. A command with a
    ``--home`` first says which home it uses when that is not the one ``init`` recorded
    (``home.notice``), unless ``says_home`` is False (init: its --home is the home it makes).
    """

    def __init__(
        self,
        *args: Any,
        reads_home: bool | Callable[[dict], bool] = False,
        says_home: bool = True,
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        self.reads_home = reads_home
        self.says_home = says_home

    def invoke(self, ctx: click.Context) -> Any:
        collector.imports_done()  # a script's modules are loaded by now
        # The library warns (a damaged cache rebuilt, ...); a person gets one plain line.
        warnings.showwarning = show_warning
        safe_streams.install()  # no name's bidi control reaches the terminal raw
        # Ctrl+C or SIGTERM, at any moment of the command (before it, while the script
        # loaded, ``mediakeeper.cli.startup`` answers it): "interrupted" and exit 130, after any
        # step that must finish (an atomic write), never a KeyboardInterrupt traceback or
        # Click's "Aborted!" (exit 1). A batch puts its own handlers in place while it runs.
        with interruptible():
            try:
                return self._invoke(ctx)
            except Interrupted:
                click.echo("interrupted", err=True)
                ctx.exit(EXIT_INTERRUPTED)

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            if not ctx.meta.get(_VARIABLES_SAID):
                ctx.meta[_VARIABLES_SAID] = True  # once a command line: its settings are read often
                _say_stray_variables()
            if self.says_home:
                say_home(ctx)
            reads = self.reads_home(ctx.params) if callable(self.reads_home) else self.reads_home
            if reads:
                existing_home(ctx.params.get("home"))
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, like other command-line tools.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except MediakeeperError as err:
            # A refusal names what it was given, a path or a name (``library folder does not
            # exist: X``): an escape sequence in it is shown as its escape, never sent raw,
            # and a line feed in a name does not break the line it is on (``lines``).
            click.echo("Error: " + "\n".join(map(one_line, err.lines())), err=True)
            ctx.exit(err.exit_code)
        except OSError as err:  # the system refused: not a usage error (exit 2)
            click.echo(f"Error: {one_line(write_errors.describe(err))}", err=True)
            ctx.exit(1)


class Group(Command, click.Group):
    """A group of commands (a queue manager's ``list``, ``reset``, ...) rendered as one: a
    user error in the group or any of its commands ends in one line and an exit code."""

    # What ``group.command`` and ``group.group`` make: listed whole, saying the home.
    command_class, group_class = SaysHome, ListedWholeGroup


def _say_stray_variables() -> None:
    """A warning line for each ``MEDIAKEEPER_`` variable that names nothing the toolkit reads
    (``config.stray_variables``), with the known name nearest to it; none in a command the
    toolkit started (``config.started_environment``): the command that started it said them."""
    stray = [] if strays_said_by_parent() else stray_variables()
    if not stray:
        return
    # Loaded only when there is one to say: every command starts here, and most say none.
    from mediakeeper.text.cut import echoed
    from mediakeeper.text.matching import suggestions

    # Compared without the prefix they share, which would make any name near any other.
    known = [name.removeprefix(PREFIX) for name in known_variables()]
    for name in stray:
        nearest = suggestions(name.removeprefix(PREFIX), known, most=1)
        hint = f": did you mean {PREFIX}{nearest[0]}?" if nearest else ""
        shown = visible(echoed(name))
        click.echo(f"Warning: environment {shown} names no setting and is ignored{hint}", err=True)


def echo_json(data: Any, indent: int | None = 2) -> None:
    """A ``--json`` answer: one valid JSON document on standard output, whatever the names in
    it hold (``text.visible.json_document``); in ASCII where the stream's encoding is not
    UTF-8 (a Latin-1 locale), which could not hold every name."""
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        utf8 = codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        utf8 = False
    click.echo(json_document(data, indent, ascii_only=not utf8))


@contextmanager
def lines_on_stderr(as_json: bool) -> Iterator[None]:
    """With ``--json``, the lines a person reads while the command works (its progress, its
    closing lines) go to standard error: standard output holds the one document
    ``echo_json`` prints after this, alone."""
    if not as_json:
        yield
        return
    with redirect_stdout(sys.stderr):
        yield


class OutputFile(click.Path):
    """A file the command writes, replaced whole (written beside it, then renamed over it). A
    name that is empty or names a folder ("", ".", "out/", an existing folder) is a usage
    error that names the option, not a failed write; so is one in a folder that is not there,
    which the write would make (a mistyped folder, and every folder above it, made to hold
    the file), and one that is no regular file (a device, a pipe: the rename would put a file
    in its place, ``/dev/stdout`` for every program). A symbolic link is written through: the
    file it leads to is the one replaced, and the link stays."""

    def __init__(self, example: str):
        super().__init__(dir_okay=False, path_type=Path)
        self.example = example  # a file name to suggest

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        text = os.fspath(value)
        if not text:
            self.fail(
                f"the file name is empty: name the file to write, e.g. {self.example}", param, ctx
            )
        if os.path.basename(text) in ("", ".", "..") or os.path.isdir(text):
            suggested = os.path.join(text, self.example)
            self.fail(f"{text!r} is a folder: name a file to write, e.g. {suggested}", param, ctx)
        if os.path.islink(text):
            text = os.path.realpath(text)  # the link's file (its folder checked below)
        folder = os.path.dirname(text)
        if folder and not os.path.isdir(folder):
            self.fail(f"the folder {folder!r} does not exist: make it first, or name a file in "
                      "a folder that does", param, ctx)  # fmt: skip
        if os.path.exists(text) and not os.path.isfile(text):
            self.fail(f"{text!r} is not a regular file (a device or a pipe): name a file to "
                      f"write, e.g. {self.example}", param, ctx)  # fmt: skip
        return super().convert(text, param, ctx)


def say_home(ctx: click.Context) -> None:
    """Say which home a command with a ``--home`` uses where it is not the one ``init``
    recorded (``home.notice``): once a command line, by the first command whose ``--home``
    is read (a group whose command follows leaves it to that command's own)."""
    if "home" in ctx.params and not ctx.meta.get(_NOTICED) and not _command_follows(ctx):
        ctx.meta[_NOTICED] = True
        if line := home_notice(ctx.meta.get(_HOME)):  # a --home typed: none to say
            click.echo(line, err=True)


def _command_follows(ctx: click.Context) -> bool:
    """Whether a group's command follows on the line (``music queue list --home X``): its own
    ``--home``, not read yet, is the one to say the home by, so the group leaves it the saying.
    Click keeps the command's words apart: ``_protected_args`` (``protected_args`` before
    8.2, the name it deprecates since)."""
    if not isinstance(ctx.command, click.Group):
        return False
    return bool(getattr(ctx, "_protected_args", None) or vars(ctx).get("protected_args"))


_HOME = "mediakeeper.home"  # where a --home given on the command line is left (ctx.meta)
_NOTICED = "mediakeeper.home_said"  # the home in use said (``home.notice``), once a line
_VARIABLES_SAID = "mediakeeper.variables_said"  # the stray MEDIAKEEPER_ variables said, once


def home_given(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A ``--home`` holds for every command under the one it is given to: ``mediakeeper
    --home X dashboard``, ``mediakeeper music queue --home X list``. Click shares ``meta``
    along a command line, and the innermost ``--home`` given wins over an outer one, which
    wins over ``MEDIAKEEPER_HOME``."""
    if ctx.get_parameter_source(param.name) is ParameterSource.COMMANDLINE:
        ctx.meta[_HOME] = value
        return value
    return ctx.meta.get(_HOME, value)


class Named(click.ParamType):
    """A name, an id or a code to act on: an empty one names nothing. Taken as not given, a
    batch went on with the next items where ``--artist "$NAME"`` met an unset variable."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, str) and not value.strip():
            self.fail("empty: it names nothing (an unset shell variable?)", param, ctx)
        return value


NAMED = Named()

home_option = click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=str),
    envvar="MEDIAKEEPER_HOME",
    callback=home_given,
    help="Data home holding status/, outputs/ and issues/ (default: found from the current "
    "folder, see `mediakeeper init`).",
)

# A group's ``--home`` (``mediakeeper music --home X batch``, ``mediakeeper sessions --home X
# list``): left for the command that follows, whose own ``--home`` (or MEDIAKEEPER_HOME) reads
# it; a person puts it after the first word as often as after the last.
_GROUP_HOME = {
    "type": click.Path(file_okay=False, path_type=str),
    "expose_value": False,
    "callback": home_given,
    "help": "Data home for the command that follows (as its own --home).",
}
group_home_option = click.option("--home", **_GROUP_HOME)


def group_home() -> click.Option:
    """``group_home_option`` for a group built without decorators."""
    return click.Option(["--home"], **_GROUP_HOME)


def settings_for(home: str | None, *, writes: bool = True,
                 **overrides: dict[str, Any]) -> Settings:  # fmt: skip
    """The run's settings; first, what a killed run left half-written in place is finished
    (``mediakeeper.fs.inplace_journal``), and said. ``writes``: False for a dry run and a
    command that only reads (``fs.sweep.recover_home``)."""
    settings = load_settings(home, overrides)
    finish_writes(settings.status_dir, writes=writes)
    return settings


def finish_writes(status_dir: Path, *, writes: bool = True) -> None:
    """Complete what a killed run left in this data home (``fs.sweep``), each thing said."""
    for line in recover_home(status_dir, writes=writes):
        click.echo(line, err=True)


@contextmanager
def stops_on_signals() -> Iterator[None]:
    """For a command that is not a batch (the reports, the dashboard): Ctrl+C or SIGTERM ends
    it with exit 130 and one word, never "Aborted!" and exit 1, once any file it was
    replacing (``critical`` steps) is whole."""
    try:
        with interruptible():
            yield
    except Interrupted:
        click.echo("interrupted", err=True)
        sys.stdout.flush()
        # At once: another signal while Python unwinds and shuts down could only cut that
        # short, and every file is whole (a replacement waits for its rename).
        exit_now()


def ask(question: str, *, default: bool = False) -> None:
    """Ask before a change a person cannot take back at a glance; go on only on yes. An
    answer piped in counts (``yes | ...``); with none to read (a script's closed input, cron)
    it is a usage error naming ``--yes`` (exit 2) that says the question once, not Click's
    "Aborted!" after a prompt nobody saw. A no says nothing was changed (exit 1)."""
    if sys.stdin is not None and sys.stdin.isatty():  # Ctrl+C, Ctrl+D: Click's own Abort
        agreed = click.confirm(question, default=default)
    else:
        agreed = _read_answer(question, default)
    if not agreed:
        click.echo("Nothing changed.", err=True)
        sys.exit(1)


def _read_answer(question: str, default: bool) -> bool:
    """``ask`` off a terminal: the answer read before the question is said, so that with none
    the question is said once, in the error (not also left on stdout without its line feed,
    as a prompt is); one read is said on its question's line, as a person typing it sees it."""
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise click.UsageError(f"{question} No answer to read (not a terminal): give --yes "
                               "to go on.")  # fmt: skip
    answer = line.strip()
    if answer.lower() not in ("", "y", "yes", "n", "no"):
        raise click.UsageError(f"{question} {answer!r} is no answer: y or n (or give --yes)")
    click.echo(f"{question} [{'Y/n' if default else 'y/N'}]: {answer}")
    return answer.lower() in ("y", "yes") or (not answer and default)


# The user's scripts, in a checkout: beside the package.
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(mediakeeper.__file__)))
SCRIPTS = os.path.join(CHECKOUT, "utilities")


def not_a_command(what: str, *commands: str) -> None:
    """A module of the package run as a script: say what it is and which of the user's
    scripts (``utilities/``, from where the person is) to run instead, on stderr, and exit 2
    (a usage error)."""
    argv0 = sys.argv[0] if sys.argv else ""
    folder = os.path.relpath(SCRIPTS) if os.path.isdir(SCRIPTS) else "utilities"
    instead = " or ".join(f"python {os.path.join(folder, name)}" for name in commands)
    click.echo(
        f"Error: {os.path.basename(argv0)} is {what}, not a command: run {instead} "
        "(each has --help)",
        err=True,
    )
    sys.exit(2)


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    not_a_command(
        "the scripts' shared command-line code", "process_music_batch.py", "music_queue_manager.py"
    )
