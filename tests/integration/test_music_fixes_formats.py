"""Every safe fix, every ambiguous case and undo, on every audio format, through the real CLI.

One contract, parametrized over every format whose tags mediakeeper writes (MP3 with ID3v2.4
and ID3v2.3, FLAC, M4A, Ogg Vorbis, Opus, ID3 in WAV/AIFF/DSF/TTA, APEv2 in Monkey's Audio,
WavPack, Musepack, TAK and OptimFROG, ASF in WMA, the MP4 family, Ogg FLAC and Speex): a
library with one album per fixable problem and one per ambiguous situation is processed by
``utilities/process_music_batch.py`` in a subprocess. Each file is read back with mutagen alone
and with ``mediakeeper.tags.reading``; fixed tags hold exactly the planned values, every other tag
keeps its stored value, ambiguous files are not touched at all (same bytes), and the audio is
still there. Then ``utilities/undo_changes.py`` puts every old value back.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import mutagen
import pytest
from click.testing import CliRunner
from mutagen.id3 import ID3

from mediakeeper import tags as tagio
from mediakeeper.cli.undo import main as undo_main
from mediakeeper.demo import tracks as synth
from tests.helpers import FAMILY, RAW_KEYS, tag_by_hand

FORMATS = [
    pytest.param("mp3", 4, id="mp3-id3v2.4"),
    pytest.param("mp3", 3, id="mp3-id3v2.3"),
    pytest.param("flac", 4, id="flac"),
    pytest.param("m4a", 4, id="m4a"),
    pytest.param("ogg", 4, id="ogg-vorbis"),
    pytest.param("opus", 4, id="opus"),
    *(pytest.param(fmt, 4, id=fmt) for fmt in synth.FORMATS[5:]),
]
MB_ALBUM_ID = "0f5c1f4a-1b2c-4d3e-8f90-123456789abc"


def _track(title, number, album, date, *, artist="The Band", albumartist=None, **extra):
    tags = {"artist": artist, "albumartist": albumartist or artist, "genre": "Rock"}
    tags.update(title=title, tracknumber=number, album=album, date=date)
    tags.update(extra)
    return {k: v for k, v in tags.items() if v is not None}


def fixable_library(ext: str, id3: int):
    """(spec, expected changes {path: {tag: new value}}, expected fixed codes by artist)."""
    spec: dict[str, dict] = {}

    def add(rel, tags, **options):
        spec[f"{rel}.{ext}"] = {"tags": tags, "id3": id3, **options}

    a = "Fixable Artist"
    # Whitespace and mojibake; one file carries a picture, a MusicBrainz id and a composer
    # (a tag outside mediakeeper's table) that must all survive the fix untouched.
    add(
        f"{a}/2001 - Clean Up/01 - Alpha Beta",
        _track("  Alpha  Beta ", "1", "Clean Up", "2001", musicbrainz_albumid=MB_ALBUM_ID),
        picture=True,
        composer="Jane Doe",
    )
    add(f"{a}/2001 - Clean Up/02 - Café", _track("CafÃ©", "2", "Clean Up", "2001"))
    add(f"{a}/2001 - Clean Up/03 - Gamma", _track("Gamma", "3", "Clean  Up ", "2001"))
    # Album-wide majority: 04 disagrees on the year, 05 lacks albumartist/album/year;
    # 02 spells the artist differently from everyone else.
    for n, title in enumerate(("One", "Two", "Three", "Four", "Five"), start=1):
        tags = _track(title, str(n), "Majority", "2003" if n == 4 else "2002")
        if n == 2:
            tags["artist"] = "the band"
        if n == 5:
            for tag in ("albumartist", "album", "date"):
                del tags[tag]
        add(f"{a}/Majority/0{n} - {title}", tags, composer=f"Writer {n}")
    # The year from an album folder named "YYYY - Title" when no track has one.
    for n, title in ((1, "Sun"), (2, "Moon")):
        add(f"{a}/2005 - Folder Year/0{n} - {title}", _track(title, str(n), "Folder Year", None))
    # Title and track number from files named "NN - Title.ext".
    for n, title in ((1, "First Song"), (2, "Second Song")):
        add(f"{a}/Named Files/0{n} - {title}", _track(None, None, "Named Files", "2004"))
    # Duplicate track numbers, file names a clean 1..n; the total must be kept.
    for n, title in ((1, "Uno"), (2, "Dos"), (3, "Tres")):
        add(
            f"{a}/Duplicates/0{n} - {title}",
            _track(title, "1", "Duplicates", "2006", tracktotal="3"),
        )

    b = "Second Fixable"
    add(f"{b}/Other/01 - Left", _track("Left ", "1", "Other", "2007", artist=b))
    add(f"{b}/Other/02 - Right", _track("Right", "2", "Other", "2007", artist=b))
    c = "Hand Edited"
    add(f"{c}/Hand/01 - Touch", _track("Touch  Me", "1", "Hand", "2008", artist=c))

    p = f"{a}/Majority/0"
    expected = {
        f"{a}/2001 - Clean Up/01 - Alpha Beta": {"title": "Alpha Beta"},
        f"{a}/2001 - Clean Up/02 - Café": {"title": "Café"},
        f"{a}/2001 - Clean Up/03 - Gamma": {"album": "Clean Up"},
        f"{p}2 - Two": {"artist": "The Band"},
        f"{p}4 - Four": {"date": "2002"},
        f"{p}5 - Five": {"albumartist": "The Band", "album": "Majority", "date": "2002"},
        f"{a}/2005 - Folder Year/01 - Sun": {"date": "2005"},
        f"{a}/2005 - Folder Year/02 - Moon": {"date": "2005"},
        f"{a}/Named Files/01 - First Song": {"title": "First Song", "tracknumber": "1"},
        f"{a}/Named Files/02 - Second Song": {"title": "Second Song", "tracknumber": "2"},
        f"{a}/Duplicates/02 - Dos": {"tracknumber": "2"},
        f"{a}/Duplicates/03 - Tres": {"tracknumber": "3"},
        f"{b}/Other/01 - Left": {"title": "Left"},
        f"{c}/Hand/01 - Touch": {"title": "Touch Me"},
    }
    expected = {f"{rel}.{ext}": changes for rel, changes in expected.items()}
    fixed_codes = {
        a: {
            "whitespace": 2,
            "mojibake": 1,
            "inconsistent-year": 1,
            "missing-albumartist": 1,
            "missing-album": 1,
            "missing-year": 3,
            "missing-title": 2,
            "missing-tracknumber": 2,
            "duplicate-tracknumber": 1,
            "artist-name-variant": 1,
        },
        b: {"whitespace": 1},
        c: {"whitespace": 1},
    }
    return spec, expected, fixed_codes


def ambiguous_library(ext: str, id3: int):
    """(spec, expected unfixable findings {artist: {code: count}}): nothing here is safe."""
    spec: dict[str, dict] = {}

    def add(rel, tags):
        spec[f"{rel}.{ext}"] = {"tags": tags, "id3": id3}

    u = "Undecided Artist"
    # A 1:1 tie on album and year: no majority.
    add(f"{u}/Tie/01 - Left", _track("Left", "1", "Tie", "2010", artist=u))
    add(f"{u}/Tie/02 - Right", _track("Right", "2", "Tye", "2011", artist=u))
    # Half the album has an album artist: exactly half is not a majority. (It is not the
    # tracks' artist, else every track's artist would be a safe album artist.)
    for n in range(1, 5):
        tags = _track(
            f"Half {n}", str(n), "No Majority", "2012", artist=u, albumartist="Undecided Band"
        )
        if n > 2:
            del tags["albumartist"]
        add(f"{u}/No Majority/0{n} - Half {n}", tags)
    # The folder says 2013 but a track says 2014: the folder's year is not trusted.
    for n in range(1, 4):
        add(
            f"{u}/2013 - Contradicted/0{n} - Part {n}",
            _track(f"Part {n}", str(n), "Contradicted", "2014" if n == 1 else None, artist=u),
        )
    # Mis-decoded twice: ftfy has a guess, but undoing one layer does not give it back.
    add(
        f"{u}/Double Mojibake/01 - Cafe",
        _track("CafÃƒÂ©", "1", "Double Mojibake", "2015", artist=u),
    )
    # "07 Seven" is not "NN - Title": no title, and so no number, is read from it.
    add(f"{u}/Odd Names/07 Seven", _track(None, None, "Odd Names", "2016", artist=u))
    # Duplicate numbers, but the file names do not run 1..n.
    for n, title in ((1, "A"), (3, "C"), (4, "D")):
        add(
            f"{u}/Messy Numbers/0{n} - {title}",
            _track(title, "1", "Messy Numbers", "2017", artist=u),
        )

    e = "Even Split"  # loose tracks; two spellings of the artist, one each: no majority
    add(f"{e}/01 - Left", {"title": "Left", "artist": "Even Split", "date": "2018"})
    add(f"{e}/02 - Right", {"title": "Right", "artist": "even split", "date": "2018"})

    unfixable = {
        u: {
            "inconsistent-album": 1,
            "inconsistent-year": 1,
            "missing-albumartist": 2,
            "missing-year": 2,
            "mojibake": 1,
            "missing-title": 1,
            "missing-tracknumber": 1,
            "duplicate-tracknumber": 1,
        },
        e: {"artist-name-variant": 1},
    }
    return spec, unfixable


# ---- reading back --------------------------------------------------------------------------


def raw_expected(family: str, tag: str, final: dict[str, str]):
    """The raw stored value a format must hold for ``tag`` given the file's final tags."""
    if tag in ("tracknumber", "tracktotal"):
        number, total = final.get("tracknumber"), final.get("tracktotal")
        if family == "mp4":
            return [(int(number or 0), int(total or 0))]
        if family in ("id3", "ape"):
            return [f"{number}/{total}" if total else number]
        return [final[tag]]
    return [final[tag]]


