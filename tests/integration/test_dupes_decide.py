"""Duplicate groups decided (issue 64): listed by ``decide`` as decision groups counted apart,
a group's copy chosen (the best, another, or all of them), a whole level decided as one
session, the kept copy gaining the tags and the cover the others carry, every session undone
exactly by ``undo --session`` and by ``POST /api/undo`` on a real server; the upgrades list
naming the better copy the library holds. Real recordings, the real command in subprocesses."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import mutagen
import pytest
from mutagen.id3 import APIC, TXXX, UFID
from mutagen.mp4 import MP4

from mediakeeper.demo.tracks import PNG_1X1
from mediakeeper.tags.cover import cover
from mediakeeper.text.render import markdown_escape
from mediakeeper.text.wording import count, format_size
from tests.helpers import leaves_decisions, loaded_among, script_env, tree_of
from tests.helpers.dupes import build, mediakeeper, scanned
from tests.helpers.melody import encode, melody_wav
from tests.integration.serving import serve

TRACK_ID = "5c4f0000-0000-4000-8000-0000000000aa"
ALBUM_ID = "5c4f0000-0000-4000-8000-0000000000bb"


def pair(root: Path) -> Path:
    """One recording twice: a FLAC that carries only its album id, and an MP3 rip of it that
    carries a cover, its recording id and its ReplayGain."""
    lib = root / "Music"
    source = melody_wav(root / "21.wav", 21, 12)
    flac = encode(source, lib / "Artist" / "Album" / "01 - One.flac")
    mp3 = encode(source, lib / "Rips" / "Album" / "01 - One.mp3", "-b:a", "128k")
    source.unlink()
    audio = mutagen.File(flac)
    audio["MUSICBRAINZ_ALBUMID"] = [ALBUM_ID]
    audio.save()
    audio = mutagen.File(mp3)
    audio.tags.add(APIC(encoding=3, mime="image/png", type=3, desc="", data=PNG_1X1))
    audio.tags.add(UFID(owner="http://musicbrainz.org", data=TRACK_ID.encode()))
    audio.tags.add(TXXX(encoding=3, desc="REPLAYGAIN_TRACK_GAIN", text=["-6.50 dB"]))
    audio.save()
    return lib


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("dupes"))


@pytest.fixture(scope="module")
def two_copies(tmp_path_factory) -> Path:
    return pair(tmp_path_factory.mktemp("pair"))


def own(lib: Path, tmp_path: Path) -> tuple[Path, Path, list[dict]]:
    """A copy of ``lib`` scanned in a home of its own: (library, home, groups)."""
    mine = Path(shutil.copytree(lib, tmp_path / "Music"))
    home = tmp_path / "home"
    return mine, home, scanned(home, mine)


def dry_run_moves(said: str) -> tuple[list[list[str]], list[str]]:
    """What a dupes dry run says it would move ([from, to] each) and the folders it says
    those moves would empty."""
    lines = said.splitlines()
    return ([line.removeprefix("would move ").split(" to ") for line in lines
             if line.startswith("would move ")],
            [line.removeprefix("would remove the folder it empties ") for line in lines
             if line.startswith("would remove the folder it empties ")])  # fmt: skip


def session_of(out: str) -> str:
    return out.split("--session ")[1].split()[0]


def listed(home: Path) -> list[dict]:
    return json.loads(mediakeeper(home, "dupes", "--json").stdout)["groups"]


# What only a scan needs: the batch it runs (``decide`` says groups without running one).
SCAN_ONLY = ("mediakeeper.runs.dupes", "mediakeeper.batch.runner", "mediakeeper.batch.workers",
             "mediakeeper.cli.progress_line")  # fmt: skip


def test_decide_lists_the_groups_counted_apart_and_shows_each_with_its_choices(library, tmp_path):
    lib, home, groups = own(library, tmp_path)
    shown = mediakeeper(home, "decide", "--json")
    assert shown.returncode == 0, shown.stderr
    answer = json.loads(shown.stdout)
    assert answer["total"] == 0 and answer["groups"] == []  # no finding's decision among them
    by_level = {g["level"]: [x["id"] for x in groups if x["level"] == g["level"]] for g in groups}
    assert {d["code"]: d["items"] for d in answer["duplicates"]} == {
        f"duplicate-{level}": ids for level, ids in by_level.items()
    }
    text = mediakeeper(home, "decide").stdout
    assert "  dupes   duplicate-track  2 groups: " in text
    # Its choices in words, as every group's are: no placeholder, in the listing or --json.
    assert "[keep the best | keep all | keep another copy]" in text, text
    assert all(d["choices"] == ["keep the best", "keep all", "keep another copy"]
               for d in answer["duplicates"]), answer  # fmt: skip
    loose = next(g for g in groups if any("Unsorted" in c["path"] for c in g["copies"]))
    # Each group by the name the page gives it, with the id `decide dupes ID` takes.
    assert f"Artist A — Album — 02 - Song 2 ({loose['id']})" in text, text
    one = mediakeeper(home, "decide", "dupes", loose["id"])
    assert one.returncode == 0, one.stderr
    flac, m4a = lib / "Artist A" / "Album" / "02 - Song 2.flac", lib / "Unsorted" / "track02.m4a"
    assert f"1) keep the best: {flac} (FLAC 44.1 kHz/16-bit" in one.stdout
    assert "2) keep all (remembered" in one.stdout
    assert f"3) keep {m4a} (M4A " in one.stdout
    items = mediakeeper(home, "decide", "--group", "duplicate-track").stdout
    assert loose["id"] in items and str(m4a) in items
    # What it says to type next runs pasted from another folder (looked at: --dry-run).
    pasted = [line.split(": ", 1)[1] for line in items.splitlines()
              if line.startswith(("Keep the best of each: ", "Keep all of each: "))]  # fmt: skip
    assert len(pasted) == 2, items
    for command in pasted:
        dry = subprocess.run([*shlex.split(command), "--dry-run"], cwd="/", env=script_env(),
                             capture_output=True, text=True, timeout=300)  # fmt: skip
        assert dry.returncode == 0 and "nothing moved" in dry.stdout, dry.stdout + dry.stderr
    # Saying the groups is not running a scan: no batch machinery loaded for it.
    said, loaded = loaded_among("decide.py", SCAN_ONLY, "--home", home, "--json")
    assert json.loads(said)["duplicates"] == answer["duplicates"]
    assert loaded == []


def test_the_best_kept_gains_the_tags_and_the_cover_and_its_undo_is_exact(two_copies, tmp_path):
    lib, home, groups = own(two_copies, tmp_path)
    (group,) = groups
    flac, mp3 = lib / "Artist" / "Album" / "01 - One.flac", lib / "Rips" / "Album" / "01 - One.mp3"
    assert group["best"] == str(flac) and cover(flac) is None
    before = tree_of(lib)
    fields = mediakeeper(home, "decide", "dupes", group["id"], "--choose", "1", "--fields",
                         "cover")  # a group's choices write no chosen fields: refused
    assert fields.returncode == 2 and "it has no fields to choose" in fields.stderr
    assert tree_of(lib) == before
    done = mediakeeper(home, "decide", "dupes", group["id"], "--choose", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    for gained in ("cover", "musicbrainz_trackid", "replaygain_track_gain"):
        assert f"kept copy gained {gained}: {flac}" in done.stdout
    kept = mutagen.File(flac)
    assert [(p.type, p.mime, p.data) for p in kept.pictures] == [(3, "image/png", PNG_1X1)]
    assert kept["MUSICBRAINZ_TRACKID"] == [TRACK_ID]
    assert kept["REPLAYGAIN_TRACK_GAIN"] == ["-6.50 dB"]
    assert not mp3.exists() and (home / "set-aside" / "Rips" / "Album" / "01 - One.mp3").is_file()
    assert listed(home) == []
    # The group is asked again once its set-aside file is back: said as every undo says the
    # decisions it opens again (nothing said it), its dry run first.
    dry = mediakeeper(home, "undo", "--session", session_of(done.stdout), "--dry-run")
    assert dry.returncode == 0 and "1 decision would open again\n" in dry.stdout, dry.stdout
    assert listed(home) == []
    undone = mediakeeper(home, "undo", "--session", session_of(done.stdout))
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "1 file put back, 0 left alone\n1 decision open again\n" in undone.stdout
    assert "restored cover of " in undone.stdout and "a picture (image/png, " in undone.stdout
    assert tree_of(lib) == before  # every file byte for byte, the kept one's tags and cover too
    assert [g["id"] for g in listed(home)] == [group["id"]]  # asked again
    # The FLAC holds the bytes the scan graded again (at a later time): another choice of the
    # group moves it, where it was left alone as "changed since the scan".
    other = mediakeeper(home, "decide", "dupes", group["id"], "--choose", "3")
    assert other.returncode == 0, other.stdout + other.stderr
    assert not flac.exists() and mp3.exists() and "left alone" not in other.stdout + other.stderr


def test_another_copy_kept_or_all_kept_each_a_session_undone(two_copies, tmp_path):
    lib, home, groups = own(two_copies, tmp_path)
    (group,) = groups
    flac, mp3 = lib / "Artist" / "Album" / "01 - One.flac", lib / "Rips" / "Album" / "01 - One.mp3"
    before = tree_of(lib)
    for dry in ((), ("--dry-run",)):  # a choice the group has not: refused, nothing moved
        wrong = mediakeeper(home, "decide", "dupes", group["id"], "--choose", "4", *dry)
        assert wrong.returncode == 2, wrong.stdout + wrong.stderr
        assert f"{group['id']} has no choice 4" in wrong.stderr and tree_of(lib) == before
    other = mediakeeper(home, "decide", "dupes", group["id"], "--choose", "3")
    assert other.returncode == 0, other.stdout + other.stderr
    assert not flac.exists() and mp3.exists()  # the person's choice over the grade
    assert mutagen.File(mp3).tags["TXXX:MusicBrainz Album Id"].text == [ALBUM_ID]  # gained
    assert mediakeeper(home, "undo", "--session", session_of(other.stdout)).returncode == 0
    assert tree_of(lib) == before
    whole = mediakeeper(home, "decide", "dupes", group["id"], "--dismiss", "duplicate-track")
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert listed(home) == [] and group["id"] in mediakeeper(home, "dupes", "kept").stdout
    assert json.loads(mediakeeper(home, "decide", "--json").stdout).get("duplicates") is None
    undone = mediakeeper(home, "undo", "--session", session_of(whole.stdout))
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert [g["id"] for g in listed(home)] == [group["id"]] and tree_of(lib) == before
    # choice 2, keep all, is the dismissal by its number: nothing moved, the group kept whole
    chose = mediakeeper(home, "decide", "dupes", group["id"], "--choose", "2")
    assert chose.returncode == 0, chose.stdout + chose.stderr
    assert listed(home) == [] and group["id"] in mediakeeper(home, "dupes", "kept").stdout
    assert tree_of(lib) == before


def test_a_whole_level_is_decided_as_one_session_and_put_back_by_the_web_undo(library, tmp_path):
    lib, home, groups = own(library, tmp_path)
    before = tree_of(lib)
    tracks = [g for g in groups if g["level"] == "track"]
    # a dry run says each group's fate: keep all (choice 2, or the dismissal), or the best kept
    for answer in (("--choose", "2"), ("--dismiss", "duplicate-track")):
        dry = mediakeeper(home, "decide", "--all", "--group", "duplicate-track", *answer,
                          "--dry-run")  # fmt: skip
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert dry.stdout.splitlines() == [
            *(f"would keep all {len(g['copies'])} copies of {g['id']}" for g in tracks),
            f"dry run: {len(tracks)} groups would be decided; nothing moved"]  # fmt: skip
    dry = mediakeeper(home, "decide", "--all", "--group", "duplicate-track", "--choose", "1",
                      "--dry-run")  # fmt: skip
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert [f"would keep {g['best']}" for g in tracks] == \
        [line for line in dry.stdout.splitlines() if line.startswith("would keep ")]  # fmt: skip
    # A dry run refuses what the take would: a copy of each group's own, a rule, another kind.
    for refused, said in [
        (("dupes", "--group", "duplicate-track", "--choose", "3"), "is a copy of each group's own"),
        (("dupes", "--dismiss", "duplicate-track", "--remember"), "remembered group by group"),
        (("music", "--dismiss", "duplicate-track"), "no open 'duplicate-track' decision in music"),
    ]:
        for dry in (("--dry-run",), ()):
            answer = mediakeeper(home, "decide", refused[0], "--all", *refused[1:], *dry)
            assert answer.returncode == 2 and said in answer.stderr, answer.stdout + answer.stderr
    assert tree_of(lib) == before
    done = mediakeeper(home, "decide", "--all", "--group", "duplicate-track", "--choose", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(tracks)} groups decided (keep the best" in done.stdout
    gone = [c["path"] for g in tracks for c in g["copies"] if c["path"] != g["best"]]
    assert len(gone) == 2 and not any(Path(p).exists() for p in gone)
    codes = [d["code"] for d in json.loads(mediakeeper(home, "decide", "--json").stdout)
             ["duplicates"]]  # fmt: skip
    assert codes == ["duplicate-album", "duplicate-release"]
    assert weekly_frees(home) == [g for g in groups if g["level"] == "album"]  # rewritten
    served = serve(home)
    try:
        undone = served.post("/api/undo", {"session": session_of(done.stdout)})
        assert undone.status_code == 200, undone.text
        assert undone.json()["put_back"] == 2 and undone.json()["complete"] is True
        assert undone.json()["reopened"] == len(tracks)  # each group asked again
        asked = served.get("/api/decisions").json()["duplicates"]
        assert [d["code"] for d in asked] == ["duplicate-album", "duplicate-track",
                                              "duplicate-release"]  # fmt: skip
        # Explained in full (details=1) as every decision is: these lacked it.
        detailed = served.get("/api/decisions?details=1").json()["duplicates"]
        assert [d["code"] for d in detailed] == [d["code"] for d in asked]
        for d in (d for entry in detailed for d in entry["decisions"]):
            one = served.get(f"/api/decisions/{quote(d['id'], safe='')}").json()
            full = ("details", "choices", "can_set")
            assert {k: d[k] for k in full} == {k: one[k] for k in full}, d
        # and a group decided over the API, as `decide dupes ID --choose 1` does
        took = served.post("/api/decisions", {"kind": "dupes", "name": tracks[0]["id"],
                                              "choose": 1})  # fmt: skip
        assert took.status_code == 200, took.text
        assert took.json()["closed"] == 1 and "_dupes_" in took.json()["session"]
        assert served.post("/api/undo", {"session": took.json()["session"]}).status_code == 200
    finally:
        served.stop()
    assert tree_of(lib) == before
    assert not any(p.is_file() for p in (home / "set-aside").rglob("*"))
    assert weekly_frees(home) == [g for g in groups if g["level"] != "release"]


def weekly_frees(home: Path) -> list[dict]:
    """The groups whose space this week's report says setting aside would free (those of
    ``dupes --json`` whose waste adds up to it, album and track groups)."""
    text = next((home / "status" / "reports").glob("*_weekly_progress.md")).read_text()
    acted = [g for g in listed(home) if g["level"] != "release"]
    size = format_size(sum(g["waste"] for g in acted))
    groups = count(len(acted), "group")
    assert f"| Duplicates: setting them aside would free | {size} ({groups}) |" in text
    return acted


def test_the_upgrades_list_names_the_better_copy_the_library_holds(library, tmp_path):
    lib, home, _ = own(library, tmp_path)
    batch = mediakeeper(home, "music", "batch", "--library", lib, "--offline",
                        "--batch-size", "20")  # fmt: skip
    assert leaves_decisions(batch), batch.stdout + batch.stderr
    text = (home / "issues" / "music" / "upgrades.md").read_text(encoding="utf-8")
    flac = markdown_escape(str(lib / "Artist A" / "Album" / "02 - Song 2.flac"))  # as written
    # the rate the file's encoder reached for 96k (97 with Debian's ffmpeg, 96 with the wheel's)
    rate = f"{MP4(lib / 'Unsorted' / 'track02.m4a').info.bitrate / 1000:.0f}"
    assert (f"- **Unsorted**: low bit rate (m4a, {rate} kbps, 1 file); better: a better copy "
            f"exists in the library: {flac} (FLAC 44.1 kHz/16-bit)") in text  # fmt: skip
    # the compilation's two low-rate tracks: one has a better copy, the other none
    assert "- **Various — Hits**: low bit rate (opus, " in text
    assert "better: a better copy of 1 file exists in the library: " in text
    # a drone has no copy: the list's own advice
    assert "- **Drone 2**: low bit rate (mp3, 64 kbps, 1 file); better: a lossless copy" in text


def test_a_choice_previewed_names_each_file_where_the_take_moves_it(library, tmp_path):
    """The dry run of a group's choice says each file it would set aside and where it would
    go, as the take then moves it: an album copy file by file, into the holding folder (it
    once said each copy moved onto itself); and the library folders those moves empty, which
    the take removes (it said none)."""
    lib, home, groups = own(library, tmp_path)
    (album,) = [g for g in groups if g["level"] == "album"]
    before = tree_of(lib)
    dry = mediakeeper(home, "decide", "dupes", album["id"], "--choose", "1", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert tree_of(lib) == before
    would, emptied = dry_run_moves(dry.stdout)
    done = mediakeeper(home, "decide", "dupes", album["id"], "--choose", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    moved = [line.removeprefix("set aside ").split(" -> ")
             for line in done.stdout.splitlines() if line.startswith("set aside ")]  # fmt: skip
    rips = Path("Artist A.") / "Album (mp3)"
    assert moved == [[str(lib / rips / f"0{n} - Song {n}.mp3"),
                      str(home / "set-aside" / rips / f"0{n} - Song {n}.mp3")]
                     for n in (1, 2, 3, 4)]  # fmt: skip
    assert would == moved
    # The folders it said the moves would empty are those the take removed, and only those.
    assert emptied == [str(lib / rips), str(lib / rips.parent)], dry.stdout
    assert not any(Path(folder).exists() for folder in emptied)
    assert (lib / "Artist A" / "Album").is_dir()


def test_a_group_whose_copies_are_all_left_alone_stays_open_and_is_said_so(library, tmp_path):
    """The release group's Opus copy retagged after the scan: keeping the best moves nothing,
    and the group, still there, is still asked: said "0 groups decided" and closed none (it
    said "1 group decided" and "closed": 1, the group still listed)."""
    _, home, groups = own(library, tmp_path)
    release = next(g for g in groups if g["level"] == "release")
    (other,) = [c["path"] for c in release["copies"] if c["path"] != release["best"]]
    audio = mutagen.File(other)
    audio["comment"] = ["retagged elsewhere"]
    audio.save()
    done = mediakeeper(home, "decide", "dupes", release["id"], "--choose", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("0 groups decided (kept "), done.stdout
    assert f"left alone {other}: changed since the scan" in done.stdout + done.stderr
    assert release["id"] in {g["id"] for g in listed(home)}
    asked = json.loads(mediakeeper(home, "decide", "--json").stdout)["duplicates"]
    assert {g["code"]: g["count"] for g in asked}["duplicate-release"] == 1, asked


def own_album_copy(library: Path, tmp_path: Path) -> tuple[Path, Path, dict]:
    """A copy of ``library`` whose MP3 album copy comes with its cover picture, and whose
    track 4, the one whose recording id the kept FLAC gains, carries an id that ends in a
    terminal's escape (a tag's value is a file's, shown as any name is), scanned in a home of
    its own: (library, home, the album group)."""
    lib = Path(shutil.copytree(library, tmp_path / "Music"))
    rips = lib / "Artist A." / "Album (mp3)"
    (rips / "cover.jpg").write_bytes(PNG_1X1)
    audio = mutagen.File(rips / "04 - Song 4.mp3")
    audio.tags.delall("UFID")
    audio.tags.add(UFID(owner="http://musicbrainz.org", data=f"{TRACK_ID}\x1b[2J".encode()))
    audio.save()
    home = tmp_path / "home"
    (album,) = [g for g in scanned(home, lib) if g["level"] == "album"]
    return lib, home, album


KEEP_THE_BEST_ALBUMS = ("decide", "--all", "--group", "duplicate-album", "--choose", "1")


def test_a_level_previewed_counts_each_file_of_an_album_copy_as_the_take_moves_it(
        library, tmp_path):  # fmt: skip
    """An album copy is a folder of tracks graded as one copy: a level's keep the best,
    previewed, says each of its files and what comes with them (its cover picture) and
    where each goes, counted so ("5 files set aside": it said the copy alone, as one), and
    the folders it would leave empty; the take then moves exactly those, read back on disk,
    and removes those folders; its undo puts them all back."""
    lib, home, _ = own_album_copy(library, tmp_path)
    before = tree_of(lib)
    dry = mediakeeper(home, *KEEP_THE_BEST_ALBUMS, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert tree_of(lib) == before
    would, emptying = dry_run_moves(dry.stdout)
    assert dry.stdout.splitlines()[-1] == (
        "dry run: 1 group would be decided (1 value written to 1 file, 5 files set aside, "
        "2 emptied folders removed); nothing moved")  # fmt: skip
    done = mediakeeper(home, *KEEP_THE_BEST_ALBUMS)
    assert done.returncode == 0, done.stdout + done.stderr
    moved = [line.removeprefix("set aside ").split(" -> ")
             for line in done.stdout.splitlines() if line.startswith("set aside ")]  # fmt: skip
    rips = Path("Artist A.") / "Album (mp3)"
    names = [*(f"0{n} - Song {n}.mp3" for n in (1, 2, 3, 4)), "cover.jpg"]
    assert would == moved == [[str(lib / rips / name), str(home / "set-aside" / rips / name)]
                              for name in names]  # fmt: skip
    for source, target in moved:  # on disk: out of the library, whole in the holding folder
        assert not Path(source).exists()
        assert Path(target).read_bytes() == before[Path(source).relative_to(lib).as_posix()]
    removed = [line.removeprefix("removed the folder it emptied ")
               for line in done.stdout.splitlines() if line.startswith("removed the folder ")]
    assert emptying == removed == [str(lib / rips), str(lib / rips.parent)]
    assert not (lib / rips.parent).exists()  # the folder goes with them, and its artist's
    undone = mediakeeper(home, "undo", "--session", session_of(done.stdout))
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert tree_of(lib) == before
    assert not any(p.is_file() for p in (home / "set-aside").rglob("*"))


def test_a_level_previewed_lists_the_tags_the_kept_copy_gains_as_the_api_does(
        library, tmp_path):  # fmt: skip
    """A level's keep the best, previewed in the terminal, says each tag the kept copy would
    gain from the copies set aside, one line each, its value escaped (it said the copies
    alone; the page and the API said the gains), and ``--json`` is the API's preview of the
    same answer."""
    _, home, album = own_album_copy(library, tmp_path)
    gains = Path(album["best"]) / "04 - Song 4.flac"
    dry = mediakeeper(home, *KEEP_THE_BEST_ALBUMS, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "\x1b" not in dry.stdout
    assert dry.stdout.splitlines()[:2] == [
        f"would keep {album['best']}",
        f"would set musicbrainz_trackid of {gains}: (none) -> '{TRACK_ID}\\x1b[2J'"]
    shown = mediakeeper(home, *KEEP_THE_BEST_ALBUMS, "--dry-run", "--json")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    served = serve(home)
    try:
        api = served.post("/api/decisions/preview", {"kind": "dupes", "all": True,
                                                     "code": "duplicate-album", "choose": 1})
        assert api.status_code == 200, api.text
    finally:
        served.stop()
    assert json.loads(shown.stdout) == api.json()
    assert [(w["path"], w["field"], w["new"]) for w in api.json()["writes"]] == \
        [(str(gains), "musicbrainz_trackid", f"{TRACK_ID}\x1b[2J")]  # fmt: skip
