"""Files decoded one after another into one ffmpeg's standard input, on real files and real
ffmpeg processes: each file counted as ffmpeg decodes it (resampled and mixed to the
encoder's format), a file that does not decode named, and a decoder that stops answering
stopped with its encoder, none left running."""

from __future__ import annotations

import os
import threading

import pytest

from mediakeeper.media import ffmpeg, pcm_feed
from mediakeeper.system import children
from tests.integration.test_audiobooks import EXE, make, vbr_without_xing
from tests.integration.test_ffmpeg import _ffmpegs_reading

PCM = pcm_feed.Pcm(44100, 2)


def feed_into_null(paths, **limits):
    """The files fed to an ffmpeg that only reads them: (the feed, the run)."""
    with pcm_feed.Feed(EXE, paths, PCM) as feed:
        run = ffmpeg.run(EXE, [*PCM.input_args(), "-f", "null", "-"], stdin=feed.stdin,
                         **limits)  # fmt: skip
    return feed, run


def test_each_file_is_counted_as_ffmpeg_decodes_it_in_the_encoders_format(tmp_path):
    vbr = vbr_without_xing(tmp_path / "1 vbr.mp3")
    mono = make(tmp_path / "2 mono.m4a", "sine=frequency=300:d=3.5", "-ac", "1", "-ar", "22050",
                "-c:a", "aac")  # fmt: skip
    wav = make(tmp_path / "3 it's \"odd\".wav", "sine=frequency=500:d=1.25")
    feed, run = feed_into_null([vbr, mono, wav])
    assert (run.returncode, feed.error) == (0, "")
    decoded = [ffmpeg.decoded_length(EXE, p) for p in (vbr, mono, wav)]
    assert [c / 44100 for c in feed.counts] == pytest.approx(decoded, abs=0.002)
    assert feed.counts[2] == 55125  # a WAV's 1.25 s at 44.1 kHz, to the sample
    assert run.seconds == pytest.approx(sum(feed.counts) / 44100, abs=0.03)
    assert not children.held()


def test_a_file_that_does_not_decode_is_named_and_the_rest_is_not_fed(tmp_path):
    good = make(tmp_path / "1.m4a", "sine=d=2", "-c:a", "aac")
    bad = tmp_path / "2 broken.mp3"
    bad.write_bytes(b"not audio at all " * 500)
    after = make(tmp_path / "3.m4a", "sine=d=2", "-c:a", "aac")
    feed, run = feed_into_null([good, bad, after])
    assert feed.error.startswith("2 broken.mp3 does not decode: ")
    assert len(feed.counts) == 1
    assert run.seconds < 2.1  # the encoder saw its input end after the first file
    assert not children.held()


def test_a_decoder_that_stops_answering_stops_the_encode_and_none_is_left_running(tmp_path):
    first = make(tmp_path / "1.m4a", "sine=d=1", "-c:a", "aac")
    fifo = tmp_path / "2 stalled.mp3"
    os.mkfifo(fifo)
    held = threading.Event()

    def hold_open():  # a writer that never writes: the decoder waits for ever
        fd = os.open(fifo, os.O_WRONLY)
        held.wait(60)
        os.close(fd)

    holder = threading.Thread(target=hold_open, daemon=True)
    holder.start()
    try:
        feed, run = feed_into_null([first, fifo, first], stall=1, timeout=600)
    finally:
        held.set()
    assert run.stopped.startswith("ffmpeg made no progress for 1 s")
    assert len(feed.counts) == 1 and feed.error == ""
    assert not children.held() and not _ffmpegs_reading(fifo)


def test_an_encoder_that_fails_at_once_ends_the_feed_without_waiting_for_the_files(tmp_path):
    long = make(tmp_path / "long.m4a", "sine=d=30", "-c:a", "aac")
    with pcm_feed.Feed(EXE, [long] * 20, PCM) as feed:
        run = ffmpeg.run(EXE, [*PCM.input_args(), "-c:a", "no_such_codec", "-f", "null", "-"],
                         stdin=feed.stdin)  # fmt: skip
    # ffmpeg 7 says "Encoder not found", 5.1 "Unknown encoder 'no_such_codec'"
    assert run.returncode != 0
    assert "Encoder not found" in run.error or "Unknown encoder" in run.error
    assert len(feed.counts) < 20 and not children.held()
