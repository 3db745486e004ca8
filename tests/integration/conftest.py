"""Fixtures several integration test files share."""

from __future__ import annotations

import shutil

import pytest

from tests.helpers import run_script
from tests.integration.test_decisions_truth import library_spec


@pytest.fixture
def processed(tmp_path, music_library):
    """The decisions library (``test_decisions_truth.library_spec``) after one offline batch,
    which leaves decisions (exit 1): (home, library)."""
    music_library(tmp_path / "lib", library_spec())
    home = tmp_path / "home"
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
                        "--offline")  # fmt: skip
    assert batch.returncode == 1, batch.stdout + batch.stderr
    return home, tmp_path / "lib"


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory):
    """The demo, built once per test worker (a build takes 15-20 s): its home, with what the
    demo said in ``demo.out`` beside it. Its users read it, or run commands that write the
    same files again (reports, pages); ``test_demo`` builds it a second time in place and
    checks that the second build finds the same. Not one build copied to each worker: the
    home records its library's and outputs' absolute paths (queues, documents, working
    folders), so a copy would still read and write the first one's library."""
    from tests.integration.test_attention import script

    cwd = tmp_path_factory.mktemp("demo")
    shown = script("-m mediakeeper.demo", cwd=cwd).stdout
    (cwd / "demo.out").write_text(shown, encoding="utf-8")  # what the demo said, for the counts
    return cwd / "demo"


@pytest.fixture
def served_demo(demo_home, tmp_path):
    """A copy of the demo's home (its decisions, failed conversions, reports) served, a copy
    and a server a test: what a test takes or undoes there is its own."""
    from tests.integration.serving import serve

    home = tmp_path / "demo"
    shutil.copytree(demo_home, home, symlinks=True)
    server = serve(home)
    yield server
    server.stop()


@pytest.fixture
def watching(tmp_path):
    """``watching(home, *args)`` starts ``mediakeeper watch`` on ``home`` (a ``Watching``);
    every watcher it started is killed at teardown."""
    from tests.integration.watching import Watching

    started: list[Watching] = []

    def start(home, *args, **kw) -> Watching:
        started.append(Watching(tmp_path, home, *args, **kw))
        return started[-1]

    yield start
    for watcher in started:
        watcher.kill()


@pytest.fixture(scope="module")
def browser():
    """The system's Chromium driven by Playwright (no browser download), for the web page's
    tests; they skip, saying why, where either is missing (``make chromium`` installs it)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium (make chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()
