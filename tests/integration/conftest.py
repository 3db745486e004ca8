"""Fixtures several integration test files share."""

from __future__ import annotations

import pytest

from tests.conftest import _run_script
from tests.integration.test_decisions_truth import library_spec


@pytest.fixture
def processed(tmp_path, music_library):
    """The decisions library (``test_decisions_truth.library_spec``) after one offline batch,
    which leaves decisions (exit 1): (home, library)."""
    music_library(tmp_path / "lib", library_spec())
    home = tmp_path / "home"
    home.mkdir()
    batch = _run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
                        "--offline")  # fmt: skip
    assert batch.returncode == 1, batch.stdout + batch.stderr
    return home, tmp_path / "lib"
