"""MusicBrainz enrichment through the real batch script against a local fake MusicBrainz.

The fake speaks the real XML web service on 127.0.0.1; the real client, cache, limiter and
job run in real subprocesses pointed at it through settings (environment variables).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import mutagen
import pytest

from mediakeeper import tags
from mediakeeper.core.findings import codes_of
from mediakeeper.demo import tracks as synth
from mediakeeper.queue.session_log import LOG_DIR
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.slug import slugify
from mediakeeper.text.wording import count
from tests.helpers import leaves_decisions, wait_until
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


# The fixtures' "Nirvana" search answers as the live one did: the US grunge band 100, the
# 1960s UK band 86, a Greek band 81 (all three called Nirvana) and "Nirvana 2002" 80.
UK_ALBUMS = [("1968 - The Story of Simon Simopath", "The Story of Simon Simopath"),
             ("1969 - Dedicated to Markos III", "Dedicated to Markos III")]  # fmt: skip
US_ALBUMS = [("1991 - Nevermind", "Nevermind"), ("1993 - In Utero", "In Utero")]


ENRICHMENT = set(codes_of("enrichment"))


def nirvanas(fake: FakeMusicBrainz) -> dict[str, str]:
    """The same-named artists' ids by disambiguation."""
    return {a.disambiguation: a.id for a in fake.find("Nirvana")}


@pytest.mark.parametrize(
    "albums, band", [(UK_ALBUMS, "60s UK band"), (US_ALBUMS, "US grunge band")], ids=["uk", "us"]
)
def test_same_named_artists_are_told_apart_by_their_albums(fake, tmp_path, albums, band):
    """A score of at least 90 let only the search's top hit through, so a folder of the UK
    band's albums was given the grunge band's id: every same-named candidate is compared."""
    library, home = tmp_path / "Music", tmp_path / "home"
    for folder, title in albums:
        album(library, "Nirvana", folder, title)
    result = run(fake, home, library)
    assert result.returncode == 0, result.stdout + result.stderr
    ids = nirvanas(fake)
    details = queue_of(home)["Nirvana"]["details"]
    assert (details["musicbrainz_artist_id"], details["albums_matched"]) == (ids[band], 2)
    flac = mutagen.File(library / "Nirvana" / albums[0][0] / "01 - Song 1.flac")
    assert flac["musicbrainz_albumartistid"] == [ids[band]]
    # One search, and one browse for each artist called Nirvana ("Nirvana 2002" is not).
    assert [r.path for r in fake.requests] == ["/ws/2/artist"] + ["/ws/2/release-group"] * 3
    browsed = {r.query["artist"][0] for r in fake.requests_to("/ws/2/release-group")}
    assert browsed == set(ids.values())
    assert "lookups: 4 requests sent" in result.stdout


@pytest.mark.parametrize(
    "albums, matched",
    [([("2000 - Something Else", "Something Else")], (0, 0, 0)),
     ([US_ALBUMS[0], UK_ALBUMS[0]], (1, 1, 0))],
    ids=["neither-has-them", "as-many-each"],
)  # fmt: skip
def test_same_named_artists_the_albums_cannot_tell_apart_write_nothing(
    fake, tmp_path, albums, matched
):
    library, home = tmp_path / "Music", tmp_path / "home"
    for folder, title in albums:
        album(library, "Nirvana", folder, title)
    before = {p: p.read_bytes() for p in sorted(library.rglob("*.flac"))}
    result = run(fake, home, library, "--no-fix")
    assert leaves_decisions(result), result.stdout + result.stderr
    assert {p: p.read_bytes() for p in before} == before
    assert queue_of(home)["Nirvana"]["details"]["musicbrainz_artist_id"] is None
    findings = output(home, "Nirvana")["findings"]
    [ambiguous] = [f for f in findings if f["code"] in ENRICHMENT]
    assert ambiguous["code"] == "ambiguous-artist"
    ids = nirvanas(fake)
    listed = [(c["id"], c["disambiguation"], c["albums_matched"])
              for c in ambiguous["details"]["candidates"]]  # fmt: skip
    assert listed == [
        (ids["US grunge band"], "US grunge band", matched[0]),
        (ids["60s UK band"], "60s UK band", matched[1]),
        (ids["Greek rock band"], "Greek rock band", matched[2]),
    ]  # in the search's order
    assert f"matches {matched[0]} of {len(albums)}" in ambiguous["message"]
    # A rerun asks nothing: the search and the three browses are cached.
    fake.clear_requests()
    again = run(fake, home, library, "--artist", "Nirvana", "--no-fix")
    assert leaves_decisions(again), again.stdout + again.stderr
    assert fake.requests == []
    assert "lookups: 0 requests sent, 4 answered from the cache" in again.stdout


