"""The conversion plan, pure parts: each file's fate, the finding codes it reports, and the
space check's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediakeeper.conversions import plan
from mediakeeper.core.findings import SEVERITY
from mediakeeper.media.convert import PROFILES
from mediakeeper.music.synth import make_track


def _album(tmp_path: Path) -> Path:
    folder = tmp_path / "Album"
    make_track(folder / "01.flac", "flac", {"title": "a"})
    make_track(folder / "02.mp3", "mp3", {"title": "b"})
    (folder / "cover.jpg").write_bytes(b"jpg")
    (folder / ".hidden").write_bytes(b"x")
    return folder


def _plan_findings(tmp_path):
    return plan.findings(plan.entries(_album(tmp_path), PROFILES["opus"], allow_lossy=False))


FIRES = [
    pytest.param("lossy-source-copied", _plan_findings, "02.mp3", id="lossy-source-copied"),
]


@pytest.mark.parametrize(("code", "find", "path"), FIRES)
def test_code_fires(code, find, path, tmp_path):
    [finding] = [f for f in find(tmp_path) if f.code == code]
    assert (finding.path, finding.severity) == (path, SEVERITY[code])
    assert finding.message and not finding.fixable


def test_each_file_has_its_fate(tmp_path):
    folder = _album(tmp_path)
    fates = {e.name: (e.action, e.output) for e in
             plan.entries(folder, PROFILES["aac"], allow_lossy=False)}  # fmt: skip
    assert fates == {
        "01.flac": ("encode", "01.m4a"),
        "02.mp3": ("copy-lossy", "02.mp3"),
        "cover.jpg": ("keep", "cover.jpg"),
    }
    allowed = {e.name: e.action for e in plan.entries(folder, PROFILES["aac"], allow_lossy=True)}
    assert allowed["02.mp3"] == "encode"
    assert plan.findings(plan.entries(folder, PROFILES["aac"], allow_lossy=True)) == []


def test_two_files_that_would_become_one_output_are_refused(tmp_path):
    folder = tmp_path / "Album"
    make_track(folder / "01.flac", "flac", {})
    make_track(folder / "01.opus", "opus", {})
    with pytest.raises(Exception, match=r"would both become 01.opus.*rename one of them"):
        plan.entries(folder, PROFILES["opus"], allow_lossy=True)


def test_not_enough_space_says_which_volume_and_how_much_is_missing(tmp_path):
    with pytest.raises(plan.NotEnoughSpace) as short:
        plan.check_space({tmp_path / "out": 10**15}, 0, "Artist/Album")
    message = str(short.value)
    assert message.startswith("not enough space for Artist/Album: ")
    assert f"{tmp_path} needs 1000000000.0 MB" in message and "MB missing" in message
    plan.check_space({tmp_path / "out": 1}, 0, "Artist/Album")  # room enough: says nothing
