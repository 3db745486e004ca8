"""A preview's writes, moves and emptied folders as the terminal says them, one line each:
one wording for a decision's dry run and a whole duplicate level's."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mediakeeper.text.visible import one_line
from mediakeeper.text.wording import value


def would_lines(writes: Iterable[Mapping[str, Any]] = (), moves: Iterable[Mapping[str, Any]] = (),
                emptied: Iterable[str] = ()) -> Iterator[str]:  # fmt: skip
    """``would set TAG of FILE: OLD -> NEW`` (values escaped), ``would move FILE to TARGET``
    (``would copy``: its source kept, a restore's backup) and ``would remove the folder it
    empties PATH``, in that order."""
    for w in writes:
        yield f"would set {w['field']} of {one_line(w['file'])}: {value(w['old'])} -> " \
              f"{value(w['new'])}"  # fmt: skip
    for m in moves:
        verb = "copy" if m.get("copy") else "move"
        yield f"would {verb} {one_line(m['from'])} to {one_line(m['to'])}"
    for folder in emptied:
        yield f"would remove the folder it empties {one_line(folder)}"
