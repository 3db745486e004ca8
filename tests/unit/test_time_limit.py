"""A Python call bounded in time (mediakeeper.system.time_limit): run in a forked child,
killed when its time is up, its result or its error passed back."""

from __future__ import annotations

import os

import pytest

from mediakeeper.system.time_limit import CallDied, OverTime, call_within


def test_the_result_comes_back():
    assert call_within(lambda: {"found": [1, 2, 3]}, 30) == {"found": [1, 2, 3]}


def test_the_error_raised_is_raised_here():
    def fails():
        raise KeyError("no such code")

    with pytest.raises(KeyError, match="no such code"):
        call_within(fails, 30)


def test_a_call_that_never_ends_is_stopped():
    def forever():
        while True:
            pass

    with pytest.raises(OverTime, match="did not finish within 1 s"):
        call_within(forever, 1)


def test_a_call_that_ends_its_process_is_said_so():
    with pytest.raises(CallDied):
        call_within(lambda: os._exit(3), 30)


def test_what_it_changes_stays_in_its_own_process():
    seen: list[str] = []
    call_within(lambda: seen.append("changed"), 30)
    assert seen == []
