"""The conversion plan, pure parts: each file's fate, the finding codes it reports, and the
space check's words."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mediakeeper.batch import staged
from mediakeeper.conversions import plan
from mediakeeper.core.findings import SEVERITY
from mediakeeper.demo.tracks import make_track
from mediakeeper.media.convert import PROFILES


def _album(tmp_path: Path) -> Path:
    folder = tmp_path / "Album"
    make_track(folder / "01.flac", "flac", {"title": "a"})
    make_track(folder / "02.mp3", "mp3", {"title": "b"})
    (folder / "cover.jpg").write_bytes(b"jpg")
    (folder / "Making of.mkv").write_bytes(b"mkv")
    (folder / ".hidden").write_bytes(b"x")
    return folder


def _plan_findings(tmp_path):
    return plan.findings(plan.entries(_album(tmp_path), PROFILES["opus"], allow_lossy=False))


def _left_out_findings(tmp_path):
    """The record of a damaged source the job left out, as ``[conversions] damaged =
    "leave-out"`` asks (tests/integration/test_source_checks.py makes one for real)."""
    entries = plan.entries(_album(tmp_path), PROFILES["opus"], allow_lossy=False)
    record = {"source": "01.flac", "action": plan.LEFT_OUT,
              "note": "01.flac: does not decode at 0:09.729: invalid coding type"}  # fmt: skip
    return plan.findings(entries, [record])


def _not_carried_findings(tmp_path):
    """Two tracks whose M4A could not hold their pictures' types, one finding naming both
    (tests/integration/test_conversion_carried.py converts one for real)."""
    entries = plan.entries(_album(tmp_path), PROFILES["aac"], allow_lossy=False)
    lost = ["the pictures' types and descriptions (front cover, back cover)"]
    records = [{"source": name, "action": "encoded", "not_carried": lost}
               for name in ("01.flac", "03.flac")]  # fmt: skip
    found = plan.findings(entries, records)
    said = [f for f in found if f.code == "not-carried"]
    assert len(said) == 1 and said[0].message.startswith("01.flac and 1 more: the pictures'")
    return found


def _changed_original(tmp_path):
    """An original written anew after it was copied (a tagger saving to a new file, renamed
    over it), its size and mtime put back as they were: its inode tells (a tagger writing in
    place changes its ctime: tests/integration/test_originals.py)."""
    folder = _album(tmp_path)
    copied = {"01.flac": staged.identity(folder / "01.flac")}
    before = os.stat(folder / "01.flac")
    (folder / "01.tmp").write_bytes((folder / "01.flac").read_bytes())
    os.replace(folder / "01.tmp", folder / "01.flac")
    os.utime(folder / "01.flac", ns=(before.st_atime_ns, before.st_mtime_ns))
    return staged.changed_originals(folder, copied)


FIRES = [
    pytest.param("lossy-source-copied", _plan_findings, "02.mp3", id="lossy-source-copied"),
    pytest.param("video-left-out", _plan_findings, "Making of.mkv", id="video-left-out"),
    pytest.param(
        "damaged-source-left-out", _left_out_findings, "01.flac", id="damaged-source-left-out"
    ),
    pytest.param("not-carried", _not_carried_findings, "01.flac", id="not-carried"),
    pytest.param("original-changed", _changed_original, "01.flac", id="original-changed"),
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
        "Making of.mkv": ("leave-out", "Making of.mkv"),
    }
    allowed = {e.name: e.action for e in plan.entries(folder, PROFILES["aac"], allow_lossy=True)}
    assert allowed["02.mp3"] == "encode"
    allowed_findings = plan.findings(plan.entries(folder, PROFILES["aac"], allow_lossy=True))
    assert [f.code for f in allowed_findings] == ["video-left-out"]


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