def test_at_most_five_same_named_artists_are_compared(fake, tmp_path):
    for n in range(8):
        fake.add_artist("Echo", type="Group", disambiguation=f"band {n}", score=100 - n,
                        release_groups=[(f"Echo Album {n}", "2000")])  # fmt: skip
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Echo", "2000 - Echo Album 7", "Echo Album 7")  # the eighth's album
    result = run(fake, home, library)
    assert leaves_decisions(result), result.stdout + result.stderr
    browsed = [r.query["artist"][0] for r in fake.requests_to("/ws/2/release-group")]
    first_five = [a.id for a in sorted(fake.find("Echo"), key=lambda a: -a.score)][:5]
    assert browsed == first_five and len(fake.requests) == 6
    [ambiguous] = [f for f in output(home, "Echo")["findings"] if f["code"] == "ambiguous-artist"]
    assert len(ambiguous["details"]["candidates"]) == 5
    assert "8 artists called 'Echo'" in ambiguous["message"]
    assert "3 more not compared" in ambiguous["message"]


def test_ambiguous_doubtful_and_unknown_artists_write_nothing(fake, tmp_path):
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "John Williams", "1977 - Star Wars", "Star Wars")  # two in the fixtures
    album(library, "John Williams", "1993 - The Seville Concert", "The Seville Concert")
    album(library, "Portishead", "1998 - Mezzanine", "Mezzanine")  # another band's album
    album(library, "Nobody At All", "2001 - Quiet", "Quiet")
    before = {p: p.read_bytes() for p in sorted(library.rglob("*.flac"))}
    result = run(fake, home, library, "--no-fix")
    assert leaves_decisions(result), result.stdout + result.stderr
    assert {p: p.read_bytes() for p in before} == before
    ambiguous = [
        f for f in output(home, "John Williams")["findings"] if f["code"] == "ambiguous-artist"
    ]
    assert len(ambiguous) == 1 and len(ambiguous[0]["details"]["candidates"]) == 2
    [doubtful] = [f for f in output(home, "Portishead")["findings"] if f["code"] in ENRICHMENT]
    assert doubtful["code"] == "doubtful-artist" and "none of the 1 album" in doubtful["message"]
    assert queue_of(home)["Portishead"]["details"]["musicbrainz_artist_id"] is None
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


def passed_offline(fake, tmp_path: Path, artists: int) -> tuple[Path, Path, list[str], dict]:
    """A library of ``artists`` one-track artists, passed once offline (their lookups left
    for --enrich): the library, the home, the names and the queue as that pass left it."""
    library, home = tmp_path / "Music", tmp_path / "home"
    names = [f"Artist {n}" for n in range(artists)]
    for name in names:
        album(library, name, "2000 - Album", "Album", n=1)
    assert run(fake, home, library, "--offline").returncode == 0
    return library, home, names, queue_of(home)


def assert_each_as_it_was(home: Path, before: dict, names) -> None:
    """After a network stop, each artist, tried or not, completed as it was, not enriched."""
    queue = queue_of(home)
    for name in names:
        item, was = queue[name], before[name]
        assert (item["status"], item["attempts"], item["details"]["enriched"]) == (
            "completed", was["attempts"], False)


