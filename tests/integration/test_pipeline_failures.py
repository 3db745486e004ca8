"""A pipeline's failed album is a decision like any kind's failed item. ``decide`` listed it
with "[retry | skip]" but refused its kind (``pipeline-phone``: "no kind"), and the page's
Retry answered "no kind 'pipeline-phone' here": now both take it, and undo puts it back. Its
failure names its step once in every face, where the page said "at step 1 (to-opus): step 1
(to-opus): ...", ``decide`` "at stage to-opus ...: step 1 (to-opus): ..." and the dashboard
"to-opus: step 1 (to-opus): ..." (a step named with an underscore too: the step here is
``to_opus``, whose "to opus" was not found in "step 1 (to_opus)" and was said again). And a
screen reader tells its Retry from another album's: each button is described by the album
it acts on, as Chromium's accessibility tree reads it. Real FLAC made by ffmpeg, a real
pipeline run, a real ``serve`` and the system's Chromium."""

from __future__ import annotations

import pytest

from tests.helpers import run_script, step, write_pipeline
from tests.integration.serving import described, script, serve
from tests.integration.test_conversions import make_album
from tests.integration.test_sessions_kinds import _queue

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
ALBUMS = ("Artist A/Album", "Artist B/Album")
STEP = "step 1 (to_opus)"


@pytest.fixture
def failed(tmp_path):
    """Two albums whose second track does not decode, after one pipeline run: both failed
    at the pipeline's first step."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    for album in ALBUMS:
        folder = make_album(lib / album, album.split("/")[0], tracks=2)
        (folder / "02 Song.flac").write_bytes(b"fLaC and then nothing a decoder takes" * 40)
    pipeline = write_pipeline(tmp_path / "phone.yaml",
                              step("to_opus", "convert", codec="opus", bitrate="96k"),
                              input=lib, output=tmp_path / "out")  # fmt: skip
    ran = script("pipeline", "run", pipeline, "--home", home, timeout=300)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert [i["status"] for i in _queue(home, "pipeline-phone")] == ["error", "error"]
    return home


def test_decide_takes_a_pipeline_s_failed_album_and_says_its_step_once(failed):
    home = failed
    listed = script("decide", "--home", home)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "pipeline-phone failed  2 items: Artist A/Album, Artist B/Album  [retry | skip]" \
        in listed.stdout  # fmt: skip

    shown = script("decide", "pipeline-phone", "Artist A/Album", "--home", home)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    first = shown.stdout.splitlines()[0]
    assert first.startswith(f"Artist A/Album: failed after 1 attempt: {STEP}: 02 Song.flac: ")
    assert first.count("to_opus") == 1

    dashboard = run_script("media_dashboard.py", "--home", home)
    [line] = [x for x in dashboard.stdout.splitlines() if "Artist A/Album" in x]
    assert f"pipeline-phone  {STEP}: 02 S" in line and line.count("to_opus") == 1

    taken = script("decide", "pipeline-phone", "Artist A/Album", "--choose", "1", "--home", home)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert [i["status"] for i in _queue(home, "pipeline-phone")] == ["pending", "error"]
    [session] = [w for w in taken.stdout.split() if w.endswith("_decide")]
    undone = script("undo", "--session", session, "--home", home)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert [i["status"] for i in _queue(home, "pipeline-phone")] == ["error", "error"]

    skipped = script("decide", "pipeline-phone", "--all", "--group", "failed", "--choose", "2",
                     "--home", home)  # fmt: skip
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert [i["status"] for i in _queue(home, "pipeline-phone")] == ["skipped", "skipped"]


def test_the_page_retries_a_pipeline_s_failed_album_named_to_a_screen_reader(failed, browser):
    server = serve(failed)
    try:
        page = browser.new_page()
        page.goto(server.url + "/")
        failures = page.locator('[data-failures="pipeline-phone"] li')
        expect(failures).to_have_count(2)
        for li in failures.all():
            text = li.text_content()
            assert f": {STEP}: 02 Song.flac: " in text and text.count("to_opus") == 1, text
        retries = [(name, about) for role, name, about in described(page)
                   if role == "button" and name == "Retry"]  # fmt: skip
        assert sorted(retries) == [("Retry", album) for album in ALBUMS]

        asked = server.get("/api/decisions", params={"kind": "pipeline-phone"}).json()
        [group] = asked["outstanding"]
        assert group["kind"] == "pipeline-phone" and group["count"] == 2
        nope = server.get("/api/decisions", params={"kind": "pipeline-nope"})
        assert nope.status_code == 400 and "pipeline-phone" in nope.json()["error"]
        whole = server.post("/api/decisions/preview", {"all": True, "kind": "pipeline-phone",
                                                       "code": "failed", "choose": 1})
        assert whole.status_code == 200 and whole.json()["closes"] == 2, whole.text
        item = group["decisions"][0]
        view = server.get(f"/decisions/{item['id']}").text
        assert f'Failed after 1 attempt: <span class="bad">{STEP}: 02 Song.flac' in view

        failures.first.get_by_role("button", name="Retry").click()
        expect(page.locator("#said")).to_contain_text("Back to pending: Artist A/Album.",
                                                      timeout=30_000)  # fmt: skip
        assert [i["status"] for i in _queue(failed, "pipeline-phone")] == ["pending", "error"]
        page.close()
    finally:
        server.stop()
