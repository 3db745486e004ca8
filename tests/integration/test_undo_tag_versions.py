"""Undo gives back the bytes of an MP3 whose write changed its tag's version: one whose only
tag is ID3v1, and one with ID3v2.2, which mutagen cannot write and so rewrites as ID3v2.4 (a
head of another size, the audio moved, the ID3v1 tail rewritten). The head and tail the write
replaced are kept whole (``mediakeeper/tags/regions.py``); the undo puts them back, and the
file's SHA-256 is the original's; the undo of that undo gives the fixed file's back. Through
the real batch, ``decide --set`` and ``undo``, in each ``write_mode``, on files of a few KB
(changed in memory) and of real size (changed in a copy), and killed at random instants.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import signal
import time
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from mediakeeper.core import writemode
from mediakeeper.demo.tracks import make_id3v1_only, make_id3v22
from tests.helpers import run_script
from tests.helpers.deciding import decide, session_of
from tests.integration.test_inplace_kills import workers_gone

V1 = "Abba/1976 - Arrival/01 - Dancing Queen.mp3"
V22 = "Abba/1976 - Arrival/02 - Money, Money, Money.mp3"
ARRIVAL = {"artist": "Abba", "album": "Arrival", "date": "1976"}


def legacy_library(root: Path, megabytes: int = 0) -> Path:
    """The two legacy MP3s, each with a fix the batch makes (the v1 file's missing album
    artist, the v2.2 file's title's trailing space); ``megabytes`` of audio-like bytes
    between the frames and the ID3v1 tail, as a real track's size."""
    make_id3v1_only(root / V1, {**ARRIVAL, "title": "Dancing Queen", "tracknumber": "1"})
    make_id3v22(root / V22, {**ARRIVAL, "albumartist": "Abba", "title": "Money, Money, Money ",
                             "tracknumber": "2"})  # fmt: skip
    rng = random.Random(7)
    for rel in (V1, V22):
        data = (root / rel).read_bytes()
        tail = 128 if data[-128:].startswith(b"TAG") else 0
        audio = rng.randbytes(megabytes << 20)
        (root / rel).write_bytes(data[: len(data) - tail] + audio + data[len(data) - tail :])
    assert ID3(root / V22).version == (2, 2, 0)
    assert (root / V1).read_bytes()[:3] != b"ID3"
    return root


def digests(root: Path) -> dict[str, str]:
    return {rel: hashlib.sha256((root / rel).read_bytes()).hexdigest() for rel in (V1, V22)}


def batch(home: Path, lib: Path, mode: str, *flags: str) -> str:
    """The batch over ``lib`` in ``mode``, both files fixed as ID3v2.4 (``--no-fix``: none
    written); its session."""
    home.mkdir(exist_ok=True)
    (home / "mediakeeper.toml").write_text(f'[music]\nwrite_mode = "{mode}"\n', encoding="utf-8")
    run = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline",
                     *flags)  # fmt: skip
    assert "1 artist completed" in run.stdout, run.stdout + run.stderr
    if "--no-fix" not in flags:
        assert "tags written to 2 files, all rewritten whole" in run.stdout, run.stdout
        assert [ID3(lib / rel).version for rel in (V1, V22)] == [(2, 4, 0), (2, 4, 0)]
    return Path(re.search(r"session log: (.+)\.log", run.stdout).group(1)).name


def composer_set(home: Path, how: str) -> str:
    """``decide --set`` of a composer on both tracks, written ``how``; its session."""
    took = decide(home, "music", "Abba", "--set", "composer=Benny Andersson", "--scope", "item")
    assert took.returncode == 0, took.stdout + took.stderr
    assert f"values written to 2 files, {how}" in took.stdout, took.stdout
    return session_of(took)


def undone(home: Path, session: str) -> str:
    """The undo of ``session``, every value restored; the undo's own session."""
    run = run_script("undo_changes.py", "--home", home, "--session", session)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 left alone" in run.stdout, run.stdout
    return re.search(r"undo_\d{8}T\d+", run.stdout).group(0)


@pytest.mark.parametrize("megabytes", [0, 9], ids=["small", "real-size"])
@pytest.mark.parametrize("mode", [writemode.IN_PLACE, writemode.COPY])
def test_a_fix_that_changed_the_tag_version_is_undone_byte_for_byte(tmp_path, mode, megabytes):
    lib, home = legacy_library(tmp_path / "Music", megabytes), tmp_path / "home"
    original = digests(lib)
    session = batch(home, lib, mode)
    fixed = digests(lib)
    assert [rel for rel in original if fixed[rel] == original[rel]] == []
    assert (lib / V1).read_bytes()[-128:].startswith(b"TAG")  # a head added, the tail kept

    undo_session = undone(home, session)
    assert digests(lib) == original
    assert ID3(lib / V22).version == (2, 2, 0) and (lib / V1).read_bytes()[:3] != b"ID3"

    undone(home, undo_session)  # the undo's own write kept its ends too
    assert digests(lib) == fixed


