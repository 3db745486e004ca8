"""A failed item's error in a person's words, said the same by every face (``decide`` and
``/api/decisions`` through the decision engine, the page's library and item views, a queue
manager's ``--list``, ``sessions show``, the alerts a person reads).

A job's error may name the toolkit's own paths: a temporary copy, a file of a working
folder. A person acts on the file, not on where the toolkit held it, so each such path is
said as its file's name alone. Where the working folders are known (the engine reads a
kind's settings) they are passed in; any path through a folder shaped as the toolkit's
(``working/``, an item's ``_source/`` or ``_processed/``, the system's temporary folder) is
recognised without them (the web's follower lists items without reading settings). A
digest in it (an MD5, a SHA-256) is said by its first 8 digits: they tell two apart; the
rest is noise to a person. On a terminal line (a batch's, an alert's) it is said by
:func:`failure_line`: a file named in it with a line feed must not break that line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from mediakeeper.text.cut import cut
from mediakeeper.text.visible import one_line

# A cluster step's folder (``batch.cluster_steps``) is named by its prefix: the rest of the
# system's temporary folder may hold a person's own library, said whole.
_SHAPES = ("/working/", "/_source/", "/_processed/", "/mediakeeper-step-")
_PATH_CHARS = r"[^\s'\"():]"
# A folder of a path may hold spaces ("Media Kept", "OK Computer"): a space within one is
# one not followed by another path's "/" nor by more space, and ": " ends it. The file's
# own name takes ``_PATH_CHARS`` only: what follows its first space stays in the text,
# where it reads as the rest of that name.
_FOLDER = r"(?:[^/\s'\":]|[ \t](?![/\s])|:(?!\s|$))+"
# A digest standing alone: not a part of a path or of a file's name, which are said whole.
_DIGEST = re.compile(r"(?<![\w/.-])([0-9a-fA-F]{8})[0-9a-fA-F]{24,}(?![\w/-]|\.\w)")


def _pattern(working: Iterable[str | os.PathLike[str]]) -> re.Pattern[str]:
    roots = [re.escape(os.fspath(root).rstrip("/") + "/") for root in working]
    shaped = "|".join(map(re.escape, _SHAPES))
    within = f"(?:/(?:{_FOLDER}/)*{_FOLDER})?(?:{shaped})"  # a folder of the toolkit's shape
    return re.compile(rf"(?:file:)?(?:{'|'.join([*roots, within])})(?:{_FOLDER}/)*"
                      rf"{_PATH_CHARS}*")  # fmt: skip


def plain_error(message: str, working: Iterable[str | os.PathLike[str]] = (), *,
                most: int | None = None) -> str:  # fmt: skip
    """``message`` with each path in the toolkit's working folders (``working``, and any of
    their shape) said as its file's name, each digest as its first 8 digits; with ``most``,
    one line of at most ``most`` characters (a traceback too)."""
    said = _DIGEST.sub(r"\1…", _pattern(working).sub(lambda m: _name(m.group()), message))
    if most is None:
        return said
    said = " ".join(said.split())
    return said if len(said) <= most else cut(said, most - 1) + "…"


def failure_line(message: str, working: Iterable[str | os.PathLike[str]] = ()) -> str:
    """``message`` as :func:`plain_error` says it, on one line: a line feed or a tab in it (a
    file's name holds one) shown as its escape, as every terminal line names a file
    (``text.visible.one_line``)."""
    return one_line(plain_error(message, working))


def _name(path: str) -> str:
    return path.rstrip("/").rpartition("/")[2] or path
