"""lookup/http.py: the one session factory, against a real HTTP server on 127.0.0.1.

Spacing claims are read from the times the server recorded (the issue asks for them);
nothing here times the client itself.
"""

from __future__ import annotations

import base64
import gzip
import http.server
import itertools
import json
import socket
import socketserver
import sqlite3
import subprocess
import sys
import threading
import uuid

import pytest
import requests

from mediakeeper import __version__
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.lookup.http import CacheRebuiltWarning, LookupFailed, check_http_url, user_agent
from mediakeeper.lookup.images import IMAGE_SUFFIXES, image_suffix
from tests.helpers import wait_until

RATE = 5.0  # requests per second in spacing tests: 0.2 s apart
# The server stamps arrivals in its own thread: on a loaded machine a stalled thread stamps one
# late by 100 ms and more, which shortens the gap before it. So a paced run is checked by its
# span (the stamps' jitter does not add up) and by a floor that only a burst goes under.
MIN_GAP = 0.15 / RATE


def span(records) -> float:
    times = [r.received for r in records]
    return max(times) - min(times)


def assert_paced(records) -> None:
    # 0.3 s: the first or last stamp late on a loaded machine (two test workers, ffmpeg);
    # a burst, or two paces side by side (the control below), falls short by far more.
    assert span(records) >= (len(records) - 1) / RATE - 0.3
    # A stamp made late shortens the gap after it by as much as it lengthens the one before:
    # a short gap is a late stamp where the two together still make two paces; a burst (a
    # bucket lets its first requests through together) has no long gap before it.
    found = gaps(records)
    assert found[0] >= MIN_GAP, found
    for before, gap in itertools.pairwise(found):
        assert gap >= MIN_GAP or before + gap >= 2 / RATE - 0.1, found


def gaps(records) -> list[float]:
    times = sorted(r.received for r in records)
    return [b - a for a, b in itertools.pairwise(times)]


def search_url(server) -> str:
    return f"{server.url}/ws/2/artist"


def query(text: str) -> dict[str, str]:
    return {"query": f'artist:"{text}"', "limit": "10"}


# -- User-Agent and timeout -----------------------------------------------------------------


def test_user_agent_names_the_version_and_the_contact():
    assert user_agent("me@example.com") == f"mediakeeper/{__version__} ( me@example.com )"


def test_user_agent_without_contact_says_how_to_set_one():
    agent = user_agent("  ")
    assert agent.startswith(f"mediakeeper/{__version__} ( ") and agent.endswith(" )")
    assert "set [musicbrainz] contact" in agent


def test_user_agent_keeps_the_header_valid():
    agent = user_agent("Jörg (music) <jörg@example.com>\r\nX-Evil: 1")
    assert agent == f"mediakeeper/{__version__} ( Jorg music <jorg@example.com> X-Evil: 1 )"
    agent.encode("ascii")


def test_every_request_carries_the_user_agent(fake_musicbrainz, lookup_session):
    session = lookup_session(user_agent=user_agent("ops@example.org"))
    session.get(search_url(fake_musicbrainz), query("Björk"))
    (record,) = fake_musicbrainz.requests
    assert record.headers["User-Agent"] == f"mediakeeper/{__version__} ( ops@example.org )"


def test_a_request_without_a_timeout_still_gets_one(fake_musicbrainz, lookup_session):
    session = lookup_session(timeout=0.3, retries=0)
    fake_musicbrainz.delay(5, times=None)
    # The raw requests session, called the way a careless caller would: no timeout argument.
    with pytest.raises(requests.RequestException, match="Read timed out"):
        session.http.get(search_url(fake_musicbrainz), params=query("x"))


def test_a_timeout_is_a_network_failure(fake_musicbrainz, lookup_session):
    session = lookup_session(timeout=0.3, retries=1)
    fake_musicbrainz.delay(5, times=None)
    with pytest.raises(LookupFailed) as caught:
        session.get(search_url(fake_musicbrainz), query("x"))
    assert caught.value.network is True
    assert "within 0.3 s" in str(caught.value)
    assert caught.value.why == "no answer within 0.3 s"  # what --enrich says: no address
    assert isinstance(caught.value, MediakeeperError)
    # The server notes a request once its thread has read it: on a loaded machine that may
    # come after the client has given up on it.
    assert wait_until(lambda: len(fake_musicbrainz.requests) >= 2), fake_musicbrainz.requests
    assert len(fake_musicbrainz.requests) == 2  # one read retry, then it gives up