def artist_documents(home: Path) -> dict[str, dict]:
    docs = {}
    for path in (home / "outputs" / "music" / "artists").glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        docs[doc["folder_name"]] = doc
    return docs


def code_counts(findings, *, fixed: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        if f["fixed"] is fixed and (f["fixable"] or not fixed):
            counts[f["code"]] = counts.get(f["code"], 0) + 1
    return counts


def session_of(stdout: str) -> str:
    match = re.search(r"session log: (.+\.log)", stdout)
    assert match, stdout
    return Path(match.group(1)).stem


def undo(home: Path, *args: str):
    return CliRunner().invoke(undo_main, ["--home", str(home), *args], catch_exceptions=False)


# ---- the contract --------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "id3"), FORMATS)
def test_fixes_ambiguities_and_undo(
    fmt, id3, tmp_path, music_library, music_script, library_tags, raw_frames, tree_bytes
):
    family, ext = FAMILY[fmt], synth.suffix(fmt)[1:]
    lib, home = tmp_path / "Music", tmp_path / "home"
    spec, expected, fixed_codes = fixable_library(ext, id3)
    ambiguous_spec, unfixable = ambiguous_library(ext, id3)
    music_library(lib, {**spec, **ambiguous_spec})
    before_tags = library_tags(lib)
    before_raw = {rel: raw_frames(lib / rel) for rel in before_tags}
    ambiguous_bytes = {rel: (lib / rel).read_bytes() for rel in ambiguous_spec}
    assert set(before_tags) == set(spec) | set(ambiguous_spec)

    run = music_script(
        "process_music_batch.py", "--home", home, "--library", lib, "--batch-size", 10
    )
    assert run.returncode == 1, run.stdout + run.stderr  # decisions left
    session = session_of(run.stdout)

    # -- fixed files hold exactly the planned values; everything else is as it was
    after_tags = library_tags(lib)
    assert set(after_tags) == set(before_tags)  # no file added, lost or renamed
    for rel, before in before_tags.items():
        changes = expected.get(rel, {})
        assert after_tags[rel] == {**before, **changes}, rel
        info = tagio.read(lib / rel)
        assert info.duration > 0.5, rel
        assert info.format == fmt
        audio = mutagen.File(lib / rel)
        assert audio is not None and audio.info.length > 0.5, rel
        raw_after, raw_before = raw_frames(lib / rel), before_raw[rel]
        changed_keys = {RAW_KEYS[family][tag] for tag in changes}
        for tag in changes:
            key = RAW_KEYS[family][tag]
            assert raw_after[key] == raw_expected(family, tag, after_tags[rel]), (rel, tag)
        untouched_before = {k: v for k, v in raw_before.items() if k not in changed_keys}
        untouched_after = {k: v for k, v in raw_after.items() if k not in changed_keys}
        assert untouched_after == untouched_before, rel
    alpha = lib / f"Fixable Artist/2001 - Clean Up/01 - Alpha Beta.{ext}"
    assert tagio.read(alpha).has_picture
    assert any("Jane Doe" in str(v) for v in raw_frames(alpha).values())
    if ext == "mp3":  # a fix keeps the ID3 version the file had
        for rel in expected:
            assert ID3(lib / rel).version == (2, id3, 0), rel
        five = ID3(lib / f"Fixable Artist/Majority/05 - Five.{ext}", translate=False)
        year_frame = "TYER" if id3 == 3 else "TDRC"
        assert [str(t) for t in five[year_frame].text] == ["2002"]
        assert ("TDRC" in five) is (id3 == 4)

    # -- ambiguous situations are reported, and their files are not touched at all
    for rel, data in ambiguous_bytes.items():
        assert (lib / rel).read_bytes() == data, rel
    docs = artist_documents(home)
    for artist, codes in unfixable.items():
        found = code_counts(docs[artist]["findings"], fixed=False)
        for code, n in codes.items():
            assert found.get(code) == n, (artist, code, found)
        assert not any(f["fixable"] for f in docs[artist]["findings"]), artist
        assert docs[artist]["summary"]["issues_resolved"] == 0
    for artist, codes in fixed_codes.items():
        fixed = code_counts(docs[artist]["findings"], fixed=True)
        assert fixed == codes, artist
        assert docs[artist]["summary"]["issues_resolved"] == sum(codes.values())

    # -- undo one artist by name (any case): only that artist goes back
    tag_by_hand(lib / f"Hand Edited/Hand/01 - Touch.{ext}", "title", "Touched By Hand")
    by_artist = undo(home, "--artist", "SECOND fixable")
    assert by_artist.exit_code == 0, by_artist.output
    assert "1 value restored, 0 left alone" in by_artist.output
    now = library_tags(lib)
    for rel in before_tags:
        if rel.startswith("Second Fixable/"):
            assert now[rel] == before_tags[rel], rel
            assert raw_frames(lib / rel) == before_raw[rel], rel
        elif rel.startswith("Fixable Artist/"):
            assert now[rel] == after_tags[rel], rel  # still fixed

    # -- undo the whole session: every old value back, the hand edit left alone and reported
    by_session = undo(home, "--session", session)
    assert by_session.exit_code == 1, by_session.output
    touched = f"Hand Edited/Hand/01 - Touch.{ext}"
    left_alone = [line for line in by_session.output.splitlines() if line.startswith("left alone")]
    assert len(left_alone) == 1, by_session.output
    assert "title" in left_alone[0] and "Touched By Hand" in left_alone[0]
    restored = library_tags(lib)
    for rel, before in before_tags.items():
        if rel == touched:
            assert restored[rel] == {**before, "title": "Touched By Hand"}
            continue
        assert restored[rel] == before, rel
        assert raw_frames(lib / rel) == before_raw[rel], rel
        assert mutagen.File(lib / rel).info.length > 0.5, rel
    for rel, data in ambiguous_bytes.items():
        assert (lib / rel).read_bytes() == data, rel
    leftovers = [p for p in tree_bytes(lib) if Path(p).name.startswith(".mediakeeper.")]
    assert leftovers == []


def store_pair_as(path: Path, form: str) -> None:
    """Store a Vorbis file's track number and total as some taggers do: "1/3" in
    TRACKNUMBER alone ("combined"), or the total under the alias TOTALTRACKS ("alias")."""
    audio = mutagen.File(path)
    number, total = audio["TRACKNUMBER"][0], audio["TRACKTOTAL"][0]
    del audio["TRACKTOTAL"]
    if form == "combined":
        audio["TRACKNUMBER"] = [f"{number}/{total}"]
    else:
        audio["TOTALTRACKS"] = [total]
    audio.save()


@pytest.mark.parametrize(("fmt", "id3"), FORMATS)
def test_a_renumbering_and_its_undo_give_back_every_stored_tag_exactly(
    fmt, id3, tmp_path, music_library, music_script, raw_frames
):
    """Three tracks all numbered 1 of 3, named 01..03: the fix renumbers two of them. However
    the file stores the number and its total (ID3 "1/3", an MP4 pair, Vorbis TRACKNUMBER and
    TRACKTOTAL, "1/3" in TRACKNUMBER alone, the alias TOTALTRACKS), the fix writes no tag it
    did not journal, and undo gives back every stored tag exactly."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    ext = synth.suffix(fmt)[1:]
    album = "Pairs/Dups"
    spec = {
        f"{album}/0{n} - {title}.{ext}": {
            "tags": _track(title, "1", "Dups", "2006", artist="Pairs", tracktotal="3"),
            "id3": id3,
        }
        for n, title in ((1, "Uno"), (2, "Dos"), (3, "Tres"))
    }
    music_library(lib, spec)
    files = sorted(lib / rel for rel in spec)
    if FAMILY[fmt] == "vorbis":
        store_pair_as(files[1], "combined")
        store_pair_as(files[2], "alias")
    before = {path: raw_frames(path) for path in files}

    run = music_script("process_music_batch.py", "--home", home, "--library", lib)
    assert run.returncode == ("needs you:" in run.stdout), run.stdout + run.stderr  # 1: decisions
    numbers = [tagio.read(path).tags for path in files]
    assert [(t["tracknumber"], t["tracktotal"]) for t in numbers] == [
        ("1", "3"),
        ("2", "3"),
        ("3", "3"),
    ]
    for path in files:  # nothing stored that was not there: a new tag would not be undone
        assert set(raw_frames(path)) == set(before[path]), path

    undone = undo(home, "--session", session_of(run.stdout))
    assert undone.exit_code == 0, undone.output
    assert "2 values restored, 0 left alone" in undone.output
    for path in files:
        assert raw_frames(path) == before[path], path


def test_untaggable_and_unsupported_files_are_reported_and_never_written(
    tmp_path, music_library, music_script, tree_bytes
):
    """AC-3 and AAC (ADTS) files are read and checked, and their fixes reported as not
    writable, never attempted; a file of a format the toolkit does not read is reported as
    such; the tracks around them are fixed as ever."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    album = "Odd Formats/2020 - Live"
    tags = _track("Three ", "3", "Live", "2020", artist="Odd Formats")
    music_library(
        lib,
        {
            f"{album}/01 - Intro.ac3": {},
            f"{album}/02 - Outro.aac": {},
            f"{album}/03 - Three.mp3": {"tags": tags},
        },
    )
    (lib / album / "bonus.mka").write_bytes(b"\x1aE\xdf\xa3" + bytes(60))
    video = synth.template_bytes("silence.mp4").replace(b"soun", b"vide")
    (lib / album / "film.mp4").write_bytes(video)
    untouched = {
        rel: data for rel, data in tree_bytes(lib).items() if not rel.endswith(".mp3") and data
    }

    run = music_script("process_music_batch.py", "--home", home, "--library", lib)
    assert run.returncode == 1, run.stdout + run.stderr  # decisions left

    now = tree_bytes(lib)
    assert {rel: now[rel] for rel in untouched} == untouched
    assert tagio.read(lib / album / "03 - Three.mp3").tags["title"] == "Three"
    doc = artist_documents(home)["Odd Formats"]
    assert doc["summary"]["tracks"] == 3
    found = {(f["code"], f["path"]): f for f in doc["findings"]}
    for name, kind in (("01 - Intro.ac3", "AC-3"), ("02 - Outro.aac", "AAC (ADTS)")):
        title = found["missing-title", f"{album.split('/')[1]}/{name}"]
        assert not title["fixable"] and not title["fixed"], title
        assert title["not_written"] == (
            f"2020 - Live/{name} is {kind}, a format whose tags cannot be written"
        )
    for name, what in (("bonus.mka", "Matroska"), ("film.mp4", "MP4 video")):
        unsupported = found["unsupported-format", f"2020 - Live/{name}"]
        assert unsupported["severity"] == "info" and what in unsupported["message"]
    journaled = "".join(
        p.read_text() for p in (home / "status" / "music" / "changes").glob("*.jsonl")
    )
    assert "03 - Three.mp3" in journaled
    assert ".ac3" not in journaled and ".aac" not in journaled
