"""No handler of ``mediakeeper serve`` reads the home's files on the event loop: a read there
(a queue folder listed, a report opened) holds every other request and the event stream
while the disk answers (a slow disk, a library on a network share). A real server whose
reads are watched (``serving.serve(loop_reads=True)``: Python's audit events, nothing of
the toolkit's replaced) asked every view and resource that reads the home."""

from __future__ import annotations

import pytest

from mediakeeper.text.slug import slugify
from tests.integration.serving import LOOP_READ, serve


@pytest.fixture
def watched(processed):
    home, _ = processed
    server = serve(home, loop_reads=True)
    yield server
    server.stop()


def test_no_handler_reads_the_home_on_the_event_loop(watched):
    home = watched.home
    weekly = sorted((home / "status" / "reports").glob("*_weekly_progress.html"))
    assert weekly, "the batch wrote its weekly report"
    decision = watched.get("/api/decisions?details=1").json()["groups"][0]["decisions"][0]
    asked = [
        "/api/decisions?kind=music", "/api/decisions", "/", "/library", "/changes",
        f"/decisions/{decision['id']}", f"/decisions/{decision['id']}?part=1",
        "/reports/weekly", f"/status/reports/{weekly[-1].name}", "/issues/music/",
        f"/issues/music/{slugify('Pink Floyd')}.html", f"/issues/music/{slugify('Pink Floyd')}.md",
        "/healthz", "/api/queues", "/api/batches", "/api/watcher",
    ]  # fmt: skip
    for path in asked:
        assert watched.get(path).status_code == 200, path
    _, said = watched.stop()
    assert [line for line in said.splitlines() if LOOP_READ in line] == [], said
