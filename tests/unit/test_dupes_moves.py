"""Moves journaled before they are made, and put back (``mediakeeper.changes.moves``)."""

from __future__ import annotations

import json

from mediakeeper.changes import moves, swaps
from mediakeeper.fs.checks import content_hash


def graded(path) -> dict:
    """A file as the scan saw it (``groups._file``)."""
    st = path.stat()
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "inode": st.st_ino, "hash": content_hash(path)}  # fmt: skip


def test_a_move_is_put_back_the_same_file_and_one_never_made_is_not_a_failure(tmp_path):
    home, library, holding = tmp_path / "home", tmp_path / "Music", tmp_path / "held"
    kept = library / "A" / "Album" / "01.mp3"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"ID3 audio")
    inode = kept.stat().st_ino
    target = moves.in_holding(holding, library, kept)
    assert target == holding / "A" / "Album" / "01.mp3"
    moves.move(home, "s1", graded(kept), target)
    assert not kept.exists() and target.read_bytes() == b"ID3 audio"
    # a kill between the journal line and the rename: the file never moved
    never = library / "B" / "02.mp3"
    never.parent.mkdir()
    never.write_bytes(b"other")
    line = {"from": str(never), "to": str(holding / "B" / "02.mp3"), "size": 5}
    with open(moves.journal_path(home, "s1"), "a") as journal:
        journal.write(json.dumps(line) + "\n" + '{"from": "/torn')
    back = moves.put_back(home, "s1", holding)
    assert back.restored == [str(kept)] and back.left_alone == []
    assert kept.read_bytes() == b"ID3 audio" and kept.stat().st_ino == inode
    assert never.read_bytes() == b"other"
    assert not holding.exists() or not any(holding.rglob("*"))


def test_a_taken_name_in_the_holding_folder_and_a_file_in_the_way_are_said(tmp_path):
    home, library, holding = tmp_path / "home", tmp_path / "Music", tmp_path / "held"
    first = library / "A" / "01.mp3"
    first.parent.mkdir(parents=True)
    first.write_bytes(b"one")
    (holding / "A").mkdir(parents=True)
    (holding / "A" / "01.mp3").write_bytes(b"set aside before")
    target = moves.in_holding(holding, library, first)
    assert target.name == "01 (2).mp3"
    moves.move(home, "s2", graded(first), target)
    first.write_bytes(b"a new file since")
    back = moves.put_back(home, "s2", holding)
    assert back.restored == [] and back.left_alone == [
        (str(first), "another file is at its own path")
    ]
    assert target.read_bytes() == b"one"


def test_a_line_cut_short_inside_a_name_s_character_is_passed_over(tmp_path):
    """A full disk cut an append inside "ö" (two bytes in UTF-8): reading the journal raised
    UnicodeDecodeError, so every later set-aside and undo of the home failed with a traceback."""
    home, library, holding = tmp_path / "home", tmp_path / "Music", tmp_path / "held"
    kept = library / "Björk" / "01.mp3"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"ID3 audio")
    target = moves.in_holding(holding, library, kept)
    moves.move(home, "s1", graded(kept), target)
    line = json.dumps({"from": str(library / "Björk" / "02.mp3")}, ensure_ascii=False).encode()
    cut = line[: line.index("ö".encode()) + 1]
    with open(moves.journal_path(home, "s1"), "ab") as journal:
        journal.write(cut)
    assert [e["from"] for e in moves.moved(home, "s1")] == [str(kept)]
    back = moves.put_back(home, "s1", holding)
    assert back.restored == [str(kept)] and kept.read_bytes() == b"ID3 audio"
    # a swap's journal is read the same way
    swapped = swaps.journal_path(home, "s2")
    swapped.parent.mkdir(parents=True)
    placed = {"file": str(kept), "aside": str(target), "copy": "/backup/01.mp3", "as": [1, 2]}
    swapped.write_bytes(json.dumps(placed).encode() + b"\n" + json.dumps(
        {"placed": str(kept), "as": [1, 2]}).encode() + b"\n" + cut)  # fmt: skip
    assert swaps.planned(home, "s2") == [str(kept)]
