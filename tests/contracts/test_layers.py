"""The library's import layering, read from the source (every import statement, those inside
functions too: a lazy import is a dependency all the same).

- Nothing under ``mediakeeper/`` imports ``utilities/``, and only the command line (the
  ``front`` layer: ``cli/``, the demo, the web app) imports click: the library is usable
  without it, and only the command line turns errors into exit codes.
- Each module belongs to one layer; a module imports its own layer and those below, never
  one above. A new module is placed in ``LAYERS`` (the test says so when one is not).
- A user's file is changed through ``changes/`` (the journal, the writes, the bytes kept for
  undo, the moves, undo itself), below the kinds: the layers above the kinds never import
  a kind's module that changes a file (``WRITES``), they call ``changes`` themselves.
"""

from __future__ import annotations

import ast
from fnmatch import fnmatchcase
from pathlib import Path

from mediakeeper.core.kinds import KINDS

PACKAGE = Path(__file__).resolve().parents[2] / "mediakeeper"
FORBIDDEN = ("utilities", "click")

# Lowest first. A pattern names a package of ``mediakeeper`` (``"queue"``: the package and
# every module in it; ``""``: ``mediakeeper/__init__.py``), or, starting with ``*.``, a module
# of that name in any package, which wins over its package's layer. A kind's record
# (``music/kind.py``) is its package's: the registry finds it through entry points.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vocabulary", ("", "core", "text")),  # words, errors, settings, the kinds' registry
    ("files", ("system", "fs", "tags", "media")),  # the system, files, tags, ffmpeg
    ("services", ("lookup",)),  # web services
    # a user's file changed: the change journal, the planned and carried-out writes, the
    # original bytes, set-aside moves, undo (every kind's and every face's, none's own)
    ("changes", ("changes",)),
    ("engine", ("queue", "batch")),  # queues, sessions, the batch runner (kind-free)
    # every registered kind's package (a kind added to the registry is placed here), and the
    # pipelines, whose kinds are made at run time
    ("kinds", ("pipelines", *(k.package.removeprefix("mediakeeper.") for k in KINDS.values()))),
    ("reports", ("reports",)),
    ("decisions", ("decisions",)),  # a person's choices taken, and sessions undone
    # what a face starts, composed from every layer: one batch; the watcher and the scrub,
    # which start batches
    ("runs", ("runs", "watch")),
    # the command line, the demo, the web app (``serve``)
    ("front", ("cli", "demo", "__main__", "web")),
)
# The packages of the kinds' layer, which never import each other: what two kinds share
# belongs a layer down (media/albums.py, fs/workdir.check_space).
SIBLINGS = ("kinds",)
# Only these layers may import click (and nothing imports utilities/).
COMMAND_LINE = ("front",)
# What changes a user's file: a kind's module importing one of these writes files (its job's
# fixes); the decisions and the reports (undo is a decision's) never import such a module,
# they write through ``changes`` themselves (``changes.change``, the plain record of a
# change, writes nothing). A kind's batch (``runs``) and command line run its job: they may.
THROUGH_CHANGES = ("reports", "decisions")
WRITES = ("changes.journal", "changes.writes", "changes.originals", "changes.moves",
          "changes.swaps", "changes.undo", "tags.writing", "fs.safewrite")  # fmt: skip


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


def _package(module: str) -> str:
    return module.split(".")[0]


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
            apart = _package(target) != _package(module)
            if theirs == mine and LAYERS[mine][0] in SIBLINGS and apart:
                found.append((module, target, f"{LAYERS[mine][0]} never import each other"))
            elif theirs is not None and theirs > mine:
                why = f"{LAYERS[mine][0]} (layer {mine}) imports {LAYERS[theirs][0]} ({theirs})"
                found.append((module, target, why))
    return found


