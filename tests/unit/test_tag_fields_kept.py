"""A changed tag is rewritten where it stands, as the file stores it (issue 63): its key's case
and position (Vorbis comments, APEv2, ASF), its kind (an ASF number) and its text encoding
(ID3). Only its value changes, so changing it back gives the file its bytes back."""

from __future__ import annotations

from pathlib import Path

import mutagen
from mutagen.asf import ASFDWordAttribute, ASFUnicodeAttribute
from mutagen.id3 import TIT2, Encoding

from mediakeeper import tags
from mediakeeper.demo import tracks as synth


def blank(tmp_path: Path, fmt: str):
    path = tmp_path / f"t{synth.suffix(fmt)}"
    path.write_bytes(synth.template_bytes(f"silence.{fmt}"))
    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    return path, audio


def test_a_vorbis_comment_keeps_its_key_and_place(tmp_path):
    path, audio = blank(tmp_path, "flac")
    audio.tags.extend([("encoder", "x"), ("title", "Song "), ("Artist", "Band")])
    audio.save()
    tags.write(path, {"title": "Song", "artist": "The Band", "album": "Album"})
    assert list(mutagen.File(path).tags) == [
        ("encoder", "x"),
        ("title", "Song"),
        ("Artist", "The Band"),
        ("ALBUM", "Album"),  # new to the file: after the others, as the table spells it
    ]


def test_an_apev2_key_keeps_its_case(tmp_path):
    path, audio = blank(tmp_path, "wv")
    audio.tags["TITLE"] = "Song "
    audio.save()
    tags.write(path, {"title": "Song"})
    assert [(k, str(v)) for k, v in mutagen.File(path).tags.items()] == [("TITLE", "Song")]


def test_an_asf_number_stays_a_number_where_it_reads_back_the_same(tmp_path):
    path, audio = blank(tmp_path, "wma")
    audio.tags["WM/TrackNumber"] = [ASFDWordAttribute(3)]
    audio.save()
    tags.write(path, {"tracknumber": "4"})
    (number,) = mutagen.File(path).tags["WM/TrackNumber"]
    assert isinstance(number, ASFDWordAttribute) and number.value == 4
    tags.write(path, {"tracknumber": "05"})  # a number would read back as "5"
    (number,) = mutagen.File(path).tags["WM/TrackNumber"]
    assert isinstance(number, ASFUnicodeAttribute) and number.value == "05"


def test_an_id3_frame_keeps_its_encoding_where_the_text_fits_it(tmp_path):
    path, audio = blank(tmp_path, "mp3")
    audio.tags.add(TIT2(encoding=Encoding.LATIN1, text=["Song "]))
    audio.save()
    tags.write(path, {"title": "Café"})
    assert mutagen.File(path).tags["TIT2"].encoding == Encoding.LATIN1
    tags.write(path, {"title": "Café €"})  # not Latin-1
    assert mutagen.File(path).tags["TIT2"].encoding == Encoding.UTF8


def padding_of(path: Path) -> int:
    from mutagen.flac import Padding

    return sum(b.length for b in mutagen.File(path).metadata_blocks if isinstance(b, Padding))


def test_a_write_given_a_size_gives_it_back_through_the_padding_as_far_as_it_can(tmp_path):
    """An undo's write is given the file's size before the change it takes back: its padding
    makes the file that size again; it never pads out a file to a size it is far from."""
    from mediakeeper.tags import FileWrite

    path, audio = blank(tmp_path, "flac")
    audio.tags["title"] = "Song"
    audio.save(padding=lambda info: 1000)
    size = path.stat().st_size
    tags.write_many([FileWrite(path, {"title": "Songs"}, size=size - 300)])
    assert path.stat().st_size == size - 300 and padding_of(path) == 699
    tags.write_many([FileWrite(path, {"title": "Song"}, size=size - 5000)])  # grown since
    assert padding_of(path) == 0
    tags.write_many([FileWrite(path, {"title": "Son"}, size=size + 10**6)])  # shrunk since
    assert padding_of(path) == 1  # the byte the change frees: not a megabyte of nothing