def closed_port() -> str:
    """An address where nothing listens: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_without_musicbrainz_a_batch_does_its_local_work_and_leaves_the_lookups(fake, tmp_path):
    """No network used to mean no work: every artist an error with a raw URL, no tag fixed.
    Now each is completed with its local fixes, its lookups left for --enrich, said once."""
    library, home = tmp_path / "Music", tmp_path / "home"
    names = [f"Artist {n}" for n in range(5)]
    for name in names:
        album(library, name, "2000 - Album", "Album", n=2, genre="Trip  Hop")
    fake.add_artist("Artist 0", release_groups=[("Album", "2000-05-01")])
    down = {"MEDIAKEEPER_MUSICBRAINZ_URL": closed_port()}
    result = run(fake, home, library, "--batch-size", "5", **down)
    assert leaves_decisions(result), result.stdout + result.stderr
    queue = queue_of(home)
    assert [queue[n]["status"] for n in names] == ["completed"] * 5
    assert {queue[n]["details"]["enriched"] for n in names} == {False}
    assert all(queue[n]["details"]["finding_counts"]["whitespace"] == [2, 2] for n in names)
    assert {tags.read(p).tags["genre"] for p in library.rglob("*.flac")} == {"Trip Hop"}
    assert result.stdout.count("unreachable") == 1
    assert "MusicBrainz unreachable: ran offline; run --enrich later\n" in result.stdout
    assert "http" not in result.stdout.replace(str(home), "")  # no raw URL for a person
    # Only the artists in hand when the first failed asked: one per worker at most.
    (log,) = (home / "status/music/session_logs").glob("*.log")
    workers = int(re.search(r"WORKERS (\d+) processes", log.read_text(encoding="utf-8"))[1])
    sent = int(re.search(r"lookups: (\d+) requests? sent", result.stdout).group(1))
    assert 1 <= sent <= workers < 5
    assert log.read_text(encoding="utf-8").count("WENT OFFLINE: MusicBrainz unreachable") == 1
    assert not list((home / "status/music").glob("run/*"))  # the run's flag went with it

    enrich = run(fake, home, library, "--enrich")
    assert enrich.returncode == 0, enrich.stdout + enrich.stderr
    queue = queue_of(home)
    assert {queue[n]["details"]["enriched"] for n in names} == {True}
    assert queue["Artist 0"]["details"]["musicbrainz_artist_id"]
    assert tags.read(library / "Artist 0/2000 - Album/01 - Song 1.flac").tags[
        "musicbrainz_releasegroupid"
    ]


def test_a_service_that_goes_down_is_asked_for_one_artist_only(fake, tmp_path):
    """The server counts what reaches it: the first artist's tries, then nothing."""
    library, home = tmp_path / "Music", tmp_path / "home"
    names = [f"Artist {n}" for n in range(6)]
    for name in names:
        album(library, name, "2000 - Album", "Album", n=1)
    fake.fail(503, times=None)
    result = run(fake, home, library, "--workers", "1")
    assert leaves_decisions(result), result.stdout + result.stderr
    assert {queue_of(home)[n]["status"] for n in names} == {"completed"}
    asked = {r.param("query") for r in fake.requests}
    assert len(asked) == 1 and "Artist 0" in asked.pop()
    assert len(fake.requests) == 3  # one request and its two retries
    assert "MusicBrainz unreachable: ran offline; run --enrich later" in result.stdout
    # The service is back: --enrich does the lookups the first run left.
    fake.clear_faults()
    enrich = run(fake, home, library, "--enrich", "--workers", "1")
    assert enrich.returncode == 0, enrich.stdout + enrich.stderr
    assert {queue_of(home)[n]["details"]["enriched"] for n in names} == {True}


def test_a_service_that_asks_for_an_hour_is_left_at_once(fake, tmp_path):
    """503 with Retry-After: 3600: each retry waited 60 s (the longest a lookup waits) to be
    refused again, minutes of a silent batch before it went offline all the same. Now the
    first answer takes the run offline, and the batch says what the service asked."""
    library, home = tmp_path / "Music", tmp_path / "home"
    for name in ("Alpha", "Bravo"):
        album(library, name, "2000 - Album", "Album", n=1)
    fake.fail(503, times=None, retry_after=3600)
    result = run(fake, home, library, "--workers", "1", MEDIAKEEPER_MUSICBRAINZ_RETRIES="1")
    assert leaves_decisions(result), result.stdout + result.stderr
    assert len(fake.requests) == 1  # asked once, never again in this run
    assert {item["status"] for item in queue_of(home).values()} == {"completed"}
    assert "MusicBrainz asked to be left alone for 60 minutes: run --enrich after that\n" in (
        result.stdout)


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