# -- the whole answer's time and size --------------------------------------------------------

ONE_GET = r"""
import json, resource, sys
from pathlib import Path
from mediakeeper.lookup.http import LookupFailed, LookupSession

url, cache, timeout = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
# An answer read without a limit fails here, as a MemoryError, not by filling the machine.
resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, resource.RLIM_INFINITY))
session = LookupSession("musicbrainz", cache_path=cache, rate_limit=0, timeout=timeout,
                        retries=2, user_agent="test", limiter_path=None, backoff=0.05)
try:
    response = session.get(url, {"query": 'artist:"Björk"'})
    print(json.dumps({"bytes": len(response.content), "cached": response.from_cache}))
except LookupFailed as err:
    print(json.dumps({"error": str(err), "network": err.network, "address": err.address}))
"""


def one_get(url: str, tmp_path, child_env, timeout: float = 5) -> dict:
    """One ``LookupSession.get`` in a child process (memory-limited); what came of it. The
    child's time limit guards against a request that never ends; it is no speed claim."""
    cache = tmp_path / "cache" / "musicbrainz.sqlite"
    try:
        done = subprocess.run(
            [sys.executable, "-c", ONE_GET, url, str(cache), str(timeout)],
            env=child_env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("the request was still running after 60 s")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_trickling_answer_ends_at_the_timeout(fake_musicbrainz, tmp_path, child_env):
    """One byte every 0.5 s never trips a 2 s timeout per read: the answer as a whole must
    arrive within it. It is tried again once, as a late first byte is, then fails like one."""
    fake_musicbrainz.trickle(0.5, times=None)
    got = one_get(search_url(fake_musicbrainz), tmp_path, child_env, timeout=2)
    assert got["network"] is True
    assert got["error"] == "musicbrainz unreachable (the answer did not arrive within 2 s)"
    assert got["address"] == f'{search_url(fake_musicbrainz)}?query=artist:"Björk"'
    assert len(fake_musicbrainz.requests) == 2
    fake_musicbrainz.clear_faults()  # nothing of the cut answers was kept
    assert one_get(search_url(fake_musicbrainz), tmp_path, child_env)["cached"] is False
    assert one_get(search_url(fake_musicbrainz), tmp_path, child_env)["cached"] is True


def test_an_answer_trickling_from_its_first_byte_ends_at_the_timeout(
    fake_musicbrainz, tmp_path, child_env
):
    fake_musicbrainz.trickle(0.5, whole=True, times=None)
    got = one_get(search_url(fake_musicbrainz), tmp_path, child_env, timeout=2)
    assert got["network"] is True
    assert got["error"] == "musicbrainz unreachable (no answer within 2 s)"
    assert len(fake_musicbrainz.requests) == 2  # one read retry, as for a silent server


def test_an_abandoned_attempt_ends_with_its_late_headers_and_sends_nothing(
    fake_musicbrainz, lookup_session
):
    """What differs from a cut socket (docs/architecture.md, Lookups): the headers of an
    attempt given up at the deadline are still read on its own thread (urllib3 publishes no
    way to cut them short), which ends when they have come, closing the answer unread."""
    session = lookup_session(timeout=0.5, retries=1)
    fake_musicbrainz.trickle(0.01, whole=True, times=2)  # headers in about 2 s: past 0.5 s
    with pytest.raises(LookupFailed, match=r"unreachable \(no answer within 0\.5 s\)"):
        session.get(search_url(fake_musicbrainz), query("x"))
    reading = [t for t in threading.enumerate() if t.name == "lookup"]
    assert reading  # still reading the late headers after the caller was told
    assert wait_until(lambda: not any(t.is_alive() for t in reading))
    assert len(fake_musicbrainz.requests) == 2  # the attempt and its one retry, no more
    assert session.get(search_url(fake_musicbrainz), query("x")).status_code == 200


def test_a_slow_answer_within_the_timeout_is_whole_and_cached(fake_musicbrainz, lookup_session):
    session = lookup_session(timeout=20)
    whole = session.get(search_url(fake_musicbrainz), query("Björk")).content
    session.discard(session.get(search_url(fake_musicbrainz), query("Björk")))
    fake_musicbrainz.trickle(0.001)
    slow = session.get(search_url(fake_musicbrainz), query("Björk"))
    assert slow.content == whole and not slow.from_cache
    assert session.get(search_url(fake_musicbrainz), query("Björk")).content == whole
    assert session.cache_hits == 2


class GzipHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a gzip-encoded body, as MusicBrainz does."""

    body = b"<metadata>" + b"x" * 100_000 + b"</metadata>"

    def do_GET(self):
        packed = gzip.compress(self.body)
        self.send_response(200)
        for name, value in (("Content-Type", "application/xml"), ("Content-Encoding", "gzip"),
                            ("Content-Length", str(len(packed)))):  # fmt: skip
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(packed)

    def log_message(self, *args):
        pass


def test_an_encoded_answer_is_handed_on_and_cached_decoded(lookup_session):
    """The adapter reads the body itself: what requests and the cache get is the decoded
    body, with headers that say so (no Content-Encoding, its true length)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), GzipHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/ws/2/artist"
        for cached in (False, True):
            response = lookup_session().get(url)
            assert (response.from_cache, response.content) == (cached, GzipHandler.body)
            assert "Content-Encoding" not in response.headers
            assert response.headers["Content-Length"] == str(len(GzipHandler.body))
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("kind", "most"), [("application/xml", 8), ("image/jpeg", 64)])
def test_an_endless_answer_is_cut_at_the_size_limit(
    fake_musicbrainz, tmp_path, child_env, kind, most
):
    fake_musicbrainz.endless(kind, times=None)
    got = one_get(search_url(fake_musicbrainz), tmp_path, child_env)
    assert got["error"] == f"musicbrainz answered with more than {most} MB"
    assert got["address"].startswith(search_url(fake_musicbrainz))
    assert got["network"] is False  # the service answered: trying again brings the same
    assert len(fake_musicbrainz.requests) == 1
    fake_musicbrainz.clear_faults()
    assert one_get(search_url(fake_musicbrainz), tmp_path, child_env)["cached"] is False