def writes_reached_through_a_kind(package: Path = PACKAGE) -> list[tuple[str, str, str]]:
    """(importer, kind's module, what it writes through) for every module of the layers
    ``THROUGH_CHANGES`` that imports a module of a kind's package that changes a user's file
    (imports one of ``WRITES``, itself or through the modules of its package it imports): a
    decision, a report or an undo changes files through ``changes``."""
    kinds = next(n for n, (name, _) in enumerate(LAYERS) if name in SIBLINGS)
    everything = modules(package)
    graph = {m: {t for n in imports_of(p, package) if (t := ours(n, package))}
             for m, p in everything.items()}  # fmt: skip
    found = []
    for module in everything:
        mine = layer_of(module)
        if mine is None or LAYERS[mine][0] not in THROUGH_CHANGES:
            continue
        for target in sorted(graph[module]):
            if layer_of(target) != kinds:
                continue
            own = {m for m in _reachable(graph, target) if _package(m) == _package(target)}
            what = sorted(w for m in own for w in graph.get(m, ())
                          if any(_matches(w, p) for p in WRITES))  # fmt: skip
            if what:
                found.append((module, target, what[0]))
    return found



def fake_package(tmp_path: Path, *packages: str) -> Path:
    """An empty ``mediakeeper`` package holding empty ``packages``, for a test to write the
    imports it checks into."""
    fake = tmp_path / "mediakeeper"
    for name in packages:
        (fake / name).mkdir(parents=True)
        (fake / name / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    return fake

def test_nothing_above_the_kinds_changes_a_file_through_a_kind(tmp_path):
    problems = [
        f"mediakeeper.{module} imports {target}, which writes through {what}: use "
        "mediakeeper.changes directly"
        for module, target, what in writes_reached_through_a_kind()
    ]
    assert problems == [], "\n".join(problems)
    fake = fake_package(tmp_path, "music", "changes", "decisions", "reports")
    (fake / "changes" / "writes.py").write_text("def apply_changes(): ...\n")
    (fake / "changes" / "change.py").write_text("class TagChange: ...\n")
    (fake / "music" / "fixes.py").write_text("from ..changes.writes import apply_changes\n")
    (fake / "music" / "rule_base.py").write_text("from ..changes.change import TagChange\n")
    (fake / "decisions" / "item.py").write_text(
        "from mediakeeper.music.fixes import apply_changes\n"
        "from mediakeeper.music.rule_base import TagChange\n"
        "from mediakeeper.changes.writes import apply_changes\n"
    )
    assert writes_reached_through_a_kind(fake) == [
        ("decisions.item", "music.fixes", "changes.writes")
    ]


def kinds_named_in(folder: Path) -> list[tuple[str, int, str]]:
    """(file, line, kind) for each string in ``folder``'s code, docstrings aside, that is the
    name of a registered kind."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body and isinstance(node.body[0], ast.Expr)
        }  # fmt: skip
        found += [
            (path.name, node.lineno, node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in KINDS
            and id(node) not in docstrings
        ]  # fmt: skip
    return found


def test_core_names_no_kind(tmp_path):
    """What a kind is lives in its record; core reads the records and names none of them."""
    assert kinds_named_in(PACKAGE / "core") == []
    fake = fake_package(tmp_path, "core")
    (fake / "core" / "codes.py").write_text('"""About music."""\nKIND = "music"\n')
    assert kinds_named_in(fake / "core") == [("codes.py", 2, "music")]


def test_the_library_imports_no_command_line_and_no_higher_layer():
    problems = [
        f"mediakeeper.{module} imports {target or '-'}: {why}"
        for module, target, why in layering_violations()
    ]
    assert problems == [], "\n".join(problems)


def test_the_checker_sees_a_violation(tmp_path):
    """The rule catches what it should: a vocabulary module importing the engine, the engine
    importing click, a relative import upward, the command line importing utilities/, one
    kind importing another, a kind importing click; and lets the command line
    (``cli/music_commands.py``) import click and a kind."""
    fake = fake_package(tmp_path, "music", "movies", "queue", "core", "cli")
    (fake / "core" / "words.py").write_text(
        "def f():\n    from mediakeeper.queue.store import QueueStore\n"
    )
    (fake / "queue" / "store.py").write_text("import click\nfrom ..music import job\n")
    (fake / "music" / "job.py").write_text("from ..queue.store import QueueStore\n")
    (fake / "music" / "cli.py").write_text("import click\n")
    (fake / "cli" / "music_commands.py").write_text(
        "import click\nfrom mediakeeper.music import job\n"
    )
    (fake / "cli" / "main.py").write_text("import click\nimport utilities.process_music_batch\n")
    (fake / "movies" / "job.py").write_text("from mediakeeper.music.job import MusicJob\n")
    (fake / "newthing.py").write_text("")
    found = {(a, b) for a, b, _ in layering_violations(fake)}
    assert found == {
        ("core.words", "queue.store"),
        ("queue.store", "click"),
        ("music.cli", "click"),
        ("queue.store", "music"),
        ("queue.store", "music.job"),
        ("cli.main", "utilities.process_music_batch"),
        ("movies.job", "music.job"),
        ("newthing", ""),
    }


def import_cycles(package: Path = PACKAGE) -> list[list[str]]:
    """Every set of modules that import each other, directly or round about (imports under
    ``TYPE_CHECKING`` and inside functions count: a cycle for the type checker is one for a
    reader too)."""
    graph = {
        module: {t for name in imports_of(path, package) if (t := ours(name, package))} - {module}
        for module, path in modules(package).items()
    }
    cycles, done = [], set()
    for start in graph:  # each module's component: those it reaches that reach it back
        if start in done:
            continue
        reach = _reachable(graph, start)
        component = sorted(m for m in reach if start in _reachable(graph, m))
        done.update(component)
        if len(component) > 1:
            cycles.append(component)
    return cycles


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_no_import_cycle_not_even_a_type_only_one(tmp_path):
    assert import_cycles() == []
    fake = fake_package(tmp_path, "batch")
    (fake / "batch" / "runner.py").write_text("from mediakeeper.batch.report import Outcome\n")
    (fake / "batch" / "report.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from mediakeeper.batch.runner import ItemResult\n"
    )
    assert import_cycles(fake) == [["batch.report", "batch.runner"]]


def package_loops(package: Path = PACKAGE) -> list[tuple[str, str, str, str]]:
    """Pairs of packages that import each other, with one import each way: (a, b, a's
    module -> b's, b's module -> a's). Modules may form no cycle; packages neither."""
    edges: dict[tuple[str, str], str] = {}
    for module, path in modules(package).items():
        mine = module.split(".")[0]
        for name in imports_of(path, package):
            theirs = ours(name, package)
            if theirs is not None and (other := theirs.split(".")[0]) != mine:
                edges.setdefault((mine, other), f"{module} -> {theirs}")
    return sorted(
        (a, b, why, edges[(b, a)]) for (a, b), why in edges.items() if a < b and (b, a) in edges
    )


def test_no_two_packages_import_each_other(tmp_path):
    assert package_loops() == []
    fake = fake_package(tmp_path, "queue", "batch")
    (fake / "queue" / "manager.py").write_text("from mediakeeper.batch.log import x\n")
    (fake / "batch" / "log.py").write_text("x = 1\n")
    (fake / "batch" / "runner.py").write_text("from mediakeeper.queue.manager import y\n")
    assert package_loops(fake) == [
        ("batch", "queue", "batch.runner -> queue.manager", "queue.manager -> batch.log")
    ]


def missing_imports(package: Path = PACKAGE) -> list[tuple[str, str]]:
    """(module, what it imports) for every ``import mediakeeper.x`` or ``from mediakeeper.x
    import ...`` whose module ``x`` does not exist: a move that left an importer behind
    fails only when that importer runs, which a test may never do."""
    found = []
    for module, path in modules(package).items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not
                node.level else [])  # fmt: skip
            for name in names:
                if name.startswith("mediakeeper.") and ours(name, package) is None:
                    found.append((module, name))
    return found


def test_every_import_of_ours_names_a_module_that_exists():
    assert missing_imports() == []
