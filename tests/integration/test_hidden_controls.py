"""Issue 63: a right-to-left override (U+202E) or another hidden control in a tag or a folder
name reaches no page and no terminal line raw: each is shown as its escape (``\\u202e``,
``mediakeeper.text.visible``), the markup beside it as text. Read as a person reads them:
the pages in real headless Chromium, the lines as the batch and the dashboard print them."""

from __future__ import annotations

import re

import pytest

from tests.helpers import leaves_decisions, run_script
from tests.integration.test_batch_terminal import TMUX, Tmux, _batch_args, _env
from tests.integration.test_reports import chromium

RLO = "\u202e"
HOSTILE = "<img src=x onerror=alert(1)>"
FOLDER = f"Evil{RLO}gpj.exe{HOSTILE}"
TITLE = f"{RLO}Song\u200b{HOSTILE}\x1b[31m  "  # trailing spaces: a finding names it
RAW = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b\x1b]")


def test_no_hidden_control_reaches_a_page_or_a_terminal_line(tmp_path, music_library):
    music_library(tmp_path / "lib", {
        f"{FOLDER}/2001 - Album/0{i} - Song.flac": {
            "tags": {"title": TITLE, "artist": FOLDER, "album": "Album", "tracknumber": str(i),
                     "date": "2001", "albumartist": FOLDER}} for i in (1, 2)})  # fmt: skip
    home = tmp_path / "home"
    home.mkdir()
    dry = run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
                      "--offline", "--dry-run")  # its own lines, names among them  # fmt: skip
    batch = run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
                        "--offline", "--no-fix", "-v")  # fmt: skip
    assert leaves_decisions(batch), batch.stdout + batch.stderr  # --no-fix: its findings wait
    listed = run_script("music_queue_manager.py", "--home", home, "--list")
    board_html = tmp_path / "board.html"
    board = run_script("media_dashboard.py", "--home", home, "--html", board_html)
    shown = run_script("media_dashboard.py", "--home", home)
    asked = [run_script("decide.py", "--home", home, *args)
             for args in ((), ("--group", "whitespace"), ("music", FOLDER))]  # fmt: skip
    assert "Evil\\u202egpj.exe" in dry.stdout and "Evil\\u202egpj.exe" in listed.stdout
    # Escaped as every line shows it, never blanked (the dashboard showed a space).
    assert "Evil\\u202egpj.exe" in shown.stdout and "Evil\\u202egpj.exe" in asked[1].stdout
    for run in (batch, dry, listed, board, shown, *asked):
        assert not RAW.search(run.stdout + run.stderr), run.stdout + run.stderr
    assert "Evil\\u202egpj.exe" in batch.stdout  # the artist's line names it, escaped

    pages = [*(home / "issues" / "music").glob("*.html"), board_html,
             *(home / "status" / "reports").glob("*.html")]  # fmt: skip
    assert len(pages) >= 4, pages  # the artist's report, the index, the board, the week
    for page in pages:
        run = chromium(tmp_path, "--dump-dom", page.as_uri())
        assert run.returncode == 0, run.stderr[-2000:]
        dom = run.stdout
        assert not RAW.search(dom), (page.name, RAW.findall(dom))
        assert "<img" not in dom, page.name  # the markup beside it stays text
    report = next(p for p in pages if p.name.startswith("evil"))
    dom = chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    assert "Evil\\u202egpj.exe&lt;img src=x onerror=alert(1)&gt;" in dom
    assert "\\u202eSong\\u200b" in dom


def test_the_live_line_and_the_lines_of_a_real_terminal_show_the_escapes(
    tmp_path, music_library
):
    """In tmux: what the batch wrote to the terminal, its live line and escape codes and all,
    holds no bidi control and no escape sequence of a name, only their escapes."""
    if TMUX is None:
        pytest.skip("tmux is not installed")
    folder = f"Evil{RLO}gpj.exe\x1b[2J"  # a clear-screen sequence in a folder's name
    music_library(tmp_path / "lib", {
        f"{folder}/2001 - Album/0{i} - Song.flac": {
            "tags": {"title": "Song", "artist": folder, "album": "Album", "tracknumber": str(i),
                     "date": "2001", "albumartist": folder}} for i in (1, 2)})  # fmt: skip
    argv = [*_batch_args(tmp_path / "h", tmp_path / "lib"), "-v"]
    status, screen = Tmux(tmp_path, _env()).run(argv, tmp_path / "raw.out")
    raw = (tmp_path / "raw.out").read_bytes().decode("utf-8", "replace")
    assert status == 0, screen
    assert RLO not in raw and "\x1b[2J" not in raw, raw
    assert "Evil\\u202egpj.exe\\x1b[2J" in screen.replace("\n", ""), screen


def test_the_session_log_a_person_reads_shows_no_control_raw(tmp_path, music_library):
    """The session log is read in a terminal (``cat``, ``tail -f``, ``less -R``): a folder
    name's escape sequence (an OSC 8 link, a screen clear) or right-to-left override is shown
    there as its escape, as on every other terminal line, never sent to the terminal raw."""
    folder = f"Evil\x1b]8;;https:evil.example\x1b\\Click\x1b]8;;\x1b\\\x1b[2J{RLO}"
    music_library(tmp_path / "lib", {
        f"{folder}/2001 - Album/01 - Song.flac": {
            "tags": {"title": "Song", "artist": "A", "album": "Album", "tracknumber": "1",
                     "date": "2001", "albumartist": "A"}}})  # fmt: skip
    home = tmp_path / "home"
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
                        "--offline", "-v")  # fmt: skip
    assert batch.returncode in (0, 1), batch.stdout + batch.stderr
    logs = list((home / "status" / "music" / "session_logs").glob("*.log"))
    assert len(logs) == 1, logs
    log = logs[0].read_text(encoding="utf-8")
    assert not RAW.search(log), log
    assert "Evil\\x1b]8;;https:evil.example\\x1b\\Click" in log, log
