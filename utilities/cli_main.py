"""The ``mediakeeper`` console command (``pip install`` puts it on PATH): one group holding
every script's command, ``mediakeeper music batch``, ``mediakeeper movies queue``,
``mediakeeper report``, ``mediakeeper dashboard``, ``mediakeeper undo``,
``mediakeeper sessions``.

Each subcommand is the very command object of its ``utilities/`` script, built from the
kinds' records (``mediakeeper.kinds``): a kind added there is a subcommand here. A script is
imported only when its subcommand runs, so ``mediakeeper --help`` stays quick.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

if __package__ in (None, ""):  # run as a file from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mediakeeper import __version__, kinds
from mediakeeper.commands import TOOLS
from mediakeeper.wording import queue_name

# What each subcommand does, for the group's --help (without importing its script).
VERBS = {"queue": "Inspect and repair the {queue}.", "batch": "Process the next {plural}."}
TOOL_HELP = {
    "report": "Write the weekly progress report.",
    "dashboard": "Every queue at a glance.",
    "undo": "Put back tag values changed by mediakeeper.",
    "decide": "List what needs you, and decide it: a choice, a value or a dismissal.",
    "pipeline": "Check, preview and run pipelines (YAML files of steps).",
    "sessions": "List, show, resume and clean up the batches' sessions.",
}


class LazyGroup(click.Group):
    """A group whose subcommands are ``module:main`` of utilities/, imported when used."""

    def __init__(self, *args, lazy: dict[str, tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy  # name -> (module, one-line help)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.commands, *self.lazy]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            return importlib.import_module(f"utilities.{self.lazy[cmd_name][0]}").main
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, cmd.get_short_help_str()) for name, cmd in self.commands.items()]
        rows += [(name, help) for name, (_, help) in self.lazy.items()]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def kind_group(kind: kinds.Kind) -> click.Group:
    fill = {"queue": queue_name(kind.name), "plural": kind.plural}
    return LazyGroup(
        kind.name,
        help=f"The {queue_name(kind.name)} ({kind.plural}) and its batches.",
        lazy={
            "batch": (kind.batch_script, VERBS["batch"].format(**fill)),
            "queue": (kind.queue_script, VERBS["queue"].format(**fill)),
        },
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def build() -> click.Group:
    group = LazyGroup(
        "mediakeeper",
        help="Keeps a personal media library healthy, one small resumable batch at a time. "
        "Every command has --help.",
        lazy={name: (module, TOOL_HELP[name]) for name, module in TOOLS.items()},
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for kind in kinds.KINDS.values():
        group.add_command(kind_group(kind))
    return click.version_option(__version__, prog_name="mediakeeper")(group)


main = build()

if __name__ == "__main__":
    main()
