"""One Jinja environment for every report the toolkit renders."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import shutil
import stat
import sys
import types
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.bccache import Bucket

from mediakeeper.queue_items import queue_manager

TEMPLATE_CACHE = Path("status", "cache", "templates")


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


def keep_compiled(home: Path) -> None:
    """Keep compiled templates in ``home`` from one run to the next. Compiling the weekly
    report's took about 0.15 s of every batch (a batch of ten takes about half a second).
    Call it where the program writes into ``home`` anyway: a dry run never does."""
    folder = os.path.join(home, TEMPLATE_CACHE, _this_version())
    env = environment()
    if getattr(env.bytecode_cache, "directory", None) != folder:
        env.bytecode_cache = CompiledTemplates(folder)


@cache
def _this_version() -> str:
    return fingerprint(Path(__file__).read_bytes())


def fingerprint(settings_source: bytes) -> str:
    """The cache folder's name. Jinja checks each template's own source and its bytecode
    version, not how the environment compiling it was set up (autoescape, whitespace, ...):
    that lives in this module, so its source names the folder, with the versions."""
    versions = f"{jinja2.__version__}|{sys.version}|".encode()
    return hashlib.sha256(versions + settings_source).hexdigest()[:16]


class CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's bytecode cache, made safe to lose: a damaged file, or a folder that cannot be
    read or written, only means compiling again. A new folder clears out the old ones.

    These files are code the program runs, and a data home may be shared: like Jinja's own
    default folder, this one is made 0700 and used only while it belongs to this user and no
    one else can write to it."""

    def __init__(self, directory: str):
        super().__init__(directory, "%s.cache")

    def _trusted(self) -> bool:
        try:
            st = os.lstat(self.directory)
        except OSError:
            return False
        return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022

    def load_bytecode(self, bucket: Bucket) -> None:
        if not self._trusted():
            return
        try:
            super().load_bytecode(bucket)
        except Exception:  # torn, damaged or foreign bytes: whatever broke, compile again
            bucket.reset()
        if not isinstance(bucket.code, types.CodeType | None):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            if not os.path.lexists(self.directory):
                self._make_folder()
            if self._trusted():
                super().dump_bytecode(bucket)

    def _make_folder(self) -> None:
        parent, name = os.path.split(self.directory)
        with contextlib.suppress(FileNotFoundError), os.scandir(parent) as entries:
            for old in entries:  # other versions' compiled templates
                if old.name != name and old.is_dir(follow_symlinks=False):
                    shutil.rmtree(old.path, ignore_errors=True)
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        os.chmod(self.directory, 0o700)  # whatever the umask


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
