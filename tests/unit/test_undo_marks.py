"""The tags an undo put back, kept in an item's details until their file changes
(``queue/dismissals.py``), on real files: marked, standing, lifted by a change, kept across
the run's own writes, and said on the findings they leave open."""

from __future__ import annotations

import os

from mediakeeper.queue.dismissals import (
    UNDONE,
    reopen_undone,
    undone_kept,
    undone_marked,
    undone_standing,
)


def item_with(folder, marks) -> dict:
    return {"path": str(folder), "details": {UNDONE: marks}}


def test_a_mark_stands_until_its_file_changes_and_only_that_file(tmp_path):
    (tmp_path / "a.flac").write_bytes(b"a" * 10)
    (tmp_path / "b.flac").write_bytes(b"b" * 10)
    marks = undone_marked({}, str(tmp_path), [("a.flac", "title"), ("b.flac", "artist")], "u1")
    item = item_with(tmp_path, marks)
    assert undone_standing(item) == {("a.flac", "title"): "u1", ("b.flac", "artist"): "u1"}
    (tmp_path / "b.flac").write_bytes(b"another program's")
    assert undone_standing(item) == {("a.flac", "title"): "u1"}
    os.unlink(tmp_path / "a.flac")
    assert undone_standing(item) == {}


def test_a_second_undo_of_a_file_keeps_the_first_ones_tags(tmp_path):
    (tmp_path / "a.flac").write_bytes(b"a")
    first = undone_marked({}, str(tmp_path), [("a.flac", "title")], "u1")
    (tmp_path / "a.flac").write_bytes(b"a, undone again")
    second = undone_marked({UNDONE: first}, str(tmp_path), [("a.flac", "album")], "u2")
    item = item_with(tmp_path, second)
    assert undone_standing(item) == {("a.flac", "title"): "u2", ("a.flac", "album"): "u2"}


def test_the_runs_own_writes_are_marked_again_and_lifted_marks_go(tmp_path):
    (tmp_path / "a.flac").write_bytes(b"a")
    held = {("a.flac", "title"): "u1"}
    (tmp_path / "a.flac").write_bytes(b"a with another tag fixed by the run")
    kept = undone_kept(str(tmp_path), held)
    assert undone_standing(item_with(tmp_path, kept)) == held
    assert undone_kept(str(tmp_path), {}) == {}
    assert undone_kept(str(tmp_path), {("gone.flac", "title"): "u1"}) == {}


def test_the_findings_an_undo_leaves_open_say_which_undo(tmp_path):
    records = [
        {"code": "mojibake", "fixed": False, "details": {},
         "changes": [{"path": "a.flac", "tag": "title"}]},
        {"code": "missing-albumartist", "fixed": False,
         "details": {"settled_elsewhere": [["a.flac", "albumartist"]]}, "changes": []},
        {"code": "extra-whitespace", "fixed": True, "details": {},
         "changes": [{"path": "b.flac", "tag": "title"}]},
    ]  # fmt: skip
    reopen_undone(records, {("a.flac", "title"): "u1", ("a.flac", "albumartist"): "u2"})
    assert [r["details"].get(UNDONE) for r in records] == ["u1", "u2", None]
