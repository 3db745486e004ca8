"""The garbage collector around a script's start (``system/collector.py``): what the calls do
to the collector of the process they run in (``loading``: in a new process each, as a
command's start leaves it). A script's whole start, run as a script and as an import, is
checked in tests/contracts/test_imports.py."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from mediakeeper.system import collector


@pytest.fixture
def own_collector():
    """This process's collector as it was, whatever a failing test left."""
    frozen, enabled = gc.get_freeze_count(), gc.isenabled()
    yield frozen
    if gc.get_freeze_count() > frozen:
        gc.unfreeze()
    (gc.enable if enabled else gc.disable)()


def test_a_collector_turned_off_by_the_program_stays_off_and_nothing_is_frozen(own_collector):
    gc.disable()
    collector.hold()
    collector.imports_done()
    assert not gc.isenabled()
    assert gc.get_freeze_count() == own_collector


def test_imports_done_without_a_hold_changes_nothing(own_collector):
    gc.enable()
    collector.imports_done()
    assert gc.isenabled() and gc.get_freeze_count() == own_collector


def test_a_hold_is_released_once_with_what_was_made_frozen(own_collector):
    gc.enable()
    collector.hold()
    assert not gc.isenabled()
    made = [[n] for n in range(1000)]  # objects the collector tracks, made while it waits
    collector.imports_done()
    assert gc.isenabled() and gc.get_freeze_count() >= own_collector + len(made)
    gc.unfreeze()
    collector.imports_done()  # a second command of the same process: nothing again
    assert gc.get_freeze_count() == 0


def test_exiting_sets_what_the_command_made_out_of_the_last_collection(own_collector):
    made = [[n] for n in range(1000)]  # the batch's objects, alive as it exits
    collector.exiting()
    assert gc.get_freeze_count() >= own_collector + len(made)


def _collector_after(start: str) -> list[str]:
    """In a new process: ``start`` (the calls a command's start makes), then objects made
    inside ``loading``; what the collector said inside it and after, and what was frozen."""
    code = (
        "import gc\nfrom mediakeeper.system import collector\n" + start
        + "\nbefore = gc.get_freeze_count()\nwith collector.loading():\n"
        "    inside = gc.isenabled()\n    made = [[n] for n in range(1000)]\n"
        "print(inside, gc.isenabled(), gc.get_freeze_count() - before >= len(made))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    return done.stdout.split()


def test_modules_loaded_once_the_command_runs_load_as_its_first_did():
    """A command that imports what it needs as it needs it (``decide`` taking a decision):
    the collector held back while they load, and what they made frozen with them."""
    started = "collector.hold()\ncollector.imports_done()"
    assert _collector_after(started) == ["False", "True", "True"]


def test_loading_changes_nothing_where_the_collector_is_not_the_commands():
    """A program that never held it (a test, another tool), and a command whose first
    imports still hold it: the collector stays as it is, and nothing is frozen."""
    assert _collector_after("") == ["True", "True", "False"]
    assert _collector_after("collector.hold()") == ["False", "False", "False"]