REFUSALS = pytest.mark.parametrize(
    "status, said, remedy",
    [(403, "MusicBrainz refused this client (HTTP 403 Forbidden)", "[musicbrainz] contact"),
     (401, "MusicBrainz asked for a user and password (HTTP 401 Unauthorized)",
      "[musicbrainz] url")],
    ids=["403", "401"],
)  # fmt: skip


@REFUSALS
def test_a_service_that_refuses_us_stops_an_enrich_batch_and_marks_nothing(
    fake, tmp_path, status, said, remedy
):
    """MusicBrainz answering 403 to every request (a blocked User-Agent) left each artist
    "for --enrich", asking for every one: it refuses this client, not one artist, and an
    --enrich run has nothing else to do, so the batch stops at the first answer with one
    line saying what to set, every artist as it was."""
    library, home = tmp_path / "Music", tmp_path / "home"
    names = ["Alpha", "Bravo", "Charlie", "Delta"]
    for name in names:
        album(library, name, "2000 - Album", "Album", n=1, genre="Trip  Hop")
    assert run(fake, home, library, "--offline").returncode == 0
    before = queue_of(home)
    fake.fail(status, times=None)
    result = run(fake, home, library, "--workers", "1", "--enrich")
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert said in line and remedy in line, line
    assert len(fake.requests) == 1  # the first answer stops the batch
    queue = queue_of(home)
    for name in names:
        item, was = queue[name], before[name]
        assert (item["status"], item["attempts"], item["details"]["enriched"]) == (
            "completed", was["attempts"], False)


@REFUSALS
def test_a_service_that_refuses_us_stops_the_lookups_not_the_local_fixes(
    fake, tmp_path, status, said, remedy
):
    """A batch that met a refusal stopped before any artist's local work: every artist left
    pending, its whitespace unfixed, for a setting that concerns the lookups alone. Now the
    refusal stops the lookups (asked once), each artist gets its local fixes and is left for
    --enrich as in a run offline, and the batch says once what to set."""
    library, home = tmp_path / "Music", tmp_path / "home"
    names = ["Alpha", "Bravo", "Charlie", "Delta"]
    for name in names:
        album(library, name, "2000 - Album", "Album", n=1, genre="Trip  Hop")
    fake.fail(status, times=None)
    result = run(fake, home, library, "--workers", "1", "--json")
    assert result.returncode == 1, result.stdout + result.stderr  # it leaves decisions
    assert len(fake.requests) == 1  # the first answer stops the lookups
    queue = queue_of(home)
    for name in names:
        assert (queue[name]["status"], queue[name]["details"]["enriched"]) == (
            "completed", False)
    assert {tags.read(p).tags["genre"] for p in library.rglob("*.flac")} == {"Trip Hop"}
    [notice] = [line for line in result.stderr.splitlines() if said in line]
    assert remedy in notice and "--enrich" in notice, notice
    assert "unreachable" not in result.stderr  # it answered: it refused
    # A script reads it as it reads a service unreachable, refused said.
    summary = json.loads(result.stdout)["summary"]
    assert (summary["went_offline"], summary["refused"]) == ("MusicBrainz", True), summary


