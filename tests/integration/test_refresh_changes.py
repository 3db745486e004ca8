"""--refresh notices completed items whose files changed since they completed: real libraries,
real batches and the real queue-manager scripts in subprocesses.

A completed artist used to stay completed whatever happened to its folder afterwards (a file
added, an album deleted, a track retagged by another program), so it was never looked at
again; now exactly the artists whose files changed go back to pending, each with how.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mediakeeper import tags
from mediakeeper.demo.tracks import make_track
from mediakeeper.queue.fingerprints import FILES_LOG, FINGERPRINT
from mediakeeper.queue.store import QueueStore
from tests.helpers import queue_manager_cli, refuse_scandir, tag_by_hand
from tests.integration.test_movie_batch import library_of, queue_of
from tests.integration.test_movie_batch import run as movie_batch
from tests.servers.tmdb import FakeTMDb
from utilities.music_queue_manager import main


def messy(artist: str, album: str, track: int) -> dict:
    """A track whose title has a doubled space: the batch fixes it (rewrites the file)."""
    return {
        "tags": {
            "title": f"Song  {track}",
            "artist": artist,
            "albumartist": artist,
            "album": album,
            "tracknumber": str(track),
            "date": "2001",
        }
    }


ARTISTS = ("Added To", "Album Gone", "Retagged", "Untouched", "Only Junk")


def spec() -> dict:
    tracks = {}
    for artist in ARTISTS:
        for album, fmt in (("First", "flac"), ("Second", "mp3")):
            for n in (1, 2):
                tracks[f"{artist}/2001 - {album}/0{n} - Song {n}.{fmt}"] = messy(artist, album, n)
    return tracks


def statuses(home: Path) -> dict[str, str]:
    items = QueueStore(home / "status" / "music", "music").load()["items"]
    return {item["name"]: item["status"] for item in items}


def refresh(music_script, home: Path, script: str = "music_queue_manager.py"):
    done = music_script(script, "--home", home, "--refresh")
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def completed(tmp_path, music_library, music_script):
    """A library whose every artist a real offline batch completed (fixes written)."""
    library = music_library(tmp_path / "Music", spec())
    home = tmp_path / "home"
    run = music_script("process_music_batch.py", "--home", home, "--library", library, "--offline")
    assert run.returncode == 0, run.stdout + run.stderr
    assert set(statuses(home).values()) == {"completed"}
    return library, home


def test_exactly_the_changed_artists_go_back_to_pending_saying_how(completed, music_script):
    library, home = completed
    store = QueueStore(home / "status" / "music", "music")
    # The batch's own fixes rewrote files: recorded after them, they are no change.
    unchanged = refresh(music_script, home)
    assert "0 added, 0 marked missing, 0 back on disk, 0 changed since completed" in unchanged
    assert set(statuses(home).values()) == {"completed"}
    before = store.load()["items"]

    make_track(library / "Added To/2001 - Second/03 - Song 3.mp3", "mp3", {"title": "Song 3"})
    shutil.rmtree(library / "Album Gone/2001 - First")
    tag_by_hand(library / "Retagged/2001 - First/01 - Song 1.flac", "genre", "Rock" * 50)
    junk = library / "Only Junk"
    (junk / ".DS_Store").write_bytes(b"a file manager's")
    (junk / "2001 - First/._01 - Song 1.flac").write_bytes(b"a resource fork")
    (junk / "2001 - First/.cover.jpg.123-0.tmp").write_bytes(b"a killed atomic write's")
    (junk / "@eaDir").mkdir()
    (junk / "@eaDir/thumb.jpg").write_bytes(b"a NAS's")
    elsewhere = library.parent / "Elsewhere"
    elsewhere.mkdir()
    (junk / "Linked Album").symlink_to(elsewhere)  # a folder link: not followed
    (elsewhere / "far.flac").write_bytes(b"not the artist's")

    out = refresh(music_script, home)
    assert "0 added, 0 marked missing, 0 back on disk, 3 changed since completed" in out
    assert "  changed Added To  (1 added, 0 removed, 0 modified)" in out
    assert "  changed Album Gone  (0 added, 2 removed, 0 modified)" in out
    assert "  changed Retagged  (0 added, 0 removed, 1 modified)" in out
    assert statuses(home) == {
        "Added To": "pending",
        "Album Gone": "pending",
        "Retagged": "pending",
        "Untouched": "completed",
        "Only Junk": "completed",
    }
    after = {i["name"]: i for i in store.load()["items"]}
    for item in before:
        if item["name"] in ("Untouched", "Only Junk"):
            assert after[item["name"]] == item  # not a field moved

    # Once processed again, their files are recorded afresh: nothing more to notice.
    again = music_script("process_music_batch.py", "--home", home, "--offline")
    assert again.returncode == 1, again.stdout + again.stderr  # decisions left
    assert set(statuses(home).values()) == {"completed"}
    assert "0 changed since completed" in refresh(music_script, home)


def test_artists_completed_before_files_were_recorded_are_left_and_counted(completed, music_script):
    library, home = completed
    store = QueueStore(home / "status" / "music", "music")

    def as_before(data):  # what a queue completed by an earlier version holds
        for item in data["items"][:2]:
            del item["details"][FINGERPRINT]
        return data["items"][:2]

    store.update(as_before, fold=True)
    first = store.load()["items"][0]["name"]
    make_track(library / first / "new.mp3", "mp3", {"title": "New"})
    out = refresh(music_script, home)
    assert "0 changed since completed" in out
    assert "No record of the files yet for 2 completed artists" in out
    assert "each gets one at its next run" in out
    assert statuses(home)[first] == "completed"


def test_a_lost_file_list_still_tells_the_change(completed, music_script):
    library, home = completed
    (home / "status" / "music" / FILES_LOG).unlink()  # every list lost
    (library / "Untouched/2001 - First/01 - Song 1.flac").unlink()
    out = refresh(music_script, home)
    assert "  changed Untouched  (its files changed (no record of which))" in out
    assert statuses(home)["Untouched"] == "pending"


def test_an_unreadable_artist_folder_is_said_and_left_completed(completed, monkeypatch):
    library, home = completed
    refuse_scandir(monkeypatch, library / "Untouched")
    result = queue_manager_cli(main, home)("--refresh")
    assert result.exit_code == 0, result.output
    assert "Untouched: cannot read its folder (Permission denied); left as it was" in result.output
    assert statuses(home)["Untouched"] == "completed"


def test_a_list_is_kept_per_artist_and_the_queue_holds_a_short_fingerprint(completed):
    library, home = completed
    item = next(i for i in QueueStore(home / "status/music", "music").load()["items"])
    mark = item["details"][FINGERPRINT]
    assert mark["files"] == 4 and len(mark["sha256"]) == 32
    lines = (home / "status/music" / FILES_LOG).read_text().splitlines()
    kept = [json.loads(line) for line in lines if f'"key": {json.dumps(item["key"])}' in line]
    assert len(kept) == 1 and kept[0][FINGERPRINT] == mark  # one line an artist
    assert len(lines) == len(QueueStore(home / "status/music", "music").load()["items"])
    listed = {path: size for path, size, _ in kept[0]["files"]}
    on_disk = {
        p.relative_to(library / item["key"]).as_posix(): p.stat().st_size
        for p in (library / item["key"]).rglob("*")
        if p.is_file()
    }
    assert listed == on_disk


def test_a_batch_folds_the_lists_once_re_runs_have_doubled_them(completed, music_script):
    """Each re-run whose files changed appends an item's list again: a batch folds the file
    (each item's last list) once it has doubled, and every list still tells its change."""
    library, home = completed
    log = home / "status/music" / FILES_LOG
    stale = "".join(
        json.dumps({"key": "Untouched", FINGERPRINT: {"files": n}, "files": [["x" * 4000, n, n]]})
        + "\n"
        for n in range(300)
    )  # 1.2 MB of lists an older run left, each superseded by the next
    lines = log.read_text().splitlines()
    log.write_text(stale + "\n".join(lines) + "\n")  # the real lists last: they stand
    (library / "Retagged/2001 - First/01 - Song 1.flac").unlink()
    again = music_script("process_music_batch.py", "--home", home, "--offline", "--artist",
                         "Added To")  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    folded = log.read_text().splitlines()
    assert json.loads(folded[0])["folded"] == log.stat().st_size - len(folded[0]) - 1
    assert len(folded) == 1 + len(ARTISTS) and log.stat().st_size < 100_000
    out = refresh(music_script, home)
    assert "  changed Retagged  (0 added, 1 removed, 0 modified)" in out


# ---- movies ---------------------------------------------------------------------------


@pytest.fixture
def fake():
    with FakeTMDb() as server:
        yield server


def test_movies_the_same_and_their_own_nfo_is_no_change(fake, tmp_path, music_script):
    library = library_of(tmp_path / "Movies", [
        "The Matrix (1999)/The Matrix (1999).mkv",
        "Heat (1995)/heat.mkv",
        "Se7en (1995) [tmdbid-807]/Se7en.mkv",
    ])  # fmt: skip
    home = tmp_path / "home"
    first = movie_batch(fake, home, library, "--artwork")
    assert first.returncode == 0, first.stdout + first.stderr
    assert (library / "The Matrix (1999)/movie.nfo").exists()
    assert (library / "Heat (1995)/poster.jpg").exists()
    assert {i["status"] for i in queue_of(home).values()} == {"completed"}

    # The .nfo and artwork the job wrote itself are no change.
    unchanged = refresh(music_script, home, "movie_queue_manager.py")
    assert "0 changed since completed" in unchanged

    (library / "The Matrix (1999)/The Matrix (1999).en.srt").write_text("1\n")
    (library / "Heat (1995)/heat.mkv").write_bytes(b"a better rip")
    out = refresh(music_script, home, "movie_queue_manager.py")
    assert "2 changed since completed" in out
    assert "  changed The Matrix (1999)  (1 added, 0 removed, 0 modified)" in out
    assert "  changed Heat (1995)  (0 added, 0 removed, 1 modified)" in out
    assert {n: i["status"] for n, i in queue_of(home).items()} == {
        "The Matrix (1999)": "pending",
        "Heat (1995)": "pending",
        "Se7en (1995) [tmdbid-807]": "completed",
    }
    again = movie_batch(fake, home, library, "--artwork")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 changed since completed" in refresh(music_script, home, "movie_queue_manager.py")


def test_an_undo_sends_the_artist_back_and_its_check_keeps_the_undo(completed, music_script):
    """An undo changes the files: --refresh sends the artist back to be checked (before: "0
    changed", the restored values out of sight), and the next batch leaves the values the
    undo put back as they are (making the same fixes again would undo the undo)."""
    library, home = completed
    undone = music_script("undo_changes.py", "--home", home, "--artist", "Retagged")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "restored title" in undone.stdout
    assert "To check Retagged again, keeping what you undid as a decision for you:" in undone.stdout
    assert undone.stdout.rstrip().endswith(" --refresh")
    out = refresh(music_script, home)
    assert "  changed Retagged  (0 added, 0 removed, 4 modified)" in out, out
    assert statuses(home)["Retagged"] == "pending"
    again = music_script("process_music_batch.py", "--home", home, "--offline")
    assert again.returncode == 1, again.stdout + again.stderr  # 4 decisions now
    titles = {p.name: tags.read(p).tags["title"] for p in (library / "Retagged").rglob("*.*")}
    assert sorted(titles.values()) == ["Song  1", "Song  1", "Song  2", "Song  2"]
    assert "0 changed since completed" in refresh(music_script, home)
