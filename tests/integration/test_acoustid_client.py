"""The AcoustID client (lookup/acoustid.py) against the fake AcoustID on 127.0.0.1: real JSON
over real HTTP through the real cached, rate-limited session, with fingerprints the bundled
ffmpeg's chromaprint muxer computes from audio ffmpeg generates."""

from __future__ import annotations

import sqlite3

import imageio_ffmpeg
import pytest

from mediakeeper.core.config import load_settings
from mediakeeper.core.errors import ConfigError
from mediakeeper.demo import sound as synth
from mediakeeper.lookup.acoustid import AcoustID, acoustid_from_settings
from mediakeeper.lookup.acoustid_types import KeyMissing, KeyRefused
from mediakeeper.lookup.fingerprint_cache import FingerprintCache
from mediakeeper.lookup.http import LookupFailed
from mediakeeper.media import chromaprint
from tests.servers.acoustid import API_KEY, FakeAcoustID, match, recording, release_group

BUNDLED = imageio_ffmpeg.get_ffmpeg_exe()
DSOTM = release_group("The Dark Side of the Moon", "Pink Floyd")


@pytest.fixture(scope="module")
def prints(tmp_path_factory):
    """Two 20-second noises and their fingerprints, as the bundled ffmpeg makes them."""
    folder = tmp_path_factory.mktemp("audio")
    made = {}
    for seed in (1, 2):
        path = synth.noise(BUNDLED, folder / f"noise{seed}.flac", 20, seed=seed)
        made[seed] = (path, chromaprint.fingerprint(BUNDLED, path))
    return made


@pytest.fixture
def fake():
    with FakeAcoustID() as server:
        yield server


@pytest.fixture
def acoustid(fake, lookup_session):
    def build(key: str = API_KEY, **options) -> AcoustID:
        session = lookup_session(service="acoustid", secret_params=("client",), **options)
        return AcoustID(session, fake.url, key)

    return build


def test_the_bundled_ffmpeg_has_the_chromaprint_muxer():
    assert chromaprint.has_muxer(BUNDLED)
    assert chromaprint.fingerprinter(BUNDLED) == BUNDLED


def test_a_fingerprint_and_the_decoded_duration(prints):
    (_, first), (_, second) = prints[1], prints[2]
    assert first.duration == pytest.approx(20, abs=0.05)
    assert first.fingerprint.startswith("AQAA") and not first.too_short  # algorithm 2, base64
    assert chromaprint.points(first.fingerprint) > 100  # about 8 a second
    assert first.fingerprint != second.fingerprint


def test_a_few_seconds_are_too_short_to_look_up(tmp_path):
    path = synth.tone(BUNDLED, tmp_path / "short.flac", 3)
    assert chromaprint.fingerprint(BUNDLED, path).too_short


def test_a_file_that_does_not_decode_fails_with_ffmpegs_words(tmp_path):
    path = tmp_path / "broken.flac"
    path.write_bytes(b"fLaC" + b"\0" * 100)
    with pytest.raises(chromaprint.FingerprintFailed) as caught:
        chromaprint.fingerprint(BUNDLED, path)
    assert str(caught.value)


def test_a_match_with_its_recordings_and_release_groups(fake, acoustid, prints):
    _, fp = prints[1]
    money = recording("Money", "Pink Floyd", 20, DSOTM)
    fake.add_track(fp.fingerprint, 20, [match(0.97, money)])
    (found,) = acoustid().lookup(fp.fingerprint, fp.duration)
    assert found.score == 0.97
    (rec,) = found.recordings
    assert (rec.id, rec.title, rec.artist, rec.duration) == (money["id"], "Money", "Pink Floyd", 20)
    (group,) = rec.release_groups
    assert (group.id, group.title, group.type, group.artist) == (
        DSOTM["id"], "The Dark Side of the Moon", "Album", "Pink Floyd")  # fmt: skip
    (sent,) = fake.requests
    assert sent.path == "/v2/lookup"
    assert sent.param("meta") == "recordings releasegroups"
    assert sent.param("duration") == "20" and sent.param("client") == API_KEY


def test_several_results_come_best_first(fake, acoustid, prints):
    _, fp = prints[1]
    fake.add_track(fp.fingerprint, 20, [
        match(0.61, recording("Money (live)", "Pink Floyd", 21)),
        match(0.93, recording("Money", "Pink Floyd", 20, DSOTM)),
        match(0.80),  # an AcoustID track linked to no recording yet
    ])  # fmt: skip
    found = acoustid().lookup(fp.fingerprint, fp.duration)
    assert [m.score for m in found] == [0.93, 0.80, 0.61]
    assert found[1].recordings == ()


def test_an_unknown_fingerprint_is_an_empty_list(fake, acoustid, prints):
    _, fp = prints[2]
    assert acoustid().lookup(fp.fingerprint, fp.duration) == []


def test_a_repeated_lookup_is_answered_from_the_cache(fake, acoustid, prints):
    _, fp = prints[1]
    fake.add_track(fp.fingerprint, 20, [match(0.9, recording("Money", "Pink Floyd", 20))])
    client = acoustid()
    first = client.lookup(fp.fingerprint, fp.duration)
    again = acoustid().lookup(fp.fingerprint, fp.duration)  # another session, one cache file
    assert first == again and len(fake.requests) == 1
    assert client.session.counters() == {"lookups": 1, "cache_hits": 0}


def test_a_refused_key_is_key_refused_in_acoustids_words(fake, acoustid, prints):
    _, fp = prints[1]
    with pytest.raises(KeyRefused) as caught:
        acoustid(key="wrong").lookup(fp.fingerprint, fp.duration)
    assert "invalid API key" in caught.value.message and not caught.value.network
    assert "wrong" not in caught.value.message