def test_an_enrich_batch_on_a_dead_network_leaves_every_artist_as_it_was(fake, tmp_path):
    """MusicBrainz unreachable is not the artists' failure: the one an --enrich batch tried
    stays completed with its results, no attempt counted (three such runs used to make
    them skipped, out of every count), the rest are not tried, and the next --enrich looks
    them all up."""
    library, home, names, before = passed_offline(fake, tmp_path, 6)
    fake.fail(503, times=None)
    for _ in range(3):  # (no retries: each lookup fails at once, as the third retry would)
        result = run(fake, home, library, "--enrich", "--workers", "1",
                     MEDIAKEEPER_MUSICBRAINZ_RETRIES="0")  # fmt: skip
        assert result.returncode == 1, result.stdout + result.stderr  # nothing was looked up
        assert (
            "stopped early: MusicBrainz unreachable: 5 artists not tried, left completed\n"
        ) in result.stdout
        assert "ran offline" not in result.stdout  # it stopped: the stop line says so
        assert "not looked up: 1 artist (the service unreachable), as it was; run " \
            "--enrich again later\n" in result.stdout
        assert "0 failed, 0 skipped" in result.stdout
        # As a normal run says it: the service and why, never the request's address.
        assert ("Artist 0 — released: MusicBrainz unreachable (HTTP 503 Service Unavailable, "
                "also after retrying); it stays completed") in result.stdout, result.stdout
        assert "http" not in result.stdout.replace(str(home), "")
        assert "; it stays completed, its lookups left" in result.stdout
    queue = queue_of(home)
    for name in names:
        item, was = queue[name], before[name]
        assert item["status"] == "completed" and item["details"]["enriched"] is False
        assert (item["attempts"], item.get("failures", 0), item["error_history"]) == (
            was["attempts"], was.get("failures", 0), was["error_history"])
        assert item["track_count"] == was["track_count"] == 1
    log = sorted((home / "status/music" / LOG_DIR).glob("*.log"))[-1].read_text("utf-8")
    assert "RELEASED   Artist 0 (stage lookup" in log
    assert "error: MusicBrainz unreachable (HTTP 503 " in log
    # The service back: the next --enrich takes them all, none left behind.
    fake.clear_faults()
    for name in names:
        fake.add_artist(name, release_groups=[("Album", "2000-05-01")])
    back = run(fake, home, library, "--enrich", "--workers", "1")
    assert back.returncode == 0, back.stdout + back.stderr
    assert {queue_of(home)[n]["details"]["enriched"] for n in names} == {True}


