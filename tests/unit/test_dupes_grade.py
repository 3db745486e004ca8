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


def test_a_file_restored_from_the_backup_carries_no_damage_of_the_file_it_replaced(tmp_path):
    """verify's record of an album lists each file's findings as its pass found them; one
    restored since (a person's decision) is the good copy now, and was graded damaged, below
    a worse copy, until verify ran again."""
    import json

    from mediakeeper.core.questions import RESTORED
    from mediakeeper.dupes.grade import verify_notes
    from mediakeeper.text.slug import inside, slugify

    key = "Band/Album"
    document = {"key": key, "files": [
        {"file": "01 Rot.flac", "findings": ["audio-md5-mismatch", "decode-error"]},
        {"file": "02 Cut.flac", "findings": ["truncated-audio"]}],
        "findings": [
            {"code": "audio-md5-mismatch", "path": "01 Rot.flac",
             "decided": {"what": RESTORED, "by": "me", "at": "2026-12-01T00:00:00+00:00"}},
            {"code": "truncated-audio", "path": "02 Cut.flac",
             "decided": {"what": "accepted as is", "by": "me"}}]}  # fmt: skip
    path = inside(tmp_path, "outputs", "verify", f"{slugify(key)}.json")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    notes = verify_notes(tmp_path, key)
    assert notes == {"01 Rot.flac": set(), "02 Cut.flac": {"truncated-audio"}}  # accepted: as is
    assert grade(FLAC, notes["01 Rot.flac"]).rank > grade(copy("mp3", 320)).rank
