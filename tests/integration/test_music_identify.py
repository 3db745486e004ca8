"""Identification by sound through the real music batch against a local fake AcoustID.

Real audio (pink noise the bundled ffmpeg makes, one seed per recording), fingerprinted by the
job with ffmpeg's chromaprint muxer; the fake knows those fingerprints, answering AcoustID's
JSON. The batch, its client, cache and limiter run in real subprocesses pointed at it through
settings (environment variables).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mutagen
import pytest

from mediakeeper import tags
from mediakeeper.demo import sound as synth
from mediakeeper.media import chromaprint
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.slug import slugify
from tests.helpers import leaves_decisions
from tests.servers.acoustid import API_KEY, FakeAcoustID, match, recording, release_group

REPO = Path(__file__).resolve().parents[2]
FLOYD = "Pink Floyd"
DSOTM = release_group("The Dark Side of the Moon", FLOYD)
BEST_OF = release_group("Echoes: The Best of Pink Floyd", FLOYD, "Album", "Compilation")
SPEAK = recording("Speak to Me", FLOYD, 20, DSOTM, BEST_OF)
BREATHE = recording("Breathe", FLOYD, 20, DSOTM, BEST_OF)
MONEY = recording("Money", FLOYD, 20, DSOTM)
MONEY_LIVE = recording("Money (live)", FLOYD, 21)
ECHOES = recording("Echoes", FLOYD, 20)


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    """Five 20-second recordings (FLAC, no tags) and their fingerprints, by seed."""
    folder = tmp_path_factory.mktemp("sources")
    exe = chromaprint.fingerprinter()
    made = {}
    for seed in range(1, 6):
        path = synth.noise(exe, folder / f"{seed}.flac", 20, seed=seed)
        made[seed] = (path.read_bytes(), chromaprint.fingerprint(exe, path).fingerprint)
    return made


@pytest.fixture
def fake(audio):
    with FakeAcoustID() as server:
        server.add_track(audio[1][1], 20, [match(0.97, SPEAK)])
        server.add_track(audio[2][1], 20, [match(0.99, BREATHE)])
        server.add_track(audio[3][1], 20, [match(0.71, MONEY), match(0.55, MONEY_LIVE)])
        server.add_track(audio[5][1], 20, [match(0.98, ECHOES)])
        yield server  # seed 4: a sound AcoustID does not know


@pytest.fixture
def library(tmp_path, audio):
    """Pink Floyd: an album of two untagged tracks, one untagged loose track, one unknown
    untagged track, and one tagged track without a recording id."""
    root = tmp_path / "Music"
    files = {
        "1973 - Untitled/01.flac": 1,
        "1973 - Untitled/02.flac": 2,
        "track.flac": 3,
        "unknown.flac": 4,
        "tagged.flac": 5,
    }
    for rel, seed in files.items():
        path = root / FLOYD / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(audio[seed][0])
    tags.write(root / FLOYD / "tagged.flac", {"title": "Echoes", "artist": FLOYD})
    return root


def run(fake, home: Path, library: Path, *args: str, key: str = API_KEY,
        musicbrainz: str = "http://127.0.0.1:9"):  # fmt: skip
    env = {
        **os.environ,
        "MEDIAKEEPER_MUSIC_LOOKUPS": "true",
        "MEDIAKEEPER_MUSICBRAINZ_URL": musicbrainz,  # unreachable unless a test gives one
        "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "0",
        # Unreachable: said at the first refusal, not after 7.5 s of backing off (the retries
        # are the session's, tested with the enrichment).
        "MEDIAKEEPER_MUSICBRAINZ_RETRIES": "0",
        "MEDIAKEEPER_ACOUSTID_URL": fake.url,
        "MEDIAKEEPER_ACOUSTID_KEY": key,
        "MEDIAKEEPER_ACOUSTID_RATE_LIMIT": "0",  # spacing is the session's, tested there
        "MEDIAKEEPER_ACOUSTID_TIMEOUT": "5",
        "MEDIAKEEPER_ACOUSTID_RETRIES": "1",
    }
    command = [sys.executable, "utilities/process_music_batch.py", "--home", str(home),
               "--library", str(library), "--batch-size", "10", *args]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def findings(home: Path) -> dict[str, list[dict]]:
    """The artist's findings by code."""
    data = json.loads((home / "outputs/music/artists" / f"{slugify(FLOYD)}.json").read_text())
    by_code: dict[str, list[dict]] = {}
    for f in data["findings"]:
        by_code.setdefault(f["code"], []).append(f)
    return by_code


