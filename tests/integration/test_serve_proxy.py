"""``[serve] base_path`` behind a small reverse proxy (issue 61), one that passes the prefix
on and one that strips it: the page's links and assets, the API, a state change (its Origin
is the proxy's) and the event stream all work under the prefix."""

from __future__ import annotations

import pytest
import requests

from tests.helpers import build_library
from tests.integration.serving import proxy, script, serve
from tests.integration.test_music_batch import NAMES, artist_spec

BASE = "/mediakeeper"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("proxy")
    spec = {}
    for name in NAMES[:2]:
        spec.update(artist_spec(name, 1, "flac"))
    lib = build_library(root / "lib", spec)
    home = root / "home"
    assert script("music", "queue", "--home", home, "--init", "--library", lib).returncode == 0
    server = serve(home, env={"MEDIAKEEPER_SERVE_BASE_PATH": BASE})
    yield server
    server.stop()


@pytest.mark.parametrize("strip", [False, True], ids=["keeps the prefix", "strips it"])
def test_everything_works_under_the_prefix(served, strip):
    front = proxy(BASE, served.url, strip=strip)
    url = f"http://127.0.0.1:{front.server_address[1]}{BASE}"
    try:
        page = requests.get(url + "/", timeout=30)
        assert page.status_code == 200
        assert f'href="{BASE}/static/page.css"' in page.text
        assert f'src="{BASE}/static/page.js"' in page.text
        assert f'data-base="{BASE}"' in page.text
        assert requests.get(url + "/static/page.js", timeout=30).status_code == 200
        assert requests.get(url + "/api/queues", timeout=30).json()["music"]["pending"] == 2
        origin = f"http://127.0.0.1:{front.server_address[1]}"
        started = requests.post(url + "/api/batches", json={"kind": "music", "batch_size": 0},
                                headers={"Origin": origin}, timeout=30)  # fmt: skip
        assert started.status_code == 400  # read and refused for its size, not its origin
        with requests.get(url + "/api/events", stream=True, timeout=30) as events:
            assert events.status_code == 200
            assert events.headers["content-type"].startswith("text/event-stream")
            assert next(events.iter_lines(chunk_size=1)).startswith(b": mediakeeper events")
    finally:
        front.shutdown()


@pytest.mark.parametrize("strip", [False, True], ids=["keeps the prefix", "strips it"])
def test_an_issue_folder_leads_to_its_index_under_the_prefix(tmp_path, strip):
    """``/issues/<kind>/`` as a person types it (with its slash or without) redirects to the
    index's page at the prefix's address (a redirect to the server's own root would leave
    the proxy), 302 as api.md says."""
    lib = build_library(tmp_path / "lib", artist_spec(NAMES[0], 1, "flac"))
    home = tmp_path / "home"
    done = script("music", "batch", "--home", home, "--library", lib, "--offline")
    assert (home / "issues" / "music" / "index.md").is_file(), done.stdout + done.stderr
    server = serve(home, env={"MEDIAKEEPER_SERVE_BASE_PATH": BASE})
    front = proxy(BASE, server.url, strip=strip)
    url = f"http://127.0.0.1:{front.server_address[1]}{BASE}"
    try:
        for typed in ("/issues/music/", "/issues/music"):  # (the second answered 307 to the first)
            led = requests.get(url + typed, allow_redirects=False, timeout=30)
            assert led.status_code == 302, typed
            assert led.headers["location"] == f"{BASE}/issues/music/index.html"
        index = requests.get(url + "/issues/music/", timeout=30)
        assert index.status_code == 200 and index.url == url + "/issues/music/index.html"
        assert NAMES[0] in index.text
    finally:
        front.shutdown()
        server.stop()
