"""The progress bar a batch draws on a terminal: the item in hand, its position, an ETA."""

from __future__ import annotations

import os
import pty
import re
import select
import sys
import time

from mediakeeper.batch import ItemResult, Outcome
from utilities.progress import ProgressHooks


def test_the_bar_shows_the_item_in_hand_and_an_eta_once_an_item_took_a_while(monkeypatch):
    leader, follower = pty.openpty()
    terminal = open(follower, "w", encoding="utf-8", closefd=True)  # noqa: SIM115
    monkeypatch.setattr(sys, "stdout", terminal)
    try:
        hooks = ProgressHooks("artist")
        hooks.started(3)
        hooks.item_started({"name": "Alpha"})
        # Click estimates from steps at least a second apart: Alpha takes that long.
        time.sleep(1.1)
        hooks.item_finished(Outcome("alpha", "Alpha", "completed", ItemResult(summary="2 tracks")))
        hooks.item_started({"name": "Bravo"})
        hooks.close()
        terminal.flush()
        out = b""
        while select.select([leader], [], [], 0.5)[0]:
            out += os.read(leader, 65536)
        out = out.decode("utf-8")
    finally:
        terminal.close()
        os.close(leader)
    assert re.search(r"artists  \[[#-]+\]  0/3  Alpha", out), out
    assert "\r\x1b[K✓ Alpha — completed: 2 tracks" in out  # the line replaces the bar
    # Bravo's bar: one of three done, and the time left at Alpha's pace (two more items of
    # at least 1.1 s each; a loaded machine only makes it longer)
    [(hours, minutes, seconds)] = re.findall(
        r"artists  \[[#-]+\]  1/3  (\d\d):(\d\d):(\d\d)  Bravo", out
    )
    assert int(hours) * 3600 + int(minutes) * 60 + int(seconds) >= 2, out


def test_off_a_terminal_only_the_lines_are_written(capsys):
    hooks = ProgressHooks("artist")
    hooks.started(2)
    hooks.item_started({"name": "Alpha"})
    hooks.item_finished(Outcome("alpha", "Alpha", "error", error="cannot read it"))
    hooks.close()
    assert capsys.readouterr().out == "✗ Alpha — error: cannot read it\n"
