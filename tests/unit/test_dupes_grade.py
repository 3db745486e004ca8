"""A copy's grade (``mediakeeper.dupes.grade``): sound first, then resolution, then tags."""

from __future__ import annotations

from mediakeeper.dupes.grade import grade, why


def copy(fmt: str, kbps: int = 0, *, lossless: bool = False, rate: int = 44100, bits: int = 0,
         tags: dict | None = None, cover: bool = False) -> dict:  # fmt: skip
    return {"format": fmt, "bitrate": kbps * 1000, "lossless": lossless, "sample_rate": rate,
            "bits": bits, "tags": tags or {}, "cover": cover}  # fmt: skip


FLAC = copy("flac", 900, lossless=True, bits=16)


def test_sound_first_then_resolution_then_tags():
    order = [
        grade(copy("flac", 2500, lossless=True, rate=96000, bits=24)),
        grade(FLAC),
        grade(copy("opus", 192)),  # Opus at 192 sounds better than MP3 at 256
        grade(copy("mp3", 256)),
        grade(FLAC, {"lossy-origin"}),  # a FLAC made from a lossy file: a good lossy one
        grade(copy("mp3", 128)),
        grade(FLAC, {"decode-error"}),  # damaged: below any whole copy
    ]
    assert [g.rank for g in order] == sorted((g.rank for g in order), reverse=True)
    assert len({g.rank for g in order}) == len(order)
    ids = {"musicbrainz_trackid": "x", "replaygain_track_gain": "-7 dB"}
    tagged = grade(copy("flac", 900, lossless=True, bits=16, cover=True, tags=ids))
    assert tagged.rank > grade(FLAC).rank and tagged.tags == 3


def test_a_keeper_says_why_it_won():
    assert why(grade(FLAC), grade(copy("mp3", 128))) == (
        "better sound: FLAC 44.1 kHz/16-bit over MP3 128 kbps"
    )
    tagged = grade(copy("flac", 900, lossless=True, bits=16, cover=True))
    assert why(tagged, grade(FLAC)).startswith("more complete tags: 1 over 0")
    assert "(damaged)" in grade(FLAC, {"truncated-audio"}).text