def test_an_invalid_fingerprint_is_refused_in_acoustids_words(fake, acoustid):
    with pytest.raises(LookupFailed) as caught:
        acoustid().lookup("!!!", 20)
    assert caught.value.message == (
        "AcoustID answered HTTP 400 Bad Request: error 3, invalid fingerprint")
    assert not caught.value.network and API_KEY not in caught.value.address
    assert "client=REDACTED" in caught.value.address  # for the debug log alone


def test_the_rate_limit_answer_is_retried(fake, acoustid, prints):
    _, fp = prints[1]
    fake.add_track(fp.fingerprint, 20, [match(0.9, recording("Money", "Pink Floyd", 20))])
    fake.fail(429, times=1)
    (found,) = acoustid().lookup(fp.fingerprint, fp.duration)
    assert found.score == 0.9
    assert [r.status for r in fake.requests] == [429, 200]


def test_the_rate_limit_every_time_is_a_network_failure(fake, acoustid, prints):
    _, fp = prints[1]
    fake.fail(429, times=None)
    with pytest.raises(LookupFailed) as caught:
        acoustid().lookup(fp.fingerprint, fp.duration)
    assert caught.value.network and caught.value.status == 429
    assert "rate limit (3.000000 requests per second) exceeded" in caught.value.message
    assert len(fake.requests) == 3  # the first and two retries


def test_malformed_json_is_not_kept(fake, acoustid, prints):
    _, fp = prints[1]
    fake.add_track(fp.fingerprint, 20, [match(0.9, recording("Money", "Pink Floyd", 20))])
    fake.malformed(times=1)
    with pytest.raises(LookupFailed) as caught:
        acoustid().lookup(fp.fingerprint, fp.duration)
    assert "not AcoustID's JSON" in caught.value.message and not caught.value.network
    (found,) = acoustid().lookup(fp.fingerprint, fp.duration)  # asked again, not the cache
    assert found.score == 0.9 and len(fake.requests) == 2


def test_the_key_never_reaches_the_cache_file(fake, acoustid, prints, tmp_path):
    _, fp = prints[1]
    fake.add_track(fp.fingerprint, 20, [match(0.9, recording("Money", "Pink Floyd", 20))])
    client = acoustid()
    client.lookup(fp.fingerprint, fp.duration)
    client.close()
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert API_KEY.encode() not in stored
    assert b"REDACTED" in stored  # the request was stored, its key replaced


def test_the_client_from_settings(fake, tmp_path, prints):
    _, fp = prints[1]
    fake.add_track(fp.fingerprint, 20, [match(0.9, recording("Money", "Pink Floyd", 20))])
    env = {"MEDIAKEEPER_ACOUSTID_URL": fake.url, "MEDIAKEEPER_ACOUSTID_KEY": API_KEY}
    settings = load_settings(tmp_path, environ=env)
    assert settings.get("acoustid", "rate_limit") == 3.0
    with acoustid_from_settings(settings) as client:
        assert len(client.lookup(fp.fingerprint, fp.duration)) == 1
        assert API_KEY not in repr(client)
    assert (tmp_path / "status/cache/acoustid.sqlite").exists()


def test_no_key_is_a_config_error_that_says_where_to_get_one(tmp_path):
    settings = load_settings(tmp_path, environ={})
    with pytest.raises(KeyMissing) as caught:
        acoustid_from_settings(settings)
    assert "acoustid.org/new-application" in str(caught.value.hint)
    assert isinstance(caught.value, ConfigError)


def test_fingerprints_are_kept_by_file_identity(tmp_path, prints):
    path, expected = prints[1]
    copy = tmp_path / "copy.flac"
    copy.write_bytes(path.read_bytes())
    computed = []

    def compute(p):
        computed.append(p)
        return chromaprint.fingerprint(BUNDLED, p)

    cache = FingerprintCache(tmp_path / "cache")
    assert cache.get(copy, compute) == expected
    cache.close()
    again = FingerprintCache(tmp_path / "cache")  # a later run
    assert again.get(copy, compute) == expected
    assert (len(computed), again.computed, again.reused) == (1, 0, 1)
    synth.noise(BUNDLED, copy, 20, seed=2)  # other audio in the same file: a new identity
    assert again.get(copy, compute) == prints[2][1]
    assert len(computed) == 2
    rows = sqlite3.connect(tmp_path / "cache" / "chromaprints.sqlite").execute(
        "SELECT count(*) FROM chromaprints").fetchone()  # fmt: skip
    assert rows == (2,)


def test_an_ffmpeg_without_the_muxer_gives_way_to_the_bundled_one(tmp_path):
    """A build without libchromaprint (listing no chromaprint muxer) is passed over."""
    plain = tmp_path / "ffmpeg"
    plain.write_text("#!/bin/sh\nprintf ' E  null            raw null video\\n'\n")
    plain.chmod(0o755)
    assert not chromaprint.has_muxer(str(plain))
    assert chromaprint.fingerprinter(str(plain)) == BUNDLED


def test_a_fingerprint_follows_the_toolkits_own_tag_write(tmp_path, prints):
    from mediakeeper import tags

    path, expected = prints[1]
    copy = tmp_path / "copy.flac"
    copy.write_bytes(path.read_bytes())
    cache = FingerprintCache(tmp_path / "cache")
    cache.get(copy, lambda p: chromaprint.fingerprint(BUNDLED, p))
    tags.write(copy, {"title": "Money"})  # a new file swapped in: another identity
    assert cache.follow(copy)
    assert cache.get(copy, lambda p: pytest.fail("decoded again")) == expected
    assert not cache.follow(tmp_path / "never-read.flac")