def test_stopping_early_is_said_once_while_failures_in_flight_keep_coming(fake, tmp_path):
    """With several workers, artists already in hand fail after the batch decided to stop:
    each is recorded, none says STOPPING EARLY again. (An --enrich batch: each artist it
    tried goes back as it was; once one found the service unreachable, none begins.)"""
    library, home = tmp_path / "Music", tmp_path / "home"
    names = [f"Artist {n:02d}" for n in range(12)]
    for name in names:
        album(library, name, "2000 - Album", "Album", n=1)
    assert run(fake, home, library, "--offline").returncode == 0
    fake.fail(503, times=None)
    result = run(fake, home, library, "--enrich", "--workers", "3")
    assert result.returncode == 1
    log = sorted((home / "status" / "music" / "session_logs").glob("*.log"))[-1]
    said = [line.split("  ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]
    stopping = [n for n, line in enumerate(said) if line.startswith("STOPPING EARLY")]
    tried = [n for n, line in enumerate(said) if line.startswith("RELEASED")
             and "(stage lookup" in line]  # fmt: skip
    assert len(stopping) == 1 and 1 <= len(tried) <= 3 and stopping[0] > tried[0]
    # Each stays completed, its lookups left for the next --enrich.
    assert {queue_of(home)[n]["status"] for n in names} == {"completed"}


def test_a_stop_for_the_network_starts_none_of_the_artists_waiting_in_the_workers(
    fake, tmp_path
):
    """--enrich --workers 4 with MusicBrainz down: each worker holds two artists, and each of
    the eight spent a failing lookup though the batch had decided to stop after three, its
    line saying "the rest stay completed" with none left. Now an artist a worker has not
    begun goes back as it was, unasked, and the line counts those not tried; once one artist
    found the service unreachable, no worker begins another."""
    _, home, names, before = passed_offline(fake, tmp_path, 8)
    fake.hold(503, times=None, path="/ws/2/artist")  # every search waits, then is refused
    environment = {**os.environ, "MEDIAKEEPER_MUSIC_LOOKUPS": "true",
                   "MEDIAKEEPER_MUSICBRAINZ_URL": fake.url,
                   "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "0",
                   "MEDIAKEEPER_MUSICBRAINZ_RETRIES": "0"}  # fmt: skip
    command = [sys.executable, "utilities/process_music_batch.py", "--home", str(home),
               "--enrich", "--workers", "4"]  # fmt: skip
    batch = subprocess.Popen(command, cwd=REPO, env=environment, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        searches = lambda: len(fake.requests_to("/ws/2/artist"))  # noqa: E731
        assert wait_until(lambda: searches() == 4, limit=90)  # each worker's first artist
        fake.let_go(3)  # three refused: the batch stops; the fourth worker's search still held
        logs = home / "status/music" / LOG_DIR
        assert wait_until(lambda: any("STOPPING EARLY" in log.read_text("utf-8")
                                      for log in logs.glob("*_002.log")), limit=90)  # fmt: skip
        fake.let_go()
        out, err = batch.communicate(timeout=90)
    finally:
        batch.kill()
    assert batch.returncode == 1, out + err
    tried = searches()
    assert tried == 4  # each worker's first artist: none began a second
    untried = count(8 - tried, "artist not tried", "artists not tried")
    assert f"stopped early: MusicBrainz unreachable: {untried}, left completed\n" in out, out
    assert f"not looked up: {tried} artists (the service unreachable)" in out
    assert_each_as_it_was(home, before, names)


def test_a_timeout_leaves_the_lookups_for_enrich(fake, tmp_path):
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")
    fake.delay(3, times=None)  # longer than the 1 s timeout, on every retry
    timed_out = run(fake, home, library, MEDIAKEEPER_MUSICBRAINZ_TIMEOUT="1")
    # No answer is the network: the artist is done, its lookups wait for --enrich.
    assert leaves_decisions(timed_out), timed_out.stdout + timed_out.stderr
    item = queue_of(home)["Portishead"]
    assert (item["status"], item["details"]["enriched"]) == ("completed", False)
    assert "MusicBrainz unreachable: ran offline" in timed_out.stdout
    log = sorted((home / "status/music/session_logs").glob("*.log"))[-1].read_text("utf-8")
    assert "no answer" in log and "within 1 s" in log


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
    found, fixed = re.search(r"(\d+) findings?, (\d+) fixed", line).groups()
    assert f"findings {found} · resolved {fixed}" in enrich.stdout, enrich.stdout
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
    assert run(fake, home, library, "--offline").returncode == 0
    fake.fail(503, times=None)  # --enrich: there a lookup that fails is the artist's failure
    # No retries: each lookup is one request (a retry is the same lookup, not counted again).
    result = run(fake, home, library, "--enrich", "--workers", "1",
                 MEDIAKEEPER_MUSICBRAINZ_RETRIES="0")  # fmt: skip
    assert result.returncode == 1
    sent = len(fake.requests)
    assert sent == 1  # the first artist's search: the second went back unbegun
    assert f"lookups: {count(sent, 'request')} sent, 0 answered from the cache" in result.stdout
    event = _session_ends(home)[-1]
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


def test_an_unreachable_cover_archive_leaves_the_covers_for_enrich(fake, tmp_path):
    """The archive out of reach made the artist an error: its fixes and ids written, yet
    counted as a failure, and three such runs skipped it. A network that is down never turns
    a queue into errors: the artist is completed with its tag work, its covers wait for
    --enrich (said once, with the flag that fetches them), and the run goes on offline."""
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy", genre="Trip  Hop")
    closed = {"MEDIAKEEPER_MUSICBRAINZ_COVERART_URL": closed_port()}
    result = run(fake, home, library, "--fetch-covers", **closed)
    assert result.returncode == 0, result.stdout + result.stderr
    item = queue_of(home)["Portishead"]
    assert (item["status"], item["error_history"]) == ("completed", [])
    assert item["details"]["enriched"] is False and not item["details"]["unidentified"]
    track = tags.read(library / "Portishead/1994 - Dummy/01 - Song 1.flac").tags
    assert track["genre"] == "Trip Hop" and track["musicbrainz_releasegroupid"]
    assert not (library / "Portishead/1994 - Dummy/cover.jpg").exists()
    assert "Cover Art Archive unreachable: ran offline; run --enrich later\n" in result.stdout
    assert result.stdout.count("run --enrich --fetch-covers later") == 1
    # With the archive back, --enrich fetches the cover; the ids are in the tags already.
    again = run(fake, home, library, "--enrich", "--fetch-covers")
    assert again.returncode == 0, again.stdout + again.stderr
    assert queue_of(home)["Portishead"]["details"]["enriched"] is True
    assert (library / "Portishead/1994 - Dummy/cover.jpg").read_bytes()[:3] == b"\xff\xd8\xff"


def test_a_web_page_in_place_of_a_cover_is_the_network_and_never_cover_jpg(fake, tmp_path):
    """A captive portal answering 200 with its login page: the covers wait for --enrich."""
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")
    portal = b"<!DOCTYPE html><html><body>Log in to the hotel Wi-Fi</body></html>"
    fake.malformed(times=None, path="/images/", body=portal)
    result = run(fake, home, library, "--fetch-covers")
    assert result.returncode == 0, result.stdout + result.stderr
    item = queue_of(home)["Portishead"]
    assert (item["status"], item["details"]["enriched"]) == ("completed", False)
    log = sorted((home / "status/music" / LOG_DIR).glob("*.log"))[-1].read_text("utf-8")
    assert "WENT OFFLINE: Cover Art Archive unreachable" in log and "web page" in log
    assert not (library / "Portishead/1994 - Dummy/cover.jpg").exists()
    fake.clear_faults()  # back on a real network: the page was not kept in the cache
    again = run(fake, home, library, "--enrich", "--fetch-covers")
    assert again.returncode == 0, again.stdout + again.stderr
    assert (library / "Portishead/1994 - Dummy/cover.jpg").read_bytes()[:3] == b"\xff\xd8\xff"


def test_retry_errors_takes_a_failing_artist_once_per_run(fake, tmp_path):
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")
    queue = [sys.executable, "utilities/music_queue_manager.py", "--home", str(home), "--init",
             "--library", str(library)]  # fmt: skip
    subprocess.run(queue, cwd=REPO, check=True, capture_output=True)
    (library / "Portishead").rename(tmp_path / "gone")  # its scan fails every time
    first = run(fake, home, library, "--offline")
    assert first.returncode == 1 and queue_of(home)["Portishead"]["attempts"] == 1
    again = run(fake, home, library, "--retry-errors", "--offline")
    assert again.returncode == 1
    item = queue_of(home)["Portishead"]
    assert (item["status"], item["attempts"]) == ("error", 2)  # one more try, not three


def test_an_unidentified_artist_s_line_counts_its_decisions_as_the_summary_does(fake, tmp_path):
    """An artist whose lookups could not be made (MusicBrainz down) asks "run it again online"
    beside its other questions: its line under the batch says as many decisions as the closing
    summary and the queue count (it said one fewer: the line left that question out)."""
    library, home = tmp_path / "lib", tmp_path / "home"
    album(library, "Nobody Knows", "Demos", "Demos")  # no year: a question of its own
    done = run(fake, home, library, "-v", MEDIAKEEPER_MUSICBRAINZ_URL=closed_port())
    assert leaves_decisions(done), done.stdout + done.stderr
    [line] = re.findall(r"^  (\d+) decisions? for you", done.stdout, re.M)
    [summary] = re.findall(r"needs you: (\d+) decisions? in 1 artist", done.stdout)
    assert int(line) == int(summary) == 2, done.stdout


@pytest.mark.parametrize("workers", ["1", "3"])
def test_ctrl_c_while_the_service_hangs_counts_the_requests_that_went_out(fake, tmp_path, workers):
    """Each worker's lookup hangs (the service never answers); Ctrl+C then stops the batch
    with no item's result back. The closing line and the session's record said "0 requests
    sent" though the service had them: a request counts as it goes out, and a worker's
    count is read though it was stopped before its item came back."""
    library, home = tmp_path / "Music", tmp_path / "home"
    for n in range(4):
        album(library, f"Artist {n}", "2000 - Album", "Album", n=1)
    fake.delay(3600, times=None)  # every request waits until the fake stops
    environment = {
        **os.environ,
        "MEDIAKEEPER_MUSIC_LOOKUPS": "true",
        "MEDIAKEEPER_MUSICBRAINZ_URL": fake.url,
        "MEDIAKEEPER_MUSICBRAINZ_COVERART_URL": fake.url,
        "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "0",
        "MEDIAKEEPER_MUSICBRAINZ_TIMEOUT": "3600",  # no answer, no timeout: it hangs
        "MEDIAKEEPER_MUSICBRAINZ_RETRIES": "0",
    }
    command = [sys.executable, "utilities/process_music_batch.py", "--home", str(home),
               "--library", str(library), "--workers", workers]  # fmt: skip
    batch = subprocess.Popen(command, cwd=REPO, env=environment, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        # One request a worker, each held: no more can come.
        assert wait_until(lambda: len(fake.requests) == int(workers), limit=90)
        batch.send_signal(signal.SIGINT)
        out, err = batch.communicate(timeout=90)
    finally:
        batch.kill()
    assert batch.returncode == 130, out + err
    sent = len(fake.requests)
    assert sent == int(workers)
    assert f"lookups: {sent} request{'s' if sent > 1 else ''} sent, 0 answered" in out, out
    [end] = [json.loads(line) for line in (home / "status/music/sessions.jsonl").open()
             if '"event": "end"' in line]  # fmt: skip
    assert (end["outcome"], end["lookups"]) == ("interrupted", sent)


def test_an_enrich_batch_on_a_dead_address_tries_about_one_artist_per_worker(fake, tmp_path):
    """--enrich --workers 2 against a dead address: each worker began its second artist, and
    some a third, before three failures in a row were counted (five artists asked, in 29 s).
    Now the first artist that finds MusicBrainz unreachable says so for the run, and each
    artist after it goes back unbegun: one asked per worker at most, the rest not tried."""
    library, home, names, before = passed_offline(fake, tmp_path, 8)
    result = run(fake, home, library, "--enrich", "--workers", "2",
                 MEDIAKEEPER_MUSICBRAINZ_URL=closed_port())  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    asked = int(re.search(r"lookups: (\d+) requests? sent", result.stdout)[1])
    assert 1 <= asked <= 2, result.stdout
    assert (f"stopped early: MusicBrainz unreachable: {8 - asked} artists not tried, left "
            "completed\n") in result.stdout, result.stdout  # fmt: skip
    assert_each_as_it_was(home, before, names)


def test_a_cover_archive_out_of_reach_leaves_only_the_covers_for_enrich(fake, tmp_path):
    """The archive out of reach took the whole run offline: the artists after the first
    were not looked up on MusicBrainz either, though it answered. The archive is another
    service (the Internet Archive's, down on its own): now it stops the covers only."""
    library, home = tmp_path / "Music", tmp_path / "home"
    for name in ("Alpha", "Bravo"):
        fake.add_artist(name, release_groups=[("Album", "2000-05-01")])
        album(library, name, "2000 - Album", "Album", n=1)
    closed = {"MEDIAKEEPER_MUSICBRAINZ_COVERART_URL": closed_port()}
    result = run(fake, home, library, "--fetch-covers", "--workers", "1", **closed)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("Alpha", "Bravo"):
        details = queue_of(home)[name]["details"]
        assert details["musicbrainz_artist_id"] and not details["unidentified"], details
        track = tags.read(library / name / "2000 - Album/01 - Song 1.flac").tags
        assert track["musicbrainz_releasegroupid"], name
    assert "Cover Art Archive unreachable: ran offline; run --enrich later\n" in result.stdout
    assert result.stdout.count("run --enrich --fetch-covers later") == 1