# -- retries ---------------------------------------------------------------------------------


def test_503_then_success_is_retried(fake_musicbrainz, lookup_session):
    session = lookup_session(retries=3)
    fake_musicbrainz.fail(503, times=2)
    response = session.get(search_url(fake_musicbrainz), query("Björk"))
    assert response.status_code == 200
    assert [r.status for r in fake_musicbrainz.requests] == [503, 503, 200]
    assert (session.requests_sent, session.retries_made, session.cache_hits) == (1, 2, 0)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_a_status_that_never_clears_is_a_network_failure(fake_musicbrainz, lookup_session, status):
    session = lookup_session(retries=2)
    fake_musicbrainz.fail(status, times=None)
    with pytest.raises(LookupFailed) as caught:
        session.get(search_url(fake_musicbrainz), query("x"))
    assert caught.value.network is True
    assert caught.value.status == status
    assert f"HTTP {status}" in str(caught.value)
    assert caught.value.why.startswith(f"HTTP {status} ") and "http" not in caught.value.why
    assert caught.value.why.endswith(", also after retrying")
    assert len(fake_musicbrainz.requests) == 3  # the request and two retries


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(fake_musicbrainz, lookup_session, status):
    session = lookup_session(retries=2, backoff=0.01)
    fake_musicbrainz.fail(status, times=1, retry_after=1)
    session.get(search_url(fake_musicbrainz), query("x"))
    assert [r.status for r in fake_musicbrainz.requests] == [status, 200]
    assert gaps(fake_musicbrainz.requests)[0] >= 0.95


def test_backoff_is_real_and_grows(fake_musicbrainz, lookup_session):
    session = lookup_session(retries=3, backoff=0.2)
    fake_musicbrainz.fail(500, times=2)
    session.get(search_url(fake_musicbrainz), query("x"))
    first, second = gaps(fake_musicbrainz.requests)
    assert first >= 0.2 * 0.9 and second >= 0.4 * 0.9