def lookups(fake) -> list[str]:
    return [r.param("fingerprint") for r in fake.requests_to("/v2/lookup")]


def test_untagged_tracks_become_proposals_and_nothing_is_written(fake, library, tmp_path, audio):
    home = tmp_path / "home"
    before = sorted(library.rglob("*.flac"))
    done = run(fake, home, library)
    assert leaves_decisions(done), done.stdout + done.stderr
    found = findings(home)

    (album,) = found["album-sound-match"]
    assert (album["path"], album["severity"]) == ("1973 - Untitled", "warning")
    assert "These 2 tracks sound like 'The Dark Side of the Moon' by Pink Floyd" in album["message"]
    assert "AcoustID score 0.97" in album["message"] and not album["fixed"]
    first, second = album["details"]["choices"]  # the plain album first, the compilation next
    assert first["release_group"] == DSOTM["id"] and second["release_group"] == BEST_OF["id"]
    assert {(c["path"], c["tag"], c["new"]) for c in first["changes"]} >= {
        ("1973 - Untitled/01.flac", "title", "Speak to Me"),
        ("1973 - Untitled/02.flac", "title", "Breathe"),
        ("1973 - Untitled/02.flac", "album", "The Dark Side of the Moon"),
        ("1973 - Untitled/02.flac", "musicbrainz_trackid", BREATHE["id"]),
    }
    (track,) = found["sound-match"]
    assert track["path"] == "track.flac"
    assert [c["label"] for c in track["details"]["choices"]] == [
        "'Money' by Pink Floyd", "'Money (live)' by Pink Floyd"]  # fmt: skip
    (unknown,) = found["no-sound-match"]
    assert unknown["path"] == "unknown.flac" and unknown["severity"] == "info"
    # The tagged track is not looked up without --identify; the rest once each.
    assert sorted(lookups(fake)) == sorted(audio[s][1] for s in (1, 2, 3, 4))
    for path in before:  # the local fixes write (the folder's year); no proposal is
        written = tags.read(path).tags
        assert not {"album", "musicbrainz_trackid"} & set(written), path
        assert path.name == "tagged.flac" or "title" not in written
    assert "missing-title" in found  # still open: the person decides


def test_a_rerun_decodes_nothing_and_asks_nothing(fake, fake_musicbrainz, library, tmp_path):
    """Also for the files the first run's own fixes rewrote (the album's year, from its
    folder): their fingerprints went with them."""
    home = tmp_path / "home"
    run(fake, home, library, musicbrainz=fake_musicbrainz.url)
    year = tags.read(library / FLOYD / "1973 - Untitled/01.flac").tags.get("date")
    assert year == "1973"  # rewritten by the first run
    asked = len(fake.requests)
    queue = QueueStore(home / "status/music", "music")
    assert queue.load()["items"][0]["details"]["identified"]["fingerprinted"] == 4
    reset = subprocess.run([sys.executable, "utilities/music_queue_manager.py", "--home", str(home),
                            "--reset-all"], cwd=REPO, capture_output=True, text=True,
                           input="y\n")  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    again = run(fake, home, library, musicbrainz=fake_musicbrainz.url)
    assert len(fake.requests) == asked, again.stdout
    details = queue.load()["items"][0]["details"]
    assert details["identified"] == {"tracks": 4, "fingerprinted": 0, "proposals": 2}
    assert details["lookups"] == 0 and details["cache_hits"] >= 4  # MusicBrainz's too


