"""Recording and forgetting a person's rules: the ``[decisions]`` table of the data home's
``mediakeeper.toml`` (``code = "dismiss"``), which later batches apply instead of asking
(``core.decisions.rules_in`` reads it).

The file is the person's: it is edited with tomlkit, which keeps its layout, its comments
and the form the rules were written in (a ``[decisions]`` table, dotted keys
``decisions.CODE = ...``, or an inline table ``decisions = {...}``); only the one rule
changes. The new text is checked before it is written (it must parse to exactly the old
settings with that one rule changed), written atomically, and read back from the disk
before the change is said to be done.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakeeper.core.bounded import toml_of
from mediakeeper.core.decisions import RULES, rules_in
from mediakeeper.core.errors import ConfigError
from mediakeeper.core.home import CONFIG_FILE
from mediakeeper.fs.atomic import atomic_write_text


def stands(home: Path, code: str, answer: str) -> bool:
    """Whether the rule ``code = answer`` is recorded."""
    return rules_in(home).get(code) == answer


@dataclass(frozen=True)
class Edit:
    """The settings file's text before a rule was recorded (None: there was no file) and
    after it: what the undo of the session that recorded it puts back, byte for byte."""

    before: str | None
    after: str


def remember(home: Path, code: str, answer: str) -> Edit | None:
    """Record ``code = answer``: the file's text before and after; None when that rule
    stood already (nothing written)."""
    if stands(home, code, answer):
        return None
    path = home / CONFIG_FILE
    before = path.read_text(encoding="utf-8") if path.exists() else None

    def put(table: Any) -> None:
        table[code] = answer

    return Edit(before, _edit(home, put, lambda rules: {**rules, code: answer}))


def take_back(home: Path, code: str, edit: Edit | None) -> None:
    """The rule of ``code`` a session recorded (``edit``, None from a record that kept no
    text), taken back by its undo: the file as it was before, while it is still as the rule
    left it (no file where there was none); else that one rule forgotten, the person's
    edits since kept."""
    path = home / CONFIG_FILE
    now = path.read_text(encoding="utf-8") if path.exists() else None
    if edit is None or now != edit.after:
        forget(home, code)
    elif edit.before is None:
        path.unlink()
    else:
        atomic_write_text(path, edit.before)


def forget(home: Path, code: str) -> bool:
    """Remove the rule of ``code``; False when there was none."""
    if code not in rules_in(home):
        return False

    def drop(table: Any) -> None:
        del table[code]

    _edit(home, drop, lambda rules: {k: v for k, v in rules.items() if k != code})
    return True


def _edit(home: Path, change: Callable[[Any], None], expected: Callable[[dict], dict]) -> str:
    """``change`` made to the rules table of the settings file (made when there is none),
    its new text returned; ConfigError, nothing written, when the result would not be the
    old settings with ``expected(rules)`` as their rules, or when the file on disk does not
    say so after."""
    import tomlkit  # only here, where a rule is recorded: decide and undo start without it
    from tomlkit.exceptions import TOMLKitError

    path = home / CONFIG_FILE
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        document = tomlkit.parse(text)
    except TOMLKitError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    before = toml_of(text)
    if RULES not in document:
        document[RULES] = tomlkit.table()
    change(document[RULES])
    new = tomlkit.dumps(document)
    wanted = {**before, RULES: expected(dict(before.get(RULES, {})))}
    # A layout tomlkit cannot edit as asked (the person's to mend): refused, nothing written.
    if _without_empty(_parsed(new)) != _without_empty(wanted):
        raise ConfigError(f"{path}: the rule could not be written without changing other "
                          "settings; nothing written",
                          f"edit the [{RULES}] table by hand")  # fmt: skip
    atomic_write_text(path, new)
    if rules_in(home) != wanted[RULES]:  # read back: what the next batch will read
        raise ConfigError(f"{path}: read back, its [{RULES}] table is not what was written",
                          "check the file by hand (decide --rules lists it)")  # fmt: skip
    return new


def _without_empty(settings: dict[str, Any] | None) -> dict[str, Any] | None:
    """The settings, an empty rules table aside (the last dotted-key rule forgotten leaves
    none at all)."""
    if settings is None or settings.get(RULES):
        return settings
    return {k: v for k, v in settings.items() if k != RULES}


def _parsed(text: str) -> dict[str, Any] | None:
    try:
        return toml_of(text)
    except tomllib.TOMLDecodeError:
        return None