def test_retries_wait_for_the_rate_limit_too(fake_musicbrainz, lookup_session):
    session = lookup_session(retries=3, backoff=0.0, rate_limit=RATE)
    fake_musicbrainz.fail(503, times=2)
    session.get(search_url(fake_musicbrainz), query("x"))
    assert len(fake_musicbrainz.requests) == 3
    assert_paced(fake_musicbrainz.requests)


@pytest.mark.parametrize("status", [400, 404])
def test_a_refusal_is_not_a_network_failure_and_is_not_retried(
    fake_musicbrainz, lookup_session, status
):
    session = lookup_session(retries=3)
    fake_musicbrainz.fail(status, times=None)
    with pytest.raises(LookupFailed) as caught:
        session.get(f"{fake_musicbrainz.url}/ws/2/artist/{uuid.uuid4()}", {"inc": "aliases"})
    assert (caught.value.network, caught.value.status) == (False, status)
    assert len(fake_musicbrainz.requests) == 1


def test_a_refused_connection_is_a_network_failure(lookup_session):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nobody listens there
    session = lookup_session(retries=1, backoff=0.01, secret_params=("api_key",))
    with pytest.raises(LookupFailed) as caught:
        session.get(f"http://127.0.0.1:{port}/ws/2/artist", {"query": "x", "api_key": "SECRET123"})
    assert caught.value.network is True
    assert "Connection refused" in str(caught.value)
    assert caught.value.why == "Connection refused"
    # The address is the debug log's alone, its secret redacted there too.
    assert str(caught.value) == "musicbrainz unreachable (Connection refused)"
    assert caught.value.address == f"http://127.0.0.1:{port}/ws/2/artist?query=x&api_key=REDACTED"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_failures_address_goes_to_the_debug_log_alone(lookup_session, caplog):
    """What a person reads names the service and why; the request's address, which holds
    their query, is for whoever debugs, its secrets redacted there too."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = lookup_session(retries=0, secret_params=("api_key",), name="MusicBrainz")
    with caplog.at_level("DEBUG", logger="mediakeeper.lookup.http"), pytest.raises(
        LookupFailed
    ) as caught:
        session.get(f"http://127.0.0.1:{port}/ws/2/artist", {"query": "Zebra", "api_key": "S3"})
    assert str(caught.value) == "MusicBrainz unreachable (Connection refused)"
    [logged] = [r.getMessage() for r in caplog.records if r.name == "mediakeeper.lookup.http"]
    assert logged == (f"MusicBrainz: http://127.0.0.1:{port}/ws/2/artist?query=Zebra"
                      "&api_key=REDACTED: Connection refused")  # fmt: skip


# -- the cache ---------------------------------------------------------------------------------


def test_a_second_run_sends_nothing(fake_musicbrainz, lookup_session):
    first = lookup_session()
    for name in ("Björk", "Sigur Rós", "Nobody"):
        first.get(search_url(fake_musicbrainz), query(name))
    first.close()
    assert (first.requests_sent, first.cache_hits) == (3, 0)

    second = lookup_session()  # a new session on the same file: the next run, or process
    for name in ("Björk", "Sigur Rós", "Nobody"):
        response = second.get(search_url(fake_musicbrainz), query(name))
        assert response.from_cache
    assert (second.requests_sent, second.cache_hits) == (0, 3)
    assert len(fake_musicbrainz.requests) == 3


def test_cache_hits_spend_no_rate_budget(fake_musicbrainz, lookup_session, tmp_path):
    session = lookup_session(rate_limit=1.0)
    for _ in range(10):
        session.get(search_url(fake_musicbrainz), query("Björk"))
    assert (session.requests_sent, session.cache_hits) == (1, 9)
    with sqlite3.connect(tmp_path / "cache" / "ratelimit.sqlite") as con:
        (admitted,) = con.execute("SELECT COUNT(*) FROM rate_musicbrainz").fetchone()
    assert admitted == 1


def test_errors_are_not_cached(fake_musicbrainz, lookup_session):
    session = lookup_session(retries=0)
    fake_musicbrainz.fail(503, times=1)
    with pytest.raises(LookupFailed):
        session.get(search_url(fake_musicbrainz), query("x"))
    assert not session.get(search_url(fake_musicbrainz), query("x")).from_cache


def test_a_discarded_answer_is_fetched_again(fake_musicbrainz, lookup_session):
    session = lookup_session()
    session.discard(session.get(search_url(fake_musicbrainz), query("x")))
    assert not session.get(search_url(fake_musicbrainz), query("x")).from_cache
    assert session.get(search_url(fake_musicbrainz), query("x")).from_cache


def test_secrets_never_reach_the_cache_file(fake_musicbrainz, lookup_session, tmp_path):
    session = lookup_session(service="tmdb", secret_params=("api_key",))
    url = search_url(fake_musicbrainz)
    session.get(url, {"query": "VISIBLEMARKER", "api_key": "SECRET123"})
    # The key is not part of the cache key: another key finds the same entry.
    assert session.get(url, {"query": "VISIBLEMARKER", "api_key": "OTHERKEY"}).from_cache
    with pytest.raises(LookupFailed) as caught:
        session.get(f"{fake_musicbrainz.url}/nowhere", {"api_key": "SECRET123"})
    assert str(caught.value) == "tmdb answered HTTP 404 Not Found"  # no address
    assert "SECRET123" not in caught.value.address and "api_key=REDACTED" in caught.value.address

    assert fake_musicbrainz.requests[0].param("api_key") == "SECRET123"  # it was sent
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cache").glob("musicbrainz.sqlite*"))
    assert b"VISIBLEMARKER" in stored  # the files do hold the request, readably
    assert b"SECRET123" not in stored and b"OTHERKEY" not in stored
    session.close()
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cache").glob("*"))
    assert b"SECRET123" not in stored


def test_a_corrupt_cache_is_moved_aside_and_rebuilt(fake_musicbrainz, lookup_session, tmp_path):
    cache = tmp_path / "cache" / "musicbrainz.sqlite"
    cache.parent.mkdir(parents=True)
    garbage = b"this is not a database\x00\xff" * 300
    cache.write_bytes(garbage)
    with pytest.warns(CacheRebuiltWarning, match="moved it to musicbrainz.sqlite.corrupt-"):
        session = lookup_session()
    (aside,) = cache.parent.glob("musicbrainz.sqlite.corrupt-*")
    assert aside.read_bytes() == garbage
    session.get(search_url(fake_musicbrainz), query("x"))
    assert session.get(search_url(fake_musicbrainz), query("x")).from_cache


def test_a_cache_that_goes_bad_while_open_is_rebuilt(fake_musicbrainz, lookup_session, tmp_path):
    session = lookup_session()
    session.get(search_url(fake_musicbrainz), query("x"))
    session.http.cache.close()  # let the damage below be what the next read sees
    for path in (tmp_path / "cache").glob("musicbrainz.sqlite*"):
        if not path.name.endswith(".lock"):
            path.write_bytes(b"\x00garbage" * 1000)
    with pytest.warns(CacheRebuiltWarning):
        response = session.get(search_url(fake_musicbrainz), query("x"))
    assert response.status_code == 200 and not response.from_cache
    assert session.get(search_url(fake_musicbrainz), query("x")).from_cache


def test_a_corrupt_limiter_file_is_moved_aside(fake_musicbrainz, lookup_session, tmp_path):
    limiter = tmp_path / "cache" / "ratelimit.sqlite"
    limiter.parent.mkdir(parents=True)
    limiter.write_bytes(b"\xde\xad\xbe\xef" * 2000)
    with pytest.warns(CacheRebuiltWarning, match="ratelimit.sqlite"):
        session = lookup_session(rate_limit=RATE)
    session.get(search_url(fake_musicbrainz), query("x"))
    assert list(limiter.parent.glob("ratelimit.sqlite.corrupt-*"))


def test_a_limiter_file_that_goes_bad_while_open_is_rebuilt(
    fake_musicbrainz, lookup_session, tmp_path
):
    session = lookup_session(rate_limit=RATE)
    session.get(search_url(fake_musicbrainz), query("a"))
    for path in (tmp_path / "cache").glob("ratelimit.sqlite*"):
        if not path.name.endswith(".lock"):
            path.write_bytes(b"\x00garbage" * 1000)
    with pytest.warns(CacheRebuiltWarning, match="ratelimit.sqlite"):
        session.get(search_url(fake_musicbrainz), query("b"))
    session.get(search_url(fake_musicbrainz), query("c"))
    assert len(fake_musicbrainz.requests) == 3
    # The new bucket paces the requests after it (the damaged one took its log along).
    assert gaps(fake_musicbrainz.requests)[-1] >= MIN_GAP


def test_no_rate_limit_means_no_limiter(lookup_session, tmp_path):
    session = lookup_session(rate_limit=0)
    assert session.limiter is None
    assert not (tmp_path / "cache" / "ratelimit.sqlite").exists()


# -- the machine-wide rate limit -------------------------------------------------------------


def test_requests_are_spaced_at_the_configured_rate(fake_musicbrainz, lookup_session):
    session = lookup_session(rate_limit=RATE)
    for i in range(6):
        session.get(search_url(fake_musicbrainz), query(f"artist {i}"))
    assert len(fake_musicbrainz.requests) == 6
    assert_paced(fake_musicbrainz.requests)


CHILD = r"""
import json, sys
from pathlib import Path
from mediakeeper.lookup.http import LookupSession

