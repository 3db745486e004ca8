"""The tests' conftest holds fixtures only: what tests share beside fixtures lives in
``tests/helpers/``, imported by name. (Modules and functions have no line cap: a module is as
long as its one concern needs; ``make lint`` reports functions too complex to read, ruff C901.)"""

from __future__ import annotations

import ast

from tests.helpers import REPO_ROOT


def test_the_tests_conftest_holds_fixtures_only():
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
