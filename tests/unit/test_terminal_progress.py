"""The live line a batch draws on a terminal (the item in hand, its position, a labelled ETA),
and which finished items get a line of their own at each verbosity."""

from __future__ import annotations

import os
import pty
import re
import select
import sys
import time

from mediakeeper.batch.job import ItemResult
from mediakeeper.batch.runner import Outcome
from mediakeeper.cli.progress_line import ProgressHooks, say
from mediakeeper.cli.verbosity import NORMAL, QUIET, VERBOSE

ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

CLEAN = Outcome("alpha", "Alpha", "completed", ItemResult(summary="2 tracks"), seconds=1.25)
UNDECIDED = Outcome(
    "bravo",
    "Bravo",
    "completed",
    ItemResult(
        summary="2 tracks, 3 issues, 1 fixed",
        details={"finding_counts": {"missing-year": [2, 0], "whitespace": [1, 1]}},
    ),
)
ONLY_INFO = Outcome(
    "charlie",
    "Charlie",
    "completed",
    ItemResult(summary="1 track", details={"finding_counts": {"missing-cover": [1, 0]}}),
)
FAILED = Outcome("delta", "Delta", "error", error="cannot read it")
REFUSED = Outcome(
    "echo", "Echo", "completed", ItemResult(summary="1 track", problem="1 tag fix could not be")
)


def on_a_terminal(monkeypatch, run, columns: int = 80, noun: str = "artist") -> str:
    """What ``run(hooks)`` writes to a real pseudo-terminal of ``columns``, escapes removed."""
    leader, follower = pty.openpty()
    terminal = open(follower, "w", encoding="utf-8", closefd=True)  # noqa: SIM115
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.delenv("NO_COLOR", raising=False)
    try:
        run(ProgressHooks(noun, NORMAL))
        terminal.flush()
        out = b""
        while select.select([leader], [], [], 0.5)[0]:
            out += os.read(leader, 65536)
    finally:
        terminal.close()
        os.close(leader)
    return ESCAPE.sub("", out.decode("utf-8"))


def test_the_live_line_shows_the_item_in_hand_and_a_labelled_eta(monkeypatch):
    def run(hooks):
        hooks.started(4)
        for outcome in (UNDECIDED, CLEAN):
            hooks.item_started({"key": outcome.key, "name": outcome.name})
            time.sleep(0.2)  # a pace to estimate from
            hooks.item_finished(outcome)
        hooks.item_started({"key": "charlie", "name": "Charlie " + "x" * 100})
        hooks.close()

    out = on_a_terminal(monkeypatch, run)
    assert re.search(r"artists [━ ]+ 0/4 ETA -:--:-- Bravo", out), out
    # the finished item's line replaces the live line, which is drawn again under it
    assert re.search(r"\r✓ Bravo — completed: 2 tracks, 3 issues, 1 fixed\r?\n", out), out
    assert "Alpha —" not in out  # it needs nothing: no line of its own
    # two done of four: the time left at that pace, labelled; the long name cut to fit two
    # columns short of the terminal: the "^C" a terminal echoes after a full line wraps to
    # the next, and the bar above it stayed on screen after Ctrl+C (issue 36)
    bars = re.findall(r"artists [━╸╺ ]+ 2/4 ETA \d:\d\d:\d\d Charlie x+…", out)
    assert bars and {len(bar) for bar in bars} == {78}, bars


def test_the_line_names_an_item_being_worked_on_not_one_claimed_ahead(monkeypatch):
    """Issue 36: a batch claims items ahead of its workers, which take them in order; the line
    named the last one claimed (not started yet) instead of one being worked on."""

    def run(hooks):
        hooks.started(6)
        for name in ("Alpha", "Bravo", "Charlie", "Delta"):  # claimed at once
            hooks.item_started({"key": name.lower(), "name": name})
        hooks.item_finished(CLEAN)  # Alpha's
        hooks.close()

    bars = re.findall(r"artists [━╸╺ ]+ (\d)/6 ETA \S+ (\w+)", on_a_terminal(monkeypatch, run))
    assert bars and {name for done, name in bars if done == "0"} == {"Alpha"}, bars
    assert bars[-1] == ("1", "Bravo"), bars


