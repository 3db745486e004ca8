"""The kinds' records: every per-kind fact the toolkit uses is read from them, and each one
points at things that exist."""

from __future__ import annotations

import importlib
import subprocess
import sys

from mediakeeper.cli import batch as batch_command
from mediakeeper.cli.batch import BatchSpec
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
    # each kind's two scripts in utilities/ run its two commands
    scripts = {p.read_text().split("main = ", 1)[-1].split("\n", 1)[0]
               for p in (REPO_ROOT / "utilities").glob("*.py")}  # fmt: skip
    for kind in kinds.KINDS.values():
        for verb in ("batch", "queue"):
            assert f'command_of("{kind.name}", "{verb}")' in scripts, (kind.name, verb)
        assert callable(getattr(kind.job_factory(), "process", None)), kind.job
        assert kind.batch_plan() is importlib.import_module(f"{kind.package}.batch").PLAN
        assert (TEMPLATES / kind.report_template).is_file()
        assert kind.output_dir is None or kind.output_dir[:2] == ("outputs", kind.name)
    assert tuple(kinds.KINDS) == records.KIND_ORDER
    assert set(records.OUTPUT_DIRS) <= set(kinds.KINDS)


def test_a_kind_s_batch_command_is_built_from_the_spec_in_its_package():
    """Each batch command is ``build_batch(kind)``: what the kind's batch command adds is
    ``BATCH`` in ``cli/kinds/<kind>.py``, and the built command has exactly the kind's own flags
    (its plan's) beside the common ones."""
    for kind in kinds.KINDS.values():
        spec = importlib.import_module(f"mediakeeper.cli.kinds.{kind.name}").BATCH
        assert isinstance(spec, BatchSpec), kind.name
        assert batch_command.spec_of(kind) is spec
        command = command_of(kind.name, "batch")
        names = {p.name for p in command.params}
        assert {kind.noun, "batch_size", "dry_run", "workers"} <= names
        assert {"offline", "enrich"} <= names or spec.offline_help is None
        common = {kind.noun, "home", "batch_size", "resume", "retry_errors", "dry_run",
                  "offline", "enrich", "library", "checkpoint_every", "workers", "quiet",
                  "verbose", "keys_from"}  # fmt: skip
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
    """config reads the records at import, and --help must stay quick: no job, no script;
    only the registry, what a record is, and each kind's record (the packages holding them,
    docstrings only, aside)."""
    code = (
        "import sys, mediakeeper.core.kinds\n"
        "print(sorted(m for m, module in sys.modules.items()\n"
        "             if m.startswith(('mediakeeper.', 'utilities'))\n"
        "             and not hasattr(module, '__path__')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=child_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    records = [f"mediakeeper.{name}.kind" for name in kinds.KINDS]
    wanted = sorted(["mediakeeper.core.kind_record", "mediakeeper.core.kinds", *records])
    assert done.stdout.strip() == str(wanted)
