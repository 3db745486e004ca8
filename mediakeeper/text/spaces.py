"""A tag value's spacing tidied: what the batch's whitespace rule writes, and what a value a
person sets (``decide --set``) must already be, or the next batch would rewrite it."""

from __future__ import annotations

import re
import unicodedata

RUNS_OF_SPACE = re.compile(r"\s{2,}")


def tidy_spaces(value: str) -> str:
    """Trim, and collapse each run of white space to one space: its own first one when that
    is a space of another kind (an ideographic or no-break space stays what it was), else a
    plain space (a tab or a line break in a run)."""
    value = value.strip()
    if value.isprintable() and "  " not in value:  # no white space but single spaces: done
        return value
    return RUNS_OF_SPACE.sub(one_space, value)


def one_space(run: re.Match[str]) -> str:
    first = run.group()[0]
    return first if unicodedata.category(first) == "Zs" else " "
