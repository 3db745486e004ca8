"""What a person reads of a lookup that failed, through the real music batch against local
fake services (MusicBrainz's XML, AcoustID's JSON) and addresses where nothing listens.

Every line a person reads (a notice, the session log, a finding, the summary) says the
service and what went wrong, as a normal run's "released" line does: never the request's
address, which holds the person's query (an artist's name, a fingerprint of thousands of
characters).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mediakeeper import tags
from mediakeeper.demo import sound
from mediakeeper.demo import tracks as synth
from mediakeeper.media import chromaprint
from tests.servers.acoustid import API_KEY, FakeAcoustID
from tests.servers.musicbrainz import FakeMusicBrainz

REPO = Path(__file__).resolve().parents[2]
ARTIST = "Zebra Quartet"  # the artist a person looks up: their query, in every address


def closed_port() -> str:
    """An address where nothing listens: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def musicbrainz():
    with FakeMusicBrainz() as server:
        yield server


@pytest.fixture
def acoustid():
    with FakeAcoustID() as server:
        yield server


def tagged(library: Path, artist: str) -> None:
    """An album of one tagged track: MusicBrainz is asked for it, AcoustID is not."""
    values = {"title": "Song", "artist": artist, "albumartist": artist, "album": "Album",
              "tracknumber": "1"}  # fmt: skip
    synth.make_track(library / artist / "2000 - Album" / "01 - Song.flac", "flac", values)


def untagged(library: Path, artist: str, tmp_path: Path) -> None:
    """A track without a title or an artist: AcoustID is asked for it, by its sound."""
    path = library / artist / "track.flac"
    path.parent.mkdir(parents=True, exist_ok=True)
    sound.noise(chromaprint.fingerprinter(), path, 20, seed=1)
    assert "title" not in tags.read(path).tags


def run(home: Path, library: Path, *args: str, musicbrainz: str, acoustid: str = "",
        **env: str) -> subprocess.CompletedProcess:  # fmt: skip
    environment = {
        **os.environ,
        "MEDIAKEEPER_MUSIC_LOOKUPS": "true",
        "MEDIAKEEPER_MUSICBRAINZ_URL": musicbrainz,
        "MEDIAKEEPER_MUSICBRAINZ_COVERART_URL": musicbrainz,
        "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "0",
        "MEDIAKEEPER_MUSICBRAINZ_RETRIES": "0",  # unreachable at the first refusal
        "MEDIAKEEPER_ACOUSTID_URL": acoustid or closed_port(),
        "MEDIAKEEPER_ACOUSTID_KEY": API_KEY if acoustid else "",
        "MEDIAKEEPER_ACOUSTID_RATE_LIMIT": "0",
        "MEDIAKEEPER_ACOUSTID_RETRIES": "0",
        **env,
    }
    command = [sys.executable, "utilities/process_music_batch.py", "--home", str(home),
               "--library", str(library), "--workers", "1", *args]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done


def log_of(home: Path) -> str:
    (log,) = (home / "status/music/session_logs").glob("*.log")
    return log.read_text(encoding="utf-8")


def no_address(text: str) -> None:
    """No request's address in ``text``: no host, no query, no parameter."""
    for part in ("http", "127.0.0.1", "/ws/2", "/v2/lookup", "query=", "fingerprint=",
                 "client=", "REDACTED", "sortname"):  # fmt: skip
        assert part not in text, (part, text)


def test_went_offline_says_the_service_and_why_not_the_address(tmp_path):
    """The log's WENT OFFLINE line held the search's whole address: the host, and the
    person's artist three times over in the query. It says what the released line says."""
    library, home = tmp_path / "Music", tmp_path / "home"
    tagged(library, ARTIST)
    done = run(home, library, musicbrainz=closed_port())
    assert done.returncode == 1, done.stdout + done.stderr  # it leaves a decision
    log = log_of(home)
    [line] = [line for line in log.splitlines() if "WENT OFFLINE" in line]
    assert "WENT OFFLINE: MusicBrainz unreachable (Connection refused); " in line, line
    no_address(line)
    assert ARTIST not in line
    # The END line says the figures; the list of services is the record's (each has its line).
    [end] = [line for line in log.splitlines() if "  END " in line]
    assert end.endswith(", went offline MusicBrainz") and "{" not in end, end


def test_an_unusable_answer_is_said_without_its_address(musicbrainz, tmp_path):
    """MusicBrainz answering something else than its XML (a mirror's 400, a body cut short)
    was said as "musicbrainz: http://HOST/ws/2/artist?query=... answered HTTP 400": the
    notice, the log and the artist's own record said the address."""
    library, home = tmp_path / "Music", tmp_path / "home"
    tagged(library, ARTIST)
    musicbrainz.fail(400, times=None)
    done = run(home, library, "--json", musicbrainz=musicbrainz.url)
    assert done.returncode == 1, done.stdout + done.stderr
    [notice] = [line for line in done.stderr.splitlines() if "400" in line]
    assert notice.endswith(
        f"{ARTIST}: MusicBrainz answered HTTP 400 Bad Request; its lookups wait for --enrich"
    ), notice
    no_address(done.stderr + log_of(home))
    no_address(json.dumps(json.loads(done.stdout)))


def test_a_body_that_is_no_xml_is_said_without_its_address(musicbrainz, tmp_path):
    library, home = tmp_path / "Music", tmp_path / "home"
    tagged(library, ARTIST)
    musicbrainz.malformed(times=None, body=b"{not xml}")
    done = run(home, library, musicbrainz=musicbrainz.url)
    assert done.returncode == 1, done.stdout + done.stderr
    [notice] = [line for line in done.stdout.splitlines() if "XML" in line]
    assert f"{ARTIST}: MusicBrainz answered not well-formed XML (" in notice, notice
    no_address(done.stdout + log_of(home))