def finished(capsys, *outcomes: Outcome) -> str:
    """What a batch off a terminal prints as ``outcomes`` finish, one after another."""
    hooks = ProgressHooks("artist", NORMAL)
    hooks.started(len(outcomes))
    for outcome in outcomes:
        hooks.item_started({"name": outcome.name})
        hooks.item_finished(outcome)
    hooks.close()
    return capsys.readouterr().out


def test_off_a_terminal_only_the_items_that_need_you_get_a_line(capsys):
    assert finished(capsys, CLEAN, UNDECIDED, ONLY_INFO, FAILED, REFUSED) == (
        "✓ Bravo — completed: 2 tracks, 3 issues, 1 fixed\n"
        "  2 decisions for you (its issue report says which)\n"
        "✗ Delta — error: cannot read it\n"
        "✓ Echo — completed: 1 track\n"
        "  ! 1 tag fix could not be\n"
    )


def test_verbose_gives_every_item_its_line_and_quiet_the_same_as_the_default(capsys):
    for verbosity in (VERBOSE, QUIET):
        hooks = ProgressHooks("artist", verbosity)
        hooks.started(2)
        for outcome in (CLEAN, FAILED):
            hooks.item_finished(outcome)
        hooks.close()
    assert capsys.readouterr().out == (
        "✓ Alpha — completed: 2 tracks (1.2s)\n"
        "✗ Delta — error: cannot read it\n"
        "✗ Delta — error: cannot read it\n"
    )


def test_closing_lines_wrap_between_words_on_a_terminal_and_keep_a_path_whole(monkeypatch):
    path = "/home/someone/mediakeeper/status/music/checkpoints/checkpoint_2026-11-23_artist_050"
    line = "needs you: 2 artists with fixes that could not be written (Alpha, Bravo); mend it"

    def run(hooks):
        say([line, f"checkpoint: {path}"])

    out = on_a_terminal(monkeypatch, run, columns=40)
    lines = out.replace("\r\n", "\n").rstrip("\n").split("\n")
    assert " ".join(lines[:-2]) == line and all(len(x) <= 40 for x in lines[:-2]), lines
    assert lines[-2:] == ["checkpoint:", path]  # copied whole, though wider than the terminal


def _ticking(times):
    """A clock that says ``times`` in turn (one per report heard)."""
    it = iter(times)
    return lambda: next(it)


BOOK = {"key": "jane", "name": "Jane Doe - A Title Long Enough To Be Cut Short " + "x" * 40}


def test_how_far_a_book_is_shows_after_its_name_with_its_own_eta_and_is_never_cut(monkeypatch):
    def run(hooks):
        hooks.monotonic = _ticking([100.0, 133.0])
        hooks.started(2)
        hooks.item_started(BOOK)
        hooks.item_fraction(BOOK, "encoding", 0.10)
        hooks.item_fraction(BOOK, "encoding", 0.43)  # 33 % in 33 s: 57 s to go
        hooks.item_finished(Outcome("jane", BOOK["name"], "completed", ItemResult()))
        hooks.close()

    out = on_a_terminal(monkeypatch, run, noun="book")
    bars = re.findall(r"books [━ ]+ 0/2 ETA -:--:-- Jane Doe -[^\r\n]*", out)
    assert bars and {len(bar.rstrip()) for bar in bars} == {78}, bars  # room for a "^C"
    assert bars[-1].endswith("…  encoding 43%  ETA 0:57"), bars  # the name gave way
    assert any(bar.endswith("…  encoding 10%") for bar in bars), bars  # no rate yet: no ETA
    after = out.rsplit("1/2", 1)[-1]  # once the book is done, its fraction is gone
    assert "encoding" not in after, after


