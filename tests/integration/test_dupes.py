"""``mediakeeper dupes``: real recordings (seeded melodies, ffmpeg's encoders) across artist
folders, a compilation and an untagged copy, scanned by the real command in a subprocess;
exactly the copies of one recording grouped, the best kept, set aside and put back."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mediakeeper.text.commands import kind_command, tool_command
from tests.helpers import REPO_ROOT, script_env, tag_by_hand, tree_of, wait_until
from tests.helpers.dupes import build, mediakeeper, members, scanned


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("dupes"))


@pytest.fixture
def own_library(library, tmp_path) -> Path:
    """A copy of the module's library a test may change (set aside, edit)."""
    return Path(shutil.copytree(library, tmp_path / "Music"))


@pytest.fixture(scope="module")
def scan(library, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    return home, scanned(home, library)


def test_exactly_the_copies_of_one_recording_are_grouped(library, scan):
    _, groups = scan
    assert members(groups, library) == {
        ("album", frozenset({"Artist A/Album", "Artist A./Album (mp3)"})),
        # the compilation's copy: another release, listed apart
        ("release", frozenset({"Artist A/Album/01 - Song 1.flac",
                               "Various/Hits/05 - Song 1.opus"})),
        ("track", frozenset({"Artist A/Album/02 - Song 2.flac", "Unsorted/track02.m4a"})),
        # the remaster (other gain, 1.5 s of silence before it) is the same recording
        ("track", frozenset({"Artist A/Album/03 - Song 3.flac",
                             "Remasters/Song 3 (Remaster).flac"})),
    }  # fmt: skip
    # the file no decoder reads is left out, its album done
    queue = json.loads((scan[0] / "status" / "dupes" / "processing_queue.json").read_text())
    assert {i["status"] for i in queue["items"]} == {"completed"}
    # album groups first; every path absolute; each copy graded
    assert groups[0]["level"] == "album"
    for g in groups:
        assert all(os.path.isabs(c["path"]) for c in g["copies"]) and os.path.isabs(g["best"])
        assert all({"path", "grade", "format", "bitrate", "size"} <= set(c) for c in g["copies"])


def test_the_flac_is_kept_over_its_mp3_and_ties_go_to_the_tagged_copy(library, scan):
    _, groups = scan
    best = {g["level"] + ":" + os.path.relpath(g["best"], library) for g in groups}
    assert "album:Artist A/Album" in best
    assert "track:Artist A/Album/02 - Song 2.flac" in best
    # Two FLACs at one resolution: the one with its tags wins, and says so.
    remaster = next(g for g in groups if any("Remaster" in c["path"] for c in g["copies"]))
    assert remaster["best"].endswith("03 - Song 3.flac")
    album = next(g for g in groups if g["level"] == "album")
    assert any("FLAC" in why and "MP3" in why for why in album["why"])


def test_a_second_scan_reads_nothing_unchanged(library, scan):
    home, groups = scan
    caches = sorted((home / "status" / "dupes" / "fingerprints").glob("*.json"))
    before = {p: p.read_bytes() for p in caches}
    assert scanned(home, library) == groups
    assert {p: p.read_bytes() for p in caches} == before


@pytest.mark.parametrize(
    ("stop", "code"), [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, 130)]
)
def test_a_scan_stopped_mid_file_goes_on_and_groups_the_same(library, scan, tmp_path, stop, code):
    """kill -9 or Ctrl+C while ffmpeg fingerprints (an ffmpeg made slow so the signal lands
    mid-scan): the rerun finishes what was left and finds the same groups, and nothing is
    left in the temporary folder (a fingerprint comes through a pipe, not a file)."""
    slow = tmp_path / "ffmpeg"
    slow.write_text(f'#!/bin/sh\nsleep 0.2\nexec {shutil.which("ffmpeg")} "$@"\n')
    slow.chmod(0o755)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**script_env(), "MEDIAKEEPER_FFMPEG_PATH": str(slow), "TMPDIR": str(temporary)}
    home = tmp_path / "home"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediakeeper", "dupes", "scan", "--library", str(library),
         "--home", str(home)], cwd=REPO_ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    fingerprints = home / "status" / "dupes" / "fingerprints"
    assert wait_until(lambda: fingerprints.is_dir() and any(fingerprints.iterdir()), limit=120)
    proc.send_signal(stop)
    assert proc.wait(timeout=120) == code
    assert not (home / "status" / "dupes" / "groups.json").exists()
    done = mediakeeper(home, "dupes", "scan", "--library", library, env=env)
    assert done.returncode == 0, done.stderr
    again = json.loads(mediakeeper(home, "dupes", "--json").stdout)["groups"]
    assert members(again, library) == members(scan[1], library)
    assert list(temporary.iterdir()) == []


