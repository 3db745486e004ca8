"""Bodies that crash or bloat the server (issue 69, point 14): a real ``mediakeeper serve``
under uvicorn, asked by real HTTP clients (requests; a raw socket where the client must keep
sending while the server has already answered). Every state-changing endpoint reads its body
through ``web.bodies``: bounded, parsed and validated before anything is written."""

from __future__ import annotations

import hashlib
import socket
import threading
from pathlib import Path

import pytest
import requests

from tests.integration.serving import Server, script, serve
from tests.integration.test_decisions_truth import library_spec

ENDPOINTS = ("/api/decisions", "/api/undo", "/api/batches")
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """The decisions library, processed by a real batch: Pink Floyd has an open decision."""
    from tests.helpers import build_library

    root = tmp_path_factory.mktemp("bodies")
    lib = build_library(root / "lib", library_spec())
    home = root / "home"
    made = script("music", "queue", "--home", home, "--init", "--library", lib)
    assert made.returncode == 0, made.stderr
    run = script("music", "batch", "--home", home, "--offline")
    assert run.returncode == 1, run.stdout + run.stderr  # it leaves decisions
    return home


@pytest.fixture
def server(home):
    server = serve(home)
    yield server
    server.stop()


def every_file(*folders: Path) -> dict[str, str]:
    """Each file under ``folders``: its content's hash (what a write would change)."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def post_raw(server: Server, head: str, body: bytes | None, chunks: int = 0) -> tuple[int, str]:
    """POST over a raw socket: the headers, then (in a thread, as long as the server reads)
    ``body`` or ``chunks`` chunks of 64 KiB chunked; the status line and body of the answer."""
    port = int(server.url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(f"POST /api/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Content-Type: application/json\r\n{head}\r\n".encode())  # fmt: skip

    def send() -> None:
        try:
            if body is not None:
                sock.sendall(body)
            piece = b"%x\r\n%s\r\n" % (64 * 1024, b"[" * 64 * 1024)
            for _ in range(chunks):
                sock.sendall(piece)
        except OSError:  # the server answered and hung up: what the test wants
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    answer = b""
    try:
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            got = sock.recv(65536)
            if not got:
                break
            answer += got
    finally:
        sock.close()
        sender.join(60)
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2].decode()


def peak_memory(server: Server) -> int:
    """The server process's peak resident memory so far, in bytes (``VmHWM``)."""
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def test_deep_nesting_is_400_and_no_traceback(home):
    server = serve(home)
    try:
        for path in ENDPOINTS:
            for deep in (b"[" * 60_000, b'{"set": {"a": ' + b"[" * 10_000 + b"]" * 10_000 + b"}}",
                         b'{"kind": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_000 + b"}"):
                answer = requests.post(server.url + path, data=deep, timeout=60,
                                       headers={"Content-Type": "application/json"})  # fmt: skip
                assert answer.status_code == 400, (path, answer.text[:300])
                assert "\n" not in answer.json()["error"]
    finally:
        _, said = server.stop()
    assert "Traceback" not in said and "RecursionError" not in said, said[-2000:]


def test_a_50_mb_body_is_413_before_it_is_read_and_memory_stays_bounded(server):
    before = peak_memory(server)
    declared = post_raw(server, f"Content-Length: {50 * MIB}\r\n", b"[" * MIB)
    assert declared[0] == 413 and "KiB" in declared[1]
    # No length given: the body streams, and is read only up to the bound.
    streamed = post_raw(server, "Transfer-Encoding: chunked\r\n", None, chunks=800)
    assert streamed[0] == 413
    assert peak_memory(server) - before < 20 * MIB
    assert server.get("/ping").status_code == 200  # still answering


def test_a_body_just_under_the_bound_is_read(server):
    from mediakeeper.web.bodies import MOST_BODY

    name = "x" * 4000
    filler = " " * (MOST_BODY - 200 - len(name))  # JSON allows white space: still one body
    body = f'{{"kind": "music", "name": "{name}", "choose": 1{filler}}}'.encode()
    answer = requests.post(server.url + "/api/decisions", data=body, timeout=60,
                           headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 404  # read, validated, and the name fits no artist
    assert len(answer.json()["error"]) < 600  # the name is not echoed whole


def test_unknown_fields_are_refused_and_nothing_is_written(server, home):
    before = every_file(home)
    for path, body in [
        # ("preview" is a field of the API now; a CLI flag's name sent as a field is not)
        ("/api/decisions", {"kind": "music", "name": "Pink Floyd", "choose": 2,
                            "dry_run": True}),
        ("/api/decisions", {"kind": "music", "name": "Pink Floyd",
                            "dismiss": "inconsistent-year", "values": {"date": "1973"}}),
        ("/api/undo", {"session": "x", "dry_run": True}),
        ("/api/batches", {"kind": "music", "batch_size": 1, "offline": True}),
    ]:
        answer = server.post(path, body)
        assert answer.status_code == 400, (path, answer.text)
        error = answer.json()["error"]
        assert "not permitted" in error and error.split(":")[0] in body, error
    # "preview" is a field the API knows now: it shows, and writes nothing either.
    shown = server.post("/api/decisions", {"kind": "music", "name": "Pink Floyd", "choose": 2,
                                           "preview": True})  # fmt: skip
    assert shown.status_code == 200, shown.text
    assert every_file(home) == before


def test_strict_types_and_bounded_fields(server, home):
    before = every_file(home)
    for path, body, field in [
        ("/api/decisions", {"kind": "music", "all": "yes", "dismiss": "inconsistent-year"},
         "all"),
        ("/api/decisions", {"kind": "music", "name": "Pink Floyd", "choose": "2"}, "choose"),
        ("/api/decisions", {"kind": "music", "name": "Pink Floyd", "choose": True}, "choose"),
        ("/api/decisions", {"kind": "music", "name": "Pink Floyd", "set": {"date": 1973}},
         "set.date"),
        ("/api/decisions", {"kind": "music", "name": "P" * 5000, "choose": 1}, "name"),
        ("/api/decisions", {"kind": "music", "name": "Pink Floyd", "set": {"t" * 300: "v"}},
         "set."),
        ("/api/undo", {"session": ""}, "session"),
        ("/api/undo", {"session": ["x"]}, "session"),
        ("/api/batches", {"kind": "music", "batch_size": "2"}, "batch_size"),
        ("/api/batches", {"kind": "music", "batch_size": 0}, "batch_size"),
    ]:
        answer = server.post(path, body)
        assert answer.status_code == 400, (body, answer.text)
        error = answer.json()["error"]
        assert error.startswith(field) and "\n" not in error and len(error) < 500, error
    assert every_file(home) == before


def test_a_lone_surrogate_or_bad_utf8_is_refused(server, home):
    before = every_file(home)
    for raw in (b'{"kind": "music", "name": "Pink Floyd", "set": {"date": "\\udc80"}}',
                b'{"kind": "music", "name": "Pink Floyd", "set": {"date": "\\ud800x"}}',
                b'{"kind": "music", "name": "Pink Floyd", "set": {"date": "\xff"}}',
                b'', b'[]', b'"text"', b'{"kind": "music",'):  # fmt: skip
        answer = requests.post(server.url + "/api/decisions", data=raw, timeout=60,
                               headers={"Content-Type": "application/json"})  # fmt: skip
        assert answer.status_code == 400, (raw, answer.text)
        assert answer.json()["error"]
    assert every_file(home) == before


def test_a_long_unknown_field_name_is_not_echoed(server):
    answer = server.post("/api/undo", {"session": "x", "k" * 50_000: 1})
    assert answer.status_code == 400
    assert len(answer.json()["error"]) < 400


def test_names_in_the_path_or_query_are_not_echoed_whole(server):
    long = "n" * 10_000
    for answer, code in [(server.post(f"/api/batches/{long}_music_001/stop"), 404),
                         (server.get(f"/api/queues/{long}/items"), 404),
                         (server.get("/api/queues/music/items", params={"limit": long + "x"}),
                          400)]:  # fmt: skip
        assert answer.status_code == code, answer.text[:300]
        assert len(answer.json()["error"]) < 400


def test_long_names_in_a_body_are_said_cut(server, home):
    before = every_file(home)
    long = "a" * 4000
    # Within the bounds of a name (4,096): a group and an album that are not there (404);
    # a value that does not fit its tag, a number (400).
    floyd = {"kind": "music", "name": "Pink Floyd"}
    for body, code in (({"kind": "dupes", "name": long, "choose": 1}, 404),
                       ({**floyd, "set": {"date": "1999"}, "album": long}, 404),
                       ({**floyd, "set": {"bpm": long}}, 400)):  # fmt: skip
        answer = server.post("/api/decisions", body)
        assert answer.status_code == code, answer.text[:300]
        assert len(answer.json()["error"]) < 600, answer.text[:300]
    assert every_file(home) == before


def test_a_streamed_body_under_the_bound_is_read_whole(server):
    """No length given (chunked, as a generator is sent): read to its end, then judged."""
    pieces = iter([b'{"session": ', b'"20200101T000000_decide"', b"}"])
    answer = requests.post(server.url + "/api/undo", data=pieces, timeout=60,
                           headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 404, answer.text  # read whole: a session with nothing to undo
    assert "session" in answer.json()["error"] and "KiB" not in answer.json()["error"]


def test_query_strings_are_read_by_their_models(server):
    """Every GET that reads its query reads it through a pydantic model (``bodies.query``):
    a value that does not fit is 400 with one line naming the field, the value never
    echoed; the API answers JSON, the page's views a line of HTML."""
    long = "x" * 10_000
    decision = server.get("/api/decisions").json()["groups"][0]["decisions"][0]["id"]
    for path, params, field in [
        ("/api/queues/music/items", {"limit": long}, "limit"),
        ("/api/queues/music/items", {"sort": long}, "sort"),
        ("/api/queues/music/items", {"q": long}, "q"),
        ("/api/queues/music/items", {"offset": "9" * 5000}, "offset"),
        ("/api/decisions", {"kind": long}, "kind"),
        ("/api/decisions", {"kind": "films"}, "kind"),
        ("/api/decisions", {"details": long}, "details"),
        ("/covers/music", {"key": long}, "key"),
    ]:
        answer = server.get(path, params=params)
        assert answer.status_code == 400, (path, params, answer.text[:300])
        error = answer.json()["error"]
        assert error.startswith(f"{field}: ") and "\n" not in error and "xxxxx" not in error
    for path, params, field in [
        ("/decisions/group", {"kind": "music", "code": "x", "choose": "0"}, "choose"),
        ("/decisions/group", {"kind": long, "code": "x"}, "kind"),
        ("/decisions/group", {"kind": "music"}, "code"),  # said missing, not "no code ''"
        ("/library/item", {"kind": "music", "key": long}, "key"),
        (f"/decisions/{decision}", {"part": long}, "part"),
    ]:
        answer = server.get(path, params=params)
        assert answer.status_code == 400, (path, params, answer.text[:300])
        assert answer.text.startswith(f'<p class="bad">{field}: ') and "xxxxx" not in answer.text
        assert answer.text.count("\n") == 0
    page = server.get("/library", params={"sort": long})  # said on the page, the page shown
    assert page.status_code == 400 and "sort: Input should be" in page.text
    assert "xxxxx" not in page.text
    # A blank value is as if absent; one a view does not read is left alone.
    assert server.get("/api/decisions", params={"kind": "", "details": ""}).status_code == 200
    listed = server.get("/api/queues/music/items", params={"limit": "", "page": "2"})
    assert listed.status_code == 200 and listed.json()["limit"] == 50
    shown = server.get(f"/decisions/{decision}", params={"part": "1"})
    assert shown.status_code == 200 and "<html" not in shown.text


def test_a_decisions_page_answers_with_the_apis_status(server):
    """An id that is none (400), a decision not open (of no item, or not asked: 409): the
    page, whole or in part, says it with the status the API gives, where it answered 409
    to every problem."""
    from mediakeeper.decisions import ids

    decision = server.get("/api/decisions").json()["groups"][0]["decisions"][0]
    kind, key, where, code = ids.parse(decision["id"])
    for asked, status in [("zzz", 400), (ids.make(kind, "No Such Artist", where, code), 409),
                          (ids.make(kind, key, where, "missing-genre"), 409)]:  # fmt: skip
        assert server.get(f"/api/decisions/{asked}").status_code == status, asked
        for params in ({}, {"part": "1"}):
            page = server.get(f"/decisions/{asked}", params=params)
            assert page.status_code == status, (asked, params, page.text[-300:])


def test_a_value_is_held_to_the_same_rule_as_decide_set(server, home):
    """One rule for both faces (``decisions.words.bad_value``): a date of another shape, a
    value past its bound, refused in the words ``decide --set`` says, nothing written; the
    value said as the body gives it, never as the flag ``--set`` (an API has no flags)."""
    before = every_file(home)
    for values, said in [({"date": "x" * 4000}, "date takes a date as YYYY"),
                         ({"year": "1973-13"}, "date takes a date as YYYY"),
                         ({"title": "x" * 4097}, "title takes at most 4,096"),
                         ({"artist": " Pink Floyd "}, "give 'Pink Floyd'"),
                         ({"artist": "   "}, "a blank value; an empty one removes the tag"),
                         ({"artist": "Pink\nFloyd"}, "holds no '\\n'"),
                         ({"isrc": ""}, "removes the tag, which none of those files")]:  # fmt: skip
        answer = server.post("/api/decisions", {"kind": "music", "name": "Pink Floyd",
                                                "set": values})  # fmt: skip
        assert answer.status_code == 400, answer.text[:300]  # an answer that does not fit
        error = answer.json()["error"]
        assert said in error and "x" * 300 not in error and "\n" not in error, error
        assert "--set" not in error and "TAG=" not in error, error  # nor its syntax
    assert every_file(home) == before


def test_fields_that_name_none_or_go_with_no_choice_are_refused(server, home):
    """The page sends the fields a person left ticked: none ticked wrote every field of the
    choice (an empty list was read as "all"); beside a dismissal or a whole group they were
    not read at all."""
    before = every_file(home)
    for body, said in [
        ({"kind": "music", "name": "Pink Floyd", "choose": 1, "fields": []},
         "no field of the choice chosen"),
        ({"kind": "music", "name": "Pink Floyd", "choose": 1, "fields": [], "preview": True},
         "no field of the choice chosen"),
        ({"kind": "music", "name": "Pink Floyd", "dismiss": True, "fields": ["date"]},
         "fields go with a choice"),
        ({"kind": "music", "all": True, "code": "inconsistent-year", "choose": 1,
          "fields": ["date"]}, "fields go with one decision's choice, not all"),
    ]:  # fmt: skip
        answer = server.post("/api/decisions", body)
        assert answer.status_code == 400, (body, answer.text)
        assert said in answer.json()["error"], answer.text
    assert every_file(home) == before
