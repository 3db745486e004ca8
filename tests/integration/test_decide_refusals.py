"""``decide`` says its own reasons (issue 63): a ``--set`` value that is not UTF-8 text is
refused in one line before any file is touched (before: one raw Python error per file, then
"a file changed since the batch read it"), and a write a full disk refuses says so (before:
the same false line about another program). Real files, real scripts, a real full tmpfs."""

from __future__ import annotations

import os

import mutagen

from tests.helpers import run_script, small_tmpfs
from tests.integration.test_data_home_full import fill
from tests.integration.test_decisions_truth import library_spec


def decide(home, *args):
    return run_script("decide.py", "--home", home, *args)


def test_a_value_that_is_not_utf8_is_refused_in_one_line_before_any_file(processed):
    home, lib = processed
    before = {p: p.read_bytes() for p in lib.rglob("*.flac")}
    bad = os.fsdecode(b"artist=Motorhead \xff")  # bytes a terminal passed as they were
    shown = decide(home, "music", "Metallica", "--set", bad)
    assert shown.returncode == 2, shown.stdout + shown.stderr
    said = shown.stderr.strip().splitlines()
    assert len(said) == 1, shown.stderr
    assert "not UTF-8 text" in said[0] and "Motorhead \\\\xff" in said[0], said
    assert "changed since the batch read it" not in shown.stderr
    assert {p: p.read_bytes() for p in lib.rglob("*.flac")} == before
    assert "missing-artist" in decide(home, "music", "Metallica").stdout  # still open


def test_a_full_disk_is_said_as_such_not_as_another_programs_change(tmp_path, music_library):
    with small_tmpfs(tmp_path / "disk", "2m") as disk:
        lib, home = disk / "lib", tmp_path / "home"
        music_library(lib, library_spec())
        home.mkdir()
        (home / "mediakeeper.toml").write_text('[music]\nwrite_mode = "copy"\n')
        batch = run_script("process_music_batch.py", "--home", home, "--library", lib,
                            "--offline")  # fmt: skip
        assert batch.returncode == 1, batch.stdout + batch.stderr
        filler = fill(disk, 0)
        track = lib / "Metallica" / "Loose Song.flac"
        shown = decide(home, "music", "Metallica", "--set", "artist=Metallica")
        assert shown.returncode == 1, shown.stdout + shown.stderr
        assert "changed since the batch read it" not in shown.stderr, shown.stderr
        assert "Nothing decided: 1 value could not be written:" in shown.stderr, shown.stderr
        assert "disk full" in shown.stderr.splitlines()[-1], shown.stderr
        assert "artist" not in mutagen.File(track)  # nothing half written
        filler.unlink()
        again = decide(home, "music", "Metallica", "--set", "artist=Metallica")
        assert again.returncode == 0, again.stdout + again.stderr
        assert mutagen.File(track)["artist"] == ["Metallica"]


def test_json_with_an_answer_is_refused_before_anything_not_ignored(processed):
    """``--json`` lists decisions; given with an answer it printed the answer's text (a
    script's JSON reader failed on it), and without --dry-run it took the answer. Refused,
    one line, exit 2, nothing written."""
    home, lib = processed
    before = {p: p.read_bytes() for p in lib.rglob("*.flac")}
    for answer in (["music", "Metallica", "--set", "artist=Metallica"],
                   ["music", "Metallica", "--dismiss", "missing-artist", "--dry-run"],
                   ["music", "--all", "--dismiss", "missing-artist"]):  # fmt: skip
        shown = decide(home, *answer, "--json")
        assert shown.returncode == 2, answer
        assert shown.stderr.strip().splitlines()[-1] == (
            "Error: --json lists decisions (and an --all --dry-run's preview); an answer "
            "(--choose, --set, --dismiss, --all, -i) prints text: leave --json out"
        ), shown.stderr  # fmt: skip
        assert shown.stdout == ""
    assert {p: p.read_bytes() for p in lib.rglob("*.flac")} == before
    assert "missing-artist" in decide(home, "music", "Metallica").stdout  # still open
