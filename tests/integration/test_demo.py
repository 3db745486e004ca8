"""The demo end to end: `python -m mediakeeper.demo` in a fresh folder, as `make demo` runs it."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mediakeeper.core.findings import codes_of
from mediakeeper.music import loudness
from mediakeeper.music.rule_base import WRITE_CODES
from mediakeeper.text.commands import kind_command, tool_command
from mediakeeper.text.width import width


def run_demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mediakeeper.demo", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "80"},  # as an 80-column terminal
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def artist_outputs(home: Path) -> dict[str, dict]:
    files = sorted((home / "outputs" / "music" / "artists").glob("*.json"))
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in files}


def findings_of(outputs: dict[str, dict]) -> dict[str, list[tuple]]:
    """Every finding without the run's clock and session, in a comparable form."""
    return {
        name: sorted(
            (f["code"], f["path"], f["message"], f["fixed"], json.dumps(f["changes"]))
            for f in doc["findings"]
        )
        for name, doc in outputs.items()
    }


@pytest.fixture(scope="module")
def demo_run(demo_home):
    cwd = demo_home.parent  # the demo built once, as a first run
    first_findings = findings_of(artist_outputs(cwd / "demo"))
    second = run_demo(cwd)  # wipes and rebuilds the same folder
    assert second.returncode == 0, second.stdout + second.stderr
    return cwd, second, first_findings


def test_its_own_text_fits_an_80_column_terminal(demo_run):
    """Issue 36: the demo's text was filled to 92 columns, so an 80-column terminal broke its
    lines mid-word; it is filled to the terminal's width. Commands and paths stay whole (a
    command cut in two could not be pasted)."""
    cwd, done, _ = demo_run
    intro, rest = done.stdout.split("\n1. Process", 1)
    closing = rest.split("5. What to look at next", 1)[1]
    prose = [line for line in (intro + closing).splitlines()
             if str(cwd) not in line and sys.executable not in line]  # fmt: skip
    assert len(prose) > 40
    assert any(line.startswith('      artist spelled "the beatles"') for line in prose)
    assert [line for line in prose if width(line) > 80] == []


def test_the_closing_lines_point_at_decide_serve_and_dupes_each_runnable_pasted(
    demo_run, tmp_path
):
    """Issue 69, point 11: the demo ends pointing at what a person does next."""
    cwd, done, _ = demo_run
    closing = done.stdout.split("5. What to look at next", 1)[1]
    home = cwd / "demo"
    commands = [f"{tool_command('decide', home)} -i", tool_command("serve", home),
                f"{kind_command('dupes', 'scan', home)} --library "]  # fmt: skip
    lines = [line.strip() for line in closing.splitlines()]
    for command in commands:
        assert any(line.startswith(command) for line in lines), closing
    [scan] = [line for line in lines if line.startswith(commands[2])]
    # Run pasted, on a copy of the demo's home (the other tests read the demo's own).
    argv = shlex.split(scan)
    copy = tmp_path / "home"
    shutil.copytree(home, copy, symlinks=True, ignore=shutil.ignore_patterns("Music"))
    argv[argv.index("--home") + 1] = str(copy)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MEDIAKEEPER_HOME")}
    ran = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "duplicate groups" in ran.stdout


def test_the_queue_shows_every_artist_completed(demo_run):
    cwd, done, _ = demo_run
    queue = json.loads(
        (cwd / "demo" / "status" / "music" / "processing_queue.json").read_text("utf-8")
    )
    statuses = [item["status"] for item in queue["items"]]
    assert 9 <= statuses.count("completed") == len(statuses) <= 10
    summary = done.stdout.split("Where the queue stands", 1)[1]
    shown = re.search(r"^\s*completed\s+(\d+)\s*$", summary, re.MULTILINE)
    assert shown is not None, summary
    assert int(shown.group(1)) == len(statuses)


def test_every_finding_code_fires_somewhere(demo_run):
    cwd, _, _ = demo_run
    fired = {f["code"] for doc in artist_outputs(cwd / "demo").values() for f in doc["findings"]}
    # The write's own and --replaygain's: none in a demo.
    assert set(codes_of("music")) - WRITE_CODES - loudness.CODES - fired == set()


