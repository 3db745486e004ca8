"""Small parts: no module of the package over 500 lines, no function over 60 (its docstring
aside: words that explain are not what makes a function long). A long function is split by
what it does; the few listed in ``TO_SPLIT`` are known and may only shrink: each may not grow,
and leaves the list once it is short enough (the test says so)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "mediakeeper"
MODULE_LINES, FUNCTION_LINES = 500, 60

# "module:function" -> its length when listed (issue 37): to be split, never to grow.
TO_SPLIT: dict[str, int] = {}  # none left (issue 37 split the last five)


def function_lengths(path: Path) -> dict[str, int]:
    """Each function's lines, its docstring aside (a nested function counts in its own
    right and inside the one holding it)."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = node.end_lineno - node.lineno + 1
            first = node.body[0]
            if isinstance(first, ast.Expr) and _is_text(first.value):
                lines -= first.end_lineno - first.lineno + 1
            found[node.name] = max(lines, found.get(node.name, 0))
    return found


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def dotted(path: Path) -> str:
    return ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)


def test_no_module_is_over_500_lines():
    long = {
        dotted(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MODULE_LINES
    }
    assert long == {}


def test_no_function_is_over_60_lines_but_the_listed_ones_which_only_shrink():
    problems = []
    still_long = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for name, lines in function_lengths(path).items():
            where = f"{dotted(path)}:{name}"
            if lines <= FUNCTION_LINES:
                continue
            still_long.add(where)
            if where not in TO_SPLIT:
                problems.append(f"{where} is {lines} lines: split it (at most {FUNCTION_LINES})")
            elif lines > TO_SPLIT[where]:
                problems.append(f"{where} grew to {lines} lines (listed at {TO_SPLIT[where]})")
    short = sorted(set(TO_SPLIT) - still_long)
    problems += [f"{where} is short enough now: take it off TO_SPLIT" for where in short]
    assert problems == []


def test_the_length_counts_a_function_without_its_docstring(tmp_path):
    body = "".join(f"    x{n} = {n}\n" for n in range(61))
    module = tmp_path / "m.py"
    docstring = '    """Words.\n\n    More."""\n'
    module.write_text(f"def long():\n{docstring}{body}\ndef short():\n    pass\n")
    assert function_lengths(module) == {"long": 62, "short": 2}


def test_the_tests_conftest_holds_fixtures_only_in_under_300_lines():
    """What tests share beside fixtures lives in ``tests/helpers/``, imported by name."""
    conftest = REPO_ROOT / "tests" / "conftest.py"
    tree = ast.parse(conftest.read_text(encoding="utf-8"))
    plain = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
        and not node.name.startswith("pytest_")
        and not any("fixture" in ast.unparse(d) for d in getattr(node, "decorator_list", []))
    ]
    assert plain == []
    assert len(conftest.read_text(encoding="utf-8").splitlines()) < 300
