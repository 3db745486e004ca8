"""An MP3 whose tag is ID3v2.2 (``legacy-tag``) offers its values written as ID3v2.4 (issue 69
point 6): listed as a choice, previewed without a write, taken through the real ``decide``
(the tag read back as v2.4 with the same values by mutagen and by ffprobe, the finding
closed), and ``undo --session`` gives the original file back byte for byte. A real MP3 with
a raw v2.2 tag, the real batch and scripts."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest
from mutagen.id3 import ID3

from mediakeeper.demo.tracks import make_id3v22
from tests.helpers import run_script
from tests.helpers.deciding import decide, session_of
from tests.integration.serving import serve

VALUES = {"title": "Old Song", "artist": "Abba", "albumartist": "Abba", "album": "Album",
          "tracknumber": "1", "tracktotal": "1"}  # fmt: skip
UPGRADED = "the same values written as ID3v2.4"


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ffprobe_tags(path) -> dict[str, str]:
    shown = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format_tags",
                            "-of", "json", str(path)], capture_output=True, text=True,
                           check=True)  # fmt: skip
    return {k.lower(): v for k, v in json.loads(shown.stdout)["format"]["tags"].items()}


@pytest.fixture
def legacy(tmp_path):
    lib, home = tmp_path / "lib", tmp_path / "home"
    track = make_id3v22(lib / "Abba" / "Album" / "01 - Old Song.mp3", VALUES)
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr  # 1: its legacy-tag decision
    return home, track


def open_codes(home) -> list[str]:
    shown = decide(home, "music", "Abba", "--json")
    assert shown.returncode == 0, shown.stderr
    return [d["code"] for d in json.loads(shown.stdout)["decisions"]]


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe is not installed")
def test_a_v22_tag_is_upgraded_to_v24_and_undone_byte_for_byte(legacy):
    home, track = legacy
    original, frames_before = sha(track), ffprobe_tags(track)
    assert ID3(track).version == (2, 2, 0)
    assert "legacy-tag" in open_codes(home)
    shown = decide(home, "music", "Abba", "--code", "legacy-tag")
    assert f"1) {UPGRADED}" in shown.stdout, shown.stdout + shown.stderr

    preview = decide(home, "music", "Abba", "--code", "legacy-tag", "--choose", "1",
                     "--dry-run")  # fmt: skip
    assert preview.returncode == 0, preview.stdout + preview.stderr
    assert "would set tag version of Album/01 - Old Song.mp3: 'ID3v2.2' -> 'ID3v2.4'" \
        in preview.stdout, preview.stdout  # fmt: skip
    assert sha(track) == original and "legacy-tag" in open_codes(home)

    took = decide(home, "music", "Abba", "--code", "legacy-tag", "--choose", "1")
    assert took.returncode == 0, took.stdout + took.stderr
    assert "as ID3v2.4; the original file is set aside at" in took.stdout, took.stdout
    id3 = ID3(track)
    assert id3.version == (2, 4, 0)
    assert (str(id3["TIT2"]), str(id3["TPE1"]), str(id3["TALB"]), str(id3["TRCK"])) == (
        "Old Song", "Abba", "Album", "1/1")
    assert ffprobe_tags(track) == frames_before  # the same values, as another reader sees
    assert "legacy-tag" not in open_codes(home)

    session = session_of(took)
    undone = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert sha(track) == original
    assert "legacy-tag" in open_codes(home)  # the decision open again


def test_a_whole_group_refuses_the_upgrade_and_writes_nothing(legacy):
    """Each file's original is set aside one item at a time: ``--all --choose`` says how."""
    home, track = legacy
    original = sha(track)
    took = decide(home, "music", "--all", "--group", "legacy-tag", "--choose", "1")
    assert took.returncode == 2 and "taken item by item" in took.stderr, took.stdout + took.stderr
    assert "Traceback" not in took.stderr
    assert sha(track) == original and "legacy-tag" in open_codes(home)


def test_the_api_previews_takes_and_undoes_the_upgrade_through_the_same_engine(legacy):
    """The page's faces: the choice by id, its preview (nothing written, a token), the take
    (a session), and ``/api/undo`` giving the original bytes back."""
    home, track = legacy
    original = sha(track)
    shown = json.loads(decide(home, "music", "Abba", "--json").stdout)
    legacy_id = next(d["id"] for d in shown["decisions"] if d["code"] == "legacy-tag")
    server = serve(home)
    try:
        explained = server.get(f"/api/decisions/{legacy_id}").json()
        assert {"number": 1, "label": UPGRADED, "act": "upgrade"}.items() <= \
            explained["choices"][0].items(), explained["choices"]  # fmt: skip
        body = {"id": legacy_id, "choose": 1}
        preview = server.post("/api/decisions/preview", body)
        assert preview.status_code == 200, preview.text
        assert [(w["field"], w["old"], w["new"]) for w in preview.json()["writes"]] == [
            ("tag version", "ID3v2.2", "ID3v2.4")]
        assert sha(track) == original  # a preview writes nothing
        took = server.post("/api/decisions", {**body, "token": preview.json()["token"]})
        assert took.status_code == 200 and took.json()["closed"] == 1, took.text
        assert ID3(track).version == (2, 4, 0)
        undone = server.post("/api/undo", {"session": took.json()["session"]})
        assert undone.status_code == 200 and undone.json()["complete"] is True, undone.text
        assert undone.json()["put_back"] == 1 and undone.json()["reopened"] == 1
        assert sha(track) == original
    finally:
        server.stop()


def test_a_read_only_file_is_left_alone_as_a_tag_write_would_leave_it(legacy):
    """The upgrade replaces the file: one a tag write would not touch is said, not replaced."""
    home, track = legacy
    original = sha(track)
    track.chmod(0o444)
    preview = decide(home, "music", "Abba", "--code", "legacy-tag", "--choose", "1",
                     "--dry-run")  # fmt: skip
    assert preview.returncode == 1 and "left alone tag version" in preview.stderr, \
        preview.stdout + preview.stderr  # fmt: skip
    took = decide(home, "music", "Abba", "--code", "legacy-tag", "--choose", "1")
    assert took.returncode == 1 and "left alone" in took.stderr, took.stdout + took.stderr
    assert "Traceback" not in took.stderr
    assert sha(track) == original and ID3(track).version == (2, 2, 0)
    assert "legacy-tag" in open_codes(home)


@pytest.mark.parametrize("release", ["this", "older"])
def test_the_upgrade_is_journaled_in_the_changes_folder_and_an_older_homes_is_undone_too(
    legacy, release
):
    """The swap's journal is the changes' own, kind-neutral (``status/changes/swapped/``);
    a home made by an older release kept it under verify's folder: undo finds it there."""
    home, track = legacy
    original = sha(track)
    took = decide(home, "music", "Abba", "--code", "legacy-tag", "--choose", "1")
    assert took.returncode == 0, took.stdout + took.stderr
    session = session_of(took)
    journal = home / "status" / "changes" / "swapped" / f"{session}.jsonl"
    assert journal.is_file() and not (home / "status" / "verify" / "restored").exists()
    if release == "older":  # where the last release wrote it
        older = home / "status" / "verify" / "restored" / journal.name
        older.parent.mkdir(parents=True)
        journal.rename(older)
        journal = older
    undone = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert sha(track) == original and "legacy-tag" in open_codes(home)
    assert not journal.exists()  # nothing left to put back