def test_a_decision_set_on_legacy_tags_is_undone_byte_for_byte(tmp_path):
    """``decide --set`` writes both files as ID3v2.4 (the batch fixed nothing): its undo
    gives the originals back, and the undo of that undo the decision's bytes."""
    lib, home = legacy_library(tmp_path / "Music"), tmp_path / "home"
    original = digests(lib)
    batch(home, lib, writemode.IN_PLACE, "--no-fix")
    assert digests(lib) == original
    session = composer_set(home, "all rewritten whole")
    decided = digests(lib)
    assert [str(ID3(lib / rel)["TCOM"]) for rel in (V1, V22)] == ["Benny Andersson"] * 2

    undo_session = undone(home, session)
    assert digests(lib) == original
    undone(home, undo_session)
    assert digests(lib) == decided


def test_an_artist_s_undo_takes_back_a_decision_and_the_fix_under_it_byte_for_byte(tmp_path):
    """The fix changed the version, the decision after it kept the size (written in place):
    the artist's undo puts back the decision's bytes, then the fix's head and tail."""
    lib, home = legacy_library(tmp_path / "Music"), tmp_path / "home"
    original = digests(lib)
    batch(home, lib, writemode.IN_PLACE)
    composer_set(home, "all in place")
    run = run_script("undo_changes.py", "--home", home, "--artist", "Abba", "--yes")
    assert run.returncode == 0, run.stdout + run.stderr
    assert digests(lib) == original


def test_kept_ends_that_no_longer_match_give_the_values_back(tmp_path):
    """Another program rewrote the fixed tag since (its own padding): the kept head is not
    what the file holds, so the values are put back, as for any file changed since."""
    lib, home = legacy_library(tmp_path / "Music"), tmp_path / "home"
    original = digests(lib)
    session = batch(home, lib, writemode.IN_PLACE)
    tags = ID3(lib / V22)
    tags.save(lib / V22, padding=lambda info: 4096)  # the same values, another size
    run = run_script("undo_changes.py", "--home", home, "--session", session)
    assert run.returncode == 0, run.stdout + run.stderr
    assert str(ID3(lib / V22)["TIT2"]) == "Money, Money, Money "
    assert ID3(lib / V22).version == (2, 4, 0)
    assert digests(lib)[V1] == original[V1]  # the other file's bytes come back all the same


KILLS = 4


@pytest.mark.parametrize("mode", [writemode.IN_PLACE, writemode.COPY])
def test_an_undo_killed_at_random_instants_leaves_each_file_fixed_or_original(
    tmp_path, mode, music_popen
):
    """SIGKILL at random instants of the undo of real-size files: each file is then byte for
    byte the fixed one or the original, and the undo run again gives the originals back."""
    source = legacy_library(tmp_path / "pristine", 9)
    original, fixed, scale = digests(source), None, None
    rng = random.Random(20261128)
    kills = 0
    for attempt in range(KILLS * 5):
        if kills == KILLS:
            break
        lib, home = tmp_path / f"Music{attempt}", tmp_path / f"home{attempt}"
        shutil.copytree(source, lib)
        session = batch(home, lib, mode)
        assert fixed in (None, digests(lib))
        fixed = digests(lib)
        if scale is None:  # the first undo runs whole: where the kills are aimed, not a claim
            started = time.monotonic()
            undone(home, session)
            scale = time.monotonic() - started
            continue
        proc = music_popen("--home", home, "--session", session, script="undo_changes.py")
        time.sleep(rng.uniform(0.0, scale))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        workers_gone(home)
        killed = proc.returncode == -signal.SIGKILL
        kills += killed
        if not killed:  # it ended first: kill sooner
            scale *= 0.7
        now = digests(lib)
        for rel, digest in now.items():
            assert digest in (original[rel], fixed[rel]), rel
        again = run_script("undo_changes.py", "--home", home, "--session", session)
        assert "Traceback" not in again.stderr, again.stderr
        assert digests(lib) == original, again.stdout + again.stderr
        assert [p.name for p in lib.rglob(".mediakeeper.*")] == [], again.stderr
        shutil.rmtree(lib)
    assert kills == KILLS
