"""Item keys are paths relative to the library, at the depth a kind asks for.

Music and movies keep one level, so a key is still the folder's name and a queue written
before keys were paths loads and processes unchanged (a committed fixture in that format).
A kind whose items sit deeper tells two albums of the same name apart by their artist.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mediakeeper.core import kinds
from mediakeeper.queue.items import COMPLETED, PENDING
from mediakeeper.queue.manager import init_queue, refresh_queue
from mediakeeper.queue.store import QueueStore
from mediakeeper.queue.survey import survey

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "queues" / "music_v1"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def album(artist: str) -> dict:
    tags = {"artist": artist, "album": "Greatest Hits", "date": "2001"}
    return {
        f"{artist}/2001 - Greatest Hits/01 - Song.mp3": {
            "tags": {**tags, "title": "Song ", "tracknumber": "1"}
        },
        f"{artist}/2001 - Greatest Hits/02 - Other.mp3": {
            "tags": {**tags, "title": "Other", "tracknumber": "2"}
        },
    }


@pytest.fixture
def old_queue(tmp_path, music_library) -> tuple[Path, Path]:
    """A data home holding the fixture queue, over a library like the one it was made of."""
    spec = {}
    for artist in ("Alpha", "Beta", "Gamma Ray"):
        spec.update(album(artist))
    library = music_library(tmp_path / "Music Library", spec)
    home = tmp_path / "home"
    (home / "status" / "music").mkdir(parents=True)
    text = (FIXTURE / "processing_queue.json").read_text(encoding="utf-8")
    located = text.replace("@LIBRARY@", json.dumps(str(library))[1:-1])
    (home / "status" / "music" / "processing_queue.json").write_text(located, encoding="utf-8")
    return home, library


def test_a_queue_written_before_keys_were_paths_loads_and_processes(old_queue, music_script):
    home, library = old_queue
    store = QueueStore(home / "status" / "music", "music")
    items = {i["key"]: i for i in store.peek()["items"]}
    assert {k: i["status"] for k, i in items.items()} == {
        "Alpha": COMPLETED,
        "Beta": COMPLETED,
        "Gamma Ray": PENDING,
    }
    # The keys the library gives now are the keys it holds: nothing added, nothing missing.
    assert [key for key, _ in survey("music", library).found] == list(items)
    result = refresh_queue(store)
    assert (result.added, result.vanished, result.returned) == ([], [], [])

    run = music_script("process_music_batch.py", "--home", home, "--offline", "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Gamma Ray — completed: 2 tracks" in run.stdout
    after = {i["key"]: i for i in store.peek()["items"]}
    assert list(after) == ["Alpha", "Beta", "Gamma Ray"]
    assert {i["status"] for i in after.values()} == {COMPLETED}
    assert after["Alpha"] == items["Alpha"]  # what it had recorded stays as it was

    again = music_script("process_music_batch.py", "--home", home, "--artist", "alpha", "-v")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Alpha — completed" in again.stdout
    valid = music_script("music_queue_manager.py", "--home", home, "--validate-queue")
    assert valid.returncode == 0, valid.stdout + valid.stderr


def deeper(depth: int) -> kinds.Kind:
    """A kind whose items sit ``depth`` folders down (as albums under artists)."""
    return kinds.Kind(
        name="albums",
        noun="album",
        label="Album",
        report_template="",
        depth=depth,
    )


def test_items_deeper_in_the_library_are_keyed_by_their_relative_path(
    tmp_path, music_library, request
):
    """Two "Greatest Hits" of two artists are two items, not one (keyed by bare name, the
    second would have replaced the first)."""
    spec = {**album("Artist A"), **album("Artist B")}
    library = music_library(tmp_path / "Library", spec)
    (library / "Artist B" / ".Trashes").mkdir()  # junk is skipped at every level
    record = deeper(2)
    kinds.register(record)
    request.addfinalizer(lambda: kinds.unregister(record.name))
    found = survey("albums", library).found
    assert [key for key, _ in found] == [
        "Artist A/2001 - Greatest Hits",
        "Artist B/2001 - Greatest Hits",
    ]
    assert [path for _, path in found] == [
        str(library / "Artist A" / "2001 - Greatest Hits"),
        str(library / "Artist B" / "2001 - Greatest Hits"),
    ]

    # A queue of them: both are claimed and recorded on their own.
    store = QueueStore(tmp_path / "home" / "status" / "albums", "albums")
    made, _ = init_queue(store, library, NOW)
    assert made.queued == 2
    store.claim_many("s1", 2)
    for key, _ in found:
        store.record_success(key, "s1", counts={"issues_found": 1})
    assert [(i["key"], i["status"]) for i in store.peek()["items"]] == [
        ("Artist A/2001 - Greatest Hits", COMPLETED),
        ("Artist B/2001 - Greatest Hits", COMPLETED),
    ]

    # A third artist's album is added by a refresh; a vanished one is marked missing.
    shutil.rmtree(library / "Artist A")
    (library / "Artist C" / "Greatest Hits").mkdir(parents=True)
    result = refresh_queue(store)
    assert result.added == ["Artist C/Greatest Hits"]
    assert result.vanished == ["Artist A/2001 - Greatest Hits"]


def test_music_and_movies_keep_one_level(tmp_path):
    library = tmp_path / "Library"
    (library / "Artist" / "Album").mkdir(parents=True)
    for kind in ("music", "movies"):
        assert [key for key, _ in survey(kind, library).found] == ["Artist"]
