"""mediakeeper.fs.keyed_log on real files and processes: each key's last record, lines cut
short passed over, folds that lose no append made meanwhile."""

from __future__ import annotations

import json
import multiprocessing
import os

from mediakeeper.fs.keyed_log import FOLD_FROM, FOLDED, KeyedLog


def test_each_keys_last_record_and_what_was_appended_since(tmp_path):
    log = KeyedLog(tmp_path / "made" / "here.jsonl")  # the folder is made by the first append
    assert dict(log.sorted_records()) == {} and log.get("a") is None
    log.append("a", {"n": 1})
    log.append("b", {"n": 2})
    assert dict(log.sorted_records()) == {"a": {"n": 1, "key": "a"}, "b": {"n": 2, "key": "b"}}
    log.append("a", {"n": 3})  # read from where the last read ended
    assert log.get("a") == {"n": 3, "key": "a"}
    assert KeyedLog(log.path).get("b") == {"n": 2, "key": "b"}  # another reader, the same file
    lines = log.path.read_text().splitlines()
    assert [json.loads(line)["n"] for line in lines] == [1, 2, 3]


def test_a_line_cut_short_is_passed_over_and_the_next_append_is_whole(tmp_path):
    log = KeyedLog(tmp_path / "log.jsonl")
    log.append("a", {"text": "Ça"})
    with open(log.path, "ab") as f:  # what a kill in the middle of an append leaves
        f.write('{"text": "Ç'.encode()[:-1])
    assert log.get("a") == {"text": "Ça", "key": "a"}  # the cut line is not read yet
    log.append("b", {"text": "whole"})
    assert dict(log.sorted_records()) == {
        "a": {"text": "Ça", "key": "a"},
        "b": {"text": "whole", "key": "b"},
    }
    read_whole = dict(KeyedLog(log.path).sorted_records())
    assert read_whole == dict(log.sorted_records())  # read whole, the same


def test_a_fold_keeps_each_keys_last_record_once_the_file_has_doubled(tmp_path):
    log = KeyedLog(tmp_path / "log.jsonl")
    payload = "x" * 4000
    for n in range(FOLD_FROM // 4000 // 2):  # half of FOLD_FROM: too small to fold
        log.append(f"k{n % 10}", {"n": n, "payload": payload})
    assert not log.fold_if_grown()
    for n in range(FOLD_FROM // 4000):
        log.append(f"k{n % 10}", {"n": n, "payload": payload})
    before = dict(log.sorted_records())
    inode = log.path.stat().st_ino
    assert log.fold_if_grown()
    assert log.path.stat().st_ino != inode  # replaced whole
    lines = log.path.read_text().splitlines()
    assert len(lines) == 11  # its mark, then each key's last record
    assert json.loads(lines[0])[FOLDED] == log.path.stat().st_size - len(lines[0]) - 1
    assert dict(KeyedLog(log.path).sorted_records()) == before == dict(log.sorted_records())
    log.append("k0", {"n": -1})
    assert not log.fold_if_grown()  # not twice its folded size
    assert log.get("k0") == {"n": -1, "key": "k0"}


def test_a_fold_after_every_record_was_read_reads_only_what_was_appended_since(
    tmp_path, monkeypatch
):
    """As ``tracks.csv`` is assembled: every record read, then the log folded once it has
    grown. The fold copies the lines that reading found, and reads no line a second time."""
    log = KeyedLog(tmp_path / "log.jsonl")
    for n in range(2 * FOLD_FROM // 4000 + 1):
        log.append(f"k{n}", {"n": n, "payload": "x" * 4000})
    records = dict(log.sorted_records())
    KeyedLog(log.path).append("late", {"n": -1})  # another process's, after the reading
    decoded, loads = [], json.loads

    def counted(text):
        decoded.append(text)
        return loads(text)

    monkeypatch.setattr(json, "loads", counted)  # the lines the fold decodes, seen
    assert log.fold_if_grown()
    monkeypatch.undo()
    assert [json.loads(line)["key"] for line in decoded[1:]] == ["late"]  # (first: its size)
    assert dict(KeyedLog(log.path).sorted_records()) == {
        **records,
        "late": {"n": -1, "key": "late"},
    }


def test_a_fold_a_full_disk_stops_leaves_the_file_as_it_was(tmp_path, full_disk):
    log = KeyedLog(tmp_path / "log.jsonl")
    for n in range(2 * FOLD_FROM // 4000 + 1):
        log.append(f"k{n % 10}", {"n": n, "payload": "x" * 4000})
    before = log.path.read_bytes()
    full_disk(20_000)  # the folded file (ten records of 4 KB) does not fit
    assert not log.fold_if_grown()
    assert log.path.read_bytes() == before
    assert os.listdir(tmp_path) == ["log.jsonl"]  # no temp file left


def test_a_file_replaced_where_it_was_is_read_again_whole(tmp_path):
    log = KeyedLog(tmp_path / "log.jsonl")
    log.append("a", {"n": 1})
    assert log.get("a") == {"n": 1, "key": "a"}
    with open(log.path, "r+b") as f:  # another file at the same inode (as a reused one)
        f.write(b'{"key": "b", "n": 2}\n{"key": "a", "n": 3}\n')
    assert dict(log.sorted_records()) == {"b": {"key": "b", "n": 2}, "a": {"key": "a", "n": 3}}


def _append_many(path, who: int, count: int) -> None:
    log = KeyedLog(path)
    for n in range(count):
        log.append(f"{who}-{n}", {"n": n, "filler": "y" * (n % 50)})


def _fold_often(path, times: int) -> None:
    log = KeyedLog(path)
    for _ in range(times):
        log.fold()


def test_folds_while_processes_append_lose_no_record(tmp_path):
    path = tmp_path / "log.jsonl"
    KeyedLog(path).append("start", {})
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_append_many, args=(path, w, 400)) for w in range(3)]
    folder = context.Process(target=_fold_often, args=(path, 200))
    for process in (*writers, folder):
        process.start()
    for process in (*writers, folder):
        process.join(60)
        assert process.exitcode == 0
    records = dict(KeyedLog(path).sorted_records())
    assert set(records) == {"start"} | {f"{w}-{n}" for w in range(3) for n in range(400)}
    assert all(records[f"{w}-{n}"]["n"] == n for w in range(3) for n in range(400))
    assert not [name for name in os.listdir(tmp_path) if name != "log.jsonl"]  # no temp left
