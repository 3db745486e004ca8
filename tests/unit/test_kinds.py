"""The kinds' records: every per-kind fact the toolkit uses is read from them, and each one
points at things that exist."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

from mediakeeper.cli import batch as batch_command
from mediakeeper.cli.main import command_of
from mediakeeper.core import config, kinds
from mediakeeper.reports import records
from mediakeeper.text.render import TEMPLATES
from tests.helpers import REPO_ROOT


def test_every_kind_has_its_settings_section_its_package_its_job_and_its_template():
    for kind in kinds.KINDS.values():
        assert config.DEFAULTS[kind.name] == kind.setting_defaults()
        assert config.limit_of(kind.name, "checkpoint_every").least == 1
        assert kind.package == f"mediakeeper.{kind.name}"
        assert importlib.import_module(f"{kind.package}.kind").KIND is kind
        # every part it points at is a function of its own package's
        for part in (kind.plan, kind.rewrite, kind.questions):
            assert part is None or part.__module__ == f"{kind.package}.kind", (kind.name, part)
    # each kind's two scripts in utilities/ run its two commands
    scripts = {p.read_text().split("main = ", 1)[-1].split("\n", 1)[0]
               for p in (REPO_ROOT / "utilities").glob("*.py")}  # fmt: skip
    for kind in kinds.KINDS.values():
        for verb in ("batch", "queue"):
            assert f'command_of("{kind.name}", "{verb}")' in scripts, (kind.name, verb)
        plan = kind.batch_plan()
        assert plan is importlib.import_module(f"{kind.package}.batch").PLAN
        assert callable(plan.jobs), kind.name  # its job, made from a run's options
        assert (TEMPLATES / kind.report_template).is_file()
        assert kind.output_dir is None or kind.output_dir[:2] == ("outputs", kind.name)
    assert tuple(kinds.KINDS) == records.KIND_ORDER
    assert set(records.OUTPUT_DIRS) <= set(kinds.KINDS)


def test_a_kind_s_batch_command_is_built_from_the_plan_in_its_package():
    """Each batch command is ``build_batch(kind)``: what the kind's batch command adds is in
    its plan (``<kind>/batch.py``: its --help, its options, its dry run), and the built
    command has exactly the kind's own flags (its plan's) beside the common ones."""
    for kind in kinds.KINDS.values():
        plan = batch_command.plan_of(kind)
        assert plan.help and plan.dry_run is not None, kind.name
        assert {o.name for o in plan.options} == set(plan.flags), kind.name
        command = command_of(kind.name, "batch")
        names = {p.name for p in command.params}
        assert {kind.noun, "batch_size", "dry_run", "workers"} <= names
        assert {"offline", "enrich"} <= names or plan.offline_help is None
        common = {kind.noun, "home", "batch_size", "resume", "retry_errors", "dry_run",
                  "offline", "enrich", "library", "checkpoint_every", "workers", "quiet",
                  "verbose", "keys_from", "scheduler", "as_json"}  # fmt: skip
        assert names - common == set(kind.batch_plan().flags), kind.name
    music = {p.name for p in batch_command.build_batch("music").params}
    assert {"no_fix", "fetch_covers"} <= music and "artwork" not in music
    conversions = {p.name for p in batch_command.build_batch("conversions").params}
    own = {"output", "profile", "archive", "delete_originals", "overwrite", "allow_lossy"}
    assert own | {"resume"} <= conversions and not {"offline", "enrich"} & conversions


def test_a_kind_this_version_does_not_know_is_an_item_one_level_down():
    other = kinds.get("comics")
    assert (other.noun, other.depth, other.extra_counters) == ("item", 1, ())


def test_counters_are_every_kinds_in_a_stable_order():
    """A queue summary and a session summary add up these, for every kind (a movie queue
    keeps its "tracks": 0, as before kinds had records)."""
    assert [c.field for c in kinds.all_counters()] == [
        "track_count",
        "issues_found",
        "issues_resolved",
    ]
    assert kinds.get("music").counts("track_count")
    assert not kinds.get("movies").counts("track_count")


def test_reading_the_kinds_imports_nothing_else_of_the_toolkit(child_env):
    """config reads the records at import, and --help must stay quick: no job, no plan, no
    outputs, no decisions, no script, nor the engine, tags or services they need; only the
    registry, what a record is, each kind's record and the few words they name (a setting's
    check, how an album folder is found), and no third-party package."""
    code = (
        "import sys, mediakeeper.core.kinds\n"
        "print(sorted(m for m in sys.modules if m.startswith(('mediakeeper.', 'utilities',"
        " 'mutagen', 'jinja2', 'click', 'requests', 'pydantic'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=child_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    imported = set(ast.literal_eval(done.stdout))
    records = {f"mediakeeper.{name}.kind" for name in kinds.KINDS}
    assert records <= imported
    packages = {f"mediakeeper.{name}" for name in kinds.KINDS}
    allowed = ("mediakeeper.core.", "mediakeeper.media.albums", "mediakeeper.fs.",
               "mediakeeper.system.", "mediakeeper.text.")  # fmt: skip
    others = {m for m in imported - records - packages if not m.startswith(allowed)}
    assert others <= {"mediakeeper.core", "mediakeeper.media", "mediakeeper.fs",
                      "mediakeeper.system", "mediakeeper.text"}, others  # fmt: skip
    assert not {m for m in imported if m.startswith(("mediakeeper.core.config",
                "mediakeeper.tags", "mediakeeper.text.render"))}  # fmt: skip
