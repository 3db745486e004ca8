"""``/metrics`` counts what the batches spent (issue 61): each item's web lookups by service and
by what answered (the network or the cache), and the bytes its job read and wrote. Real
batches in other processes, the MusicBrainz client against the local fake, a real ``serve``
scraped over HTTP and parsed by prometheus-client's own parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import audio_files
from tests.integration.serving import script, serve
from tests.integration.test_music_enrichment import DUMMY, album
from tests.servers.musicbrainz import FakeMusicBrainz


def scrape(server) -> dict[tuple, float]:
    """Every sample: (name, labels sorted) -> value."""
    samples = {}
    for family in text_string_to_metric_families(server.get("/metrics").text):
        for s in family.samples:
            samples[(s.name, *sorted(s.labels.items()))] = s.value
    return samples


def lookups(samples: dict, kind: str, service: str, source: str) -> float:
    key = ("mediakeeper_lookups_total", ("kind", kind), ("service", service), ("source", source))
    return samples.get(key, 0.0)


def byte_count(samples: dict, kind: str, way: str) -> float:
    return samples[(f"mediakeeper_{way}_bytes_total", ("kind", kind))]


@pytest.fixture
def fake():
    server = FakeMusicBrainz().start()
    yield server
    server.stop()


def music_batch(fake: FakeMusicBrainz, home: Path, library: Path, *args: str):
    env = {"MEDIAKEEPER_MUSIC_LOOKUPS": "true", "MEDIAKEEPER_MUSICBRAINZ_URL": fake.url,
           "MEDIAKEEPER_MUSICBRAINZ_COVERART_URL": fake.url,
           "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "0"}  # fmt: skip
    return script("music", "batch", "--home", home, "--library", library, "--batch-size",
                  "10", *args, env=env)  # fmt: skip


def test_lookups_by_service_and_cache_and_the_bytes_of_a_batch(fake, tmp_path):
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")  # its year filled in: a write
    album(library, "Unknown Band", "2001 - Album", "Album", n=1)  # searched, not found
    (home / "status").mkdir(parents=True)
    server = serve(home)  # running before the batch, as it would be
    try:
        first = music_batch(fake, home, library)
        assert first.returncode == 0, first.stdout + first.stderr
        sent = len(fake.requests)
        assert sent == 3  # Portishead's search and browse, Unknown Band's search
        assert f"lookups: {sent} requests sent" in first.stdout
        samples = scrape(server)
        assert lookups(samples, "music", "musicbrainz", "network") == sent
        assert lookups(samples, "music", "musicbrainz", "cache") == 0
        # What the jobs wrote: the artists' pages and reports at least (their tags besides).
        pages = [p for d in ("outputs/music", "issues/music") for p in (home / d).rglob("*")
                 if p.is_file()]  # fmt: skip
        assert pages and byte_count(samples, "music", "written") >= sum(
            p.stat().st_size for p in pages)  # fmt: skip
        assert byte_count(samples, "music", "read") > 0

        # Again: the ids are in the tags now, the browse is answered by the cache.
        fake.clear_requests()
        again = music_batch(fake, home, library, "--artist", "Portishead")
        assert again.returncode == 0, again.stdout + again.stderr
        assert fake.requests == []
        samples = scrape(server)
        assert lookups(samples, "music", "musicbrainz", "network") == sent
        assert lookups(samples, "music", "musicbrainz", "cache") == 1

        # A verify batch decodes every file in full, in programs of its own (flac, ffmpeg):
        # their reads count as the job's.
        before = scrape(server).get(("mediakeeper_read_bytes_total", ("kind", "verify")), 0)
        checked = script("verify", "batch", "--home", home, "--library", library)
        assert checked.returncode == 0, checked.stdout + checked.stderr  # every file whole
        samples = scrape(server)
        audio = sum(p.stat().st_size for p in audio_files(library))
        assert byte_count(samples, "verify", "read") - before >= audio
        assert not [k for k in samples if k[0] == "mediakeeper_lookups_total"
                    and ("kind", "verify") in k]  # fmt: skip
    finally:
        server.stop()