def test_with_two_books_at_once_the_line_keeps_to_one_while_it_goes_on(monkeypatch):
    other = {"key": "john", "name": "John Roe - Other"}

    def run(hooks):
        hooks.monotonic = _ticking([0.0, 1.0, 2.0, 6.0])
        hooks.started(2)
        hooks.item_started(BOOK)
        hooks.item_started(other)
        hooks.item_fraction(BOOK, "encoding", 0.10)
        hooks.item_fraction(other, "joining", 0.20)  # the first still goes on: not shown
        hooks.item_fraction(BOOK, "encoding", 0.30)
        hooks.item_fraction(other, "joining", 0.60)  # the first said nothing for 4 s
        hooks.close()

    out = on_a_terminal(monkeypatch, run, noun="book")
    assert "encoding 30%" in out and "joining 60%" in out, out
    assert "joining 20%" not in out, out


def test_an_item_sent_to_a_cluster_says_which_worker_holds_it_until_it_says_how_far(
        monkeypatch):  # fmt: skip
    album = {"key": "a", "name": "Artist - Album"}

    def run(hooks):
        hooks.monotonic = _ticking([0.0])
        hooks.started(1)
        hooks.item_started(album)
        hooks.item_workers(album, ["tcp://10.0.0.7:40001"])
        hooks.item_fraction(album, "encoding on tcp://10.0.0.7:40001", 0.5)
        hooks.item_workers(album, [])  # a fraction shown: it keeps the line
        hooks.close()

    frames = on_a_terminal(monkeypatch, run, noun="album").split("\r")
    assert any(f.rstrip().endswith("Artist -…  on tcp://10.0.0.7:40001") for f in frames), frames
    last = [f for f in frames if f.strip()][-1]
    assert "encoding on tcp://10.0.0.7:40001" in last, frames  # kept, not emptied


def test_off_a_terminal_nothing_is_printed_per_percent(capsys):
    hooks = ProgressHooks("book", VERBOSE)
    hooks.started(1)
    hooks.item_started(BOOK)
    for n in range(10):
        hooks.item_fraction(BOOK, "encoding", n / 10)
    hooks.close()
    assert capsys.readouterr().out == ""


def test_a_failure_is_said_in_a_persons_words_and_a_given_back_item_gets_its_line(capsys):
    """A failure's line says the file, not the working folder that held it, and a digest by
    its first digits (as the page, --list and the reports say it); an item an --enrich run
    gave back as it was (its service unreachable) gets a line, one an interrupt gave back
    none."""
    held = "/home/me/working/conversions/ok-computer-1a2b/_source/07 - Fitter Happier.ogg"
    assert finished(
        capsys,
        Outcome("f", "Foxtrot", "error", error=f"does not decode: file:{held}: End of file; "
                                                "MD5 f1f62466079d50a485fc3a1182beab5a"),
        Outcome("g", "Golf", "released", error="musicbrainz: 503; it stays completed"),
        Outcome("h", "Hotel", "released"),  # interrupted: the closing lines say it
    ) == (
        "✗ Foxtrot — error: does not decode: 07 - Fitter Happier.ogg: End of file; "
        "MD5 f1f62466…\n"
        "↺ Golf — released: musicbrainz: 503; it stays completed\n"
    )


def test_the_summary_says_why_the_items_given_back_were_not_looked_up():
    """An --enrich run's items given back as they were: unreachable, unusable, or both."""
    from mediakeeper.batch.report import RELEASED, BatchReport
    from mediakeeper.cli.progress_line import render_summary

    def said(*network: bool) -> str:
        report = BatchReport()
        for n, down in enumerate(network):
            report.note(Outcome(f"k{n}", f"A{n}", RELEASED, error="why", network=down))
        return next(line for line in render_summary(report, "artist", resume="")
                    if line.startswith("not looked up"))  # fmt: skip

    tail = "each as it was; run --enrich again later"
    assert said(True, True) == f"not looked up: 2 artists (the service unreachable), {tail}"
    # One artist: its line, as it was (was "each one's line", "each as it was")
    assert said(False) == ("not looked up: 1 artist (the service's answer unusable: its line "
                           "says how), as it was; run --enrich again later")  # fmt: skip
    assert said(False, False) == ("not looked up: 2 artists (the service's answer unusable: "
                                  f"each one's line says how), {tail}")  # fmt: skip
    assert said(True, False, True) == ("not looked up: 3 artists (2 with the service "
                                       f"unreachable, the rest with its answer unusable), {tail}")
