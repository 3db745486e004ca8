"""A later verify pass compares the audio bytes of the files last found whole, and decodes
only what changed: seen from outside, through the real ``flac`` and ffmpeg behind shims that
log each run, over real audio edited and damaged the ways tag editors and disks do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from mutagen.flac import FLAC

from mediakeeper.demo import damage
from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg, flacframes, flactest

EXE = ffmpeg.find()
pytestmark = pytest.mark.skipif(not flactest.find(), reason="Debian's flac is missing "
                                "(make test installs it)")  # fmt: skip


def _shims(tmp_path: Path, monkeypatch) -> Path:
    """``flac`` and ``ffmpeg`` that write their arguments to a log, then run the real ones."""
    shims, log = tmp_path / "shims", tmp_path / "runs.log"
    shims.mkdir()
    for name, real in (("flac", flactest.find()), ("ffmpeg", EXE)):
        shim = shims / name
        shim.write_text(f'#!/bin/sh\necho "{name} $*" >> {log}\nexec {real} "$@"\n')
        shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("MEDIAKEEPER_FFMPEG_PATH", str(shims / "ffmpeg"))
    return log


def _files(home: Path, key: str) -> dict[str, dict]:
    queue = json.loads((home / "status" / "verify" / "processing_queue.json").read_text())
    slug = next(i for i in queue["items"] if i["key"] == key)["details"]["slug"]
    document = json.loads((home / "outputs" / "verify" / f"{slug}.json").read_text())
    return {f["file"]: f for f in document["files"]}


def _decodes(log: Path) -> list[str]:
    """The runs that decoded audio: every flac (``-t``), every ffmpeg but the version probe
    and a packets' hash alone (``-c:a copy`` with no filter graph: a decode hashes the
    packets too)."""
    runs = log.read_text().splitlines() if log.exists() else []
    compared = [r for r in runs if r.startswith("ffmpeg")
                and ("-version" in r or ("-c:a copy" in r and "-filter_complex" not in r))]
    return [r for r in runs if r not in compared]


def test_a_later_pass_decodes_only_what_changed(music_script, tmp_path, monkeypatch):
    lib, home = tmp_path / "lib", tmp_path / "home"
    album, rot = lib / "Band" / "Album", lib / "Band" / "Rot"
    for n in (1, 2):
        synth.tone(EXE, album / f"0{n}.flac", 4.0, frequency=300 + 100 * n)
    synth.tone(EXE, album / "03.ogg", 4.0)
    synth.tone(EXE, album / "04.mp3", 4.0)
    synth.tone(EXE, rot / "01.flac", 20.0)
    log = _shims(tmp_path, monkeypatch)
    args = ("process_verify_batch.py", "--home", home, "--library", lib)
    first = music_script(*args)
    assert first.returncode == 0, first.stdout + first.stderr
    assert all(f["decoded"] for f in _files(home, "Band/Album").values())
    frames = flacframes.digest(album / "01.flac")

    # Tags grown past the padding: the FLAC is rewritten and its frames move, unchanged.
    tagged = FLAC(album / "01.flac")
    tagged["comment"] = "x" * 200_000
    tagged.save()
    assert flacframes.digest(album / "01.flac") == frames
    # The same audio encoded again (other frames, the same samples): decoded, still good.
    recoded = tmp_path / "recoded.flac"
    subprocess.run([flactest.find(), "-s", "-0", "-o", recoded, album / "02.flac"], check=True)
    shutil.move(recoded, album / "02.flac")
    # A failing sector under the last FLAC, its size and time as they were.
    st = (rot / "01.flac").stat()
    damage.flip_bytes(rot / "01.flac", at=0.6, count=4)
    os.utime(rot / "01.flac", ns=(st.st_atime_ns, st.st_mtime_ns))

    assert music_script("verify_queue_manager.py", "--home", home, "--reset-all",
                        "--yes").returncode == 0  # fmt: skip
    dry = music_script(*args, "--dry-run")
    assert "would check 4 files: 4 last found whole by their audio bytes" in dry.stdout, dry.stdout
    assert "Band/Rot: would check 1 file: 1 last found whole" in dry.stdout  # not "1 files"
    assert "would decode 4 files in full" in music_script(*args, "--dry-run",
                                                          "--decode-all").stdout  # fmt: skip
    log.unlink()
    again = music_script(*args)
    assert again.returncode == 1, again.stdout + again.stderr  # the rot waits for a decision
    files = _files(home, "Band/Album")
    assert {name: f["decoded"] for name, f in files.items()} == {
        "01.flac": False, "02.flac": True, "03.ogg": False, "04.mp3": False}
    assert all(f["findings"] == [] and not f["damaged"] for f in files.values())
    [rotten] = _files(home, "Band/Rot").values()
    assert rotten["decoded"] and "audio-md5-mismatch" in rotten["findings"]
    decoded = _decodes(log)
    assert decoded and all("02.flac" in r or "Rot/01.flac" in r for r in decoded), decoded

    # The good record is the one from before the rot: the next pass finds it again.
    music_script("verify_queue_manager.py", "--home", home, "--reset-all", "--yes")
    music_script(*args)
    assert _files(home, "Band/Rot") == {"01.flac": rotten}

    # --decode-all decodes every file, compared or not.
    music_script("verify_queue_manager.py", "--home", home, "--reset-all", "--yes")
    log.unlink()
    full = music_script(*args, "--decode-all")
    assert full.returncode == 1, full.stdout + full.stderr
    assert all(f["decoded"] for f in _files(home, "Band/Album").values())
    assert {Path(r.split()[-1]).name for r in _decodes(log) if r.startswith("flac")} >= {
        "01.flac", "02.flac"}


def test_what_a_comparison_cannot_vouch_for_is_decoded(music_script, tmp_path, monkeypatch):
    """A file never analysed (the first pass ran without the analysis) is decoded once the
    analysis is on; a FLAC whose STREAMINFO now says a length its last decode did not give
    (the header rotted, the frames did not) is decoded, and told cut short."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    for n in (1, 2):
        synth.tone(EXE, lib / "Album" / f"0{n}.flac", 3.0, frequency=300 + 100 * n)
    args = ("process_verify_batch.py", "--home", home, "--library", lib)

    def again(**env: str) -> dict[str, dict]:
        assert music_script("verify_queue_manager.py", "--home", home, "--reset-all",
                            "--yes").returncode == 0  # fmt: skip
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        music_script(*args)
        return _files(home, "Album")

    monkeypatch.setenv("MEDIAKEEPER_VERIFY_ANALYSE", "false")
    assert music_script(*args).returncode == 0
    assert all(not f["decoded"] for f in again().values())  # compared without the analysis
    assert all(f["decoded"] for f in again(MEDIAKEEPER_VERIFY_ANALYSE="true").values())
    assert not any(f["decoded"] for f in again().values())  # measured now: compared
    # STREAMINFO's 36-bit sample count (bytes 18-25 hold rate, channels, depth and it) doubled.
    flac = lib / "Album" / "01.flac"
    data = bytearray(flac.read_bytes())
    fields = int.from_bytes(data[18:26], "big")
    count = fields & ((1 << 36) - 1)
    data[18:26] = (fields - count + 2 * count).to_bytes(8, "big")
    flac.write_bytes(bytes(data))
    files = again()
    assert files["01.flac"]["decoded"] and files["01.flac"]["findings"] == ["truncated-audio"]
    assert not files["02.flac"]["decoded"]


def test_the_frames_digest_ignores_tags_and_sees_a_changed_byte(tmp_path):
    path = synth.tone(EXE, tmp_path / "a.flac", 2.0)
    before = flacframes.digest(path)
    assert before.startswith("crc32:")
    tagged = FLAC(path)
    tagged["title"] = "A title long enough to need more room " * 300
    tagged.save()
    assert flacframes.digest(path) == before
    damage.flip_bytes(path, at=0.9, count=1)
    assert flacframes.digest(path) not in ("", before)
    assert flacframes.digest(synth.tone(EXE, tmp_path / "a.wav", 1.0)) == ""
