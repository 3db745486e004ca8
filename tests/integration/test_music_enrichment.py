"""MusicBrainz enrichment through the real batch script against a local fake MusicBrainz.

The fake speaks the real XML web service on 127.0.0.1; the real client, cache, limiter and
job run in real subprocesses pointed at it through settings (environment variables).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import mutagen
import pytest

from mediakeeper import tags
from mediakeeper.music import synth
from mediakeeper.queue import QueueStore
from mediakeeper.sessions import LOG_DIR
from mediakeeper.slug import slugify
from tests.servers.base import COVER_PNG
from tests.servers.musicbrainz import FakeMusicBrainz

REPO = Path(__file__).resolve().parents[2]
# A 1x1 GIF, and the smallest WebP there is: a RIFF header, and a VP8L 1x1 image.
GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
WEBP = bytes.fromhex("524946461a000000574542505650384c0d0000002f00000010071011118888fe0700")
DUMMY = [("Dummy", "1994-08-22"), ("Portishead", "1997-09-29"), ("Third", "2008-04-28")]


@pytest.fixture
def fake():
    server = FakeMusicBrainz().start()
    yield server
    server.stop()


def album(root: Path, artist: str, folder: str, title: str, fmt: str = "flac", n: int = 3,
          **extra: str) -> None:  # fmt: skip
    for i in range(1, n + 1):
        values = {"title": f"Song {i}", "artist": artist, "albumartist": artist, "album": title,
                  "tracknumber": str(i), **extra}  # fmt: skip
        synth.make_track(root / artist / folder / f"{i:02d} - Song {i}.{fmt}", fmt, values)


def run(fake: FakeMusicBrainz, home: Path, library: Path, *args: str, **env: str):
    environment = {
        **os.environ,
        "MEDIAKEEPER_MUSIC_LOOKUPS": "true",
        "MEDIAKEEPER_MUSICBRAINZ_URL": fake.url,
        "MEDIAKEEPER_MUSICBRAINZ_COVERART_URL": fake.url,
        "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "0",  # spacing is tested in the client's tests
        "MEDIAKEEPER_MUSICBRAINZ_TIMEOUT": "2",
        "MEDIAKEEPER_MUSICBRAINZ_RETRIES": "2",
        **env,
    }
    command = [sys.executable, "utilities/process_music_batch.py", "--home", str(home),
               "--library", str(library), "--batch-size", "100", *args]  # fmt: skip
    return subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def queue_of(home: Path) -> dict:
    return {i["name"]: i for i in QueueStore(home / "status/music", "music").load()["items"]}


def output(home: Path, name: str) -> dict:
    return json.loads((home / "outputs/music/artists" / f"{slugify(name)}.json").read_text())


def test_two_requests_identify_an_artist_and_its_albums_and_none_the_second_time(fake, tmp_path):
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")  # no year in the tags
    album(library, "Portishead", "1997 - Portishead", "Portishead", "mp3")
    first = run(fake, home, library)
    assert first.returncode == 0, first.stdout + first.stderr
    assert [r.path for r in fake.requests] == ["/ws/2/artist", "/ws/2/release-group"]
    assert "lookups: 2 requests sent" in first.stdout

    item = queue_of(home)["Portishead"]
    artist_id = item["details"]["musicbrainz_artist_id"]
    assert (item["details"]["albums_matched"], item["details"]["albums_total"]) == (2, 2)
    groups = {g.title: g.id for g in fake.artists[artist_id].release_groups}

    # Written under Picard's keys, read back raw with mutagen.
    flac = mutagen.File(library / "Portishead/1994 - Dummy/01 - Song 1.flac")
    assert flac["musicbrainz_albumartistid"] == [artist_id]
    assert flac["musicbrainz_artistid"] == [artist_id]
    assert flac["musicbrainz_releasegroupid"] == [groups["Dummy"]]
    assert flac["date"] == ["1994"]  # missing-year filled from the first release date
    mp3 = mutagen.File(library / "Portishead/1997 - Portishead/02 - Song 2.mp3")
    assert mp3["TXXX:MusicBrainz Album Artist Id"].text == [artist_id]
    assert mp3["TXXX:MusicBrainz Release Group Id"].text == [groups["Portishead"]]

    doc = output(home, "Portishead")
    assert doc["musicbrainz"]["artist"]["url"].endswith(f"/artist/{artist_id}")
    covers = [a["release_group"]["cover"] for a in doc["musicbrainz"]["albums"]]
    assert all(c.endswith("/front") for c in covers)
    filled = [f for f in doc["findings"] if f["code"] == "missing-year"]
    assert filled and all(f["fixed"] for f in filled)
    report = (home / "issues/music" / f"{slugify('Portishead')}.md").read_text()
    assert f"https://musicbrainz.org/artist/{artist_id}" in report

    # A second run over the same library: the ids are in the tags now, the browse is cached.
    fake.clear_requests()
    again = run(fake, home, library, "--artist", "Portishead")
    assert again.returncode == 0, again.stdout + again.stderr
    assert fake.requests == []
    assert "lookups: 0 requests sent, 1 answered from the cache" in again.stdout


def test_an_artist_id_in_the_tags_costs_one_request(fake, tmp_path):
    portishead = fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy",
          musicbrainz_albumartistid=portishead.id)  # fmt: skip
    assert run(fake, home, library).returncode == 0
    assert [r.path for r in fake.requests] == ["/ws/2/release-group"]


def test_ambiguous_and_unknown_artists_write_nothing(fake, tmp_path):
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "John Williams", "1977 - Star Wars", "Star Wars")  # two in the fixtures
    album(library, "Nobody At All", "2001 - Quiet", "Quiet")
    before = {p: p.read_bytes() for p in sorted(library.rglob("*.flac"))}
    result = run(fake, home, library, "--no-fix")
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p: p.read_bytes() for p in before} == before
    ambiguous = [
        f for f in output(home, "John Williams")["findings"] if f["code"] == "ambiguous-artist"
    ]
    assert len(ambiguous) == 1 and len(ambiguous[0]["details"]["candidates"]) >= 2
    codes = {f["code"] for f in output(home, "Nobody At All")["findings"]}
    assert "artist-not-found" in codes


def test_unmatched_album_and_more_than_a_hundred_release_groups(fake, tmp_path):
    prolific = fake.add_artist("The Prolific Ones", release_groups=230)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "The Prolific Ones", "1961 - Volume 001", "Volume 001")
    album(library, "The Prolific Ones", "Bootlegs", "Live Somewhere", date="1990")
    assert run(fake, home, library).returncode == 0
    browse = fake.requests_to("/ws/2/release-group")
    assert [r.query["offset"] for r in browse] == [["0"], ["100"], ["200"]]
    findings = output(home, "The Prolific Ones")["findings"]
    [unmatched] = [f for f in findings if f["code"] == "unmatched-album"]
    assert unmatched["path"] == "Bootlegs"
    assert queue_of(home)["The Prolific Ones"]["details"]["musicbrainz_artist_id"] == prolific.id


def test_503_then_success_is_retried(fake, tmp_path):
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")
    fake.fail(503, times=1, retry_after=0)
    result = run(fake, home, library)
    assert result.returncode == 0, result.stdout + result.stderr
    assert queue_of(home)["Portishead"]["status"] == "completed"
    assert [r.status for r in fake.requests][:2] == [503, 200]


def test_a_dead_service_stops_the_batch_early_and_leaves_the_rest_pending(fake, tmp_path):
    library, home = tmp_path / "Music", tmp_path / "home"
    names = [f"Artist {n}" for n in range(6)]
    for name in names:
        album(library, name, "2000 - Album", "Album", n=1)
    before = {p: p.read_bytes() for p in sorted(library.rglob("*.flac"))}
    fake.fail(503, times=None)
    result = run(fake, home, library, "--workers", "1")
    assert result.returncode == 1
    assert "unreachable" in result.stdout
    statuses = [queue_of(home)[n]["status"] for n in names]
    assert statuses == ["error"] * 3 + ["pending"] * 3  # never a whole queue of errors
    assert all("503" in queue_of(home)[n]["last_error"] for n in names[:3])
    assert {p: p.read_bytes() for p in before} == before  # nothing written for failed artists
    # Said once, in the session log, after the failure that decided it was recorded.
    (log,) = (home / "status" / "music" / "session_logs").glob("*.log")
    said = [line.split("  ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]
    stopping = [n for n, line in enumerate(said) if line.startswith("STOPPING EARLY")]
    errors = [n for n, line in enumerate(said) if line.startswith("ERROR")]
    assert len(stopping) == 1 and len(errors) == 3 and stopping[0] > errors[-1]
    # The queue is intact and the service back: a retry finishes everything.
    fake.clear_faults()
    retry = run(fake, home, library, "--retry-errors", "--workers", "1")
    assert retry.returncode == 0, retry.stdout + retry.stderr
    assert {queue_of(home)[n]["status"] for n in names} == {"completed"}


def test_a_setting_that_fails_every_lookup_stops_the_batch_and_marks_nothing(fake, tmp_path):
    """A wrong address is the batch's fault, not each artist's: it stops with exit 2 and the
    setting named, every artist still pending (it used to make each one an error, and after
    three runs skipped)."""
    library, home = tmp_path / "Music", tmp_path / "home"
    for name in ("Alpha", "Bravo", "Charlie"):
        album(library, name, "2000 - Album", "Album", n=1)
    result = run(fake, home, library, MEDIAKEEPER_MUSICBRAINZ_URL="musicbrainz.example")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Error: [musicbrainz] url: 'musicbrainz.example' is not an http(s) address" in (
        result.stderr
    )
    assert {item["status"] for item in queue_of(home).values()} == {"pending"}
    assert fake.requests == []
    # Refused before the batch began: no session, so no artist was claimed or scanned.
    assert not (home / "status/music" / LOG_DIR).exists()


def test_an_enrich_batch_that_stops_early_says_the_rest_stay_completed(fake, tmp_path):
    library, home = tmp_path / "Music", tmp_path / "home"
    names = [f"Artist {n}" for n in range(6)]
    for name in names:
        album(library, name, "2000 - Album", "Album", n=1)
    assert run(fake, home, library, "--offline").returncode == 0
    fake.fail(503, times=None)
    result = run(fake, home, library, "--enrich", "--workers", "1")
    assert result.returncode == 1
    assert (
        "stopped early: 3 items in a row failed on the network; the service looks "
        "unreachable, so the rest stay completed\n"
    ) in result.stdout
    statuses = [queue_of(home)[n]["status"] for n in names]
    assert statuses == ["error"] * 3 + ["completed"] * 3
    # And a batch that also retries errors says its items keep either status.
    again = run(fake, home, library, "--retry-errors", "--workers", "1")
    assert "unreachable, so the rest stay as they were (pending or error)\n" in again.stdout


def test_stopping_early_is_said_once_while_failures_in_flight_keep_coming(fake, tmp_path):
    """With several workers, artists already in hand fail after the batch decided to stop:
    each is recorded, none says STOPPING EARLY again."""
    library, home = tmp_path / "Music", tmp_path / "home"
    names = [f"Artist {n:02d}" for n in range(12)]
    for name in names:
        album(library, name, "2000 - Album", "Album", n=1)
    fake.fail(503, times=None)
    result = run(fake, home, library, "--workers", "3")
    assert result.returncode == 1
    (log,) = (home / "status" / "music" / "session_logs").glob("*.log")
    said = [line.split("  ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]
    stopping = [n for n, line in enumerate(said) if line.startswith("STOPPING EARLY")]
    errors = [n for n, line in enumerate(said) if line.startswith("ERROR")]
    assert len(stopping) == 1 and len(errors) > 3 and stopping[0] > errors[2]
    assert [queue_of(home)[n]["status"] for n in names].count("pending") == 12 - len(errors)
    # With web lookups each worker holds two artists, not four: some were never claimed.
    assert len(errors) <= 8


def test_a_timeout_and_malformed_xml_mark_only_that_artist(fake, tmp_path):
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")
    fake.malformed(times=None)
    result = run(fake, home, library)
    assert result.returncode == 1
    item = queue_of(home)["Portishead"]
    assert item["status"] == "error" and "XML" in item["last_error"]
    fake.clear_faults()
    fake.delay(3, times=None)  # longer than the 1 s timeout, on every retry
    timed_out = run(fake, home, library, "--retry-errors", MEDIAKEEPER_MUSICBRAINZ_TIMEOUT="1")
    assert timed_out.returncode == 1
    assert "no answer" in queue_of(home)["Portishead"]["last_error"]
    assert "within 1 s" in queue_of(home)["Portishead"]["last_error"]


def test_offline_then_enrich(fake, tmp_path):
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy", date="1994", genre="Trip  Hop")
    offline = run(fake, home, library, "--offline")
    assert offline.returncode == 0 and "offline: no web lookups" in offline.stdout
    assert fake.requests == []
    before = queue_of(home)["Portishead"]
    assert before["details"]["enriched"] is False
    assert before["details"]["finding_counts"]["whitespace"] == [3, 3]
    enrich = run(fake, home, library, "--enrich", "-v")
    assert enrich.returncode == 0, enrich.stdout + enrich.stderr
    item = queue_of(home)["Portishead"]
    assert item["status"] == "completed" and item["details"]["enriched"] is True
    # The offline run's fixes still count, in the totals and by code alike.
    by_code = item["details"]["finding_counts"]
    assert by_code["whitespace"] == [3, 3]
    assert sum(found for found, _ in by_code.values()) == item["issues_found"]
    assert sum(fixed for _, fixed in by_code.values()) == item["issues_resolved"] >= 3
    track = library / "Portishead/1994 - Dummy/01 - Song 1.flac"
    assert tags.read(track).tags["musicbrainz_releasegroupid"]
    # The run's own summary and session record say what this run found and fixed, as its
    # artist line does, not the offline run's fixes again.
    line = next(x for x in enrich.stdout.splitlines() if x.startswith("✓ Portishead"))
    found, fixed = re.search(r"(\d+) issues?, (\d+) fixed", line).groups()
    assert f"issues found {found} · resolved {fixed}" in enrich.stdout, enrich.stdout
    assert int(found) < item["issues_found"]  # the queue keeps counting the earlier fixes
    (event,) = [e for e in _session_ends(home) if e["session"] in enrich.stdout]
    assert (event["issues_found"], event["issues_resolved"]) == (int(found), int(fixed))
    assert run(fake, home, library, "--enrich").stdout.count("✓") == 0  # nothing left to do


def _session_ends(home: Path) -> list[dict]:
    events = (home / "status/music/sessions.jsonl").read_text("utf-8").splitlines()
    return [e for e in map(json.loads, filter(None, events)) if e.get("event") == "end"]


def test_the_requests_of_artists_that_failed_are_counted(fake, tmp_path):
    """They went out all the same: the summary and the session record count them."""
    library, home = tmp_path / "Music", tmp_path / "home"
    for name in ("Alpha", "Bravo"):
        album(library, name, "2000 - Album", "Album", n=1)
    fake.fail(503, times=None)
    # No retries: each lookup is one request (a retry is the same lookup, not counted again).
    result = run(fake, home, library, "--workers", "1", MEDIAKEEPER_MUSICBRAINZ_RETRIES="0")
    assert result.returncode == 1
    sent = len(fake.requests)
    assert sent == 2  # each artist's search
    assert f"lookups: {sent} requests sent, 0 answered from the cache" in result.stdout
    (event,) = _session_ends(home)
    assert event["lookups"] == sent


def test_fetch_covers_writes_cover_jpg_once(fake, tmp_path):
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")
    album(library, "Portishead", "1997 - Portishead", "Portishead")
    own = library / "Portishead/1997 - Portishead/folder.png"
    own.write_bytes(b"\x89PNG mine")  # an album with a cover of its own is never asked for
    result = run(fake, home, library, "--fetch-covers")
    assert result.returncode == 0, result.stdout + result.stderr
    cover = library / "Portishead/1994 - Dummy/cover.jpg"
    first = cover.read_bytes()
    assert first[:3] == b"\xff\xd8\xff"  # a JPEG
    assert output(home, "Portishead")["summary"]["covers_fetched"] == ["1994 - Dummy/cover.jpg"]
    asked = [r.path for r in fake.requests_to("/release-group/")]
    assert len(asked) == 1 and own.read_bytes() == b"\x89PNG mine"
    # Once: a second run finds the cover in place and asks the archive nothing.
    fake.clear_requests()
    again = run(fake, home, library, "--artist", "Portishead", "--fetch-covers")
    assert again.returncode == 0, again.stdout + again.stderr
    assert fake.requests_to("/release-group/") == [] and cover.read_bytes() == first
    assert output(home, "Portishead")["summary"]["covers_fetched"] == []


@pytest.mark.parametrize(
    "image, name",
    [(COVER_PNG, "cover.png"), (GIF, "cover.gif"), (WEBP, "cover.webp")],
    ids=["png", "gif", "webp"],
)
def test_a_cover_is_saved_under_the_suffix_of_what_it_is(fake, tmp_path, image, name):
    """A PNG or WebP from the archive is never written as cover.jpg, and counts as the
    album's cover on the next run."""
    fake.add_artist("Portishead", release_groups=DUMMY).release_groups[0].cover = image
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")
    folder = library / "Portishead/1994 - Dummy"
    result = run(fake, home, library, "--fetch-covers")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (folder / name).read_bytes() == image
    assert not (folder / "cover.jpg").exists()
    assert output(home, "Portishead")["summary"]["covers_fetched"] == [f"1994 - Dummy/{name}"]
    again = run(fake, home, library, "--artist", "Portishead", "--fetch-covers")
    assert again.returncode == 0, again.stdout + again.stderr
    assert output(home, "Portishead")["summary"]["covers_fetched"] == []  # the album's cover