url, cache, limiter, who = sys.argv[1:5]
session = LookupSession(
    "musicbrainz", cache_path=Path(cache), rate_limit=float(sys.argv[5]), timeout=10,
    retries=0, user_agent="test", limiter_path=Path(limiter),
)
print("ready", flush=True)
sys.stdin.readline()
for i in range(5):
    session.get(url, {"query": f'artist:"{who} {i}"'})
print(json.dumps({"sent": session.requests_sent}), flush=True)
session.close()
"""


def run_two_processes(server, tmp_path, child_env, limiters) -> None:
    """Two processes that start their five requests at the same moment."""
    cache = tmp_path / "shared.sqlite"
    procs = []
    for who, limiter in zip(("first", "second"), limiters, strict=True):
        args = [search_url(server), cache, limiter, who, RATE]
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", CHILD, *map(str, args)],
                env=child_env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for proc in procs:
            if proc.stdout.readline().strip() != "ready":
                proc.kill()
                pytest.fail(f"a child did not start:\n{proc.communicate()[1]}")
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0 and '"sent": 5' in out, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def test_two_processes_share_one_budget(fake_musicbrainz, tmp_path, child_env):
    shared = tmp_path / "ratelimit.sqlite"
    run_two_processes(fake_musicbrainz, tmp_path, child_env, [shared, shared])
    assert len(fake_musicbrainz.requests) == 10
    assert_paced(fake_musicbrainz.requests)

    # The control: with a limiter file each, both processes keep their own pace and the
    # merged requests come closer together than the limit allows.
    fake_musicbrainz.clear_requests()
    own = [tmp_path / "first.sqlite", tmp_path / "second.sqlite"]
    run_two_processes(fake_musicbrainz, tmp_path / "control", child_env, own)
    assert len(fake_musicbrainz.requests) == 10
    assert span(fake_musicbrainz.requests) < (10 - 1) / RATE - 0.4  # two paces side by side


@pytest.mark.parametrize(
    "start, suffix",
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", ".jpg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ".png"),
        (b"GIF87a\x01\x00", ".gif"),
        (b"GIF89a\x01\x00", ".gif"),
        (b"RIFF\x1a\x00\x00\x00WEBPVP8L", ".webp"),
        (b"RIFF\x1a\x00\x00\x00WAVEfmt ", None),  # a RIFF file, but sound
        (b"<!DOCTYPE html><html>", None),  # a captive portal's page
        (b"\x89PNG", None),  # cut short
        (b"", None),
    ],
)
def test_an_image_is_told_by_its_first_bytes(start, suffix):
    assert image_suffix(start) == suffix
    assert suffix is None or suffix in IMAGE_SUFFIXES  # the cover scan knows every kind


def test_a_password_in_the_service_address_is_sent_but_never_kept_nor_said(
    fake_musicbrainz, lookup_session, tmp_path
):
    """A private mirror behind a password (``[musicbrainz] url = "http://me:PASS@host"``):
    the password goes to the server, as HTTP's Basic authorization, and nowhere else: not
    into the cache file, not into a failure's message (the session log, the queue)."""
    session = lookup_session()
    host = fake_musicbrainz.url.removeprefix("http://")
    answer = session.get(f"http://me:S3cretPass@{host}/ws/2/artist", query("VISIBLEMARKER"))
    assert answer.status_code == 200
    sent = base64.b64encode(b"me:S3cretPass").decode()
    assert fake_musicbrainz.requests[0].headers["Authorization"] == f"Basic {sent}"
    session.close()
    kept = b"".join(p.read_bytes() for p in (tmp_path / "cache").glob("musicbrainz.sqlite*"))
    assert b"VISIBLEMARKER" in kept  # the answer is kept (its request too)...
    assert b"S3cretPass" not in kept and sent.encode() not in kept  # ...not the password

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens there
    with pytest.raises(LookupFailed) as caught:
        lookup_session(retries=0).get(f"http://me:S3cretPass@127.0.0.1:{port}/ws/2/artist")
    assert "S3cretPass" not in str(caught.value) and "Connection refused" in str(caught.value)


