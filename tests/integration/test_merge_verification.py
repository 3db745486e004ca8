"""How a joined book is checked, on real files ffmpeg makes: a stream copy packet by packet
(a byte changed in the output's audio is found and named), an encode by decoding it in spans
on every core (their lengths add up to the whole), and the inputs' lengths counted by the
encode itself (a VBR MP3 without a Xing header is measured as what ffmpeg decodes of it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mediakeeper.media import ffmpeg, merge_m4b
from mediakeeper.system import children
from tests.integration.test_audiobooks import EXE, make, vbr_without_xing
from tests.integration.test_ffmpeg import _ffmpegs_reading


def test_a_copy_is_its_files_packet_for_packet_and_a_changed_byte_is_named(tmp_path):
    files = [make(tmp_path / "in" / f"{n}.m4a", f"sine=frequency={300 * n}:d=2", "-c:a", "aac")
             for n in (1, 2)]  # fmt: skip
    inputs = [merge_m4b.measure(EXE, p, p.stem) for p in files]
    out = tmp_path / "book.m4b"
    merged = merge_m4b.merge(EXE, inputs, out, tmp_path / "links", merge_m4b.Audio())
    assert merged.copied
    links, total = tmp_path / "links", sum(merged.lengths)
    assert not [*links.glob("*.adts"), *links.glob("*.crc")]  # its parts and listings: gone
    listings = [links / f"{n}.crc" for n in (1, 2)]
    for path, listing in zip(files, listings, strict=True):
        ffmpeg.packets(EXE, path, keep=listing)
    check = lambda book: merge_m4b._same_as_listed(  # noqa: E731
        EXE, book, links, listings, total, merge_m4b.UNWATCHED, "its files")
    assert check(out) == merged.seconds

    data = bytearray(out.read_bytes())
    mdat = data.index(b"mdat") + 4
    data[mdat + 4000] ^= 0x55  # inside the audio: the container still reads
    bad = tmp_path / "bad.m4b"
    bad.write_bytes(bytes(data))
    with pytest.raises(merge_m4b.MergeFailed, match=r"differs from its files at packet \d+$"):
        check(bad)
    listings[1].write_bytes(b"".join(listings[1].read_bytes().splitlines(True)[:-1]))
    with pytest.raises(merge_m4b.MergeFailed, match=r"differs from its files at packet \d+$"):
        check(out)  # a packet more in the book than in its files


def test_an_encodes_book_is_its_encode_packet_for_packet_and_a_changed_byte_is_named(tmp_path):
    """What the copy that adds the chapters to an encode is held to: the book's packets read
    back against the listing the encode wrote of its own."""
    links = tmp_path / "links"
    links.mkdir()
    encoded = make(tmp_path / "encoded.m4a", "sine=frequency=500:d=3", "-c:a", "aac")
    listed = ffmpeg.run(EXE, ["-i", os.fspath(encoded), "-map", "0:a:0", "-c", "copy", "-f",
                              "framecrc", os.fspath(links / merge_m4b.LISTED)])  # fmt: skip
    assert listed.returncode == 0
    listed = [links / merge_m4b.LISTED]
    length = merge_m4b._same_as_listed(EXE, encoded, links, listed, 3.0, merge_m4b.UNWATCHED,
                                       "its encode")  # fmt: skip
    assert length == pytest.approx(3.0, abs=0.05)

    data = bytearray(encoded.read_bytes())
    data[data.index(b"mdat") + 4 + 3000] ^= 0x55  # inside the audio: the container still reads
    bad = tmp_path / "bad.m4a"
    bad.write_bytes(bytes(data))
    with pytest.raises(merge_m4b.MergeFailed, match=r"differs from its encode at packet \d+$"):
        merge_m4b._same_as_listed(EXE, bad, links, listed, 3.0, merge_m4b.UNWATCHED, "its encode")


def test_what_an_encode_writes_is_decoded_meanwhile_and_what_does_not_decode_is_said(tmp_path):
    adts = make(tmp_path / "a.aac", "sine=d=2.5", "-c:a", "aac", "-f", "adts")
    with merge_m4b._decoded_meanwhile(EXE, merge_m4b.UNWATCHED) as check:
        os.write(check.fd, adts.read_bytes())
    assert check.error == ""
    assert check.seconds == pytest.approx(2.5, abs=0.05)  # the priming is decoded too
    with merge_m4b._decoded_meanwhile(EXE, merge_m4b.UNWATCHED) as check:
        os.write(check.fd, b"no audio here " * 100)
    assert check.error and check.seconds == 0.0
    assert not children.held()


def test_an_encode_counts_what_it_decodes_of_each_file(tmp_path):
    first = vbr_without_xing(tmp_path / "in" / "1.mp3")
    second = make(tmp_path / "in" / "2.mp3", "sine=frequency=440:d=1.5")
    inputs = [merge_m4b.measure(EXE, p, p.stem) for p in (first, second)]
    merged = merge_m4b.merge(EXE, inputs, tmp_path / "book.m4b", tmp_path / "links",
                             merge_m4b.Audio())  # fmt: skip
    assert not merged.copied
    decoded = [ffmpeg.decoded_length(EXE, p) for p in (first, second)]
    assert merged.lengths == pytest.approx(decoded, abs=0.002)
    assert merged.starts == [0.0, pytest.approx(decoded[0], abs=0.002)]
    left = {merge_m4b.ENCODED, merge_m4b.LISTED, merge_m4b.READ_BACK}
    assert not left & {p.name for p in (tmp_path / "links").iterdir()}


def test_a_failed_run_with_information_lines_still_says_its_error(tmp_path):
    result = ffmpeg.run(EXE, ["-loglevel", "level+info", "-i", os.fspath(tmp_path / "nowhere.mp3"),
                              "-f", "null", "-"])  # fmt: skip
    assert result.returncode != 0
    assert "No such file" in result.last_error and "[error]" not in result.last_error


def test_two_aac_profiles_are_never_copied_into_one_stream():
    lc = merge_m4b.Input("a.m4a", "A", 1.0, "aac", 44100, 2, "LC")
    he = merge_m4b.Input("b.m4a", "B", 1.0, "aac", 44100, 2, "HE-AAC")
    assert merge_m4b.can_copy([lc, lc]) and not merge_m4b.can_copy([lc, he])


def test_the_stream_profile_is_read(tmp_path):
    book = make(tmp_path / "b.m4a", "sine=d=1", "-c:a", "aac")
    assert ffmpeg.packets(EXE, Path(book)).stream == ffmpeg.Stream("aac", 44100, 2, "LC")


def test_a_file_still_being_read_past_its_time_is_stopped_and_said(tmp_path):
    """What a book's measuring does on a mount that stopped answering: here, a real file and
    a limit it cannot meet. No ffmpeg is left running."""
    book = make(tmp_path / "b.mp3", "sine=d=2")
    with pytest.raises(ffmpeg.FFmpegFailed, match=r"was still reading .*b\.mp3 after .* stopped"):
        merge_m4b.measure(EXE, book, "b", timeout=0.001)
    assert not _ffmpegs_reading(book)


def test_a_mark_off_its_file_is_a_chapter_drift_naming_that_chapter(tmp_path):
    """What the verification raises carries the marks, and the audiobooks' check turns them
    into the ``chapter-drift`` finding the book fails with (titled, not just numbered)."""
    from mediakeeper.audiobooks import checks

    files = [make(tmp_path / "in" / f"{n}.m4a", "sine=d=2", "-c:a", "aac") for n in (1, 2)]
    inputs = [merge_m4b.measure(EXE, p, f"Part {p.stem}") for p in files]
    out = tmp_path / "book.m4b"
    merged = merge_m4b.merge(EXE, inputs, out, tmp_path / "links", merge_m4b.Audio())
    merge_m4b.check_chapters(out, merged.starts)  # as made: no drift
    with pytest.raises(merge_m4b.MergeFailed, match="chapter-drift") as drift:
        merge_m4b.check_chapters(out, [0.0, merged.starts[1] + 0.2])
    [finding] = checks.drift([i.title for i in inputs], *drift.value.marks)
    assert finding.code == "chapter-drift" and "chapter 2 (Part 2)" in finding.message


def test_the_time_a_merge_may_take_is_its_audios_length_times_the_factor(tmp_path):
    """With no floor, the limit is the book's length times ``per_second`` alone: a thousandth
    of it (30 ms for 30 s) stops the encode, the book's own length lets it finish."""
    files = [make(tmp_path / "in" / f"{n}.mp3", f"sine=d=15:frequency={300 * n}") for n in (1, 2)]
    inputs = [merge_m4b.measure(EXE, p, p.stem) for p in files]
    audio = merge_m4b.Audio()
    hurried = merge_m4b.Watch(floor=0.0, per_second=0.001)
    with pytest.raises(merge_m4b.MergeFailed, match="still running after"):
        merge_m4b.merge(EXE, inputs, tmp_path / "a.m4b", tmp_path / "la", audio, "", hurried)
    assert not (tmp_path / "a.m4b").exists()
    in_time = merge_m4b.Watch(floor=0.0, per_second=1.0)
    merged = merge_m4b.merge(EXE, inputs, tmp_path / "b.m4b", tmp_path / "lb", audio, "", in_time)
    assert merged.seconds == pytest.approx(30.0, abs=0.1)


