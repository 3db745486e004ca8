"""The ``mediakeeper`` console command (``pip install`` puts it on PATH; ``python -m
mediakeeper`` runs it too): one group holding every command, ``mediakeeper music batch``,
``mediakeeper movies queue``, ``mediakeeper report``, ``mediakeeper dashboard``,
``mediakeeper undo``, ``mediakeeper pipeline``, ``mediakeeper sessions``.

Each subcommand is the very command object a script of ``utilities/`` runs: a kind's two
are built from its record (``mediakeeper.core.kinds``: a kind added there is a subcommand
here), the others are ``main`` of their module in this package. A command is built or
imported only when it runs, so ``mediakeeper --help`` stays quick.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache, partial

import click
from click.exceptions import NoSuchCommand

from mediakeeper import __version__
from mediakeeper.cli.command import WHOLE, group_home
from mediakeeper.cli.verbosity import verbosity_options
from mediakeeper.core import kinds, plugins
from mediakeeper.text.commands import TOOLS
from mediakeeper.text.wording import queue_name

# What each subcommand does, for the group's --help (without importing its script).
VERBS = {"queue": "Inspect and repair the {queue}.", "batch": "Process the next {plural}.",
         "scrub": "Verify the {plural} least recently verified, a share of the library a run."}
# A kind's commands beyond its batch and queue.
OWN_VERBS = {"verify": ("scrub",)}
TOOL_HELP = {
    "report": "Write the weekly progress report.",
    "dashboard": "Every queue at a glance.",
    "undo": "Put back what a session changed: tags, files moved, decisions taken.",
    "decide": "List what needs you, and decide it: a choice, a value or a dismissal.",
    "pipeline": "Check, preview and run pipelines (YAML files of steps).",
    "sessions": "List, show, resume and clean up the batches' sessions.",
    "init": "Make a data home (asks the folders) and record it.",
    "serve": "Serve the web page, the API, live events and metrics.",
    "alerts": "Test the alerts a batch raises on failure streaks.",
    "watch": "Watch the libraries and queue what settles (--run: process it too).",
    "schedule": "Print (or --install) systemd units and crontab lines for nightly runs.",
    "worker": "Start a Dask worker that batches send their encodes to (no shared folder).",
    "cluster": "List the cluster's workers: threads, ffmpeg, versions, accepted or refused.",
}

# Kinds whose command is a group of their own (its ``batch`` and ``queue`` among its
# commands): ``mediakeeper.cli.<name>.main``.
KIND_FACES = {"dupes": "Duplicates found by sound: scan, list, set aside (never deleted)."}


Loader = Callable[[], click.Command]


class LazyGroup(click.Group):
    """A group whose subcommands are made when used (their modules imported then)."""

    def __init__(self, *args, lazy: dict[str, tuple[Loader, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy  # name -> (what makes the command, one-line help)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.commands, *self.lazy]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            return self.lazy[cmd_name][0]()
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        try:
            return super().resolve_command(ctx, args)
        except NoSuchCommand as err:
            # Click offers the nearest of the commands made already alone (``self.commands``:
            # 'conversions' for 'sesions'); every command of the group is one to offer.
            raise NoSuchCommand(err.command_name, possibilities=self.list_commands(ctx),
                                ctx=ctx) from None  # fmt: skip

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, cmd.get_short_help_str(WHOLE)) for name, cmd in self.commands.items()]
        rows += [(name, help) for name, (_, help) in self.lazy.items()]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


# verb -> (module, the function that builds a kind's command from its name)
BUILDERS = {"batch": ("batch", "build_batch"), "queue": ("queue_commands", "build"),
            "scrub": ("scrub", "build")}


@cache
def command_of(kind: str, verb: str) -> click.Command:
    """A kind's ``batch`` or ``queue`` command, built once: the scripts of ``utilities/``
    and this group run the same object."""
    module, builder = BUILDERS[verb]
    build = getattr(importlib.import_module(f"mediakeeper.cli.{module}"), builder)
    record = kinds.get(kind)
    try:  # another package's kind: its batch and actions are imported now, by its code
        return build(kind)
    except Exception as err:  # any failure of someone else's import: said in one line
        if record.package.startswith(f"{kinds.OWN}."):
            raise  # ours: a bug, its traceback wanted
        what = {"queue": "queue manager"}.get(verb, verb)
        package = f" (package {record.package})" if record.package else ""
        raise Refused(f"the kind {kind!r}{package}: its {what} cannot be loaded: "
                      f"{plugins.error_line(err)}; install its package again, or uninstall "
                      "it") from None  # fmt: skip


class Refused(click.ClickException):
    """A command that cannot be made, said in one line (``Error: ...``), exit 2: the
    settings' error (a plugin's kind that cannot load its batch)."""

    exit_code = 2


def _tool(name: str) -> Loader:
    return lambda: importlib.import_module(f"mediakeeper.cli.{name}").main


def kind_group(kind: kinds.Kind) -> click.Group:
    fill = {"queue": queue_name(kind.name), "plural": kind.plural}
    return LazyGroup(
        kind.name,
        help=f"The {queue_name(kind.name)} ({kind.plural}) and its batches. --home, -v and "
        "-q hold for the command that follows.",
        params=_for_what_follows(),
        lazy={
            verb: (partial(command_of, kind.name, verb), VERBS[verb].format(**fill))
            for verb in ("batch", "queue", *OWN_VERBS.get(kind.name, ()))
        },
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def _for_what_follows() -> list[click.Parameter]:
    """A group's own options, which hold for the command under it: ``--home`` (``mediakeeper
    --home X dashboard``, ``mediakeeper music --home X batch``) and ``-v``/``-q``
    (``mediakeeper -q music batch``) are left on the click context, which the whole command
    line shares (``command.home_given``, ``verbosity.verbosity_options``)."""
    return [group_home(), *reversed(verbosity_options(lambda: None).__click_params__)]


def build() -> click.Group:
    group = LazyGroup(
        "mediakeeper",
        help="Keeps a personal media library healthy, one small resumable batch at a time. "
        "--home, -v and -q hold for the command that follows. Every command has --help.",
        params=_for_what_follows(),
        lazy={name: (_tool(name), TOOL_HELP[name]) for name in TOOLS}
        | {name: (_tool(name), help) for name, help in KIND_FACES.items()},
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for kind in kinds.KINDS.values():
        if kind.name not in KIND_FACES:
            group.add_command(kind_group(kind))
    return click.version_option(__version__, prog_name="mediakeeper")(group)


main = build()


if __name__ == "__main__":
    main()