def test_fixes_are_applied_and_the_ambiguous_tie_is_left_alone(demo_run):
    cwd, done, _ = demo_run
    outputs = artist_outputs(cwd / "demo")
    findings = [f for doc in outputs.values() for f in doc["findings"]]
    assert any(f["fixed"] and f["changes"] for f in findings)
    (floyd,) = (doc for doc in outputs.values() if doc["name"] == "Pink Floyd")
    (tie,) = (f for f in floyd["findings"] if f["code"] == "inconsistent-year")
    assert not tie["fixed"]
    assert tie["changes"] == []
    assert "5 say '1973', 5 say '2011'" in tie["message"]
    reports = [p for p in (cwd / "demo" / "issues" / "music").glob("*.md")
               if p.name not in ("index.md", "upgrades.md")]  # fmt: skip
    assert len(reports) == len(outputs)
    # The undo line works pasted in the data home (no checkout, no PYTHONPATH).
    [undo] = [line.strip() for line in done.stdout.splitlines() if " --session " in line]
    assert undo.startswith(f"{tool_command('undo', cwd / 'demo')} --session ")


def test_the_untagged_track_is_reported_offline_and_the_way_to_identify_it_is_shown(demo_run):
    cwd, done, _ = demo_run
    outputs = artist_outputs(cwd / "demo")
    (floyd,) = (doc for doc in outputs.values() if doc["name"] == "Pink Floyd")
    codes = {f["code"] for f in floyd["findings"] if f["path"] == "untitled.flac"}
    assert {"missing-title", "missing-artist"} <= codes and "sound-match" not in codes
    assert "MEDIAKEEPER_ACOUSTID_KEY=<key>" in done.stdout
    assert "acoustid.org/new-application" in done.stdout


def test_running_twice_finds_the_same(demo_run):
    cwd, _, first_findings = demo_run
    assert findings_of(artist_outputs(cwd / "demo")) == first_findings
    assert len(first_findings) == 9


def test_it_never_wipes_a_folder_it_did_not_make(tmp_path):
    precious = tmp_path / "demo" / "keep-me.txt"
    precious.parent.mkdir()
    precious.write_text("mine")
    done = run_demo(tmp_path)
    assert done.returncode == 2
    assert "refusing to delete" in done.stderr
    assert precious.read_text() == "mine"
    assert sorted(p.name for p in precious.parent.iterdir()) == ["keep-me.txt"]


def test_the_demo_converts_its_albums_into_a_portable_library(demo_run):
    cwd, done, _ = demo_run
    portable = cwd / "demo" / "Portable"
    assert "Convert the albums into a portable Opus library" in done.stdout
    made = {p.suffix for p in portable.rglob("*") if p.is_file()}
    assert ".opus" in made  # the FLAC albums encoded; lossy ones copied as they are
    assert not list(portable.rglob(".mediakeeper-partial-*"))
    # Every album is there: a name that begins with dots is an album like any other.
    assert (portable / "Metallica" / "...And Justice for All").is_dir()


def test_the_week_says_each_kind_s_tracks_and_notes_are_no_issues(demo_run):
    """Issue 60 point 10: a track converted and verified is one track, counted by each kind
    apart, never added up; 60 lossy copies noted by the conversion are findings, not issues."""
    cwd, done, _ = demo_run
    [weekly] = (cwd / "demo" / "status" / "reports").glob("*_weekly_progress.md")
    row = next(line for line in weekly.read_text("utf-8").splitlines()
               if line.startswith("| Tracks processed |"))  # fmt: skip
    kinds = sorted(kind for _, kind in re.findall(r"([\d,]+) (\w+)", row))
    assert kinds == ["conversions", "music", "verify"], row
    assert "issues found" not in done.stdout and "tag fixes" not in done.stdout
    assert re.search(r"^tracks [\d,]+ · findings [\d,]+ · resolved [\d,]+$", done.stdout, re.M)
