"""Only the public APIs of other libraries (issue 72, point 4): no module of mediakeeper
imports a ``_private`` name of another package or assigns to a ``_private`` attribute of an
object it does not own (a minor release of a dependency breaks either). Read from the source,
every statement, those inside functions too. An attribute assigned on ``self`` or ``cls`` is
the class's own; any other ``x._name = ...`` is taken as reaching into another package's
object. Nor does a class of ours override another package's private method or attribute: a
``def _name`` (or a ``_name = ...``) in the body of a subclass of a foreign class, where that
class has ``_name`` (the base is imported to be asked; a helper of our own with a private
name is no override). The watcher also reaches no C library through ``ctypes`` (watchfiles'
public API does what it needs; ``system/linux.py`` is the one module that calls Linux through
ctypes)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mediakeeper"
NO_CTYPES = ("watch",)


def _private(name: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in name.split("."))


def _setattr_of_another(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("setattr", "delattr") and len(node.args) >= 2):  # fmt: skip
        return False
    owner, name = node.args[:2]
    own = isinstance(owner, ast.Name) and owner.id in ("self", "cls")
    return not own and isinstance(name, ast.Constant) and isinstance(name.value, str)


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
        elif _setattr_of_another(node):  # setattr(x, "_name", ...): the same reach
            names = [f"{ast.unparse(node.args[0])}.{node.args[1].value}"]
        else:
            continue
        for name in names:
            if name.startswith("mediakeeper"):
                continue
            if _private(name) or (ctypes_too and name.split(".")[0] == "ctypes"):
                found.append(f"{where}:{node.lineno}: {name}")
    return found


def _imported_names(tree: ast.AST) -> dict[str, str]:
    """Each name a module binds by an import (those inside functions too), to what it is."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _resolved(dotted: str) -> object | None:
    """The object ``a.b.C`` names, imported; None where it cannot be."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            found = getattr(found, part, None)
        return found
    return None


def _private_members(body: list[ast.stmt]) -> list[tuple[str, int]]:
    members = []
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            members.append((node.name, node.lineno))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            members += [(t.id, node.lineno) for t in targets if isinstance(t, ast.Name)]
    return [(name, line) for name, line in members if _private(name)]


def foreign_overrides(source: str, where: str) -> list[str]:
    """Each private method or attribute of another package's class that a class in
    ``source`` overrides (defines in its body while subclassing that class)."""
    tree = ast.parse(source)
    imported = _imported_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for base in node.bases:
            if isinstance(base, ast.Subscript):  # Sequence[int]: the class subscripted
                base = base.value
            first, _, rest = ast.unparse(base).partition(".")
            if first not in imported or imported[first].startswith("mediakeeper"):
                continue  # a class of this module, or of ours
            dotted = ".".join(filter(None, [imported[first], rest]))
            theirs = _resolved(dotted)
            for name, line in _private_members(node.body):
                if theirs is not None and hasattr(theirs, name):
                    found.append((line, f"{where}:{line}: {dotted}.{name}"))
    return [said for _, said in sorted(found)]


def uses_in(package: Path, **options: bool) -> list[str]:
    return [use for path in sorted(package.rglob("*.py"))
            for use in private_uses(path.read_text(encoding="utf-8"),
                                    str(path.relative_to(PACKAGE.parent)), **options)]  # fmt: skip


def overrides_in(package: Path) -> list[str]:
    return [found for path in sorted(package.rglob("*.py"))
            for found in foreign_overrides(path.read_text(encoding="utf-8"),
                                           str(path.relative_to(PACKAGE.parent)))]  # fmt: skip


def test_no_private_name_of_another_package_is_imported_or_assigned():
    assert not uses_in(PACKAGE)


def test_no_private_method_of_another_package_is_overridden():
    assert not overrides_in(PACKAGE)


@pytest.mark.parametrize("package", NO_CTYPES)
def test_the_watcher_calls_no_c_library(package):
    assert not uses_in(PACKAGE / package, ctypes_too=True)


def test_the_check_finds_what_it_looks_for():
    text = ("import ctypes\nfrom watchfiles._rust_notify import RustNotify\n"
            "from urllib3 import _collections\nfrom __future__ import annotations\n"
            "def f(response, cache, old):\n"
            "    response._content = b''\n    cache._settings = old._settings\n"
            "    self._mine = 1\n    response.content = b''\n"
            "    setattr(response, '_fp', None)\n    setattr(self, '_own', 1)\n"
            "    setattr(response, 'reason', '')\n")
    assert [u.split(": ")[1] for u in private_uses(text, "sample", ctypes_too=True)] == [
        "ctypes", "watchfiles._rust_notify", "watchfiles._rust_notify.RustNotify",
        "urllib3._collections", "response._content", "cache._settings", "response._fp"]  # fmt: skip
    assert "ctypes" not in str(private_uses(text, "sample"))


def test_the_override_check_finds_what_it_looks_for():
    text = ("import io\nfrom collections.abc import Sequence\n"
            "def make():\n    import subprocess\n"
            "    class Child(subprocess.Popen):\n"
            "        def _execute_child(self, *args): ...\n"
            "        def __init__(self, *args): ...\n"
            "        def _mine(self): ...\n"
            "class Raw(io.RawIOBase):\n    _checkClosed = None\n    def _page(self): ...\n"
            "class Items(Sequence[int]):\n    def _lines(self): ...\n"
            "class Local(Raw):\n    def _checkClosed(self): ...\n")
    assert [u.split(": ")[1] for u in foreign_overrides(text, "sample")] == [
        "subprocess.Popen._execute_child", "io.RawIOBase._checkClosed"]
