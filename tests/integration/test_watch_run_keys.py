"""``watch --run`` runs what it queued, by key, then what was already pending; an album that
appears at any instant after the watcher starts is queued once and run (issue 69, point 1)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import REPO_ROOT, build_library, script_env, wait_until
from tests.integration.watching import (
    SETTLE,
    HeldDecoder,
    home_for,
    items,
    library,
    track,
)


def _statuses(home):
    return {name: item["status"] for name, item in items(home, "verify").items()}


def _init_queue(home):
    made = subprocess.run(
        [sys.executable, "-m", "mediakeeper", "--home", str(home), "verify", "queue", "--init"],
        cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr


def test_run_takes_what_it_queued_by_key_then_what_was_pending(tmp_path, watching):
    albums = library(tmp_path / "Albums", "Pink Floyd")
    home = home_for(tmp_path, verify=albums)
    _init_queue(home)  # Pink Floyd pending before the watcher starts
    assert _statuses(home) == {"Pink Floyd/Album": "pending"}
    watcher = watching(home, "--kind", "verify", "--run")
    assert watcher.said("verify: caught up"), watcher.text()
    # What was pending when the watcher started is run too.
    assert wait_until(lambda: _statuses(home).get("Pink Floyd/Album") == "completed",
                      limit=120), watcher.text()  # fmt: skip
    library(albums, "Parallax")
    assert watcher.said("verify: queued Parallax/Album (new)"), watcher.text()
    assert wait_until(lambda: _statuses(home).get("Parallax/Album") == "completed",
                      limit=120), watcher.text()  # fmt: skip
    assert watcher.stop() == 0


def test_an_album_made_at_any_instant_after_the_start_is_queued_once_and_run(
    tmp_path, watching
):
    """Albums made at each phase of the watcher's life, each phase held by the test (the
    batches wait inside their first decode until released): as it starts, while the
    catch-up's batch runs, once it follows events, and while a batch of what it heard runs.
    Each is queued once and run."""
    albums = library(tmp_path / "Albums", "First")
    decoder = HeldDecoder(tmp_path / "decoder")
    home = home_for(tmp_path, decoder.setting, verify=albums)
    time.sleep(float(SETTLE))  # First has settled: the catch-up runs its batch
    decoder.hold()
    watcher = watching(home, "--kind", "verify", "--run")
    assert watcher.said("verify: watching"), watcher.text()
    library(albums, "Early")  # as the watches are made and the catch-up reads the library
    assert watcher.said("verify: running a batch of 1"), watcher.text()
    assert decoder.held(), watcher.text()
    library(albums, "During")  # while the catch-up's batch runs
    decoder.release()
    assert watcher.said("verify: caught up"), watcher.text()
    decoder.hold()
    library(albums, "Late")  # while it follows events
    build_library(albums / "Early", {"Second/01 - One.flac": track("One", "Early")})  # inside
    # a folder made as the watches were made
    assert wait_until(lambda: watcher.text().count("running a batch") >= 2), watcher.text()
    assert decoder.held(), watcher.text()
    library(albums, "Later")  # while a batch of what it heard runs
    decoder.release()
    names = {"First/Album", "Early/Album", "During/Album", "Late/Album", "Later/Album",
             "Early/Second"}
    assert wait_until(lambda: set(_statuses(home)) == names and
                      set(_statuses(home).values()) == {"completed"}, limit=180), (
        watcher.text(), _statuses(home))  # fmt: skip
    said = watcher.text()
    for name in names:  # each queued once
        assert said.count(f"verify: queued {name} (new)") == 1, said
    assert watcher.stop() == 0


def test_a_batch_by_key_takes_just_those_and_refuses_bad_keys_in_one_line(tmp_path):
    albums = library(tmp_path / "Albums", "A", "B", "C")
    home = home_for(tmp_path, verify=albums)
    _init_queue(home)

    def batch(keys: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "mediakeeper", "--home", str(home), "verify", "batch",
             "--keys-from", "-"],
            input=keys, cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip

    for keys, words in (("not json", "--keys-from <stdin>: not JSON"),
                        ('{"A/Album": 1}', "not a list of item keys (a JSON list of texts, "
                         'each an item\'s "key" as the queue\'s list --json gives it)'),
                        ("[]", "--keys-from <stdin>: the list is empty: name one item's key at "
                         "least"),  # (it said "not a list")
                        ('["A/Album", "Nowhere/Album"]',
                         "no item with the key 'Nowhere/Album' in the verify queue")):  # fmt: skip
        refused = batch(keys)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert words in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
    assert set(_statuses(home).values()) == {"pending"}  # nothing touched
    done = batch('["C/Album", "A/Album"]')
    assert done.returncode == 0, done.stdout + done.stderr
    assert _statuses(home) == {"A/Album": "completed", "B/Album": "pending",
                               "C/Album": "completed"}  # fmt: skip


def test_a_batch_by_key_leaves_a_completed_or_skipped_item_as_it_is(tmp_path):
    """A key whose item is done, or skipped by a person, is not taken again: ``--keys-from``
    takes each item only if it is pending (with ``--retry-errors``, failed too)."""
    albums = library(tmp_path / "Albums", "A", "B")
    home = home_for(tmp_path, verify=albums)
    _init_queue(home)

    def module(*args: str, keys: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "mediakeeper", "--home", str(home), "verify", *args],
            input=keys, cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip

    first = module("batch", "--keys-from", "-", keys='["A/Album"]')
    assert first.returncode == 0, first.stdout + first.stderr
    skipped = module("queue", "skip", "B/Album")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    before = items(home, "verify")
    for flags in ((), ("--retry-errors",)):
        again = module("batch", "--keys-from", "-", "--json", *flags,
                       keys='["A/Album", "B/Album"]')  # fmt: skip
        assert again.returncode == 0, again.stdout + again.stderr
        assert json.loads(again.stdout)["items"] == [], again.stderr
        assert items(home, "verify") == before  # neither reset nor run again


def test_an_album_still_being_copied_when_the_watcher_starts_is_run_only_once_whole(
    tmp_path, watching
):
    """A copy under way while the watcher starts (and catches up) is never read, nor run,
    half-copied: its batch runs once it settled, and finds it whole."""
    from tests.integration.test_watch import copy_slowly

    albums = library(tmp_path / "Albums", "First")
    home = home_for(tmp_path, verify=albums)
    source = build_library(tmp_path / "src", {f"0{n} - T.flac": track(f"T{n}") for n in (1, 2)})
    album = albums / "Slow" / "Album"
    album.mkdir(parents=True)
    watcher = watching(home, "--kind", "verify", "--run")
    for name in ("01 - T.flac", "02 - T.flac"):  # about 4 s, through the catch-up
        copy_slowly(source / name, album / name, chunk=max(1, (source / name).stat().st_size // 6))
    assert wait_until(lambda: _statuses(home).get("Slow/Album") == "completed", limit=180), (
        watcher.text())  # fmt: skip
    assert watcher.said("verify: the batch ended"), watcher.text()
    said = watcher.text()
    assert "exit 1" not in said and "exit 2" not in said, said  # nothing found damaged
    assert said.count("verify: queued Slow/Album (new)") == 1, said
    assert watcher.stop() == 0



def _made_again(folder: Path) -> bool:
    """``folder`` (empty) removed and made again, as the very inode it was where the file
    system gives it back (ext4 does once the old one is let go); whether it did."""
    before = folder.stat().st_ino
    for _ in range(200):
        folder.rmdir()
        folder.mkdir()
        if folder.stat().st_ino == before:
            return True
        time.sleep(0.05)
    return False


def test_an_album_made_in_a_library_folder_made_again_while_a_batch_runs_is_queued_and_run(
    tmp_path, watching
):
    """The library folder removed and made again while the watcher waits on its batch (a
    restore, a sync tool making it anew): its watch died with the old folder. Where the new
    folder is the old one's inode (ext4 gives it back), nothing tells the two apart by their
    identity; the old watch's last word, the library folder itself deleted, does."""
    albums = library(tmp_path / "Albums", "First")
    decoder = HeldDecoder(tmp_path / "decoder")
    home = home_for(tmp_path, decoder.setting, verify=albums)
    decoder.hold()
    watcher = watching(home, "--kind", "verify", "--run")
    assert watcher.said("verify: running a batch of 1"), watcher.text()
    assert decoder.held(), watcher.text()
    shutil.rmtree(albums / "First")
    same = _made_again(albums)
    library(albums, "Late")
    decoder.release()
    assert wait_until(lambda: _statuses(home).get("Late/Album") == "completed", limit=120), (
        watcher.text(), f"the same inode: {same}")  # fmt: skip
    assert watcher.said("verify: queued Late/Album (new)"), watcher.text()
    assert "watching it anew" in watcher.text()  # made again, or another folder
    assert watcher.stop() == 0


