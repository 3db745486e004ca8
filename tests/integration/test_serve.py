"""``mediakeeper serve`` (issue 61): the API over a real home, served by a real uvicorn on a
free port and asked by real HTTP clients (requests, httpx); a CLI batch in another process
while the event stream is read; metrics parsed by prometheus-client's own parser."""

from __future__ import annotations

import json
import signal
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from mediakeeper.queue.store import QueueStore
from tests.helpers import build_library, loaded_among, wait_until
from tests.integration.serving import open_stream, own_addresses, script, serve
from tests.integration.test_alerts import FAILING, made_to_fail
from tests.integration.test_alerts import batch as alert_batch
from tests.integration.test_decisions_truth import library_spec

STATUSES = ("pending", "in_progress", "completed", "error", "skipped")


def queue_counts(home: Path) -> dict[str, int]:
    items = QueueStore(home / "status" / "music", "music").peek()["items"]
    counts = Counter(i["status"] for i in items)
    return {status: counts[status] for status in STATUSES}


@pytest.fixture(scope="module")
def served(tmp_path_factory, request):
    """The decisions library with its queue made (nothing run yet), and a server on it."""
    from tests.helpers import build_library

    root = tmp_path_factory.mktemp("serve")
    lib = build_library(root / "lib", library_spec())
    home = root / "home"
    made = script("music", "queue", "--home", home, "--init", "--library", lib)
    assert made.returncode == 0, made.stderr
    server = serve(home)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def batch_seen(served):
    """A CLI batch run in another process while ``/api/events`` is read: the events."""
    stream = open_stream(served)
    run = script("music", "batch", "--home", served.home, "--offline")
    assert run.returncode == 1, run.stdout + run.stderr  # it leaves decisions
    assert wait_until(lambda: sum(e["event"] == "completed" for e in stream.events) == 4)
    stream.close()
    return stream.events


def test_ping_and_healthz(served):
    pong = served.get("/ping")
    assert pong.status_code == 200 and pong.text == "pong"
    health = served.get("/healthz").json()
    assert health["status"] == "ok" and health["home"] == str(served.home)
    assert health["version"] and health["checks"]["queues"] == {"music": "ok"}
    assert health["checks"]["ffmpeg"]


def test_every_change_of_a_cli_batch_is_an_event(served, batch_seen):
    by_item = {}
    for event in batch_seen:
        assert {"kind", "item", "status", "session"} <= set(event["data"])
        by_item.setdefault(event["data"]["item"], []).append(event["event"])
    assert set(by_item) == {"Clean", "Metallica", "Nina Simone", "Pink Floyd"}
    for events in by_item.values():
        assert events[-1] == "completed"
    # Every item is told claimed, then done (claimed and done between two looks: both).
    for events in by_item.values():
        assert "claimed" in events and events.index("claimed") < events.index("completed")
    completed = [e for e in batch_seen if e["event"] == "completed"]
    session = completed[0]["data"]["session"]
    assert session.endswith("_music_001") and all(e["data"]["session"] == session
                                                   for e in completed)  # fmt: skip
    assert completed[-1]["data"]["percent"] == 100.0
    assert all("speed" in e["data"] for e in completed)