def test_acoustids_line_for_a_track_it_did_not_look_up_holds_no_address(acoustid, tmp_path):
    """A track AcoustID refused (its error 5, HTTP 400) was said in its finding with the
    lookup's address: the fingerprint, thousands of characters, and the key's place."""
    library, home = tmp_path / "Music", tmp_path / "home"
    untagged(library, ARTIST, tmp_path)
    acoustid.fail(400, times=None)
    done = run(home, library, musicbrainz=closed_port(), acoustid=acoustid.url)
    assert done.returncode == 1, done.stdout + done.stderr
    output = next((home / "outputs/music/artists").glob("*.json")).read_text(encoding="utf-8")
    [said] = [f["message"] for f in json.loads(output)["findings"]
              if f["code"] == "no-sound-match"]  # fmt: skip
    assert said == ("Not looked up: AcoustID answered HTTP 400 Bad Request: error 5, "
                    "internal error."), said  # fmt: skip
    reports = [p.read_text(encoding="utf-8") for p in (home / "issues").rglob("*.md")]
    for text in [output, *reports, log_of(home)]:
        no_address(text)


def test_the_summary_names_every_service_that_went_offline(acoustid, tmp_path):
    """MusicBrainz unreachable for the first artist, AcoustID for the second: the summary
    (and `sessions show`) named MusicBrainz alone, as if AcoustID had answered."""
    library, home = tmp_path / "Music", tmp_path / "home"
    tagged(library, "Alpha")  # MusicBrainz asked, and unreachable
    untagged(library, "Bravo", tmp_path)  # AcoustID asked, and unreachable
    acoustid.fail(503, times=None)
    done = run(home, library, "--json", musicbrainz=closed_port(), acoustid=acoustid.url)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    summary = json.loads(done.stdout)["summary"]
    assert summary["offline"] == [
        {"service": "MusicBrainz", "reason": "Connection refused", "refused": False},
        {"service": "AcoustID", "reason": "HTTP 503 Service Unavailable, also after retrying: "
                                          "error 13, service currently unavailable, try again "
                                          "later", "refused": False},
    ], summary
    assert summary["went_offline"] == "MusicBrainz"  # the first, as scripts read it before
    for service in ("MusicBrainz", "AcoustID"):  # the closing lines: each once
        assert done.stderr.count(f"{service} unreachable: ran offline") == 1, done.stderr
    (session,) = json.loads(sessions(home, "list", "--json"))
    shown = sessions(home, "show", session["id"])
    said = [line for line in shown.splitlines() if line.startswith("went offline")]
    assert [line.partition(";")[0] for line in said] == [
        "went offline: MusicBrainz unreachable (Connection refused)",
        "went offline: AcoustID unreachable (HTTP 503 Service Unavailable, also after retrying: "
        "error 13, service currently unavailable, try again later)",
    ], shown
    assert json.loads(sessions(home, "show", session["id"], "--json"))["summary"] == summary


def sessions(home: Path, *args: str) -> str:
    command = [sys.executable, "-m", "mediakeeper", "sessions", args[0], "--home", str(home),
               *args[1:]]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_refusal_in_the_summary_names_the_setting_to_mend(musicbrainz, tmp_path):
    """A service that refused this client is listed with what it said and the setting."""
    library, home = tmp_path / "Music", tmp_path / "home"
    tagged(library, ARTIST)
    musicbrainz.fail(403, times=None)
    done = run(home, library, "--json", musicbrainz=musicbrainz.url)
    assert done.returncode == 1, done.stdout + done.stderr
    [offline] = json.loads(done.stdout)["summary"]["offline"]
    assert (offline["service"], offline["refused"]) == ("MusicBrainz", True), offline
    assert offline["reason"].startswith("MusicBrainz refused this client (HTTP 403 Forbidden); ")
    assert "set [musicbrainz] contact" in offline["reason"], offline
    [line] = [line for line in log_of(home).splitlines() if "REFUSED" in line]
    assert "set [musicbrainz] contact" in line and ARTIST not in line, line
    no_address(line)


def test_a_movie_batch_says_tmdb_unreachable_without_the_search(tmp_path):
    """TMDb's search address holds the movie's title (and the key's place): the log said
    it whole."""
    library, home = tmp_path / "Movies", tmp_path / "home"
    (library / "Solaris (1972)").mkdir(parents=True)
    (library / "Solaris (1972)" / "Solaris.mkv").write_bytes(b"not really a video")
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("TMDB_API_KEY", "MEDIAKEEPER_TMDB_API_KEY")}  # fmt: skip
    environment.update(TMDB_API_KEY="0123456789abcdef0123456789abcdef",
                       MEDIAKEEPER_TMDB_URL=closed_port(), MEDIAKEEPER_TMDB_RETRIES="0",
                       MEDIAKEEPER_TMDB_RATE_LIMIT="0")  # fmt: skip
    command = [sys.executable, "utilities/process_movie_batch.py", "--home", str(home),
               "--library", str(library), "--workers", "1", "--json"]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    (log,) = (home / "status/movies/session_logs").glob("*.log")
    [line] = [line for line in log.read_text(encoding="utf-8").splitlines()
              if "WENT OFFLINE" in line]  # fmt: skip
    assert "WENT OFFLINE: TMDb unreachable (Connection refused); " in line, line
    no_address(line)
    assert "Solaris" not in line
    summary = json.loads(done.stdout)["summary"]
    assert summary["offline"] == [
        {"service": "TMDb", "reason": "Connection refused", "refused": False}], summary
