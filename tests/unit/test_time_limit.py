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


def test_what_it_prints_is_handed_back_however_it_ends(capfd):
    def chatters():
        print("a line")
        print("a great deal " * 10_000, flush=True)  # past a pipe's buffer and what is kept
        os.write(2, b"from C code\n")
        while True:
            pass

    heard: list[str] = []
    with pytest.raises(OverTime):
        call_within(chatters, 1, heard.append)
    [said] = heard
    assert said.startswith("a line\na great deal a great deal ")
    assert said.endswith(" bytes more")  # its first 64 KiB kept, the rest counted
    assert capfd.readouterr() == ("", "")  # none of it reached this process's streams

    quiet: list[str] = []
    call_within(lambda: print("dropped"), 30)  # without a hand to take it: dropped
    assert call_within(lambda: [], 30, quiet.append) == [] and quiet == []
    assert capfd.readouterr() == ("", "")
