"""A cover as a value the tag write takes (``mediakeeper.tags.cover``), on real files of every
container that holds pictures: written, read back, taken away; another picture kept."""

from __future__ import annotations

import mutagen
import pytest
from mutagen.flac import Picture

from mediakeeper import tags
from mediakeeper.core.errors import AudioError
from mediakeeper.demo import tracks as synth
from mediakeeper.tags.cover import COVER, Cover, as_value, cover
from mediakeeper.text.wording import value

PNG = Cover(synth.PNG_1X1, "image/png")
JPEG = Cover(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9", "image/jpeg")
PICTURED = ("mp3", "flac", "m4a", "ogg", "opus", "oggflac", "wav", "aiff", "m4b")


@pytest.mark.parametrize("fmt", PICTURED)
def test_a_cover_is_written_read_back_and_taken_away(tmp_path, fmt):
    path = synth.make_track(tmp_path / f"a{synth.suffix(fmt)}", fmt, {"title": "A"})
    assert cover(path) is None
    tags.write(path, {COVER: as_value(JPEG)})
    assert cover(path) == as_value(JPEG) and tags.read(path).has_picture
    assert tags.read(path).tags["title"] == "A"  # the other tags as they were
    tags.write(path, {COVER: None})
    assert cover(path) is None and not tags.read(path).has_picture
    assert tags.read(path).tags["title"] == "A"


def test_the_front_cover_is_replaced_and_taken_away_another_picture_kept(tmp_path):
    path = synth.make_track(tmp_path / "a.flac", "flac", {"title": "A"})
    audio = mutagen.File(path)
    back = Picture()
    back.data, back.mime, back.type = PNG.data, PNG.mime, 4  # a back cover
    audio.add_picture(back)
    audio.save()
    assert cover(path) == as_value(PNG)  # no front cover: the first picture is the cover
    tags.write(path, {COVER: as_value(JPEG)})
    assert cover(path) == as_value(JPEG)
    assert [p.type for p in mutagen.File(path).pictures] == [4, 3]
    tags.write(path, {COVER: None})
    assert [(p.type, p.data) for p in mutagen.File(path).pictures] == [(4, PNG.data)]


def test_a_container_whose_pictures_are_not_written_refuses_and_is_left_alone(tmp_path):
    path = synth.make_track(tmp_path / "a.wv", "wv", {"title": "A"})
    before = path.read_bytes()
    with pytest.raises(AudioError, match="cover is written to ID3, MP4, FLAC and Ogg"):
        tags.write(path, {COVER: as_value(PNG)})
    assert path.read_bytes() == before


def test_a_cover_is_said_by_its_type_and_size_not_its_bytes():
    assert value(as_value(PNG)) == f"a picture (image/png, {len(PNG.data)} bytes)"
    assert value("data: not a picture") == "'data: not a picture'"


def test_the_formats_that_take_a_cover_are_those_written():
    from mediakeeper.tags.cover import takes_cover

    assert all(takes_cover(fmt) for fmt in (*PICTURED, "mp4", "spx", "tta", "dsf"))
    assert not any(takes_cover(fmt) for fmt in ("ape", "wv", "mpc", "tak", "wma", "aac", "ac3"))
