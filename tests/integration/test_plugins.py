"""Plugins from other installed packages (docs/plugins.md): real packages under tests/plugins/,
built and installed by pip, add a pipeline step (``mediakeeper.processors``) and a music
finding rule (``mediakeeper.rules``) through entry points. The step runs in a pipeline on real
audio, the rule in a real music batch, its namespaced code in every report; a package of
broken plugins beside the good one is named line by line and stops nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mutagen
import pytest

from mediakeeper.core import plugins
from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg, replaygain
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.slug import slugify
from tests.helpers import step, write_pipeline

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ROOT / "tests" / "plugins"
EXAMPLE = "plugin: mediakeeper-example-plugin 0.1.0"
CODE = "shouting:all-caps-title"
SET_TITLE = (
    "would set title of '2001 - Loud/01 - Hello World.flac': 'HELLO WORLD' -> 'Hello World'"
)
BROKEN_PACKAGE = "mediakeeper-broken-plugin"
BROKEN = {  # entry point -> what its warning line says
    "'convert' of mediakeeper.processors": "a built-in has that name",
    "'explodes' of mediakeeper.processors": "cannot be imported: ImportError: this plugin "
    "needs a library that is not installed",
    "'not-a-step' of mediakeeper.processors": "names a str, not a "
    "mediakeeper.pipelines.steps.registry.Processor",
    "'not-a-rule' of mediakeeper.rules": "names a function, not a "
    "mediakeeper.core.rule_plugins.RulePlugin",
    "'bad-codes' of mediakeeper.rules": "its code 'odd' must be kebab-case with (severity, "
    "meaning), a severity one of error, warning, info",
}
RULES_BROKEN = [f"Warning: plugin {which} (package {BROKEN_PACKAGE}) left out: {why}"
                for which, why in BROKEN.items() if "rules" in which]  # fmt: skip


def install(target: Path, *packages: str) -> Path:
    """pip builds each package of tests/plugins/ (from a copy: a build writes into its
    folder) and installs it, entry points and all, into ``target``."""
    sources = []
    for name in packages:
        sources.append(shutil.copytree(PLUGINS / name, target.parent / f"src-{name}"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(target), *map(str, sources)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return target


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return install(tmp_path_factory.mktemp("good") / "site", "example")


@pytest.fixture(scope="module")
def with_broken(tmp_path_factory) -> Path:
    return install(tmp_path_factory.mktemp("broken") / "site", "example", "broken")


@pytest.fixture(scope="module")
def exe() -> str:
    return ffmpeg.find()


def plugin_env(site: Path | None) -> dict[str, str]:
    """The environment of a script run with the packages installed in ``site`` importable
    (None: none), as the environment's Python finds them: importlib.metadata reads their
    *.dist-info there."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MEDIAKEEPER_HOME")}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (site, ROOT) if p)
    return env


