"""How far a book is, and how long its ffmpeg may take, on real books made by ffmpeg: the
fractions its merge reports (encode or join, then the verification), the live line of a real
batch in a real terminal (tmux), and an ffmpeg whose input stops answering: stopped, tried
once more, the book failed with why, the batch going on, no ffmpeg left."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import sys
import threading
from pathlib import Path

import pytest

from mediakeeper.audiobooks.job import AudiobookJob
from mediakeeper.batch.job import ItemFailure
from mediakeeper.batch.stage_progress import reporting
from mediakeeper.media.merge_m4b import Input
from mediakeeper.system import children
from tests.integration.test_audiobooks import item, job, make
from tests.integration.test_batch_terminal import WIDTH, Tmux, _drawn_lines, _env
from tests.integration.test_ffmpeg import _ffmpegs_reading

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def _heard(tmp_path: Path, library: Path, folder: Path) -> tuple[list[str], list[tuple]]:
    stages, fractions = [], []
    with reporting(stages.append, lambda doing, fraction: fractions.append((doing, fraction))):
        job(tmp_path).process(item(library, folder))
    return stages, fractions


def _steps(fractions: list[tuple[str, float]]) -> list[str]:
    """What the fractions were of, in turn."""
    return [doing for n, (doing, _) in enumerate(fractions)
            if n == 0 or fractions[n - 1][0] != doing]  # fmt: skip


@pytest.mark.parametrize("codec", ["mp3", "aac"])
def test_a_books_merge_says_how_far_it_is_through_the_book(tmp_path, codec):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Far"
    extra, suffix = (["-c:a", "aac"], "m4a") if codec == "aac" else ([], "mp3")
    for n in (1, 2):
        make(book / f"{n:02d}.{suffix}", f"sine=d=20:frequency={300 * n}", *extra)
    stages, fractions = _heard(tmp_path, lib, book)
    # An encode is decoded while it runs; both are then read back against their listings.
    steps = ["encoding", "verifying"] if codec == "mp3" else ["joining", "verifying"]
    assert _steps(fractions) == steps, fractions
    for step in steps:  # each goes on through the book and ends whole
        mine = [f for doing, f in fractions if doing == step]
        assert mine == sorted(mine) and all(0 <= f <= 1 for f in mine), fractions
        assert mine[-1] == 1.0, fractions
    # For the queue, each stage as it begins (the shared stage machine's, as conversions').
    assert stages == ["backup", "measure", "merge", "place", "completed", "cleaning"]


def _fifo_writer(fifo: Path, opened: list[int], stop: threading.Event) -> threading.Thread:
    """Opens ``fifo`` for each reader that comes, and never writes: what a mount that
    stopped answering gives a reader (each open counted in ``opened``)."""

    def serve() -> None:
        while not stop.is_set():
            fd = os.open(fifo, os.O_WRONLY)  # waits for a reader
            if stop.is_set():
                os.close(fd)
                return
            opened.append(fd)
            gone = select.poll()
            gone.register(fd, 0)  # only POLLERR, which comes once the reader has gone
            gone.poll()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def _stalled_book(the_job: AudiobookJob, library: Path, backup: Path) -> dict:
    """A book whose backup and measure are done, its second file now an input that never
    answers (a FIFO): the claim of it. Its first file is real (the cover is looked for in it)."""
    folder = library / "Jane Doe - Stalled"
    make(folder / "01.mp3", "sine=d=2")
    make(folder / "02.mp3", "sine=d=2")
    backup.mkdir(parents=True)
    shutil.copy(folder / "01.mp3", backup / "01.mp3")
    os.mkfifo(backup / "02.mp3")
    claim = item(library, folder)
    inputs = [Input(os.fspath(backup / f"0{n}.mp3"), f"Chapter {n}", 2.0, "mp3", 44100, 2).__dict__
              for n in (1, 2)]  # fmt: skip
    state = {"key": claim["key"], "backup": os.fspath(backup), "stage": "merge", "inputs": inputs,
             "book": {"title": "Stalled", "author": "Jane Doe"}}  # fmt: skip
    wd = the_job.workdir(claim)
    wd.mkdir(parents=True)
    (wd / "state.json").write_text(json.dumps(state), encoding="utf-8")
    return claim


def test_an_ffmpeg_whose_input_stops_answering_is_stopped_tried_again_then_fails_the_book(
    tmp_path,
):
    the_job = job(tmp_path, stall_timeout=1)
    fifo = tmp_path / "backup" / "02.mp3"
    claim = _stalled_book(the_job, tmp_path / "lib", fifo.parent)
    opened, stop = [], threading.Event()
    writer = _fifo_writer(fifo, opened, stop)
    try:
        with pytest.raises(ItemFailure) as failed:
            the_job.process(claim)
    finally:
        stop.set()
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # a writer waiting for a reader goes
        writer.join(10)
        for fd in opened:
            os.close(fd)
    assert failed.value.stage == "failed_merge"
    assert failed.value.message == (
        "ffmpeg made no progress for 1 s and was stopped: is an input on a mount (a network "
        "share, a disk) that stopped answering?"
    )
    assert len(opened) == 2  # the first try, and the one more every failed encode gets
    link = the_job.workdir(claim) / "links" / "0002.mp3"  # how ffmpeg was given the FIFO
    assert not children.held() and not _ffmpegs_reading(link)
    assert not (tmp_path / "out").exists()


def test_a_batch_fails_the_stalled_book_says_why_and_makes_the_next(tmp_path, music_script,
                                                                    monkeypatch):  # fmt: skip
    """The real script, in a pipe: the first book's second file never answers (a FIFO
    nobody writes), its ffmpeg is stopped after the configured stall_timeout."""
    home, lib = tmp_path / "home", tmp_path / "lib"
    claim = _stalled_book(AudiobookJob(home=home, session="s", output=tmp_path / "out"), lib,
                          tmp_path / "backup")  # fmt: skip
    make(lib / "Jane Doe - Then Fine" / "01.mp3", "sine=d=2")  # after it in the queue
    monkeypatch.setenv("MEDIAKEEPER_AUDIOBOOKS_STALL_TIMEOUT", "1")
    done = music_script("process_audiobook_batch.py", "--home", home, "--library", lib,
                        "--output", tmp_path / "out", "--workers", "1")  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("✗ Jane Doe - Stalled — error: ffmpeg made no progress for 1 s and was stopped: "
            "is an input on a mount (a network share, a disk) that stopped answering?"
            in done.stdout), done.stdout  # fmt: skip
    assert "1 book completed, 1 failed" in done.stdout
    assert (tmp_path / "out" / "Jane Doe" / "Then Fine" / "Then Fine.m4b").is_file()
    assert "%" not in done.stdout and "\x1b" not in done.stdout  # nothing per percent in a pipe
    queue = json.loads((home / "status" / "audiobooks" / "processing_queue.json").read_text())
    stalled = next(i for i in queue["items"] if i["key"] == claim["key"])
    assert stalled["error_history"][-1]["stage"] == "failed_merge"
    assert "no progress for 1 s" in stalled["last_error"]


def test_a_setting_for_the_stall_outside_its_range_is_refused_before_anything_is_touched(
    tmp_path, music_script, monkeypatch
):
    make(tmp_path / "lib" / "Jane Doe - Any" / "01.mp3", "sine=d=1")
    for wrong in ("0", "86401"):
        monkeypatch.setenv("MEDIAKEEPER_AUDIOBOOKS_STALL_TIMEOUT", wrong)
        done = music_script("process_audiobook_batch.py", "--home", tmp_path / "home", "--library",
                            tmp_path / "lib", "--output", tmp_path / "out")  # fmt: skip
        assert done.returncode == 2, done.stdout + done.stderr
        assert "MEDIAKEEPER_AUDIOBOOKS_STALL_TIMEOUT" in done.stderr
        assert "a whole number of seconds >= 1, at most 86,400" in done.stderr
        assert not (tmp_path / "home").exists()


TMUX = shutil.which("tmux")


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_the_live_line_shows_how_far_the_book_in_hand_is_while_it_encodes(tmp_path):
    """A real batch in a real terminal (80x30), with a worker process: five minutes of MP3s
    take seconds to encode, and the percentage and the book's ETA are drawn meanwhile."""
    lib = tmp_path / "lib"
    for n in range(1, 6):
        make(lib / "Jane Doe - Slow Enough" / f"{n:02d}.mp3", f"sine=d=60:frequency={200 + n}")
    raw = tmp_path / "raw.out"
    argv = [sys.executable, str(REPO_ROOT / "utilities" / "process_audiobook_batch.py"),
            "--home", str(tmp_path / "home"), "--library", str(lib),
            "--output", str(tmp_path / "out"), "--workers", "2"]  # fmt: skip
    status, screen = Tmux(tmp_path, _env()).run(argv, raw)
    assert status == 0, screen
    drawn = _drawn_lines(raw.read_bytes().decode("utf-8", "replace"))
    bars = [line.rstrip() for line in drawn if line.startswith("books ")]
    # The name gives way to how far the book is (cut short with … at 80 columns).
    encoding = [b for b in bars if re.search(r" Jane Doe -(?: S[^ ]*)?…  encoding \d+%", b)]
    assert encoding, bars
    # Below 100 % while it encodes, and the book's own ETA once it has a rate.
    assert any(re.search(r"encoding (\d|[1-9]\d)%  ETA \d+:\d\d$", b) for b in encoding), bars
    assert any(re.search(r"verifying \d+%", b) for b in bars), bars
    assert max(len(b) for b in bars) <= WIDTH, bars
    assert "%" not in screen  # the live line is gone when the batch ends