@pytest.mark.parametrize("url", ["me:S3cretPass@mirror.lan:5000", "ftp://me:S3cretPass@mirror"])
def test_a_refused_address_never_says_its_password(url):
    """A private mirror's address mistyped (its scheme forgotten, or not http): the refusal
    shows it, as typed, but for the password."""
    with pytest.raises(MediakeeperError) as caught:
        check_http_url("[musicbrainz] url", url)
    said = str(caught.value)
    assert "S3cretPass" not in said and "me:REDACTED@" in said, said
    assert "is not an http(s) address" in said


_CONNECTS: list[str] | None = None  # the databases sqlite3 opens while a test listens


def _count_connects(event: str, args: tuple) -> None:
    if event == "sqlite3.connect" and _CONNECTS is not None:
        _CONNECTS.append(str(args[0]))


def test_saving_answers_opens_no_connection_per_answer(fake_musicbrainz, lookup_session):
    """Before each saved answer the cache checks that no other program holds it in a write:
    that opened a new SQLite connection every time (about 0.5 ms, to a kept one's 0.03 ms).
    One connection, kept with the cache, does it for every answer."""
    global _CONNECTS
    session = lookup_session()
    session.get(search_url(fake_musicbrainz), query("first"))  # the cache is open
    sys.addaudithook(_count_connects)  # (a hook stays; it listens only while asked)
    _CONNECTS = []
    try:
        for n in range(10):
            session.get(search_url(fake_musicbrainz), query(f"artist {n}"))
        opened = [path for path in _CONNECTS if path.endswith("musicbrainz.sqlite")]
    finally:
        _CONNECTS = None
    assert len(fake_musicbrainz.requests) == 11
    assert len(opened) <= 1, opened


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_longer_than_a_lookup_waits_fails_at_once(
    fake_musicbrainz, lookup_session, status
):
    """A service asking to be left alone for an hour was waited 60 s a retry (the longest a
    lookup waits), each retry refused again, to fail all the same minutes later. Now the
    lookup fails at once as the network's (its artist's lookups wait for --enrich), saying
    what the service asked."""
    session = lookup_session(retries=1, backoff=0.01)
    fake_musicbrainz.fail(status, times=None, retry_after=3600)
    with pytest.raises(LookupFailed) as failed:
        session.get(search_url(fake_musicbrainz), query("x"))
    assert [r.status for r in fake_musicbrainz.requests] == [status]  # not asked again
    assert failed.value.network and failed.value.status == status
    said = f"HTTP {status} {http.HTTPStatus(status).phrase}"
    assert failed.value.message == (
        f"musicbrainz unreachable ({said}, asked to be left alone for 60 minutes)")
    assert failed.value.asked_to_wait == 3600


def test_a_short_retry_after_that_kept_failing_is_no_wish_to_be_left_alone(
    fake_musicbrainz, lookup_session
):
    """A 503 asking for a second, waited and refused again until the retries ran out, is the
    network's failure, not the service asking to be left alone: a batch said "MusicBrainz
    asked to be left alone for 1 second" of it (``asked_to_wait`` carried the short wait)."""
    session = lookup_session(retries=1, backoff=0.01)
    fake_musicbrainz.fail(503, times=None, retry_after=1)
    with pytest.raises(LookupFailed) as failed:
        session.get(search_url(fake_musicbrainz), query("x"))
    assert failed.value.network and failed.value.asked_to_wait is None
    assert "left alone" not in failed.value.message
