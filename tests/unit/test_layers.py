"""The library's import layering, read from the source (every import statement, those inside
functions too: a lazy import is a dependency all the same).

- Nothing under ``mediakeeper/`` imports ``utilities/`` or click: the library is usable
  without the command line, and only the scripts turn errors into exit codes.
- Each module belongs to one layer; a module imports its own layer and those below, never
  one above. A new module is placed in ``LAYERS`` (the test says so when one is not).
"""

from __future__ import annotations

import ast
from fnmatch import fnmatchcase
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mediakeeper"
FORBIDDEN = ("utilities", "click")

# Lowest first. Patterns name modules without the "mediakeeper." prefix ("" = the package).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "vocabulary",  # no state, no files of the data home: words, errors, settings, kinds
        (
            "",
            "errors",
            "fsnames",
            "interrupts",
            "jsonfmt",
            "kinds",
            "linux",
            "processes",
            "textfold",
            "textwidth",
            "textcut",
            "wording",
            "slug",
            "commands",
            "config",
            "findings",
            "decisions",
            "matching",
            "write_errors",
        ),
    ),
    (
        "files",  # writing a file safely, reading and writing tags, rendering a template
        (
            "atomic",
            "folderlinks",
            "fingerprints",
            "fileattrs",
            "filechecks",
            "spares",
            "safewrite",
            "tags",
            "tags.*",
            "media",
            "media.*",
            "placements",
            "reports.render",
        ),
    ),
    ("services", ("lookup", "lookup.*")),
    (
        "engine",  # queues, sessions, the batch runner, what a batch takes (kind-free)
        (
            "queue",
            "queue_*",
            "queue.*",
            "sessions",
            "workers",
            "item_progress",
            "batch",
            "batch_report",
            "workfile",
            "manager",
            "listing",
            "runs",
            "selection",
            "session_commands",
            "reach",
            "dismissals",
            "staged",
        ),
    ),
    (
        "kinds",  # one package per kind: its job, rules and outputs
        ("music", "music.*", "movies", "movies.*", "conversions", "conversions.*"),
    ),
    ("kinds", ("audiobooks", "audiobooks.*", "pipelines", "pipelines.*", "verify", "verify.*")),
    ("reports", ("reports", "reports.*")),
    ("front", ("demo", "decide", "undone")),
)

def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path = PACKAGE) -> set[str]:
    """Every module ``path`` imports, absolute (relative imports resolved), with
    ``from x import y`` counted as ``x.y`` too (kept when that is a module of ours)."""
    own = module_name(path, root)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = ["mediakeeper", *filter(None, package.split("."))]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *filter(None, [base])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def ours(name: str, package: Path = PACKAGE) -> str | None:
    """``mediakeeper.x.y`` -> ``x.y`` when that is a module or package of ours."""
    if name != "mediakeeper" and not name.startswith("mediakeeper."):
        return None
    rest = name.removeprefix("mediakeeper").removeprefix(".")
    as_path = package.joinpath(*rest.split(".")) if rest else package
    if as_path.with_suffix(".py").is_file() or (as_path / "__init__.py").is_file():
        return rest
    return None


def layer_of(module: str) -> int | None:
    for n, (_, patterns) in enumerate(LAYERS):
        if any(fnmatchcase(module, pattern) for pattern in patterns):
            return n
    return None


def modules(package: Path) -> dict[str, Path]:
    return {module_name(p, package): p for p in sorted(package.rglob("*.py"))}


def layering_violations(package: Path = PACKAGE) -> list[tuple[str, str, str]]:
    """(importer, imported, why) for every import against the rules."""
    found = []
    for module, path in modules(package).items():
        mine = layer_of(module)
        if mine is None:
            found.append((module, "", "is in no layer: add it to LAYERS in this test"))
            continue
        for name in sorted(imports_of(path, package)):
            if name.split(".")[0] in FORBIDDEN:
                found.append((module, name, "the library never imports the command line"))
                continue
            target = ours(name, package)
            if target is None or target == module:
                continue
            theirs = layer_of(target)
            if theirs is not None and theirs > mine:
                why = f"{LAYERS[mine][0]} (layer {mine}) imports {LAYERS[theirs][0]} ({theirs})"
                found.append((module, target, why))
    return found


def test_the_library_imports_no_command_line_and_no_higher_layer():
    problems = [
        f"mediakeeper.{module} imports {target or '-'}: {why}"
        for module, target, why in layering_violations()
    ]
    assert problems == [], "\n".join(problems)


def test_the_checker_sees_a_violation(tmp_path):
    """The rule catches what it should: a vocabulary module importing the engine, one
    importing click, a relative import upward."""
    fake = tmp_path / "mediakeeper"
    (fake / "music").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "music" / "__init__.py").write_text("")
    (fake / "wording.py").write_text("def f():\n    from mediakeeper.queue import QueueStore\n")
    (fake / "queue.py").write_text("import click\nfrom .music import job\n")
    (fake / "music" / "job.py").write_text("from ..queue import QueueStore\n")
    (fake / "newthing.py").write_text("")
    found = {(a, b) for a, b, _ in layering_violations(fake)}
    assert found == {
        ("wording", "queue"),
        ("queue", "click"),
        ("queue", "music"),
        ("queue", "music.job"),
        ("newthing", ""),
    }
