"""One Jinja environment for every report the toolkit renders.

Jinja is imported at the first render, not with this module: a batch with nothing to write
(a dry run, an empty queue) starts without it (docs/performance.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
import types
from collections.abc import Iterator
from functools import cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from mediakeeper.core.decisions import MEANING, stage_word, status_word
from mediakeeper.text.commands import kind_command, queue_manager, waiting_hints
from mediakeeper.text.slug import page_of
from mediakeeper.text.visible import shell_word, visible
from mediakeeper.text.wording import count, format_size, queue_name

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parent / "templates"
COMPILED = TEMPLATES / "__pycache__"


def fingerprint(settings_source: bytes) -> str:
    """A name for compiled templates. Jinja checks each template's own source and its
    bytecode version, not how the environment compiling it was set up (autoescape,
    whitespace, ...): that lives in this module, so its source names them, with the versions."""
    import jinja2

    versions = f"{jinja2.__version__}|{sys.version}|".encode()
    return hashlib.sha256(versions + settings_source).hexdigest()[:16]


# Taken as this module is imported: the source the running environment was made from.
_SOURCE = Path(__file__).read_bytes()


def __getattr__(name: str) -> Any:
    """``VERSION``, the running version's ``fingerprint``: made at its first use (it names
    Jinja's version, and importing Jinja waits for a render)."""
    if name == "VERSION":
        globals()["VERSION"] = fingerprint(_SOURCE)
        return globals()["VERSION"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def path_under(path: str, folder: str) -> str:
    """``path`` from inside ``folder`` ("CD2/01 - T.flac"), or whole when it is elsewhere."""
    if folder and path.startswith(folder + "/"):
        return path[len(folder) + 1 :]
    return path


@cache
def environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    version = globals().get("VERSION") or __getattr__("VERSION")
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),  # beside this module, wherever it is
        bytecode_cache=compiled_templates()(COMPILED, version),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,  # a typo in a template fails the tests, not the user
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=shown_safely,
    )
    env.filters["md"] = markdown_escape
    env.filters["shell"] = shell_word  # one line, the real name given back
    env.filters["code"] = markdown_code
    env.filters["under"] = path_under
    env.filters["status"] = status_word
    env.filters["stage"] = stage_word
    env.filters["shown"] = shown
    env.filters["page"] = page_of
    env.filters["decided"] = decided_note
    env.filters["size"] = format_size  # "812 kB", "3.4 MB": never "0.0 MB" for a small file
    env.globals["queue_manager"] = queue_manager
    env.globals["waiting_hints"] = waiting_hints  # the dashboard's and the weekly report's
    env.globals["kind_command"] = kind_command
    env.globals["queue_name"] = queue_name
    env.globals["count"] = count  # "1 session", "2 sessions": as every message says it
    env.globals["decision_means"] = MEANING
    return env


def shown(name: Any) -> str:
    """A folder name's stand-in for "/" (U+29F8, "AC⧸DC") shown as the "/" it stands for on a
    page: few fonts draw it, and a browser showed a box."""
    return str(name).replace("\u29f8", "/")


def shown_safely(value: Any) -> Any:
    """Every value a template shows, with its hidden controls shown as escapes (a right-to-left
    override from a tag reversed what the page read around it: ``mediakeeper.text.visible``).
    HTML made by the toolkit (``Markup``: a report's rendered Markdown, ``tojson``) stays
    HTML: an escape adds no markup. Autoescaping comes after, as before."""
    if isinstance(value, Markup):
        return Markup(visible(value))
    if isinstance(value, str):
        return visible(value)
    if value is None or isinstance(value, int | float):
        return value
    return visible(str(value))  # a Path, a date: its text, as Jinja would show it


def load(template: str) -> None:
    """Jinja and ``template`` loaded into this process now (from the templates' bytecode
    cache): a batch loads its report's template before it forks its workers, which then
    share it instead of each importing Jinja and reading the template at its first report."""
    environment().get_template(template)


def render(template: str, **context: Any) -> str:
    return "".join(render_pieces(template, **context))


def render_pieces(template: str, **context: Any) -> Iterator[str]:
    """The rendered text a block of Jinja's pieces at a time, for a caller that writes it as
    it comes (a page listing every item of a library is then never whole in memory)."""
    # Joined a block of pieces at a time: Jinja's own render joins every piece the template
    # yields at once, a list that grows with the library (a dozen pieces a row).
    pieces = environment().get_template(template).generate(**context)
    return ("".join(block) for block in iter(lambda: list(islice(pieces, 1024)), []))


@cache
def compiled_templates() -> type:
    """The bytecode cache's class (made at the first render, as Jinja is imported)."""
    from jinja2 import FileSystemBytecodeCache
    from jinja2.bccache import Bucket

    class CompiledTemplates(FileSystemBytecodeCache):
        """Compiled templates kept from one run to the next: compiling the weekly report's is a
        large share of a small batch's time (docs/performance.md).

        They live beside the templates, as Python keeps a module's compiled code beside it: these
        files are code the program runs, so they belong where only whoever may change the program
        can write, never in a data home (which may be shared). Each file's name starts with the
        version that compiled it (``fingerprint``); as with Python's own, other versions' files
        are left alone. They are safe to lose: a damaged file, or a folder that cannot be read
        or written, only means compiling again."""

        def __init__(self, directory: Path, version: str):
            super().__init__(str(directory), f"{version}-%s.cache")

        def load_bytecode(self, bucket: Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # torn, damaged or foreign bytes: whatever broke, compile again
                bucket.reset()
            if not isinstance(bucket.code, types.CodeType | None):
                bucket.reset()

        def dump_bytecode(self, bucket: Bucket) -> None:
            with contextlib.suppress(OSError):
                os.makedirs(self.directory, exist_ok=True)
                super().dump_bytecode(bucket)

    return CompiledTemplates


def decided_note(finding: Any) -> str:
    """`` (dismissed: left as it is by ann, 2024-03-09T10:30:00+00:00)`` after a finding a
    person decided (or a rule did); nothing after one still open."""
    decided = finding.get("decided") if isinstance(finding, dict) else None
    if not decided:
        return ""
    who = markdown_escape(decided.get("by") or "")
    return f" ({markdown_escape(decided.get('what') or '')} by {who}, {decided.get('at')})"


def markdown_code(value: Any) -> str:
    """A Markdown code span that holds any text, backticks included: its fence is one
    backtick longer than the longest run inside."""
    text = str(value)
    fence = "`" * (1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def markdown_escape(value: Any) -> str:
    """Names from tags and folders are data: keep them from turning into Markdown."""
    return str(value).translate(_MARKDOWN_ESCAPES)


_MARKDOWN_ESCAPES = str.maketrans({ch: "\\" + ch for ch in "\\`*_[]<>#|"})
