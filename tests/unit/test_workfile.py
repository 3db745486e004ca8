"""The work file: a plan, then a result; whatever a kill tears is ignored, never misread."""

from __future__ import annotations

from mediakeeper.batch.job import ItemResult
from mediakeeper.batch.workfile import finished, load_work, save_finished, save_work, work_path

PLAN = {"token": "t1", "stage": "applying", "changes": [{"path": "a.mp3", "new": "Ünïcode"}]}
RESULT = ItemResult(counts={"track_count": 3}, details={"slug": "x"}, summary="3 tracks")


def _path(tmp_path):
    return work_path(tmp_path / "status" / "music", "artist")


def test_a_plan_reads_back_for_its_token_only(tmp_path):
    path = _path(tmp_path)
    save_work(path, PLAN)  # the work folder is made on first use
    assert load_work(path, "t1") == PLAN
    assert load_work(path, "t2") is None  # a new claim: start afresh
    assert load_work(path, None) is None
    assert finished(load_work(path, "t1")) is None


def test_a_result_follows_its_plan(tmp_path):
    path = _path(tmp_path)
    save_work(path, PLAN)
    save_finished(path, "t1", RESULT)
    assert finished(load_work(path, "t1")) == RESULT
    assert load_work(path, "t2") is None


def test_a_torn_plan_is_no_plan(tmp_path):
    path = _path(tmp_path)
    save_work(path, PLAN)
    whole = path.read_bytes()
    for cut in (0, 1, len(whole) // 2, len(whole) - 1):  # the newline is the last byte
        path.write_bytes(whole[:cut])
        assert load_work(path, "t1") is None


def test_a_torn_result_leaves_the_plan_and_is_cut_off_by_the_next(tmp_path):
    path = _path(tmp_path)
    save_work(path, PLAN)
    save_finished(path, "t1", RESULT)
    whole = path.read_bytes()
    plan_end = whole.index(b"\n") + 1
    for cut in range(plan_end, len(whole), 7):
        path.write_bytes(whole[:cut])
        assert load_work(path, "t1") == PLAN
        save_finished(path, "t1", RESULT)  # the resumed attempt finishes again
        assert path.read_bytes() == whole


def test_a_new_plan_replaces_a_longer_old_file_entirely(tmp_path):
    path = _path(tmp_path)
    save_work(path, {**PLAN, "padding": "x" * 5000})
    save_finished(path, "t1", RESULT)
    save_work(path, {"token": "t2", "stage": "applying"})
    assert load_work(path, "t2") == {"token": "t2", "stage": "applying"}
    assert load_work(path, "t1") is None
    assert path.read_bytes().count(b"\n") == 1


def test_another_tokens_result_is_not_this_plans(tmp_path):
    path = _path(tmp_path)
    save_work(path, PLAN)
    path.write_bytes(path.read_bytes() + b'{"token": "t0", "stage": "done", "result": {}}\n')
    assert load_work(path, "t1") == PLAN


def test_a_result_for_a_work_file_removed_meanwhile_is_not_kept(tmp_path):
    path = _path(tmp_path)
    save_finished(path, "t1", RESULT)  # no plan, no file: nothing to finish, nothing raised
    assert not path.exists()
