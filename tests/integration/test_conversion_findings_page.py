"""A conversion's findings on the page: the item's view of a converted album leads to its
report, and the report lists what the conversion found (a damaged source left out, what a
target could not hold), each as text, whatever a file's name holds, as music's report does.

A real album converted by the real script, a real ``serve``, the system's Chromium."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg
from tests.integration.serving import page_errors, serve
from tests.integration.test_conversions import convert  # noqa: F401 (a fixture)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
EXE = ffmpeg.find()
ROT = "02 <i>Rot & Co.flac"  # a name that is markup, were it not escaped


def test_the_items_report_on_the_page_lists_its_findings(tmp_path, convert, browser):  # noqa: F811
    library, home = tmp_path / "lib", tmp_path / "home"
    album = library / "Artist" / "Album"
    synth.tagged(synth.tone(EXE, album / "01 Good.flac", 1.0), {"title": "Good"})
    (album / ROT).write_text("not audio at all\n")
    home.mkdir()
    (home / "mediakeeper.toml").write_text('[conversions]\ndamaged = "leave-out"\n')
    run = convert("--library", library)
    assert run.returncode == 1 and "needs you: 1 decision" in run.stdout, run.stdout + run.stderr

    server = serve(home)
    try:
        page = browser.new_page()
        errors = page_errors(page)
        query = urlencode({"kind": "conversions", "key": "Artist/Album"})
        page.goto(f"{server.url}/library/item?{query}")
        page.get_by_role("link", name="Its report").click()
        found = page.locator("li", has_text="damaged-source-left-out")
        expect(found).to_have_count(1)
        expect(found).to_contain_text(f"{ROT}: holds no audio")
        expect(found).to_contain_text("left out of the portable album")
        assert page.locator("main i, body i").count() == 0  # the name shown, not obeyed
        assert errors == []
    finally:
        server.stop()
