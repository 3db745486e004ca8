"""No child a command started outlives it, even for a moment (``system.children``): a command
that keeps starting children is stopped by SIGINT at random instants, the two ways a command
ends on a signal (an ``Interrupted`` raised on to ``sys.exit``, and the start-up's exit at
once), and the instant it has exited no child of it runs.

The children are seen by a harness process that is the "subreaper" of what it starts
(``PR_SET_CHILD_SUBREAPER``): a child orphaned by the command's exit becomes the harness's
own, not init's, so the harness can tell whether one still runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mediakeeper.media import ffmpeg

REPO = Path(__file__).resolve().parents[2]

# Starts children for ever (an endless ffmpeg: one killed while its loader maps its hundred
# libraries lives on for milliseconds), each killed and waited for in turn: a signal lands
# inside Popen (forking, waiting for the exec) about as often as anywhere else.
RAISES = """
import sys
from mediakeeper.system import children
from mediakeeper.system.interrupts import Interrupted, interruptible
with interruptible():
    try:
        print("ready", flush=True)
        while True:
            child = children.start(sys.argv[1:])
            child.kill()
            child.wait()
            children.forget(child)
    except Interrupted:
        sys.exit(130)
"""
EXITS_AT_ONCE = RAISES.replace(
    "with interruptible():",
    "from mediakeeper.cli.startup import exit_130_on_signals\n"
    "exit_130_on_signals()\nif True:",
)

HARNESS = """
import ctypes, os, random, signal, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
random.seed(int(sys.argv[2]))
left = []
for _ in range(int(sys.argv[3])):
    command = subprocess.Popen([sys.executable, "-c", sys.argv[1], *sys.argv[4:]],
                               stdout=subprocess.PIPE)
    command.stdout.readline()
    time.sleep(random.uniform(0.01, 0.06))
    command.send_signal(signal.SIGINT)
    try:
        assert command.wait(30) == 130, command.returncode
    except subprocess.TimeoutExpired:
        command.kill()  # it went on after the Ctrl+C: never left running
        raise
    for entry in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{entry}/stat").read()
        except (OSError, ValueError):
            continue
        state, parent = stat[stat.rindex(")") + 2 :].split()[:2]
        if int(parent) == os.getpid() and state != "Z":
            left.append(open(f"/proc/{entry}/cmdline").read().replace(chr(0), " "))
            os.kill(int(entry), signal.SIGKILL)
    while True:  # the orphans are ours to wait for
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
print(left)
"""


@pytest.mark.parametrize("script", [RAISES, EXITS_AT_ONCE], ids=["raises", "exits-at-once"])
def test_no_child_runs_the_instant_a_command_stopped_by_a_signal_has_exited(script):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    endless = [ffmpeg.find(), "-hide_banner", "-f", "lavfi", "-i", "anullsrc", "-f", "null", "-"]
    run = subprocess.run([sys.executable, "-c", HARNESS, script, "7", "25", *endless], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
