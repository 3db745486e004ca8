"""``-q/--quiet`` and ``-v/--verbose``: taken by every batch script and by the ``mediakeeper``
group for each of its commands, read by the batch's progress line (``progress_line``). Kept
apart from that line so a command that draws none (a queue manager, ``undo``) takes the flags
without importing the batch's runner."""

from __future__ import annotations

import click

QUIET, NORMAL, VERBOSE = -1, 0, 1
_VERBOSITY = "mediakeeper.verbosity"  # where -q/-v leave their choice on the click context


def verbosity_options(f):
    """``-q/--quiet`` and ``-v/--verbose`` for a batch script. The choice is kept on the click
    context, where ``ProgressHooks`` reads it: the scripts' signatures stay as they are."""

    def remember(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if not value:
            return
        level = QUIET if param.name == "quiet" else VERBOSE
        if ctx.meta.get(_VERBOSITY, level) != level:
            raise click.UsageError("give -q/--quiet or -v/--verbose, not both", ctx)
        ctx.meta[_VERBOSITY] = level

    f = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="A line for every finished item (with its time), not only those that need you.",
    )(f)
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="No progress line: only the items that need you and the closing summary.",
    )(f)


def chosen_verbosity() -> int:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_VERBOSITY, NORMAL) if ctx is not None else NORMAL
