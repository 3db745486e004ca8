"""Only the public APIs of other libraries (issue 72, point 4): no module imports a
``_private`` name of another package, nor reaches the C library through ``ctypes`` (a
minor release of a dependency, or another libc, breaks either). Read from the source, every
import statement, those inside functions too. Checked for the packages listed: the watcher's
now; each package joins the list once its own private uses are gone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mediakeeper"
CHECKED = ("watch",)


def private_uses(source: str, where: str) -> list[str]:
    """Each import of another package's private module or name, or of ctypes, in the module
    ``source`` (``where``: its name in the lines said)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            base = node.module or ""
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            if name.startswith("mediakeeper"):
                continue
            parts = name.split(".")
            if parts[0] == "ctypes" or any(p.startswith("_") and p != "__future__" for p in parts):
                found.append(f"{where}:{node.lineno}: {name}")
    return found


@pytest.mark.parametrize("package", CHECKED)
def test_no_private_name_of_another_package_is_imported(package):
    uses = [use for path in sorted((PACKAGE / package).rglob("*.py"))
            for use in private_uses(path.read_text(encoding="utf-8"),
                                    str(path.relative_to(PACKAGE.parent)))]  # fmt: skip
    assert not uses


def test_the_check_finds_what_it_looks_for():
    text = ("import ctypes\nfrom watchfiles._rust_notify import RustNotify\n"
            "from urllib3 import _collections\nfrom __future__ import annotations\n")
    assert [u.split(": ")[1] for u in private_uses(text, "sample")] == [
        "ctypes", "watchfiles._rust_notify", "watchfiles._rust_notify.RustNotify",
        "urllib3._collections"]  # fmt: skip
