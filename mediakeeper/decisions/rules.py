"""Recording and forgetting a person's rules: the ``[decisions]`` table of the data home's
``mediakeeper.toml`` (``code = "dismiss"``), which later batches apply instead of asking
(``core.decisions.rules_in`` reads it). Only that table's own lines are written; every other
line of the file (settings, comments) stays as the person wrote it. Written atomically.
"""

from __future__ import annotations

import re
from pathlib import Path

from mediakeeper.core.decisions import RULES, rules_in
from mediakeeper.core.home import CONFIG_FILE
from mediakeeper.fs.atomic import atomic_write_text

_HEADER = re.compile(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$")


def remember(home: Path, code: str, answer: str) -> bool:
    """Record ``code = answer``; False when that rule stood already."""
    if rules_in(home).get(code) == answer:
        return False
    _rewrite(home, code, f'{code} = "{answer}"')
    return True


def forget(home: Path, code: str) -> bool:
    """Remove the rule of ``code``; False when there was none."""
    if code not in rules_in(home):
        return False
    _rewrite(home, code, None)
    return True


def _rewrite(home: Path, code: str, line: str | None) -> None:
    """The file with the rule of ``code`` replaced by ``line`` (None: removed), the table
    added at the end when it is not there."""
    path = home / CONFIG_FILE
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    table, kept = None, []
    for text in lines:
        header = _HEADER.match(text)
        if header:
            table = header.group(1).strip()
        if table == RULES and not header and _key(text) == code:
            continue  # the old rule: replaced below, at the table's head
        kept.append(text)
        if header and table == RULES and line:
            kept.append(line)
            line = None
    if line:
        kept += ["", f"[{RULES}]", line] if kept else [f"[{RULES}]", line]
    atomic_write_text(path, "\n".join(kept) + "\n")


def _key(text: str) -> str:
    key = text.partition("=")[0].strip()
    return key.strip('"').strip("'") if "=" in text else ""