def test_set_aside_then_undo_puts_every_file_back_byte_for_byte(own_library, tmp_path):
    home = tmp_path / "home"
    groups = scanned(home, own_library)
    before = tree_of(own_library)
    done = mediakeeper(home, "dupes", "set-aside", "--all")
    assert done.returncode == 0, done.stdout + done.stderr
    holding = home / "set-aside"
    # every non-best copy of the album and track groups, at its path under the library
    held = sorted(p.relative_to(holding).as_posix() for p in holding.rglob("*") if p.is_file())
    assert held == sorted([*(f"Artist A./Album (mp3)/0{n} - Song {n}.mp3" for n in (1, 2, 3, 4)),
                           "Unsorted/track02.m4a", "Remasters/Song 3 (Remaster).flac"])  # fmt: skip
    # the release group (the compilation's copy) stays unless asked for
    assert (own_library / "Various" / "Hits" / "05 - Song 1.opus").exists()
    # the kept FLAC gained the MusicBrainz id its MP3 copy carried
    from mediakeeper.tags.reading import read

    kept = own_library / "Artist A" / "Album" / "04 - Song 4.flac"
    assert read(kept).tags["musicbrainz_trackid"] == "5c4f0000-0000-4000-8000-000000000004"
    listed = json.loads(mediakeeper(home, "dupes", "--json").stdout)["groups"]
    assert [g["level"] for g in listed] == ["release"]  # what is left to set aside
    session = done.stdout.split("--session ")[1].split()[0]
    assert "mediakeeper undo" in done.stdout
    undone = mediakeeper(home, "undo", "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    after = tree_of(own_library)
    assert "musicbrainz_trackid" not in read(kept).tags  # its tag change undone too
    moved_back = {k for k in before if k.endswith((".mp3", ".m4a")) or "Remaster" in k}
    assert {k: after[k] for k in moved_back} == {k: before[k] for k in moved_back}
    assert set(after) == set(before)
    assert not any(p.is_file() for p in holding.rglob("*"))
    assert len(groups) == 4


def test_a_copy_changed_since_the_scan_is_left_alone_and_said(own_library, tmp_path):
    home = tmp_path / "home"
    groups = scanned(home, own_library)
    loose = own_library / "Unsorted" / "track02.m4a"
    tag_by_hand(loose, "title", "edited after the scan")
    track = next(g for g in groups if any(c["path"] == str(loose) for c in g["copies"]))
    done = mediakeeper(home, "dupes", "set-aside", track["id"])
    assert done.returncode == 1
    assert f"left alone {loose}: changed since the scan" in done.stdout
    assert loose.exists() and not (home / "set-aside" / "Unsorted").exists()
    # the next scan fingerprints that file again, and only it
    caches = home / "status" / "dupes" / "fingerprints"
    before = {p.name: json.loads(p.read_text())["files"] for p in caches.glob("*.json")}
    again = scanned(home, own_library)
    assert [g["id"] for g in again] == [g["id"] for g in groups]  # the same copies
    after = {p.name: json.loads(p.read_text())["files"] for p in caches.glob("*.json")}
    changed = {(album, name) for album in after for name in after[album]
               if after[album][name] != before[album][name]}  # fmt: skip
    assert [name for _, name in changed] == ["track02.m4a"]


def test_set_aside_refuses_what_it_cannot_do(library, scan, tmp_path):
    """Neither --all nor an ID was refused as if both were given; --include-releases with IDs
    was ignored; `dupes kept` with none kept printed nothing; a dupes batch named an issue
    reports folder no dupes batch makes."""
    home, groups = scan
    neither = mediakeeper(home, "dupes", "set-aside")
    assert neither.returncode == 2
    assert (f"Error: give --all or one or more group IDs (`{kind_command('dupes', '', home)}` "
            "lists them)") in neither.stderr, neither.stderr  # fmt: skip
    both = mediakeeper(home, "dupes", "set-aside", "--all", groups[0]["id"])
    assert both.returncode == 2 and "give --all or group IDs, not both" in both.stderr
    unknown = mediakeeper(home, "dupes", "set-aside", "nosuchid")
    assert unknown.returncode == 2 and "no duplicate group nosuchid" in unknown.stderr
    release = next(g for g in groups if g["level"] == "release")
    alone = mediakeeper(home, "dupes", "set-aside", release["id"], "--include-releases")
    assert alone.returncode == 2, alone.stdout + alone.stderr
    assert "Error: --include-releases goes with --all" in alone.stderr, alone.stderr
    assert not (home / "set-aside").exists()
    kept = mediakeeper(home, "dupes", "kept")
    assert kept.returncode == 0 and kept.stdout == "No group is kept whole.\n", kept.stdout
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    batch = mediakeeper(copy, "dupes", "batch")
    assert batch.returncode == 0, batch.stdout + batch.stderr
    assert "issue reports:" not in batch.stdout and not (copy / "issues" / "dupes").exists()
    assert "weekly report: " in batch.stdout, batch.stdout


def test_a_broken_settings_file_is_refused_by_every_dupes_command(scan, tmp_path):
    """The listing, `kept` and `keep-all` read the home without its settings: with a
    settings file that is not TOML they went on (exit 0) where every other command, a
    read-only one too, refuses it. They refuse it too, exit 2, nothing written."""
    home, groups = scan
    copy = tmp_path / "broken"
    shutil.copytree(home, copy)
    (copy / "mediakeeper.toml").write_text("[music\n", encoding="utf-8")
    before = tree_of(copy)
    for args in (("dupes",), ("dupes", "--json"), ("dupes", "kept"),
                 ("dupes", "keep-all", groups[0]["id"]), ("dupes", "set-aside", "--all")):
        refused = mediakeeper(copy, *args)
        assert refused.returncode == 2, (args, refused.stdout, refused.stderr)
        assert refused.stderr == (f"Error: {copy / 'mediakeeper.toml'}: not valid TOML: "
                                  "Expected ']' at the end of a table declaration (at line 1, "
                                  "column 7)\n"), args  # fmt: skip
        assert refused.stdout == "", args
    assert tree_of(copy) == before


def test_every_command_it_prints_names_the_data_home(library, scan, tmp_path):
    """The listing, the scan and the refusals named `mediakeeper dupes ...` with no --home:
    pasted from anywhere but the home, they answered 'no data home found' or read another."""
    home = tmp_path / "home"
    shutil.copytree(scan[0], home)
    listed = mediakeeper(home, "dupes").stdout
    assert f"`{kind_command('dupes', 'set-aside', home)} --all` would move " in listed, listed
    again = mediakeeper(home, "dupes", "scan")
    assert f"; `{kind_command('dupes', '', home)}` lists them" in again.stdout, again.stdout
    unknown = mediakeeper(home, "dupes", "set-aside", "nosuchid")
    assert unknown.returncode == 2, unknown.stdout + unknown.stderr
    assert f"no duplicate group nosuchid: `{kind_command('dupes', '', home)}` lists them" \
        in unknown.stderr, unknown.stderr  # fmt: skip
    kept = mediakeeper(home, "dupes", "keep-all", *(g["id"] for g in scan[1]))
    assert f"To ask again: {tool_command('undo', home)} --session " in kept.stdout, kept.stdout
    none = mediakeeper(home, "dupes").stdout
    assert f"kept whole: `{kind_command('dupes', 'kept', home)}`)" in none, none
    assert f"No duplicates found (run `{kind_command('dupes', 'scan', home)}` after" in none


def test_release_groups_are_set_aside_only_with_include_releases(own_library, tmp_path):
    home = tmp_path / "home"
    scanned(home, own_library)
    compilation = own_library / "Various" / "Hits" / "05 - Song 1.opus"
    done = mediakeeper(home, "dupes", "set-aside", "--all", "--include-releases")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not compilation.exists()
    assert (home / "set-aside" / "Various" / "Hits" / "05 - Song 1.opus").is_file()
    assert (own_library / "Various" / "Hits" / "06 - Other.opus").is_file()  # no copy: stays


def test_a_group_kept_whole_is_not_listed_nor_set_aside_until_reset(library, scan, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(scan[0], home)  # the module's scan, read only here
    groups = scan[1]
    track = next(g for g in groups if g["level"] == "track")
    done = mediakeeper(home, "dupes", "keep-all", track["id"])
    assert done.returncode == 0 and "1 group kept whole" in done.stdout
    listed = json.loads(mediakeeper(home, "dupes", "--json").stdout)["groups"]
    assert track["id"] not in [g["id"] for g in listed] and len(listed) == len(groups) - 1
    assert track["id"] in mediakeeper(home, "dupes", "kept").stdout
    from mediakeeper.decisions.copies import chosen
    from mediakeeper.dupes import kept

    every = chosen(groups, [], every=True, include_releases=True, home=home,
                   kept_whole=kept.load(home))
    assert track["id"] not in [g["id"] for g in every]
    # An id no kept group has (mistyped, empty) is refused, and none is forgotten.
    for wrong, said in [(track["id"][:-1] + "x", f"did you mean {track['id']}?"),
                        ("", f"`{kind_command('dupes', 'kept', home)}` lists them")]:  # fmt: skip
        refused = mediakeeper(home, "dupes", "kept", "--reset", track["id"], wrong)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert f"no group kept whole has the id {wrong!r}" in refused.stderr, refused.stderr
        assert said in refused.stderr and refused.stderr.count("\n") == 1, refused.stderr
        assert track["id"] in mediakeeper(home, "dupes", "kept").stdout
    reset = mediakeeper(home, "dupes", "kept", "--reset")
    assert reset.returncode == 0 and "1 group no longer kept whole" in reset.stdout
    again = json.loads(mediakeeper(home, "dupes", "--json").stdout)["groups"]
    assert [g["id"] for g in again] == [g["id"] for g in groups]


def test_the_dashboard_says_what_setting_aside_would_free(scan, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(scan[0], home)
    acted = [g for g in scan[1] if g["level"] != "release"]
    shown = mediakeeper(home, "dashboard")
    assert shown.returncode == 0, shown.stderr
    from mediakeeper.text.wording import format_size

    size = format_size(sum(g["waste"] for g in acted))
    assert f"DUPLICATES  {len(acted)} groups: setting them aside would free {size}" in shown.stdout
    assert "dupes set-aside --home " in shown.stdout
    # and this week's report, written when the scan grouped
    weekly = next((scan[0] / "status" / "reports").glob("*_weekly_progress.md")).read_text()
    assert f"| Duplicates: setting them aside would free | {size} ({len(acted)} groups) |" in weekly


def test_the_complete_release_is_kept_over_a_copy_with_more_files_but_a_track_missing(tmp_path):
    """A standard edition (3 of its 3 tracks) and a deluxe one holding those three and a
    bonus track but missing a fifth of its MusicBrainz release: the complete album wins,
    though it holds fewer files (issue 64: completeness against its MusicBrainz release)."""
    import mutagen

    from tests.helpers.dupes import SECONDS
    from tests.helpers.melody import encode, melody_wav

    wav, lib = tmp_path / "wav", tmp_path / "Music"
    wav.mkdir()
    editions = {"Standard": ((1, 2, 3), 3, "1"), "Deluxe": ((1, 2, 3, 4), 5, "2")}
    for edition, (songs, total, release) in editions.items():
        for n in songs:
            source = wav / f"{n}.wav"
            if not source.exists():
                melody_wav(source, n, SECONDS)
            path = encode(source, lib / "Artist" / edition / f"0{n} - Song {n}.flac")
            audio = mutagen.File(path)
            audio["TITLE"], audio["TRACKNUMBER"], audio["TRACKTOTAL"] = (
                f"Song {n}",
                str(n),
                str(total),
            )
            audio["MUSICBRAINZ_ALBUMID"] = f"00000000-0000-4000-8000-00000000000{release}"
            audio.save()
    groups = scanned(tmp_path / "home", lib)
    (album,) = [g for g in groups if g["level"] == "album"]
    assert os.path.relpath(album["best"], lib) == "Artist/Standard", album
    grades = {os.path.relpath(c["path"], lib): c["grade"] for c in album["copies"]}
    assert grades["Artist/Standard"].endswith("3 of 3 tracks"), grades
    assert grades["Artist/Deluxe"].endswith("4 of 5 tracks"), grades
    assert any("more complete album" in why for why in album["why"]), album["why"]


def test_a_tie_keeps_the_first_by_path_when_one_folder_name_starts_the_other(tmp_path):
    """Two copies as good: "the first by path" kept "Abbey (copy)" over "Abbey", and the
    untagged "Alb (wav)" over the tagged FLACs of "Alb" (a name that begins with the other
    sorted before it), so set-aside --all moved the original out."""
    from tests.helpers.dupes import SECONDS
    from tests.helpers.melody import encode, melody_wav

    lib = tmp_path / "Music"
    for n in (1, 2):
        abbey = melody_wav(tmp_path / f"abbey{n}.wav", 40 + n, SECONDS)
        encode(abbey, lib / "A" / "Abbey" / f"0{n}.flac")
        alb = melody_wav(tmp_path / f"alb{n}.wav", 50 + n, SECONDS)
        tag_by_hand(encode(alb, lib / "A" / "Alb" / f"0{n}.flac"), "album", "Alb")
        encode(alb, lib / "A" / "Alb (wav)" / f"0{n}.wav")
    shutil.copytree(lib / "A" / "Abbey", lib / "A" / "Abbey (copy)")
    home = tmp_path / "home"
    groups = scanned(home, lib)
    assert members(groups, lib) == {("album", frozenset({"A/Abbey", "A/Abbey (copy)"})),
                                    ("album", frozenset({"A/Alb", "A/Alb (wav)"}))}  # fmt: skip
    kept = {os.path.relpath(g["best"], lib): g["why"] for g in groups}
    assert sorted(kept) == ["A/Abbey", "A/Alb"], kept
    assert all(why[0].endswith("the first by path") for why in kept.values()), kept
    done = mediakeeper(home, "dupes", "set-aside", "--all")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in (lib / "A").iterdir()) == ["Abbey", "Alb"]
