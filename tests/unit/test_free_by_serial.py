"""One helper names a file beside those of the same moment: a queue's checkpoint of the same
day and count, a copy kept within the same second, an audiobook's backup."""

from __future__ import annotations

from mediakeeper.fs.atomic import keep_replaced, replaced_stamp
from mediakeeper.fs.names import free_by_serial


def test_a_free_name_is_kept_and_a_taken_one_gets_the_first_free_serial():
    taken = {"x", "x-2", "x-4"}
    assert free_by_serial("y", taken.__contains__) == "y"
    assert free_by_serial("x", taken.__contains__) == "x-3"  # the first gap, from 2
    assert free_by_serial("b_1", {"b_1"}.__contains__, "_") == "b_1_2"


def test_a_name_that_ends_like_a_serial_is_numbered_after_its_whole_self():
    assert free_by_serial("run-2", {"run-2", "run-2-2"}.__contains__) == "run-2-3"


def test_copies_kept_within_one_second_are_named_as_before(tmp_path):
    settings = tmp_path / "config.toml"
    settings.write_text("a = 1\n")
    names = [keep_replaced(settings, replaced_stamp(tmp_path, "20260101T000000")).name
             for _ in range(3)]  # fmt: skip
    assert names == ["config.toml.replaced-20260101T000000",
                     "config.toml.replaced-20260101T000000-2",
                     "config.toml.replaced-20260101T000000-3"]  # fmt: skip