def test_an_unreachable_cover_archive_leaves_the_artist_to_do_again(fake, tmp_path):
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")
    closed = {"MEDIAKEEPER_MUSICBRAINZ_COVERART_URL": "http://127.0.0.1:9"}
    result = run(fake, home, library, "--fetch-covers", **closed)
    assert result.returncode == 1, result.stdout + result.stderr
    item = queue_of(home)["Portishead"]
    assert item["status"] == "error" and item["error_history"][-1]["stage"] == "covers"
    assert not (library / "Portishead/1994 - Dummy/cover.jpg").exists()
    # With the archive back, the retry fetches the cover and completes the artist.
    again = run(fake, home, library, "--retry-errors", "--fetch-covers")
    assert again.returncode == 0, again.stdout + again.stderr
    assert queue_of(home)["Portishead"]["status"] == "completed"
    assert (library / "Portishead/1994 - Dummy/cover.jpg").read_bytes()[:3] == b"\xff\xd8\xff"


def test_a_web_page_in_place_of_a_cover_is_the_network_and_never_cover_jpg(fake, tmp_path):
    """A captive portal answering 200 with its login page: the artist is to do again."""
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")
    portal = b"<!DOCTYPE html><html><body>Log in to the hotel Wi-Fi</body></html>"
    fake.malformed(times=None, path="/images/", body=portal)
    result = run(fake, home, library, "--fetch-covers")
    assert result.returncode == 1, result.stdout + result.stderr
    item = queue_of(home)["Portishead"]
    assert item["status"] == "error" and "web page" in item["last_error"]
    assert not (library / "Portishead/1994 - Dummy/cover.jpg").exists()
    fake.clear_faults()  # back on a real network: the page was not kept in the cache
    again = run(fake, home, library, "--retry-errors", "--fetch-covers")
    assert again.returncode == 0, again.stdout + again.stderr
    assert (library / "Portishead/1994 - Dummy/cover.jpg").read_bytes()[:3] == b"\xff\xd8\xff"


def test_retry_errors_takes_a_failing_artist_once_per_run(fake, tmp_path):
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")
    fake.malformed(times=None)  # fails every time, but not on the network: no early stop
    first = run(fake, home, library)
    assert first.returncode == 1 and queue_of(home)["Portishead"]["attempts"] == 1
    again = run(fake, home, library, "--retry-errors")
    assert again.returncode == 1
    item = queue_of(home)["Portishead"]
    assert (item["status"], item["attempts"]) == ("error", 2)  # one more try, not three