def test_reconnecting_with_last_event_id_resumes_without_gaps(served, batch_seen):
    middle = batch_seen[len(batch_seen) // 2]
    stream = open_stream(served, **{"Last-Event-ID": middle["id"]})
    rest = batch_seen[len(batch_seen) // 2 + 1 :]
    assert wait_until(lambda: len(stream.events) >= len(rest))
    stream.close()
    assert [e["id"] for e in stream.events[: len(rest)]] == [e["id"] for e in rest]


def test_an_id_of_another_start_gets_every_event_kept(served, batch_seen):
    stream = open_stream(served, **{"Last-Event-ID": "0-3"})
    assert wait_until(lambda: len(stream.events) >= len(batch_seen))
    stream.close()
    assert [e["id"] for e in stream.events[: len(batch_seen)]] == [e["id"] for e in batch_seen]


def test_the_event_stream_s_headers(served):
    with httpx.stream("GET", served.url + "/api/events", timeout=30) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert answer.headers["cache-control"] == "no-cache"
        assert answer.headers["x-accel-buffering"] == "no"
        assert "access-control-allow-origin" not in answer.headers


def test_queues_and_metrics_equal_the_queue_files(served, batch_seen):
    counts = queue_counts(served.home)
    shown = served.get("/api/queues").json()
    assert {s: shown["music"][s] for s in STATUSES} == counts
    metrics = {}
    for family in text_string_to_metric_families(served.get("/metrics").text):
        for sample in family.samples:
            metrics.setdefault(sample.name, []).append(sample)
    gauges = {s.labels["status"]: s.value for s in metrics["mediakeeper_queue_items"]
              if s.labels["kind"] == "music"}  # fmt: skip
    assert gauges == {s: float(n) for s, n in counts.items()}
    processed = {s.labels["outcome"]: s.value for s in metrics["mediakeeper_items_processed_total"]}
    assert processed == {"completed": 4.0}
    assert [s.value for s in metrics["mediakeeper_item_seconds_count"]] == [4.0]


def test_items_page_with_the_total(served, batch_seen):
    first = served.get("/api/queues/music/items", params={"limit": 2}).json()
    second = served.get("/api/queues/music/items", params={"limit": 2, "offset": 2}).json()
    assert first["total"] == second["total"] == 4
    names = [i["name"] for i in first["items"] + second["items"]]
    assert sorted(names) == ["Clean", "Metallica", "Nina Simone", "Pink Floyd"]
    found = served.get("/api/queues/music/items", params={"q": "pink"}).json()
    assert [i["name"] for i in found["items"]] == ["Pink Floyd"] and found["total"] == 1
    assert served.get("/api/queues/music/items", params={"status": "error"}).json()["total"] == 0
    assert served.get("/api/queues/music/items", params={"limit": "x"}).status_code == 400
    assert served.get("/api/queues/music/items", params={"status": "done"}).status_code == 400
    assert served.get("/api/queues/movies/items").status_code == 404


def test_decisions_are_decide_json_taken_and_undone(served, batch_seen):
    cli = script("decide", "--home", served.home, "--json")
    assert cli.returncode == 0, cli.stderr
    assert served.get("/api/decisions").json() == json.loads(cli.stdout)
    before = json.loads(cli.stdout)["total"]
    stream = open_stream(served)
    took = served.post("/api/decisions", {"kind": "music", "name": "Pink Floyd", "choose": 2})
    assert took.status_code == 200, took.text
    session = took.json()["session"]
    assert session.endswith("_decide")
    assert served.get("/api/decisions").json()["total"] == before - 1
    assert wait_until(lambda: any(e["event"] == "decision" for e in stream.events))
    undone = served.post("/api/undo", {"session": session})
    assert undone.status_code == 200, undone.text
    assert undone.json()["restored"] == 2
    assert served.get("/api/decisions").json()["total"] == before
    stream.close()


def test_bad_decisions_are_refused_with_a_reason(served, batch_seen):
    for body, code in [
        ({"kind": "music", "name": "Pink Floyd"}, 400),  # no choice
        ({"kind": "music", "name": "Pink Floyd", "choose": 1, "dismiss": "x"}, 400),
        ({"kind": "nope", "name": "x", "choose": 1}, 400),
        ({"kind": "music", "name": "Nobody", "choose": 1}, 404),
        ({"kind": "music", "name": "Pink Floyd", "choose": 99}, 404),
    ]:
        answer = served.post("/api/decisions", body)
        assert answer.status_code == code, (body, answer.text)
        assert answer.json()["error"]
    assert served.post("/api/undo", {}).status_code == 400
    # A session nothing journaled: nothing to undo (docs/api.md), not a bad body.
    unknown = served.post("/api/undo", {"session": "20200101T000000_decide"})
    assert unknown.status_code == 404, unknown.text
    assert "no journaled changes for session 20200101T000000_decide" in unknown.json()["error"]


def test_a_skip_answers_what_it_did_and_puts_nothing_back(tmp_path, music_library):
    """A skip answers what it did, its items not said put back to pending ("queued"); a
    whole group's answer says what it did too, and its preview every decision it closes
    and the status each item is put to."""
    home = made_to_fail(tmp_path, music_library)
    assert alert_batch(home, "").returncode == 1
    server = serve(home)
    try:
        [failed] = server.get("/api/decisions").json()["outstanding"]
        first, *rest = [d["id"] for d in failed["decisions"]]
        one = server.post("/api/decisions", {"id": first, "choose": 2})
        assert one.status_code == 200, one.text
        assert set(one.json()) == {"id", "session", "closed", "what"}
        assert one.json()["what"] == "skip"
        body = {"kind": "music", "all": True, "code": "failed", "choose": 2}
        shown = server.post("/api/decisions", {**body, "preview": True}).json()
        assert shown["closes"] == 3 and [d["id"] for d in shown["decisions"]] == rest
        assert {q["status"] for q in shown["queue"]} == {"skipped"}
        whole = server.post("/api/decisions", body)
        assert whole.status_code == 200, whole.text
        assert whole.json() == {"session": whole.json()["session"], "closed": 3, "what": "skip"}
        assert wait_until(lambda: server.get("/api/queues").json()["music"]["skipped"] == 4)
    finally:
        server.stop()


def test_an_item_failing_again_between_two_looks_is_told_claimed_and_failed(
    tmp_path, music_library
):
    """Retried and failed again by a batch between two looks of the server (a fast batch
    folds its journal before the next), an item was told nothing: no claim, no result, no
    pace, as its status was the same. Every claim and every result is told."""
    home = made_to_fail(tmp_path, music_library)
    assert alert_batch(home, "").returncode == 1
    server = serve(home)
    try:
        stream = open_stream(server)
        again = script("music", "batch", "--home", home, "--offline", "--retry-errors",
                       "--workers", "1")  # fmt: skip
        assert again.returncode == 1, again.stdout + again.stderr
        assert wait_until(lambda: sum(e["event"] == "failed" for e in stream.events) == 4)
        stream.close()
        told = [(e["data"]["item"], e["event"]) for e in stream.events
                if e["event"] in ("claimed", "failed")]  # fmt: skip
        for name in FAILING:
            assert told.index((name, "claimed")) < told.index((name, "failed")), told
        [session] = {e["data"]["session"] for e in stream.events if e["event"] == "failed"}
        assert f"{session}.log" in again.stdout  # (its session log's name)
    finally:
        server.stop()


def test_speed_is_a_batch_s_pace_and_a_person_s_skip_is_none(tmp_path, music_library):
    """Five items a batch finished, four failed moments apart, are one a minute over the
    last five minutes (docs/api.md), not the pace between the first finish and the last;
    a person's skip of the failed ones, and its undo, finish nothing."""
    home = made_to_fail(tmp_path, music_library)
    server = serve(home)

    def queue() -> dict:
        return server.get("/api/queues").json()["music"]

    try:
        assert alert_batch(home, "").returncode == 1
        assert wait_until(lambda: queue()["error"] == 4 and queue()["completed"] == 1)
        assert queue()["speed"] == 1.0
        body = {"kind": "music", "all": True, "code": "failed", "choose": 2}
        skipped = server.post("/api/decisions", body)
        assert skipped.status_code == 200, skipped.text
        assert wait_until(lambda: queue()["skipped"] == 4)
        assert queue()["speed"] == 1.0
        undone = server.post("/api/undo", {"session": skipped.json()["session"]})
        assert undone.status_code == 200, undone.text
        assert wait_until(lambda: queue()["error"] == 4)
        assert queue()["speed"] == 1.0
    finally:
        server.stop()


def test_another_site_and_another_host_are_refused(served, batch_seen):
    body = {"kind": "music", "name": "Pink Floyd", "dismiss": "inconsistent-year"}
    evil = served.post("/api/decisions", body, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    referer = served.post("/api/batches", {"kind": "music"},
                          headers={"Referer": "http://evil.example/page"})  # fmt: skip
    assert referer.status_code == 403
    rebound = served.get("/api/queues", headers={"Host": "evil.example:8000"})
    assert rebound.status_code == 421
    assert served.get("/api/queues", headers={"Host": "localhost"}).status_code == 200
    for address in own_addresses():  # bound to loopback: the interfaces are not asked
        shown = f"[{address}]" if ":" in address else address
        assert served.get("/api/queues", headers={"Host": shown}).status_code == 421
    # The decision was never taken.
    groups = served.get("/api/decisions").json()["groups"]
    assert any(g["code"] == "inconsistent-year" for g in groups)


@pytest.mark.parametrize(("host", "origin", "same"), [
    ("localhost:8443", "https://localhost:8443", True),  # nginx's $http_host: the port kept
    ("localhost", "https://localhost:8443", False),  # its $host drops the port: another site
    ("localhost:443", "https://localhost", True),  # a default port said or left out
    ("localhost:80", "http://localhost", True),
    ("localhost", "https://localhost", True),
    ("localhost:80", "https://localhost", False),  # https's default is 443
    ("localhost:443", "http://localhost", False),
    ("localhost:8443", "https://localhost:8444", False),
    ("localhost:443", "ftp://localhost", False),
])  # fmt: skip
def test_an_origin_is_the_same_site_by_name_and_port(served, host, origin, same):
    """A browser leaves a scheme's default port out of its Origin, and a proxy may write it
    into the Host (nginx's ``$host:$server_port``): the same site all the same, which used to
    be refused with 403; a port that differs is still another site."""
    for header, value in (("Origin", origin), ("Referer", origin + "/changes?page=2")):
        asked = served.post("/api/batches", {"kind": "music", "batch_size": 0},
                            headers={"Host": host, header: value})  # fmt: skip
        # Read and refused for its size (400) when the site is the same: nothing starts.
        assert asked.status_code == (400 if same else 403), (header, asked.text)


def test_batches_start_refuse_a_second_and_stop_as_ctrl_c(served, batch_seen):
    reset = script("music", "queue", "--home", served.home, "--reset-all", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    store = QueueStore(served.home / "status" / "music", "music")
    with store.locked():  # the batch starts, then waits for the queue: it stays running
        started = served.post("/api/batches", {"kind": "music", "batch_size": 2})
        assert started.status_code == 202, started.text
        session = started.json()["session"]
        sessions = script("sessions", "list", "--home", served.home, "--json")
        assert session in sessions.stdout
        again = served.post("/api/batches", {"kind": "music", "batch_size": 2})
        assert again.status_code == 409, again.text
        running = served.get("/api/batches").json()["running"]
        assert [r["session"] for r in running] == [session]
        stopped = served.post(f"/api/batches/{session}/stop")
        assert stopped.status_code == 202
    # (Waiting for the queue's lock, it stops once it has it, as it would on Ctrl+C.)
    assert wait_until(lambda: not served.get("/api/batches").json()["running"])
    listed = json.loads(script("sessions", "list", "--home", served.home, "--json").stdout)
    assert next(s for s in listed if s["id"] == session)["outcome"] == "interrupted"
    assert served.post("/api/batches/nope_music_001/stop").status_code == 404
    assert served.post("/api/batches", {"kind": "music", "batch_size": 0}).status_code == 400
    # A batch that cannot start says why in its own words (not its terminal's "Error: ").
    refused = served.post("/api/batches", {"kind": "dupes"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"].startswith("no dupes queue at "), refused.text


def test_a_token_is_needed_everywhere_but_ping(served):
    token = "tok-" + "s3cret-" + "long-enough"
    server = serve(served.home, env={"MEDIAKEEPER_SERVE_TOKEN": token})
    try:
        assert server.get("/ping").status_code == 200
        for path in ("/api/queues", "/metrics", "/healthz", "/api/events"):
            assert server.get(path).status_code == 401, path
            assert server.get(path + f"?token={token}").status_code == 401, path
        bearer = {"Authorization": f"Bearer {token}"}
        assert server.get("/api/queues", headers=bearer).status_code == 200
        assert server.get("/api/queues", headers={"Authorization": "Bearer wrong"}).status_code \
            == 401  # fmt: skip
        page = server.get("/")
        assert page.status_code == 200 and 'name="token"' in page.text  # the sign-in form
        with httpx.Client(base_url=server.url) as client:
            signed = client.post("/login", data={"token": token})
            assert signed.status_code == 303
            cookie = signed.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie
            assert client.get("/api/queues").status_code == 200  # the cookie counts
    finally:
        _, said = server.stop()
    assert token not in said


def test_an_open_bind_without_a_token_refuses_to_start(served):
    refused = script("serve", "--home", served.home, "--host", "0.0.0.0", "--port", "1")
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "token" in lines[0] and lines[0].startswith("Error: ")


def test_a_port_in_use_is_one_line_before_a_word_of_serving(served):
    """A second server on the first one's port said "Serving ... at" first, then uvicorn's
    raw ``[Errno 98]`` line, and exited 3; it now says one line with the fix, exit 2, and
    never that it serves. So too an address that is not this machine's."""
    port = served.url.rsplit(":", 1)[1]
    token = {"MEDIAKEEPER_SERVE_TOKEN": "tok-" + "s3cret-" + "long-enough"}
    for host, said in (("127.0.0.1", f"port {port} is in use on 127.0.0.1 (another server "
                                     "holds it: stop it, or choose one: --port N)"),
                       ("localhost", f"port {port} is in use on localhost"),
                       ("203.0.113.9", "203.0.113.9 is no address of this machine")):  # fmt: skip
        refused = script("serve", "--home", served.home, "--host", host, "--port", port,
                         env=token, timeout=60)  # fmt: skip
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert not refused.stdout  # no "Serving ..." said before it
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {said}"), lines
    assert served.get("/ping").status_code == 200  # the first one serves on


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_a_stop_ends_the_server_and_its_open_streams_cleanly_within_seconds(served, stop):
    """An open event stream neither holds the server up nor is cut mid-response: it ends as a
    finished response (its last chunk sent, which a reader cut off would raise for), and the
    server says nothing but that it stopped (uvicorn's "ASGI callable returned without
    completing response" was an error line on every Ctrl+C with a page open)."""
    server = serve(served.home)
    response = requests.get(server.url + "/api/events", stream=True, timeout=30)
    chunks = response.iter_content(chunk_size=None)
    assert next(chunks).startswith(b": mediakeeper events")  # the stream began
    server.process.send_signal(stop)
    read: list[bytes | Exception] = []

    def rest() -> None:
        try:
            read.extend(chunks)
        except requests.RequestException as cut:
            read.append(cut)

    reader = threading.Thread(target=rest, daemon=True)
    reader.start()
    server.process.wait(timeout=10)
    reader.join(10)
    response.close()
    _, said = server.stop()
    assert not reader.is_alive(), "the stream was left open after the server stopped"
    assert not [r for r in read if isinstance(r, Exception)], read
    assert "ERROR" not in said and "Traceback" not in said, said


# Every face's imports (a batch pays for the tags read and the findings listed, not for these):
# the web app and its server, the watcher, the alerts' Apprise, the cluster's Dask, and
# pydantic's model layer (the settings are checked by pydantic-core alone); and Jinja, which
# a dry run with nothing to render does not need.
FACES = ("starlette", "uvicorn", "sse_starlette", "prometheus_client", "watchfiles", "apprise",
         "dask", "distributed", "pydantic", "jinja2")  # fmt: skip
# And what a music batch does not run, each with the modules below it: another kind's (every
# kind's package is imported for its record, its kind.py, alone), the decisions engine, the
# cluster's module (music sends no heavy step to one), and the web lookups' clients and their
# records (a dry run asks nothing).
NOT_RUN = ("mediakeeper.movies", "mediakeeper.verify", "mediakeeper.dupes",
           "mediakeeper.conversions", "mediakeeper.audiobooks", "mediakeeper.pipelines",
           "mediakeeper.decisions", "mediakeeper.batch.cluster", "mediakeeper.lookup.http",
           "mediakeeper.lookup.clients", "mediakeeper.lookup.musicbrainz",
           "mediakeeper.lookup.acoustid", "mediakeeper.lookup.acoustid_types",
           "mediakeeper.lookup.answers")  # fmt: skip


def test_serve_loads_no_face_module_into_a_batch(tmp_path):
    """A real batch script over a home with settings of every section a face reads (so each
    value is checked) imports none of the faces' libraries or modules, nor what a music batch
    does not run."""
    library = tmp_path / "library"
    library.mkdir()
    (tmp_path / "status").mkdir()
    (tmp_path / "mediakeeper.toml").write_text(
        f'[music]\nlibrary = "{library}"\n[serve]\nport = 8123\n'
        '[alerts]\napprise = ["ntfy://example.invalid/topic"]\nthreshold = 3\n'
        "[watch]\nsettle_seconds = 5.0\n"
    )
    said, loaded = loaded_among(
        "process_music_batch.py", (*FACES, "mediakeeper.web", "mediakeeper.watch", *NOT_RUN),
        "--home", tmp_path, "--batch-size", "1", "--dry-run",
    )  # fmt: skip
    assert "dry run" in said
    assert loaded == []


def test_healthz_names_a_queue_it_cannot_read(tmp_path):
    home = tmp_path / "home"
    (home / "status" / "movies").mkdir(parents=True)
    (home / "status" / "movies" / "processing_queue.json").write_text("{ not json")
    server = serve(home)
    try:
        health = server.get("/healthz")
        assert health.status_code == 503
        body = health.json()
        assert body["status"] == "failing"
        assert [f for f in body["failing"] if f.startswith("queue movies:")]
        assert server.get("/ping").text == "pong"
    finally:
        server.stop()


def test_a_queue_made_unreadable_is_said_so_with_its_mend_by_every_endpoint(tmp_path):
    """A queue file damaged while served: /api/queues still counts it as last read, and
    says why it cannot be read and how to restore it, as its items' 503 and /healthz say
    it; once mended, no problem."""
    home = tmp_path / "home"
    lib = build_library(tmp_path / "lib", library_spec())
    assert script("music", "queue", "--home", home, "--init", "--library", lib).returncode == 0
    server = serve(home)
    try:
        assert server.get("/api/queues").json()["music"]["problem"] is None
        queue = home / "status" / "music" / "processing_queue.json"
        good = queue.read_bytes()
        queue.write_text("{ not json")
        shown = server.get("/api/queues").json()["music"]
        assert shown["pending"] == 4  # as last read
        assert "is not valid JSON" in shown["problem"] and "--init --force" in shown["problem"]
        items = server.get("/api/queues/music/items")
        assert items.status_code == 503 and items.json()["error"] == shown["problem"]
        assert server.get("/healthz").json()["checks"]["queues"]["music"] == shown["problem"]
        queue.write_bytes(good)
        assert server.get("/api/queues").json()["music"]["problem"] is None
    finally:
        server.stop()


def test_healthz_says_whether_a_watcher_runs_and_what_it_watches(tmp_path, watching):
    """Issue 62: serve shows whether a watcher is running (who holds the home) and what it
    watches; once the watcher is stopped, that it no longer runs."""
    from tests.integration.watching import home_for, library

    music = library(tmp_path / "Music", "Artist A")
    home = home_for(tmp_path, music=music)
    server = serve(home)
    try:
        assert server.get("/healthz").json()["checks"]["watcher"]["running"] is False
        watcher = watching(home, "--kind", "music")
        assert watcher.said("Artist A")  # caught up: it queued what it found
        seen = server.get("/healthz").json()["checks"]["watcher"]
        assert seen["running"] is True and str(watcher.proc.pid) in str(seen["holder"])
        assert str(music) in json.dumps(seen)
        # What it queued, among its last lines (written within a second of saying them);
        # /api/watcher, which the page asks, tells the same.
        queued = "music: queued Artist A (new)"
        assert wait_until(lambda: queued in [r["line"] for r in server.get(
            "/healthz").json()["checks"]["watcher"].get("recent", [])])  # fmt: skip
        assert queued in [r["line"] for r in server.get("/api/watcher").json()["recent"]]
        assert watcher.stop() == 0
        assert server.get("/healthz").json()["checks"]["watcher"]["running"] is False
    finally:
        server.stop()
