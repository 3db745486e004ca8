"""A changed tag is rewritten where it stands, as the file stores it (issue 63): its key's case
and position (Vorbis comments, APEv2, ASF), its kind (an ASF number) and its text encoding
(ID3). Only its value changes, so changing it back gives the file its bytes back."""

from __future__ import annotations

from pathlib import Path

import mutagen
from mutagen.asf import ASFDWordAttribute, ASFUnicodeAttribute
from mutagen.id3 import TIT2, Encoding

from mediakeeper import tags
from mediakeeper.music import synth


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
