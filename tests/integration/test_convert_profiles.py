"""The convert processor, every profile: the output decodes to its source's length, carries
every tag of the table (MusicBrainz ids included), the other fields, ReplayGain in the
target's convention and the cover, read back with mutagen; nothing is left under a
temporary name, and a failure leaves no output at all."""

from __future__ import annotations

import base64

import mutagen
import pytest
from mutagen.flac import Picture

from mediakeeper import tags
from mediakeeper.demo import sound as synth
from mediakeeper.demo.tracks import PNG_1X1
from mediakeeper.media import ffmpeg
from mediakeeper.media.convert import PROFILES, ConvertFailed, convert

EXE = ffmpeg.find()
TAGS = {
    "title": "Über Song's ⧸ Title",
    "artist": "Artist A",
    "albumartist": "Artist A",
    "album": "Greatest Hits",
    "tracknumber": "3",
    "tracktotal": "12",
    "discnumber": "1",
    "disctotal": "2",
    "date": "2001-05-02",
    "genre": "Rock",
    "musicbrainz_artistid": "a0000000-0000-4000-8000-000000000001",
    "musicbrainz_albumartistid": "a0000000-0000-4000-8000-000000000001",
    "musicbrainz_albumid": "b0000000-0000-4000-8000-000000000002",
    "musicbrainz_releasegroupid": "c0000000-0000-4000-8000-000000000003",
    "musicbrainz_trackid": "d0000000-0000-4000-8000-000000000004",
}
EXTRA = {
    "REPLAYGAIN_TRACK_GAIN": "-6.50 dB",
    "REPLAYGAIN_ALBUM_GAIN": "-7.00 dB",
    "MOOD": "Mellow",  # a field no table knows: carried under its own name
}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = synth.tone(EXE, tmp_path_factory.mktemp("src") / "03 Song.flac", 1.5)
    return synth.tagged(path, TAGS, extra=EXTRA, cover=PNG_1X1)


def _cover(audio) -> bytes | None:
    name = type(audio).__name__
    if name == "MP3":
        apics = audio.tags.getall("APIC")
        return apics[0].data if apics else None
    if name == "MP4":
        return bytes(audio.tags["covr"][0]) if "covr" in audio.tags else None
    if name == "FLAC":
        return audio.pictures[0].data if audio.pictures else None
    raw = audio.get("metadata_block_picture")
    return Picture(base64.b64decode(raw[0])).data if raw else None


def _field(audio, name: str) -> list[str]:
    kind = type(audio).__name__
    if kind == "MP3":
        frame = audio.tags.get(f"TXXX:{name.upper()}")
        return [str(t) for t in frame.text] if frame else []
    if kind == "MP4":
        key = "----:com.apple.iTunes:" + (name.lower() if name.startswith("REPLAYGAIN") else name)
        return [bytes(v).decode() for v in audio.tags.get(key, [])]
    return list(audio.get(name.lower(), []))


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_carries_tags_other_fields_and_cover(source, tmp_path, name):
    profile = PROFILES[name]
    output = tmp_path / f"03 Song{profile.extension}"
    result = convert(EXE, source, output, profile)
    assert [p.name for p in tmp_path.iterdir()] == [output.name]  # no temporary left
    assert result.action == "encoded"
    assert abs(result.output_seconds - 1.5) <= 0.1
    assert abs(ffmpeg.decoded_length(EXE, output) - result.source_seconds) <= 0.1
    assert tags.read(output).tags == TAGS
    audio = mutagen.File(output)
    assert _cover(audio) == PNG_1X1
    assert _field(audio, "MOOD") == ["Mellow"]
    if name == "opus":  # RFC 7845: R128 gains relative to -23 LUFS, in Q7.8
        assert _field(audio, "R128_TRACK_GAIN") == ["-2944"]
        assert _field(audio, "R128_ALBUM_GAIN") == ["-3072"]
        assert _field(audio, "REPLAYGAIN_TRACK_GAIN") == []
    else:
        assert _field(audio, "REPLAYGAIN_TRACK_GAIN") == ["-6.50 dB"]
    codec = {"opus": "OggOpus", "aac": "MP4", "mp3": "MP3", "flac": "FLAC", "alac": "MP4"}
    assert type(audio).__name__ == codec[name]
    if name in ("aac", "alac"):
        assert audio.info.codec == ("alac" if name == "alac" else "mp4a.40.2")


def test_a_source_that_does_not_decode_leaves_no_output(tmp_path):
    broken = tmp_path / "broken.flac"
    broken.write_bytes(b"fLaC" + bytes(range(256)) * 8)
    output = tmp_path / "out" / "broken.opus"
    output.parent.mkdir()
    with pytest.raises(ConvertFailed) as failed:
        convert(EXE, broken, output, PROFILES["opus"])
    assert failed.value.message.startswith("broken.flac: ")
    assert list(output.parent.iterdir()) == []


def test_a_source_cut_short_is_refused_not_converted_short(source, tmp_path):
    """A FLAC whose header says 1.5 s but whose frames stop half-way (a copy cut short)."""
    cut = tmp_path / "cut.flac"
    data = source.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    output = tmp_path / "cut.opus"
    with pytest.raises(ConvertFailed) as failed:
        convert(EXE, cut, output, PROFILES["opus"])
    # Said as the cut it is, and where: its frames stop half-way (verify names it alike).
    assert failed.value.message.startswith("cut.flac: its frames stop in frame "), \
        failed.value.message  # fmt: skip
    assert "cut short at 0:00." in failed.value.message
    assert failed.value.message.endswith("replace it from a good copy")
    assert not output.exists()


@pytest.mark.parametrize(("rate", "expected"), [(96000, 48000), (44100, 44100)])
def test_a_lossy_portable_copy_of_a_high_resolution_source_plays_at_48_khz_at_most(
    tmp_path, rate, expected
):
    """A portable player's AAC decoder takes 48 kHz at most (an iPod's, a car's); a 96 kHz
    AAC also spends its bits on what no ear hears. A CD's rate is kept as it is (Opus
    always plays at 48 kHz)."""
    source = synth.tone(EXE, tmp_path / f"{rate}.flac", 1.0, rate=rate)
    for name in ("aac", "mp3"):
        output = tmp_path / f"{rate}-{name}{PROFILES[name].extension}"
        convert(EXE, source, output, PROFILES[name])
        assert mutagen.File(output).info.sample_rate == expected, name


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_value_of_a_tag_is_carried_two_genres_stay_two(tmp_path, name):
    """A tag a scan reads as one value (its first) may hold several: two genres, two
    artists of a collaboration, as Vorbis comments keep them. Each reaches the output."""
    source = synth.tone(EXE, tmp_path / "src.flac", 1.0)
    audio = mutagen.File(source)
    audio["GENRE"], audio["ARTIST"], audio["TITLE"] = ["Rock", "Pop"], ["A1", "A2"], ["Song"]
    audio.save()
    output = tmp_path / f"out{PROFILES[name].extension}"
    convert(EXE, source, output, PROFILES[name])
    carried = tags.all_values(mutagen.File(output), ["genre", "artist", "title"])
    assert carried == {"genre": ["Rock", "Pop"], "artist": ["A1", "A2"], "title": ["Song"]}