def test_an_item_written_to_while_a_batch_runs_is_handed_over_only_once_it_settles(
    tmp_path, watching
):
    """The catch-up hands over what it queued, then what was pending. A copy into a pending
    album starts while the first batch runs (held by the test): the second is handed only
    what has settled, checked as it is handed over; the album follows once its copy ends."""
    albums = library(tmp_path / "Albums", "Pending")
    decoder = HeldDecoder(tmp_path / "decoder")
    home = home_for(tmp_path, decoder.setting, verify=albums)
    _init_queue(home)  # Pending waits in the queue before the watcher starts
    library(albums, "New")
    time.sleep(float(SETTLE))  # both settled: the catch-up hands them to its batches
    source = build_library(tmp_path / "src", {"02 - Two.flac": track("Two", "Pending")})
    data = (source / "02 - Two.flac").read_bytes()
    decoder.hold()
    watcher = watching(home, "--kind", "verify", "--run")
    assert watcher.said("verify: running a batch of 1"), watcher.text()  # New, queued now
    assert decoder.held(), watcher.text()
    with (albums / "Pending" / "Album" / "02 - Two.flac").open("wb") as copy:
        chunk = max(1, len(data) // 8)
        for start in range(0, len(data), chunk):  # a copy over a slow link
            copy.write(data[start : start + chunk])
            copy.flush()
            decoder.release()  # the first batch ends while the copy goes on
            time.sleep(0.4)
            assert _statuses(home)["Pending/Album"] == "pending", watcher.text()
    assert wait_until(lambda: _statuses(home) == {"New/Album": "completed",
                                                  "Pending/Album": "completed"},
                      limit=120), watcher.text()  # fmt: skip
    assert wait_until(lambda: watcher.text().count("verify: the batch ended") == 2), (
        watcher.text())  # fmt: skip
    said = watcher.text()
    assert said.count("verify: the batch ended (exit 0)") == 2, said  # nothing read cut short
    assert watcher.stop() == 0