@pytest.mark.parametrize("codec", [["-c:a", "aac"], ["-c:a", "libmp3lame"]])
def test_the_space_a_merge_asks_for_holds_what_it_writes_beside_the_book(tmp_path, codec):
    """Measured when the book has been read back: the book, its listing read back and the
    listings of what it was made of (a copy's ADTS parts, an encode's encode, are deleted
    once joined: at most two books are there at once, the one joined and the one the
    chapters are written into)."""
    suffix = ".m4a" if "aac" in codec else ".mp3"
    files = [make(tmp_path / "in" / f"{n}{suffix}", f"sine=frequency={300 * n}:d=20", *codec)
             for n in (1, 2)]  # fmt: skip
    inputs = [merge_m4b.measure(EXE, p, p.stem) for p in files]
    book, links = tmp_path / "out" / "book.m4b", tmp_path / "links"
    book.parent.mkdir()
    peak = []

    def heard(doing: str, fraction: float) -> None:
        if (doing, fraction) == ("verifying", 1.0):
            made = [*links.iterdir(), *book.parent.iterdir()]
            peak.append(sum(p.lstat().st_size for p in made if not p.is_symlink()))

    merged = merge_m4b.merge(EXE, inputs, book, links, merge_m4b.Audio(),
                             watch=merge_m4b.Watch(progress=heard))  # fmt: skip
    assert merged.copied == ("aac" in codec)
    assert peak and max(peak) > book.stat().st_size  # the book and the listings
    assert merge_m4b.working_bytes(inputs, merge_m4b.Audio()) - (1 << 20) >= max(peak)  # no slack
