"""The pages a person reads say what the code does: the README's quick start is the Makefile's,
every link and anchor leads somewhere, every command shown is one the scripts accept, and the
reference lists every option and every setting."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from mediakeeper.core.config import DEFAULTS, load_settings

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "status" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SCRIPTS = (
    "process_music_batch",
    "music_queue_manager",
    "undo_changes",
    "decide",
    "process_movie_batch",
    "movie_queue_manager",
    "process_conversion_batch",
    "conversion_queue_manager",
    "process_audiobook_batch",
    "audiobook_queue_manager",
    "process_verify_batch",
    "verify_queue_manager",
    "process_dupes_batch",
    "dupes_queue_manager",
    "weekly_report",
    "media_dashboard",
    "pipeline",
    "sessions",
)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def shell_lines(page: Path) -> list[str]:
    """The commands of a page's ``sh`` blocks, comments and blank lines left out."""
    lines = []
    for lang, body in FENCE.findall(page.read_text(encoding="utf-8")):
        if lang == "sh":
            lines += [c for line in body.splitlines() if (c := line.split("#")[0].strip())]
    return lines


def anchor(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}


def command(script: str) -> click.Command:
    return importlib.import_module(f"utilities.{script}").main


def long_options(cmd: click.Command) -> set[str]:
    """A group's (``pipeline.py``) are its subcommands' too."""
    commands = [cmd, *getattr(cmd, "commands", {}).values()]
    return {
        opt
        for each in commands
        for param in each.params
        if not getattr(param, "hidden", False)
        for opt in (*param.opts, *param.secondary_opts)
        if opt.startswith("--")
    }


def make_targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def test_the_quick_start_is_make_demo_then_make_test_and_both_are_targets():
    quick = section((ROOT / "README.md").read_text(encoding="utf-8"), "## Quick start")
    lang, body = FENCE.findall(quick)[0]
    assert lang == "sh"
    commands = [c for line in body.splitlines() if (c := line.split("#")[0].strip())]
    assert commands == ["make demo", "make test"]
    assert {"demo", "test"} <= make_targets()
    # What tests/integration/test_demo.py runs is what `make demo` runs.
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert recipe and "python -m mediakeeper.demo" in recipe[1]


def test_every_script_is_one_the_pages_know():
    """A new script is a new command: SCRIPTS (and so the reference checks) must name it."""
    commands = {
        p.stem
        for p in (ROOT / "utilities").glob("*.py")
        if isinstance(getattr(importlib.import_module(f"utilities.{p.stem}"), "main", None),
                      click.Command)
    }  # fmt: skip
    # cli_main is the `mediakeeper` group of these same commands, with its own section.
    assert commands - {"cli_main"} == set(SCRIPTS)
    assert "### The mediakeeper command" in (ROOT / "docs" / "reference.md").read_text()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_leads_to_a_file_and_heading_that_exist(page):
    for target in LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        where = str(linked.relative_to(ROOT))
        assert linked.exists(), f"{page.name}: link to a missing file {target}"
        if fragment:
            assert fragment in anchors(linked), f"{page.name}: no heading #{fragment} in {where}"


def test_every_section_the_code_cites_exists():
    cited = re.compile(r"docs/(\w+\.md),\s+\"([^\"]+)\"")
    found = 0
    for folder in ("mediakeeper", "utilities", "tests", "benchmarks"):
        for source in (ROOT / folder).rglob("*.py"):
            for page, heading in cited.findall(source.read_text(encoding="utf-8")):
                found += 1
                assert anchor(heading) in anchors(ROOT / "docs" / page), (
                    f"{source.relative_to(ROOT)} cites a section docs/{page} lacks: {heading}"
                )
    assert found  # the pattern still matches how the code cites


BENCHMARKS = sorted(p for p in (ROOT / "benchmarks").glob("*.py")
                    if 'if __name__ == "__main__":' in p.read_text(encoding="utf-8"))  # fmt: skip


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.name)
def test_every_benchmark_is_listed_in_performance_and_starts(script):
    """A benchmark nobody runs rots unseen (a module it imported moved): each one is in
    the table of docs/performance.md, and imports and answers ``--help``."""
    table = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    assert f"| `{script.name}` |" in table, f"docs/performance.md does not list {script.name}"
    done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, f"{script.name} --help: {done.stderr[-2000:]}"
    assert "usage:" in done.stdout


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_shown_is_one_that_works(page):
    for line in shell_lines(page):
        words = line.split()
        if words[0] == "make":
            assert words[1] in make_targets(), line
        elif words[:2] == ["python", "-m"]:
            continue
        elif words[0] == "python" and words[1].startswith("utilities/"):
            script = Path(words[1]).stem
            assert script in SCRIPTS, f"{page.name}: {line}: not a command"
            known = long_options(command(script)) | {"--help"}
            for word in words[2:]:
                if word.startswith("--"):
                    assert word in known, f"{page.name}: {line}: {script} has no {word}"
        elif words[0] == "python" and words[1].startswith("benchmarks/"):
            shown = subprocess.run(
                [sys.executable, str(ROOT / words[1]), "--help"],
                capture_output=True, text=True, timeout=60, check=True, cwd=ROOT,
            ).stdout  # fmt: skip
            for word in words[2:]:
                if word.startswith("--"):
                    assert word in shown, f"{page.name}: {line}: no {word}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_reference_lists_every_option_of_every_script(script):
    """In the script's own section; the movie queue manager's shared actions are in the music
    one's, as its section says."""
    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    own = [h for h in re.findall(r"^## .+$", reference, re.M) if f"{script}.py" in h]
    assert own, f"docs/reference.md has no section for {script}.py"
    if script in ("movie_queue_manager", "conversion_queue_manager", "audiobook_queue_manager",
                  "verify_queue_manager", "dupes_queue_manager"):  # fmt: skip
        own.append("## music_queue_manager.py")
    text = "".join(section(reference, heading) for heading in own)
    missing = {opt for opt in long_options(command(script)) if f"`{opt}" not in text}
    assert not missing


def test_the_reference_lists_every_setting():
    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    settings = section(reference, "## Settings")
    missing = [
        f"{section_name}.{key}"
        for section_name, keys in DEFAULTS.items()
        for key in keys
        if f"`{section_name}.{key}`" not in settings
    ]
    assert not missing


def test_every_settings_file_a_page_shows_is_taken(tmp_path):
    """A page's ``toml`` block that is a settings file (not a package's pyproject.toml) is one
    every command takes: each value of its setting's TOML type, as the file is held to."""
    shown = [body for page in PAGES for lang, body in FENCE.findall(page.read_text("utf-8"))
             if lang == "toml" and "[project]" not in body]  # fmt: skip
    assert shown
    for body in shown:
        (tmp_path / "mediakeeper.toml").write_text(body, encoding="utf-8")
        load_settings(tmp_path, environ={})


def test_the_reference_s_contents_list_every_section_in_order():
    """The list at the top of reference.md is its table of contents: every ``##`` section,
    in the page's order (it once left out conversions, audiobooks, pipelines and sessions)."""
    text = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    sections = [anchor(h) for h in re.findall(r"^## (.+)$", text, re.MULTILINE)]
    contents = text.split("\n## ", 1)[0]
    listed = re.findall(r"^- \[[^\]]+\]\(#([^)]+)\)$", contents, re.MULTILINE)
    assert listed == sections
