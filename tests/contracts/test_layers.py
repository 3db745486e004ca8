"""The library's import layering, read from the source (every import statement, those inside
functions too: a lazy import is a dependency all the same).

- Nothing under ``mediakeeper/`` imports ``utilities/``, and only the command line (the
  ``front`` layer: ``cli/``, a kind's ``cli.py``) imports click: the library is usable
  without it, and only the command line turns errors into exit codes.
- Each module belongs to one layer; a module imports its own layer and those below, never
  one above. A new module is placed in ``LAYERS`` (the test says so when one is not).
"""

from __future__ import annotations

import ast
from fnmatch import fnmatchcase
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mediakeeper"
FORBIDDEN = ("utilities", "click")

# Lowest first. A pattern names a package of ``mediakeeper`` (``"queue"``: the package and
# every module in it; ``""``: ``mediakeeper/__init__.py``), or, starting with ``*.``, a module
# of that name in any package (``*.cli``: a kind's command-line part), which wins over its
# package's layer. The flat names below the packages are the layout before the house move
# (issue 37), kept until the move has landed.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "vocabulary",  # no state, no files of the data home: words, errors, settings, kinds
        (
            *("", "core", "text", "*.kind"),
            *("errors", "fsnames", "interrupts", "jsonfmt", "kinds", "linux", "processes"),
            *("textfold", "textwidth", "textcut", "wording", "slug", "commands", "config"),
            *("findings", "matching", "write_errors"),
        ),
    ),
    (
        "files",  # the system, writing a file safely, tags, media, rendering a template
        (
            *("system", "fs", "tags", "media"),
            *("atomic", "folderlinks", "fingerprints", "fileattrs", "filechecks", "spares"),
            *("safewrite", "reports.render"),
        ),
    ),
    ("services", ("lookup",)),
    (
        "engine",  # queues, sessions, the batch runner, what a batch takes (kind-free)
        (
            *("queue", "batch"),
            *("queue_*", "sessions", "workers", "item_progress", "batch_report", "workfile"),
            *("manager", "listing", "runs", "selection", "session_commands", "reach"),
        ),
    ),
    ("kinds", ("music", "movies", "conversions")),  # one package per kind
    ("kinds", ("audiobooks", "pipelines")),
    ("reports", ("reports",)),
    ("front", ("cli", "*.cli", "demo", "__main__")),  # the command line, the demo
)
# Only these layers may import click (and nothing imports utilities/).
COMMAND_LINE = ("front",)


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


def _matches(module: str, pattern: str) -> bool:
    if "*" in pattern:
        return fnmatchcase(module, pattern)
    return module == pattern or (pattern != "" and module.startswith(pattern + "."))


def layer_of(module: str) -> int | None:
    for any_package in (True, False):  # "*.cli" before "music"
        for n, (_, patterns) in enumerate(LAYERS):
            if any(_matches(module, p) for p in patterns if p.startswith("*.") == any_package):
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
            top = name.split(".")[0]
            if top in FORBIDDEN and (top == "utilities" or LAYERS[mine][0] not in COMMAND_LINE):
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
    """The rule catches what it should: a vocabulary module importing the engine, the engine
    importing click, a relative import upward, the command line importing utilities/; and
    lets a kind's command-line part (``music/cli.py``) import click."""
    fake = tmp_path / "mediakeeper"
    for package in ("music", "queue", "core", "cli"):
        (fake / package).mkdir(parents=True)
        (fake / package / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "core" / "words.py").write_text(
        "def f():\n    from mediakeeper.queue.store import QueueStore\n"
    )
    (fake / "queue" / "store.py").write_text("import click\nfrom ..music import job\n")
    (fake / "music" / "job.py").write_text("from ..queue.store import QueueStore\n")
    (fake / "music" / "cli.py").write_text("import click\nfrom mediakeeper.music import job\n")
    (fake / "cli" / "main.py").write_text("import click\nimport utilities.process_music_batch\n")
    (fake / "newthing.py").write_text("")
    found = {(a, b) for a, b, _ in layering_violations(fake)}
    assert found == {
        ("core.words", "queue.store"),
        ("queue.store", "click"),
        ("queue.store", "music"),
        ("queue.store", "music.job"),
        ("cli.main", "utilities.process_music_batch"),
        ("newthing", ""),
    }