def test_identify_apply_writes_the_confident_proposals_and_undo_takes_them_back(
    fake, library, tmp_path
):
    home = tmp_path / "home"
    done = run(fake, home, library, "--identify", "--apply")
    assert leaves_decisions(done), done.stdout + done.stderr
    speak = library / FLOYD / "1973 - Untitled/01.flac"
    values = tags.read(speak).tags
    assert values["title"] == "Speak to Me" and values["artist"] == FLOYD
    assert values["album"] == "The Dark Side of the Moon"
    assert values["musicbrainz_releasegroupid"] == DSOTM["id"]
    assert "title" not in tags.read(library / FLOYD / "track.flac").tags  # 0.71: a proposal
    tagged = tags.read(library / FLOYD / "tagged.flac").tags  # --identify: its id too (0.98)
    assert tagged["musicbrainz_trackid"] == ECHOES["id"] and tagged["title"] == "Echoes"
    found = findings(home)
    assert found["album-sound-match"][0]["fixed"]
    matched = {f["path"]: f["fixed"] for f in found["sound-match"]}
    assert matched == {"track.flac": False, "tagged.flac": True}
    titles = {f["path"]: f for f in found["missing-title"]}
    assert titles["1973 - Untitled/01.flac"]["fixed"]  # settled by the proposal's write
    assert not titles["track.flac"]["fixed"]

    undo = subprocess.run(
        [sys.executable, "utilities/undo_changes.py", "--home", str(home), "--artist", FLOYD],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert undo.returncode == 0, undo.stderr
    assert "title" not in tags.read(speak).tags
    assert "musicbrainz_trackid" not in tags.read(library / FLOYD / "tagged.flac").tags


def test_the_key_is_never_in_the_cache_logs_outputs_or_reports(fake, library, tmp_path):
    home = tmp_path / "home"
    done = run(fake, home, library, "--identify", "-v")
    assert fake.requests and all(r.param("client") == API_KEY for r in fake.requests)
    assert API_KEY not in done.stdout + done.stderr
    leaked = [p for p in home.rglob("*") if p.is_file() and API_KEY.encode() in p.read_bytes()]
    assert leaked == []
    assert (home / "status/cache/acoustid.sqlite").exists()


def test_a_refused_key_stops_the_lookups_not_the_local_fixes(fake, library, tmp_path, audio):
    """A wrong AcoustID key stopped the batch before any artist's local work (exit 2, every
    artist pending, its whitespace unfixed), where a refusal by MusicBrainz does not. Now
    the lookups stop at the first answer: each artist gets its fixes and is left for
    --enrich, the batch says once which setting to mend (never the key), and the session's
    summary says it went offline, refused."""
    other = library / "Zappa" / "untitled.flac"
    other.parent.mkdir()
    other.write_bytes(audio[2][0])
    for path in (other, library / FLOYD / "tagged.flac"):
        tags.write(path, {"genre": "Trip  Hop"})
    home = tmp_path / "home"
    done = run(fake, home, library, "--workers", "1", "--json", key="not-the-key")
    assert done.returncode == 1, done.stdout + done.stderr  # it leaves decisions
    assert len(fake.requests) == 1  # the first answer stops the lookups
    assert "not-the-key" not in done.stdout + done.stderr
    items = QueueStore(home / "status/music", "music").load()["items"]
    assert {(i["status"], i["details"]["enriched"]) for i in items} == {("completed", False)}
    assert {i["details"]["unidentified"] for i in items} == {
        "not looked up (AcoustID refused the application key): run --enrich once it is set"}
    assert tags.read(other).tags["genre"] == "Trip Hop"
    [notice] = [line for line in done.stderr.splitlines() if "refused the application" in line]
    assert "[acoustid] section" in notice and "MEDIAKEEPER_ACOUSTID_KEY" in notice, notice
    assert "--enrich" in notice and "unreachable" not in done.stderr
    summary = json.loads(done.stdout)["summary"]
    assert (summary["went_offline"], summary["refused"]) == ("AcoustID", True), summary
    leaked = [p for p in home.rglob("*") if p.is_file() and b"not-the-key" in p.read_bytes()]
    assert leaked == []


def test_a_refused_key_stops_an_enrich_batch_and_leaves_the_artist_as_it_was(
    fake, library, tmp_path
):
    """An --enrich run has nothing but its lookups to do: a wrong key stops it at the first
    answer, in one line naming the setting, the artist as it was."""
    home = tmp_path / "home"
    assert run(fake, home, library, "--offline").returncode in (0, 1)
    done = run(fake, home, library, "--enrich", key="not-the-key")
    assert done.returncode == 2, done.stdout + done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "AcoustID refused the application key (invalid API key)" in line
    assert "MEDIAKEEPER_ACOUSTID_KEY" in line and "not-the-key" not in done.stdout + line
    (item,) = QueueStore(home / "status/music", "music").load()["items"]
    assert (item["status"], item["details"]["enriched"]) == ("completed", False)


def test_identify_without_a_key_is_refused_before_anything(fake, library, tmp_path):
    home = tmp_path / "home"
    done = run(fake, home, library, "--identify", key="")
    assert done.returncode == 2 and "needs an AcoustID key" in done.stderr
    assert "acoustid.org/new-application" in done.stderr
    assert fake.requests == []
    done = run(fake, home, library, "--apply")
    assert done.returncode == 2 and "give both" in done.stderr
    done = run(fake, home, library, "--identify", "--dry-run", key="")  # asks nothing
    assert done.returncode == 0 and "nothing was written" in done.stdout


def test_acoustid_unreachable_leaves_the_lookups_for_enrich(
    fake, fake_musicbrainz, library, tmp_path
):
    home = tmp_path / "home"
    fake.fail(503, times=None)
    done = run(fake, home, library, musicbrainz=fake_musicbrainz.url)
    assert leaves_decisions(done), done.stdout + done.stderr
    (item,) = QueueStore(home / "status/music", "music").load()["items"]
    assert item["status"] == "completed"
    assert "identified" not in item["details"] and not item["details"]["enriched"]
    assert "album-sound-match" not in findings(home)
    assert fake_musicbrainz.requests == []  # the run went on offline: MusicBrainz waits too
    # The queue's note (its list, the dashboard) names the service that was not reached.
    assert item["details"]["unidentified"] == (
        "not looked up (AcoustID was unreachable): run --enrich"
    ), item["details"]
    log = next((home / "status/music/session_logs").glob("*.log")).read_text()
    assert "WENT OFFLINE: AcoustID unreachable (HTTP 503 Service Unavailable" in log, log
    assert "client=" not in log and API_KEY not in log  # nor the lookup's address at all
    fake.clear_faults()
    enriched = run(fake, home, library, "--enrich", musicbrainz=fake_musicbrainz.url)
    assert "album-sound-match" in findings(home), enriched.stdout + enriched.stderr


def test_without_a_key_untagged_tracks_are_only_reported(fake, library, tmp_path):
    home = tmp_path / "home"
    done = run(fake, home, library, key="")
    assert leaves_decisions(done), done.stdout + done.stderr
    found = findings(home)
    assert "missing-title" in found and "sound-match" not in found
    assert fake.requests == []
    assert "title" not in tags.read(library / FLOYD / "track.flac").tags


def test_two_workers_share_the_caches(fake, tmp_path, audio):
    """Two artists at once, each worker with its own connections to one fingerprint cache
    and one answer cache: both identified, each fingerprint asked for once."""
    library = tmp_path / "Music"
    for name, seed in (("First", 3), ("Second", 5)):
        path = library / name / "untitled.flac"
        path.parent.mkdir(parents=True)
        path.write_bytes(audio[seed][0])
    home = tmp_path / "home"
    done = run(fake, home, library, "--workers", "2")
    assert leaves_decisions(done), done.stdout + done.stderr
    items = QueueStore(home / "status/music", "music").load()["items"]
    assert [i["details"]["identified"]["proposals"] for i in items] == [1, 1]
    assert sorted(lookups(fake)) == sorted([audio[3][1], audio[5][1]])


def test_answers_that_do_not_fit_never_reach_a_tag(audio, library, tmp_path):
    """AcoustID's answers with a number for a title and no id, a title of 5,000 characters,
    a control character in a title, a result without an id: each is left out (said once per
    answer), nothing of them is proposed or written, and the rest of the run is as usual:
    the local fixes and the one answer that fits are written."""
    home = tmp_path / "home"
    with FakeAcoustID() as server:
        server.add_track(audio[1][1], 20, [match(0.99, {"id": None, "title": 5})])
        server.add_track(audio[2][1], 20, [match(0.99, recording("x" * 5000, FLOYD, 20, DSOTM))])
        server.add_track(audio[3][1], 20, [match(0.99, {**MONEY, "title": "Money\u0007"})])
        server.add_track(audio[4][1], 20, [{"id": 7, "score": 0.9}])
        server.add_track(audio[5][1], 20, [match(0.98, ECHOES)])
        done = run(server, home, library, "--identify", "--apply")
    assert leaves_decisions(done), done.stdout + done.stderr
    folder = library / FLOYD
    for rel in ("1973 - Untitled/01.flac", "1973 - Untitled/02.flac", "track.flac",
                "unknown.flac"):  # fmt: skip
        raw = mutagen.File(folder / rel)
        assert "title" not in raw and "musicbrainz_trackid" not in raw, rel
    assert mutagen.File(folder / "1973 - Untitled/01.flac")["date"] == ["1973"]  # local fix
    assert mutagen.File(folder / "tagged.flac")["musicbrainz_trackid"] == [ECHOES["id"]]
    found = findings(home)
    assert "album-sound-match" not in found
    assert [f["path"] for f in found["sound-match"]] == ["tagged.flac"]
    said = [line for line in done.stdout.splitlines() if "did not fit" in line]
    assert len(said) == 4, done.stdout
    first = next(line for line in said if "1973 - Untitled/01.flac" in line)
    assert "a recording left out: a recording id null is not an id" in first
    assert "not an id" in next(line for line in said if "unknown.flac" in line)
    assert "U+0007" in next(line for line in said if "track.flac" in line)
    assert "5,000 characters" in next(line for line in said if "02.flac" in line)


def test_a_fingerprint_cache_held_locked_stops_the_batch_in_one_line(
    fake, fake_musicbrainz, library, tmp_path
):
    """status/cache/chromaprints.sqlite held in a write by another program when a new
    fingerprint is to be kept: one line naming it (exit 2) after [acoustid] timeout (5 s
    here), not a minute's wait and an error for the artist ("OperationalError: database is
    locked"), its attempts spent; let go, the same command does it."""
    home = tmp_path / "home"
    first = run(fake, home, library, musicbrainz=fake_musicbrainz.url)
    assert first.returncode in (0, 1), first.stdout + first.stderr
    queue = QueueStore(home / "status/music", "music")
    reset = subprocess.run([sys.executable, "utilities/music_queue_manager.py", "--home",
                            str(home), "--reset-all", "--yes"], cwd=REPO, capture_output=True,
                           text=True)  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    attempts = queue.load()["items"][0]["attempts"]
    changed = library / FLOYD / "unknown.flac"
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
    hold = ("import sqlite3, sys, time\ncon = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "con.execute('BEGIN EXCLUSIVE')\nprint('held', flush=True)\ntime.sleep(600)\n")
    cache = home / "status/cache/chromaprints.sqlite"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(cache)], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        held = run(fake, home, library, musicbrainz=fake_musicbrainz.url)
    finally:
        holder.kill()
        holder.wait()
    said = held.stdout + held.stderr
    assert held.returncode == 2, said
    assert "OperationalError" not in said, said
    [line] = [x for x in held.stderr.splitlines() if "chromaprints.sqlite" in x]
    assert "locked by another program for over 5 s" in line, line
    (item,) = queue.load()["items"]
    assert (item["status"], item["attempts"]) == ("pending", attempts), item

    again = run(fake, home, library, musicbrainz=fake_musicbrainz.url)
    assert again.returncode in (0, 1), again.stdout + again.stderr
    assert queue.load()["items"][0]["status"] == "completed"
