"""Everything the toolkit writes in the project's own home is ignored by git: in a copy of
the project, ``make demo``'s steps and a batch of every kind, run from the project folder
(its home), leave ``git status`` clean; a command refused in a fresh home leaves nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg
from tests.helpers import REPO_ROOT, decisions_alone

EXE = ffmpeg.find()


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


@pytest.fixture
def project(tmp_path) -> Path:
    """The project's files as a checkout has them (tracked and new ones, nothing ignored),
    committed in a repository of their own."""
    copy = tmp_path / "project"
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO_ROOT)
    for name in filter(None, listed.split("\0")):
        if (REPO_ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, copy / name)
    git("init", "-q", cwd=copy)
    git("add", "-A", cwd=copy)
    git("commit", "-q", "-m", "the project", cwd=copy)
    return copy


def run(project: Path, *args) -> subprocess.CompletedProcess:
    """A command run from the project folder, as a person there would: no --home."""
    env = {k: v for k, v in os.environ.items() if k not in ("MEDIAKEEPER_HOME", "PYTHONPATH")}
    done = subprocess.run(
        [sys.executable, "-m", "mediakeeper", *map(str, args)],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done


def album(folder: Path, tracks: int = 2) -> Path:
    for n in range(1, tracks + 1):
        path = synth.tone(EXE, folder / f"0{n} Song.flac", 1.0, frequency=300 + 100 * n)
        synth.tagged(path, {"title": f"Song {n}", "artist": "Band", "album": "Hits",
                            "tracknumber": str(n)})  # fmt: skip
    return folder


def every_kind(project: Path, media: Path) -> None:
    """A queue and a batch of every kind, from the project folder."""
    album(media / "music" / "Band" / "Hits")
    (media / "movies" / "Heat (1995)").mkdir(parents=True)
    (media / "movies" / "Heat (1995)" / "Heat (1995).mkv").write_bytes(b"\x1aE\xdf\xa3 not a film")
    album(media / "rips" / "Band" / "Hits")
    album(media / "books" / "Author - Book")
    for kind, lib in (("music", "music"), ("movies", "movies"), ("conversions", "rips"),
                      ("audiobooks", "books")):  # fmt: skip
        done = run(project, kind, "queue", "init", "--library", media / lib)
        assert done.returncode == 0, done.stderr
    # Each with its one exit code: the music (its tags incomplete) and the movie (offline: not
    # identified) leave decisions, 1; the rest is all done, 0.
    batches = [
        (1, ("music", "batch", "--batch-size", "5")),
        (1, ("movies", "batch", "--offline")),
        (0, ("conversions", "batch", "--output", media / "converted")),
        (0, ("audiobooks", "batch", "--output", media / "audiobooks")),
        (0, ("pipeline", "run", "opus", "--input", media / "rips", "--output", media / "phone")),
        (0, ("report",)),
        (0, ("dashboard",)),
    ]
    for code, args in batches:
        done = run(project, *args)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert code == 0 or decisions_alone(done.stdout), (args, done.stdout)


def test_the_demo_and_a_batch_of_every_kind_leave_git_status_clean(project, tmp_path):
    demo = subprocess.run(
        [sys.executable, "-m", "mediakeeper.demo"], cwd=project, capture_output=True,
        text=True, timeout=600, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    every_kind(project, tmp_path / "media")
    written = [p for p in ("status/music", "status/audiobooks", "backup", "working", "outputs",
                           "issues", "demo") if (project / p).exists()]  # fmt: skip
    assert {"status/music", "status/audiobooks", "backup", "outputs", "issues", "demo"} <= set(
        written
    )  # the toolkit did write in the project: and git sees none of it
    assert git("status", "--porcelain", "--untracked-files=all", cwd=project) == ""


@pytest.mark.parametrize(
    "args",
    [
        ("music", "queue", "reset", "--errors"),
        ("music", "queue", "--reset-errors"),
        ("music", "queue", "checkpoint"),
        ("music", "queue", "skip", "ABBA"),
        ("music", "batch"),
    ],
    ids=" ".join,
)
def test_a_command_refused_in_a_fresh_home_leaves_nothing_in_it(tmp_path, args):
    fresh = tmp_path / "fresh"
    env = {k: v for k, v in os.environ.items() if k != "MEDIAKEEPER_HOME"}
    done = subprocess.run(
        [sys.executable, "-m", "mediakeeper", "--home", str(fresh), *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("Error: ") and done.stderr.count("\n") == 1
    # not even a folder or a .lock: the demo, given this home next, would refuse it
    assert not fresh.exists() or list(fresh.iterdir()) == []
