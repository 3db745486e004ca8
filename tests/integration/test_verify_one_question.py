"""One damaged file, one question (issue 69 point 5): a FLAC cut short at a frame's edge (its
STREAMINFO promises 20 s, its frames hold 10 s, so its MD5 cannot match either) and a FLAC
whose bytes rotted after a good pass (it does not decode, its MD5 does not match, its audio
is not the audio last found whole) each ask ONE decision, with what was found listed inside
it; the batch's line, its closing count, the issue report, the index and ``decide`` all say
so, and the file's name is said once. Real files, real scripts."""

from __future__ import annotations

import json
import re

from mediakeeper.demo import damage
from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg
from mediakeeper.text.slug import slugify
from tests.helpers import run_script
from tests.helpers.deciding import decide, groups_of

EXE = ffmpeg.find()
SYNC = b"\xff\xf8"  # a FLAC frame's first bytes (fixed block size): where its frames start


def batch(home, *args):
    return run_script("process_verify_batch.py", "--home", home, *args)


def cut_at_a_frame(path, seconds: float):
    """A FLAC of ``seconds`` whose frames stop half-way, on a frame's edge: its STREAMINFO
    (and MD5) are those of the whole file, its frames those of a file half as long of the
    same sound. It decodes cleanly, to half its length."""
    synth.tone(EXE, path, seconds)
    half = synth.tone(EXE, path.with_suffix(".half.flac"), seconds / 2)
    whole, short = path.read_bytes(), half.read_bytes()
    path.write_bytes(whole.split(SYNC)[0] + short[len(short.split(SYNC)[0]) :])
    half.unlink()
    return path


def report(home, key: str) -> str:
    return (home / "issues" / "verify" / f"{slugify(key)}.md").read_text(encoding="utf-8")


def test_a_flac_cut_short_asks_one_question_counted_once_everywhere(tmp_path):
    lib, home = tmp_path / "lib", tmp_path / "home"
    cut_at_a_frame(lib / "Band" / "Cut" / "01 Cut.flac", 20.0)
    synth.tone(EXE, lib / "Band" / "Cut" / "02.flac", 2.0, frequency=700)
    home.mkdir()
    done = batch(home, "--library", lib)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"2 files, [\d.]+ min of audio: 1 damaged or changed", done.stdout), (
        done.stdout
    )
    assert "1 decision for you" in done.stdout and "needs you: 1 decision in 1 album" in done.stdout
    assert "findings 1 " in done.stdout

    rows = [r for r in report(home, "Band/Cut").splitlines() if r.startswith("| 01 Cut.flac")]
    assert len(rows) == 1 and "`truncated-audio`" in rows[0], rows
    assert rows[0].count("01 Cut.flac") == 1  # the file's name said once, in its column
    assert json.loads(decide(home, "--json").stdout)["total"] == 1
    assert groups_of(home) == {("verify", "truncated-audio"): 1}

    shown = decide(home, "verify", "Band/Cut").stdout
    assert shown.startswith("Band/Cut: 1 decision open\n"), shown
    assert shown.count("01 Cut.flac") == 1, shown
    assert "It is cut short" in shown and "lacks 10.0 s" in shown and "[2]" not in shown
    took = decide(home, "verify", "Band/Cut", "--choose", "1")
    assert took.returncode == 0, took.stdout + took.stderr
    assert "1 decision closed (accepted as is)" in took.stdout, took.stdout
    assert groups_of(home) == {}


def test_a_flac_rotten_after_a_good_pass_asks_one_question_with_its_findings_inside(tmp_path):
    lib, home = tmp_path / "lib", tmp_path / "home"
    rot = synth.tone(EXE, lib / "Band" / "Rot" / "01 Rot.flac", 20.0)
    synth.tone(EXE, lib / "Band" / "Rot" / "02.flac", 2.0, frequency=700)
    home.mkdir()
    assert batch(home, "--library", lib).returncode == 0
    damage.flip_bytes(rot)
    run_script("verify_queue_manager.py", "--home", home, "--reset-all", "--yes")
    done = batch(home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "1 damaged or changed" in done.stdout and "needs you: 1 decision in 1 album" in done.stdout
    )

    document = json.loads((home / "outputs" / "verify" / f"{slugify('Band/Rot')}.json").read_text())
    [finding] = document["findings"]  # one per damaged file
    inside = [f["code"] for f in finding["details"]["found"]]
    assert inside[0] == finding["code"] == "audio-md5-mismatch", inside  # every rotten FLAC's
    assert inside[-1] == "audio-changed" and len(inside) >= 2, inside

    shown = decide(home, "verify", "Band/Rot").stdout
    assert shown.startswith("Band/Rot: 1 decision open\n"), shown
    for code in inside:  # each finding listed inside the one question
        assert re.search(rf"^\s+- {code}: ", shown, re.M), shown
    assert "[2]" not in shown
    index = (home / "issues" / "verify" / "index.md").read_text(encoding="utf-8")
    assert "**1 decision in 1 album.**" in index
