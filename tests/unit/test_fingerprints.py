"""mediakeeper.queue.fingerprints on real folders: which files count, and what a change is."""

from __future__ import annotations

import os
from pathlib import Path

from mediakeeper.queue.fingerprints import (
    FILES_LOG,
    FINGERPRINT,
    OLD_FILES_DIR,
    Change,
    Recorder,
    change_since,
    files_log,
    files_of,
    fingerprint,
)
from mediakeeper.text.jsonfmt import dumps_by_line
from mediakeeper.text.slug import slugify


def folder_of(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def test_only_media_counts_and_folder_links_are_not_followed(tmp_path):
    item = folder_of(tmp_path / "Artist", {
        "Album/01.flac": b"one", "Album/cover.jpg": b"art", "notes.txt": b"n",
        "._01.flac": b"fork", ".DS_Store": b"ds", "Album/Thumbs.db": b"t",
        "Album/.01.flac.77-3.tmp": b"killed write", ".mediakeeper.x.1-2.tmp": b"copy",
        "@eaDir/x.jpg": b"nas", ".Trashes/old.mp3": b"bin",
    })  # fmt: skip
    outside = folder_of(tmp_path / "Outside", {"far.flac": b"far"})
    (item / "Linked").symlink_to(outside)
    (item / "Album/02.flac").symlink_to(outside / "far.flac")  # a linked file: its target
    (item / "gone.flac").symlink_to(tmp_path / "nowhere")  # a broken link: the link itself
    files = files_of(item)
    assert sorted(files) == ["Album/01.flac", "Album/02.flac", "Album/cover.jpg", "gone.flac",
                             "notes.txt"]  # fmt: skip
    assert files["Album/02.flac"][0] == 3  # far.flac's size
    assert sorted(files_of(item, tree=False)) == ["gone.flac", "notes.txt"]


def test_the_fingerprint_follows_path_size_and_mtime_only(tmp_path):
    item = folder_of(tmp_path / "A", {"1.mp3": b"abc", "2.mp3": b"de"})
    mark = fingerprint(files_of(item))
    assert mark == fingerprint(files_of(item)) and mark["files"] == 2
    os.chmod(item / "1.mp3", 0o600)  # its ctime moves: no change
    assert fingerprint(files_of(item)) == mark
    stamp = (item / "2.mp3").stat().st_mtime_ns
    os.utime(item / "2.mp3", ns=(stamp, stamp + 1))
    assert fingerprint(files_of(item)) != mark


def test_a_recorded_item_tells_added_removed_and_modified(tmp_path):
    status = tmp_path / "status" / "music"
    item = folder_of(tmp_path / "Lib" / "A", {"x/1.mp3": b"1", "x/2.mp3": b"2", "3.mp3": b"3"})
    queued = {"key": "A", "path": str(item)}
    queued["details"] = {FINGERPRINT: Recorder(status)(queued)}
    assert files_log(status).get("A")[FINGERPRINT] == queued["details"][FINGERPRINT]
    assert change_since(status, queued, item) is None

    (item / "x/1.mp3").write_bytes(b"longer")
    (item / "3.mp3").unlink()
    (item / "4.mp3").write_bytes(b"4")
    (item / "5.mp3").write_bytes(b"5")
    assert change_since(status, queued, item) == Change(added=2, removed=1, modified=1)
    assert str(Change(2, 1, 1)) == "2 added, 1 removed, 1 modified"

    (status / FILES_LOG).write_text("{not json")  # a damaged list: only that it changed
    assert change_since(status, queued, item) == Change(None, None, None)


def test_a_list_already_kept_is_not_written_again(tmp_path):
    status = tmp_path / "status"
    item = folder_of(tmp_path / "A", {"1.mp3": b"1"})
    queued = {"key": "A", "path": str(item)}
    mark = Recorder(status)(queued)
    kept = (status / FILES_LOG).read_bytes()
    queued["details"] = {FINGERPRINT: mark}  # as the queue holds it once completed
    assert Recorder(status)(queued) == mark  # a re-run over the same files
    assert (status / FILES_LOG).read_bytes() == kept  # nothing appended
    (item / "1.mp3").write_bytes(b"22")
    assert Recorder(status)(queued) != mark
    assert (status / FILES_LOG).read_bytes().startswith(kept)  # the new list appended
    assert files_log(status).get("A")["files"] == [
        ["1.mp3", 2, os.stat(item / "1.mp3").st_mtime_ns]
    ]


def test_a_list_a_crash_lost_is_kept_again_by_the_items_next_run(tmp_path):
    """The log is not flushed: a crash can lose the line while the queue keeps the item's
    fingerprint. The next run over the same files writes the list again, so a later change
    is told file by file, not only as "changed"."""
    status = tmp_path / "status"
    item = folder_of(tmp_path / "A", {"1.mp3": b"1", "2.mp3": b"2"})
    queued = {"key": "A", "path": str(item)}
    queued["details"] = {FINGERPRINT: Recorder(status)(queued)}
    (status / FILES_LOG).write_bytes(b"")  # the append lost, the fingerprint kept
    assert Recorder(status)(queued) == queued["details"][FINGERPRINT]  # same files
    (item / "2.mp3").write_bytes(b"two")
    assert change_since(status, queued, item) == Change(added=0, removed=0, modified=1)


def test_an_older_homes_list_in_a_file_of_its_own_is_still_read(tmp_path):
    status = tmp_path / "status"
    item = folder_of(tmp_path / "A", {"1.mp3": b"1", "2.mp3": b"2"})
    mark = fingerprint(files_of(item))
    rows = [{"path": p, "size": s, "mtime_ns": m} for p, (s, m) in files_of(item).items()]
    old = status / OLD_FILES_DIR / f"{slugify('A')}.json"
    old.parent.mkdir(parents=True)
    old.write_text(dumps_by_line({"key": "A", FINGERPRINT: mark, "files": rows}))
    (item / "2.mp3").write_bytes(b"two")
    queued = {"key": "A", "path": str(item), "details": {FINGERPRINT: mark}}
    assert change_since(status, queued, item) == Change(added=0, removed=0, modified=1)


def test_an_unreadable_folder_records_nothing(tmp_path):
    assert Recorder(tmp_path / "status")({"key": "A", "path": str(tmp_path / "gone")}) is None
