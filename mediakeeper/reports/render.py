"""One Jinja environment for every report the toolkit renders."""

from __future__ import annotations

import re
import shlex
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from mediakeeper.queue_items import queue_manager


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("mediakeeper.reports", "templates"),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,  # a typo in a template fails the tests, not the user
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_escape
    env.filters["shell"] = shlex.quote
    env.filters["code"] = markdown_code
    env.globals["queue_manager"] = queue_manager
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def markdown_code(value: Any) -> str:
    """A Markdown code span that holds any text, backticks included: its fence is one
    backtick longer than the longest run inside."""
    text = str(value)
    fence = "`" * (1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def markdown_escape(value: Any) -> str:
    """Names from tags and folders are data: keep them from turning into Markdown."""
    text = str(value)
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text
