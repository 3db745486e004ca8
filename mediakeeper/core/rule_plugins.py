"""Finding rules from other packages (the ``mediakeeper.rules`` entry points) and their codes.

A rule plugin is a :class:`RulePlugin`: a music rule (a function of
``mediakeeper.music.rule_base.Context`` yielding findings, as the built-in rules are) and the
table of the codes it reports. Its codes are namespaced by the entry point's name: the rule
says ``too-quiet``, the reports say ``loudness:too-quiet``, so no plugin can take or change a
built-in code, and ``docs/findings.md`` lists only the built-ins (a plugin documents its own).
The music rules run them last (``mediakeeper.music.rules``); the reports ask
:func:`code_of` for a code's severity, built-in or a plugin's.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from mediakeeper.core import plugins
from mediakeeper.core.errors import said
from mediakeeper.core.findings import CODES, SEVERITIES, Code, Finding

CODE = re.compile(r"^[a-z]+(-[a-z0-9]+)*$")  # as the built-in codes (kebab-case)


@dataclass(frozen=True)
class RulePlugin:
    """``codes``: code -> (severity, one line of what it means); ``rule``: a music rule,
    ``rule(ctx) -> Iterable[Finding]``, each finding made with :meth:`finding`."""

    codes: Mapping[str, tuple[str, str]]
    rule: Callable[[Any], Iterable[Finding]]

    def finding(self, code: str, path: str, album: str, message: str,
                changes: Iterable[Any] = (), **details: Any) -> Finding:  # fmt: skip
        """A finding of one of this plugin's codes, with its severity (as
        ``rule_base.finding`` makes the built-ins'); a code it does not declare: KeyError."""
        if code not in self.codes:
            raise KeyError(f"{code!r} is not one of this rule plugin's codes")
        return Finding(code, self.codes[code][0], path, message, album, tuple(changes), details)


@dataclass(frozen=True)
class LoadedRule:
    name: str  # the entry point's: the codes' namespace
    package: str
    version: str
    plugin: RulePlugin
    entry: str = ""  # the entry point's object, ``module:object``

    def code(self, own: str) -> str:
        return f"{self.name}:{own}"

    @property
    def label(self) -> str:
        """The plugin as every error it causes names it: its entry point and its package."""
        where = f"entry point {self.entry}, " if self.entry else ""
        return f"rule plugin {self.name!r} ({where}package {self.package} {self.version})"

    def run(self, ctx: Any) -> Iterator[Finding]:
        """The plugin's findings with their codes namespaced. Whatever goes wrong inside it
        (it raises, it yields what is not a finding of its codes) is a RulePluginError naming
        the plugin: a bare ``RuntimeError`` in a batch's output named no one."""
        try:
            made = self.plugin.rule(ctx)
        except Exception as err:
            raise RulePluginError(f"{self.label} raised {_crash(err)}") from None
        if isinstance(made, str | bytes) or not isinstance(made, Iterable):
            raise RulePluginError(f"{self.label} returned {said(made)}, not an iterable of "
                                  "findings")  # fmt: skip
        try:
            found = list(made)  # all of it, or none: never half its findings
        except Exception as err:
            raise RulePluginError(f"{self.label} raised {_crash(err)}") from None
        for each in found:
            if not isinstance(each, Finding) or each.code not in self.plugin.codes:
                raise RulePluginError(f"{self.label} yielded {said(each)}, not a finding of "
                                      "its codes")  # fmt: skip
            why = _unfit(each) or _refused_change(ctx, each.changes)
            if why is not None:
                raise RulePluginError(f"{self.label} yielded a finding {why}")
            yield replace(each, code=self.code(each.code),
                          severity=self.plugin.codes[each.code][0])  # fmt: skip


def _unfit(found: Finding) -> str | None:
    """Why the outputs and reports cannot hold a plugin's finding as it is, or None: each
    was a crash of the toolkit's own further on (sorting, the artist's JSON document),
    naming no plugin."""
    for field in ("path", "album", "message"):
        if not isinstance(value := getattr(found, field), str):
            return f"whose {field} is {said(value)}, not a text"
    if not isinstance(found.changes, tuple):
        return f"whose changes are {said(found.changes)}, not a list of changes"
    try:
        json.dumps(dict(found.details))
    except (TypeError, ValueError) as err:
        return f"whose details are not JSON: {err}"
    return None


def _refused_change(ctx: Any, changes: tuple[Any, ...]) -> str | None:
    """Why one of a plugin's fixes cannot be written, as the rules' context says
    (``refused_change``: a file the rule was not given, a tag not written), or None. The
    batch writes a plugin's fixes as the built-ins': a change naming another artist's
    file, or one outside the library, was written there."""
    for change in changes:
        if (why := ctx.refused_change(change)) is not None:
            return f"that {why}"
    return None


def _crash(err: BaseException) -> str:
    """``RuntimeError: boom (at rules.py:12)``: the error and the plugin's line it came from."""
    text = " ".join(str(err).split()) or "(no message)"
    frames = traceback.extract_tb(err.__traceback__)
    at = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(err).__name__}: {text}{at}"


class RulePluginError(Exception):
    """A rule plugin broke its contract while running: its message names the plugin, its
    entry point and package (recorded as the item's failure, stage ``rules``)."""


def _check(name: str, value: Any) -> str | None:
    if not isinstance(value, RulePlugin):
        return f"names a {type(value).__name__}, not a mediakeeper.core.rule_plugins.RulePlugin"
    if not CODE.match(name):
        return "its name must be kebab-case (it namespaces the codes: name:code)"
    if not callable(value.rule):
        return "its rule is not a function"
    for code, entry in value.codes.items():
        ok = isinstance(entry, tuple) and len(entry) == 2 and entry[0] in SEVERITIES
        if not (isinstance(code, str) and CODE.match(code) and ok):
            return (f"its code {code!r} must be kebab-case with (severity, meaning), a severity "
                    f"one of {', '.join(SEVERITIES)}")  # fmt: skip
    return None


@cache
def loaded() -> tuple[LoadedRule, ...]:
    """The usable rule plugins, read once a process (broken ones warned of and left out)."""
    return tuple(
        LoadedRule(p.name, p.package, p.version, p.value, p.entry)
        for p in plugins.load(plugins.RULES, _check)
    )


@cache
def plugin_codes() -> dict[str, Code]:
    """Every plugin's codes, namespaced, as the built-ins' table holds them: reported by the
    plugin (its name, where a built-in code names its kind or that kind's lookups)."""
    return {
        each.code(own): Code(severity, each.name, means)
        for each in loaded()
        for own, (severity, means) in each.plugin.codes.items()
    }


def code_of(code: str) -> Code | None:
    """A code's entry, a built-in's or (``name:code``) an installed plugin's; None for a code
    this installation does not know (a plugin removed since)."""
    if ":" not in code:
        return CODES.get(code)
    return plugin_codes().get(code)


def severity_of(code: str) -> str | None:
    entry = code_of(code)
    return entry.severity if entry else None
