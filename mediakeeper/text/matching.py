"""Finding the one name a person meant among many: every command that takes a name
(``--reset-artist``, ``--skip-movie``, a batch's ``--artist``, undo's ``--artist``) finds it
the same way.

The first of these that fits wins: the name exactly as typed; the same name with case aside
(:func:`~mediakeeper.text.fold.caseless`, so an accent typed decomposed, as macOS keyboards
give it, is the same letter); the same name with accents and spacing aside too
(:func:`~mediakeeper.text.fold.name_key`: "motorhead" is "Motörhead"); the start of just
one name ("kill bill" is "Kill Bill (2003)"). A step that fits several names lists them and
chooses none; when nothing fits, the closest names are suggested.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

from mediakeeper.core.errors import NotFound
from mediakeeper.text.cut import echoed
from mediakeeper.text.fold import caseless, name_key, unicode_form, unicode_twins
from mediakeeper.text.visible import quoted, shell_word_exact
from mediakeeper.text.wording import first_few

_SHOWN = 5  # candidates listed for an ambiguous name; the rest are counted


def _exactly(text: str) -> str:
    return text


_STEPS: tuple[Callable[[str], str], ...] = (_exactly, caseless, name_key)


def find_name(
    wanted: str, names: Iterable[str], *, missing: str, otherwise: str,
    word: Callable[[str], str] = shell_word_exact,
) -> str:  # fmt: skip
    """The one of ``names`` that ``wanted`` means (see the module docstring). Raises
    :class:`NotFound` with ``missing`` as its message when none fits, hinting at the closest
    names or else ``otherwise`` (where every name is shown); and when several fit, naming
    them all: where they are one name in several Unicode forms (a folder copied from a Mac
    beside its twin), each with its form and ``word(name)``, what reaches that one."""
    names = list(dict.fromkeys(names))
    if fits := _fitting(wanted, names):
        return _one(wanted, fits, word)
    close = suggestions(wanted, names)
    hint = "did you mean: " + ", ".join(quoted(name) for name in close) if close else otherwise
    raise NotFound(missing, hint)


def _fitting(wanted: str, names: Iterable[str]) -> list[str]:
    """The names the first step that fits gives (see the module docstring): one, several,
    or none."""
    names = list(dict.fromkeys(names))
    for same in _STEPS:
        key = same(wanted)
        if fits := [name for name in names if same(name) == key]:
            return fits
    typed = name_key(wanted)
    return [name for name in names if name_key(name).startswith(typed)] if typed else []


def _one(wanted: str, fits: list[str], word: Callable[[str], str]) -> str:
    if len(fits) == 1:
        return fits[0]
    if len(unicode_twins(fits[0], fits)) == len(fits) - 1:  # their names alone look the same
        each = "; ".join(f"{quoted(twin)} ({unicode_form(twin)}): {word(twin)}"
                         for twin in sorted(fits, key=unicode_form))  # composed first
        either = "either" if len(fits) == 2 else "any"
        raise NotFound(f"{quoted(echoed(wanted))} could be {either} of {len(fits)} folders of "
                       f"one name in two Unicode forms: {each}")  # fmt: skip
    fits = sorted(fits, key=lambda name: (caseless(name), name))
    shown = first_few([quoted(name) for name in fits], _SHOWN)
    raise NotFound(
        f"{quoted(echoed(wanted))} could be any of {len(fits)} names: {shown}",
        "give the whole name of the one you mean",
    )


def suggestions(wanted: str, names: Iterable[str], most: int = 3) -> list[str]:
    """Up to ``most`` names close to ``wanted`` (accents, case and spacing aside): the most
    alike first, then names that contain it."""
    typed = name_key(wanted)
    by_key: dict[str, list[str]] = {}
    for name in names:
        by_key.setdefault(name_key(name), []).append(name)
    close = difflib.get_close_matches(typed, list(by_key), n=most, cutoff=0.6)
    close += [key for key in by_key if typed and typed in key and key not in close]
    return [name for key in close for name in by_key[key]][:most]
