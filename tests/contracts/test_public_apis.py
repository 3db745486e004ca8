"""Only the public APIs of other libraries (issue 72, point 4): no module of mediakeeper
imports a ``_private`` name of another package or assigns to a ``_private`` attribute of an
object it does not own (a minor release of a dependency breaks either). Read from the source,
every statement, those inside functions too. An attribute assigned on ``self`` or ``cls`` is
the class's own; any other ``x._name = ...`` is taken as reaching into another package's
object. The watcher also reaches no C library through ``ctypes`` (watchfiles' public API
does what it needs; ``system/linux.py`` is the one module that calls Linux through ctypes)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mediakeeper"
NO_CTYPES = ("watch",)


def _private(name: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in name.split("."))


def private_uses(source: str, where: str, *, ctypes_too: bool = False) -> list[str]:
    """Each import of another package's private module or name, and each assignment to a
    private attribute of another object, in the module ``source`` (``where``: its name in
    the lines said); with ``ctypes_too``, each import of ctypes as well."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            base = node.module or ""
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
            owner = node.value
            own = isinstance(owner, ast.Name) and owner.id in ("self", "cls")
            names = [] if own or not _private(node.attr) else [ast.unparse(node)]
        else:
            continue
        for name in names:
            if name.startswith("mediakeeper"):
                continue
            if _private(name) or (ctypes_too and name.split(".")[0] == "ctypes"):
                found.append(f"{where}:{node.lineno}: {name}")
    return found


def uses_in(package: Path, **options: bool) -> list[str]:
    return [use for path in sorted(package.rglob("*.py"))
            for use in private_uses(path.read_text(encoding="utf-8"),
                                    str(path.relative_to(PACKAGE.parent)), **options)]  # fmt: skip


def test_no_private_name_of_another_package_is_imported_or_assigned():
    assert not uses_in(PACKAGE)


@pytest.mark.parametrize("package", NO_CTYPES)
def test_the_watcher_calls_no_c_library(package):
    assert not uses_in(PACKAGE / package, ctypes_too=True)


def test_the_check_finds_what_it_looks_for():
    text = ("import ctypes\nfrom watchfiles._rust_notify import RustNotify\n"
            "from urllib3 import _collections\nfrom __future__ import annotations\n"
            "def f(response, cache, old):\n"
            "    response._content = b''\n    cache._settings = old._settings\n"
            "    self._mine = 1\n    response.content = b''\n")
    assert [u.split(": ")[1] for u in private_uses(text, "sample", ctypes_too=True)] == [
        "ctypes", "watchfiles._rust_notify", "watchfiles._rust_notify.RustNotify",
        "urllib3._collections", "response._content", "cache._settings"]  # fmt: skip
    assert "ctypes" not in str(private_uses(text, "sample"))