def run(site: Path | None, script: str, *args, cwd: Path,
        timeout: float = 300) -> subprocess.CompletedProcess:  # fmt: skip
    """A script of utilities/ with the packages installed in ``site`` importable."""
    return subprocess.run([sys.executable, str(ROOT / "utilities" / script), *map(str, args)],
                          cwd=cwd, env=plugin_env(site), capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def pipeline_file(tmp_path: Path, exe: str) -> Path:
    for n in (1, 2):
        synth.tone(exe, tmp_path / "lib" / "Artist" / "One" / f"0{n}.flac", 1.0,
                   frequency=300 * n)  # fmt: skip
    return write_pipeline(tmp_path / "mono.yaml", step("to-mono", "downmix"),
                          step("loudness", "replaygain"), input=tmp_path / "lib",
                          output=tmp_path / "out")  # fmt: skip


def warnings_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Warning: plugin ")]


def test_a_plugin_step_is_listed_validated_and_run_on_real_audio(tmp_path, good, exe):
    pipeline = pipeline_file(tmp_path, exe)
    # Without the package the step does not exist: the file is refused.
    alone = run(None, "pipeline.py", "validate", pipeline, cwd=tmp_path)
    assert alone.returncode == 2
    assert "step 1 (to-mono): processor: no processor 'downmix'" in alone.stderr

    valid = run(good, "pipeline.py", "validate", pipeline, cwd=tmp_path)
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.splitlines()[1:] == [
        f"  step 1 to-mono: downmix ({EXAMPLE})",
        "  step 2 loudness: replaygain (built-in)",
    ]
    listed = run(good, "pipeline.py", "list", cwd=tmp_path)
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines() if line[:2] == "  "}
    assert f" {EXAMPLE} " in rows["downmix"] and "fewer channels" in rows["downmix"]
    assert " built-in " in rows["convert"]
    assert f" {EXAMPLE} " in rows["shouting"] and rows["shouting"].endswith(CODE)

    ran = run(good, "pipeline.py", "run", pipeline, "--home", tmp_path / "home", cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    album = tmp_path / "out" / "Artist" / "One"
    assert sorted(os.listdir(album)) == ["01.flac", "02.flac"]
    for name in ("01.flac", "02.flac"):
        assert mutagen.File(tmp_path / "lib" / "Artist" / "One" / name).info.channels == 2
        assert mutagen.File(album / name).info.channels == 1  # the plugin's work
        assert replaygain.read(album / name)  # the built-in step after it read its outputs
        assert abs(ffmpeg.decoded_length(exe, album / name) - 1.0) < 0.05


def shouty_library(music_library, root: Path) -> Path:
    common = {"artist": "Shouty", "albumartist": "Shouty", "album": "Loud", "date": "2001"}
    return music_library(root, {
        "Shouty/2001 - Loud/01 - Hello World.flac": {"tags": {
            **common, "title": "HELLO WORLD", "tracknumber": "1"}},
        "Shouty/2001 - Loud/02 - Quiet.flac": {"tags": {
            **common, "title": "Quiet", "tracknumber": "2"}},
    })  # fmt: skip


def test_a_plugin_rule_reports_in_a_music_batch_like_the_built_ins(
    tmp_path, good, music_library, library_tags
):
    lib = shouty_library(music_library, tmp_path / "Music")
    home = tmp_path / "home"
    batch = ("process_music_batch.py", "--home", home, "--library", lib)
    alone = run(None, *batch, "--dry-run", cwd=tmp_path)
    assert alone.returncode == 0 and CODE not in alone.stdout, alone.stdout + alone.stderr
    dry = run(good, *batch, "--dry-run", cwd=tmp_path)
    assert SET_TITLE in dry.stdout

    found = run(good, *batch, "--no-fix", cwd=tmp_path)
    # Its open warning is a decision, as a built-in's: exit 1 (issue 36's one definition).
    assert found.returncode == 1 and "needs you: 1 decision" in found.stdout, found.stdout
    [item] = QueueStore(home / "status" / "music", "music").load()["items"]
    assert item["details"]["finding_counts"][CODE] == [1, 0]
    slug = slugify("Shouty")
    document = json.loads((home / "outputs/music/artists" / f"{slug}.json").read_text("utf-8"))
    [record] = [f for f in document["findings"] if f["code"] == CODE]
    assert (record["severity"], record["path"], record["fixable"]) == (
        "warning", "2001 - Loud/01 - Hello World.flac", True)  # fmt: skip
    report = (home / "issues/music" / f"{slug}.md").read_text("utf-8")
    where = "2001 - Loud/01 - Hello World.flac"
    assert f"- **warning** `{CODE}` — {where}: The title 'HELLO WORLD' is in capitals" in report
    # An open warning of a plugin needs a person, as a built-in's does.
    board = run(good, "media_dashboard.py", "--home", home, cwd=tmp_path).stdout
    assert "1 decision in 1 artist" in board and CODE in board

    run(good, "music_queue_manager.py", "--home", home, "--reset-artist", "Shouty", cwd=tmp_path)
    fixed = run(good, *batch, cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    [item] = QueueStore(home / "status" / "music", "music").load()["items"]
    assert item["details"]["finding_counts"][CODE] == [1, 1]
    titles = {path: tags["title"] for path, tags in library_tags(lib).items()}
    assert titles == {"Shouty/2001 - Loud/01 - Hello World.flac": "Hello World",
                      "Shouty/2001 - Loud/02 - Quiet.flac": "Quiet"}  # fmt: skip


def test_broken_plugins_are_named_one_line_each_and_stop_nothing(
    tmp_path, with_broken, exe, music_library
):
    listed = run(with_broken, "pipeline.py", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr
    said = warnings_of(listed.stderr)
    assert len(said) == len(BROKEN) == len(listed.stderr.splitlines())
    for which, why in BROKEN.items():
        assert f"Warning: plugin {which} (package {BROKEN_PACKAGE}) left out: {why}" in said
    rows = {line.split()[0]: line for line in listed.stdout.splitlines() if line[:2] == "  "}
    assert " built-in " in rows["convert"] and EXAMPLE in rows["downmix"]
    assert EXAMPLE in rows["shouting"] and not {"explodes", "not-a-step", "not-a-rule"} & set(rows)

    pipeline = pipeline_file(tmp_path, exe)
    ran = run(with_broken, "pipeline.py", "run", pipeline, "--home", tmp_path / "home",
              cwd=tmp_path)  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert len(warnings_of(ran.stderr)) == 3  # the processors': a run reads no rules
    assert mutagen.File(tmp_path / "out" / "Artist" / "One" / "01.flac").info.channels == 1

    lib = shouty_library(music_library, tmp_path / "Music")
    music_library(lib, {"Other/2001 - Loud/01 - Hey.flac": {"tags": {
        "artist": "Other", "albumartist": "Other", "album": "Loud", "date": "2001",
        "title": "HEY THERE", "tracknumber": "1"}}})  # fmt: skip
    batch = ("process_music_batch.py", "--home", tmp_path / "home2", "--library", lib)
    dry = run(with_broken, *batch, "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert sorted(warnings_of(dry.stderr)) == sorted(RULES_BROKEN)
    assert SET_TITLE in dry.stdout
    # Two workers: the rules are read before they start, so each broken one is said once.
    ran = run(with_broken, *batch, "--offline", "--workers", 2, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert sorted(warnings_of(ran.stderr)) == sorted(RULES_BROKEN)
    items = QueueStore(tmp_path / "home2" / "status" / "music", "music").load()["items"]
    assert [i["details"]["finding_counts"][CODE] for i in items] == [[1, 1], [1, 1]]


def test_the_loader_keeps_the_good_plugins_and_warns_of_each_bad_one(with_broken, monkeypatch):
    """In this process, the library alone: what the command line shows as Warning lines are
    PluginWarnings; the checks are the caller's (here: any object named like its entry)."""
    monkeypatch.syspath_prepend(str(with_broken))
    with pytest.warns(plugins.PluginWarning) as said:
        found = plugins.load(plugins.PROCESSORS, lambda name, value: None, taken={"convert"})
    assert [(p.name, p.package, p.version) for p in found] == [
        ("downmix", "mediakeeper-example-plugin", "0.1.0"),
        ("not-a-step", BROKEN_PACKAGE, "0.0.1"),  # this check takes any object
    ]
    assert found[0].value.name == "downmix" and found[1].value == "a string, not a processor"
    assert sorted(str(w.message) for w in said) == [
        f"plugin {which} (package {BROKEN_PACKAGE}) left out: {BROKEN[which]}"
        for which in ("'convert' of mediakeeper.processors", "'explodes' of "
                      "mediakeeper.processors")
    ]  # fmt: skip


def test_the_docs_show_the_example_package_the_tests_install():
    page = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name in ("pyproject.toml", "mk_example/steps.py", "mk_example/rules.py"):
        text = (PLUGINS / "example" / name).read_text(encoding="utf-8")
        assert f"`{name}`:\n\n```" in page and f"\n{text}```" in page, name


@pytest.fixture(scope="module")
def with_kind(tmp_path_factory) -> Path:
    return install(tmp_path_factory.mktemp("kind") / "site", "kind")


def console(site: Path | None, *args, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m mediakeeper ARGS`` with the packages installed in ``site`` importable."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MEDIAKEEPER_HOME")}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (site, ROOT) if p)
    return subprocess.run([sys.executable, "-m", "mediakeeper", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip


def test_an_installed_package_adds_a_kind_with_its_commands_settings_and_codes(
    tmp_path, with_kind
):
    """tests/plugins/kind (``mediakeeper-example-kind``) registers the kind ``sizes`` in the
    ``mediakeeper.kinds`` group, as the built-in kinds do: its queue is made from the
    library, its batch (own option, dry run, job) runs it, its queue manager's own action
    reads it, its setting and its finding code are mediakeeper's like the built-ins'."""
    library, home = tmp_path / "lib", tmp_path / "home"
    for folder, size in (("Big", 3000), ("Small", 10)):
        (library / folder / ".hidden").mkdir(parents=True)
        (library / folder / "data.bin").write_bytes(b"x" * size)
        (library / folder / ".hidden" / "more.bin").write_bytes(b"y" * 5)
    (home).mkdir()
    (home / "mediakeeper.toml").write_text("[sizes]\nsmallest = 100\n", encoding="utf-8")

    alone = console(None, "sizes", "batch", "--home", home, cwd=tmp_path)
    assert alone.returncode == 2 and "No such command 'sizes'" in alone.stderr

    listed = console(with_kind, "--help", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "  sizes " in listed.stdout and "  music " in listed.stdout
    made = console(with_kind, "sizes", "queue", "--home", home, "--init", "--library", library,
                   cwd=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    helped = console(with_kind, "sizes", "batch", "--help", cwd=tmp_path).stdout
    assert "Count the files and bytes" in helped and "--count-hidden" in helped
    assert "--folder NAME" in helped  # worded from its record's noun, as a built-in's
    dry = console(with_kind, "sizes", "batch", "--home", home, "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert dry.stdout.splitlines() == ["Big: would count 1 files, 3000 bytes",
                                       "Small: would count 1 files, 10 bytes",
                                       "dry run: 2 folders; nothing was written"]  # fmt: skip

    ran = console(with_kind, "sizes", "batch", "--home", home, "--count-hidden", cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr  # an info finding asks nothing
    items = {i["name"]: i for i in QueueStore(home / "status" / "sizes", "sizes").load()["items"]}
    assert {n: (i["status"], i["details"]["files"], i["details"]["bytes"])
            for n, i in items.items()} == {"Big": ("completed", 2, 3005),
                                           "Small": ("completed", 2, 15)}  # fmt: skip
    small = items["Small"]["details"]["findings"]
    assert [(f["code"], f["severity"]) for f in small] == [("small-folder", "info")]
    largest = console(with_kind, "sizes", "queue", "--home", home, "--largest", cwd=tmp_path)
    assert largest.returncode == 0, largest.stderr
    assert largest.stdout.splitlines() == ["Big: 3005 bytes", "Small: 15 bytes"]
    as_command = console(with_kind, "sizes", "queue", "largest", "--home", home, cwd=tmp_path)
    assert as_command.stdout == largest.stdout


def test_the_docs_show_the_example_kind_the_tests_install():
    page = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name in ("pyproject.toml", "mk_sizes/kind.py", "mk_sizes/batch.py", "mk_sizes/job.py"):
        text = (PLUGINS / "kind" / name).read_text(encoding="utf-8")
        assert f"`{name}`:\n\n```" in page and f"\n{text}```" in page, name


UNUSABLE_KINDS = "mediakeeper-unusable-kinds"
KINDS_LEFT_OUT = [  # tests/plugins/unusable_kinds: each kind's one line, sorted
    f"Warning: plugin {which} of mediakeeper.kinds (package {UNUSABLE_KINDS}) left out: {why}"
    for which, why in (
        ("'explodes'", "cannot be imported: ImportError: this kind needs a library that is "
                       "not installed"),
        ("'music'", "a built-in has that name"),
        ("'not-a-kind'", "names a dict, not a mediakeeper Kind"),
        ("'sizes'", "the plugin of package mediakeeper-example-kind has that name"),
    )
]  # fmt: skip


@pytest.fixture(scope="module")
def with_unusable_kinds(tmp_path_factory) -> Path:
    return install(tmp_path_factory.mktemp("unusable") / "site", "kind", "unusable_kinds")


def test_broken_kinds_are_named_one_line_each_as_every_command_starts(
    tmp_path, with_unusable_kinds
):
    """Kinds are read as a command starts, before the command is there to word a warning:
    each broken one is still one ``Warning: plugin ...`` line, never Python's two (the
    toolkit's file and line, then its source), in the console command and in a script; the
    command runs, and another package's good kind of a taken name stays."""
    said = console(with_unusable_kinds, "--help", cwd=tmp_path)
    assert said.returncode == 0, said.stderr
    assert sorted(said.stderr.splitlines()) == KINDS_LEFT_OUT
    assert "  sizes " in said.stdout and "  music " in said.stdout
    script = run(with_unusable_kinds, "music_queue_manager.py", "--help", cwd=tmp_path)
    assert script.returncode == 0, script.stderr
    assert sorted(script.stderr.splitlines()) == KINDS_LEFT_OUT
    sizes = console(with_unusable_kinds, "sizes", "batch", "--help", cwd=tmp_path)
    assert "Count the files and bytes" in sizes.stdout  # the example's, not the broken one's


def test_a_kind_whose_batch_or_queue_manager_cannot_load_is_refused_in_one_line(
    tmp_path, with_unusable_kinds
):
    """A kind's batch and queue manager are imported when they run (``Kind.plan``,
    ``Kind.actions``): one that fails to import is said in one line naming the kind and its
    package, exit 2, never a traceback; every other command runs."""
    (tmp_path / "home" / "status").mkdir(parents=True)
    for verb, why in (("batch", "its batch cannot be loaded: ModuleNotFoundError: No module "
                                "named 'not_installed_batch_library'"),
                      ("queue", "its queue manager cannot be loaded: RuntimeError: its queue "
                                "manager's actions fail to load")):  # fmt: skip
        done = console(with_unusable_kinds, "unloadable", verb, "--home", tmp_path / "home",
                       cwd=tmp_path)  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        assert done.stderr.splitlines()[-1] == (
            f"Error: the kind 'unloadable' (package mk_unusable_kinds): {why}; install its "
            "package again, or uninstall it"
        ), done.stderr
    other = console(with_unusable_kinds, "music", "queue", "--home", tmp_path / "home",
                    "summary", cwd=tmp_path)  # fmt: skip
    assert "Traceback" not in other.stderr, other.stderr


def test_the_entry_points_are_read_as_importlib_metadata_reads_them(tmp_path, with_broken):
    """Every process reads the kinds' group, so the entry point files are read without
    importing importlib.metadata (``plugins._declared``): the same entry points, of the same
    packages and versions, as importlib.metadata finds, for each group; with plugins
    installed beside mediakeeper and without."""
    code = """if True:
        import sys
        from mediakeeper.core import plugins
        assert "importlib.metadata" not in sys.modules
        mine = {g: sorted(plugins._declared(g)) for g in GROUPS}
        assert "importlib.metadata" not in sys.modules
        from importlib import metadata
        theirs = {g: sorted((e.name, e.value, e.dist.name, e.dist.version)
                            for e in metadata.entry_points(group=g)) for g in GROUPS}
        assert mine == theirs, (mine, theirs)
        print(sum(map(len, mine.values())))
    """.replace("GROUPS", repr((plugins.KINDS, plugins.RULES, plugins.PROCESSORS)))
    counts = []
    for site in (None, with_broken):
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (site, ROOT) if p)
        done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        counts.append(int(done.stdout))
    assert counts[0] == 6 and counts[1] > 6  # mediakeeper's kinds; and the plugins' too
