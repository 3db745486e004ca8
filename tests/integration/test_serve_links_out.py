"""A link in the data home that leads out of it is not followed by a real ``serve``: no
report it serves (an issue report, its folder, a weekly report, this week's at
``/reports/weekly`` too) is a file elsewhere on the machine that a link in the home points
at; each such address answers as a report that is not there."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO_ROOT, script_env
from tests.integration.serving import serve
from tests.servers.base import COVER_PNG

SECRET = "SECRET-outside-the-home"


def test_no_served_report_follows_a_link_out_of_the_home(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("secret.md", "secret.html", "secret.json"):
        (outside / name).write_text(f"# {SECRET}\n", "utf-8")
    home = tmp_path / "home"
    issues, reports = home / "issues" / "music", home / "status" / "reports"
    issues.mkdir(parents=True)
    reports.mkdir(parents=True)
    (issues / "index.md").write_text("# Issue reports\n", "utf-8")
    (reports / "2026-11-16_weekly_progress.html").write_text(
        "<!doctype html><html><head></head><body>last week's own</body></html>", "utf-8")
    (issues / "leak.md").symlink_to(outside / "secret.md")
    (issues / "leak.json").symlink_to(outside / "secret.json")
    (home / "issues" / "elsewhere").symlink_to(outside, target_is_directory=True)
    (reports / "leak.html").symlink_to(outside / "secret.html")
    (reports / "2026-11-23_weekly_progress.html").symlink_to(outside / "secret.html")
    server = serve(home)
    try:
        for path in ("/issues/music/leak.md", "/issues/music/leak.html",
                     "/issues/music/leak.json", "/issues/elsewhere/secret.md",
                     "/issues/elsewhere/secret.html", "/status/reports/leak.html",
                     "/status/reports/2026-11-23_weekly_progress.html"):  # fmt: skip
            answer = server.get(path)
            assert answer.status_code == 404 and SECRET not in answer.text, path
        weekly = server.get("/reports/weekly")  # the latest week the home itself holds
        assert weekly.status_code == 200 and SECRET not in weekly.text, weekly.text
        assert "last week's own" in weekly.text
        assert SECRET not in server.get("/").text
    finally:
        server.stop()


def test_an_item_s_cover_is_an_image_never_a_file_a_link_leads_to(tmp_path, music_library):
    """``/covers/<kind>`` serves the cover image an item's folder keeps. A ``cover.jpg`` that
    is a link to another file (an album unpacked from an archive that carried one pointing at
    ``~/.ssh/id_rsa``) is no image, and is not sent; a real one is."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    music_library(lib, {f"{name}/Album/01 - x.flac": {"tags": {"title": "x"}}
                        for name in ("Linked", "Real")})  # fmt: skip
    secret = tmp_path / "id_rsa"
    secret.write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}\n", "utf-8")
    (lib / "Linked" / "cover.jpg").symlink_to(secret)
    (lib / "Real" / "cover.png").write_bytes(COVER_PNG)
    made = subprocess.run([sys.executable, "-m", "mediakeeper", "music", "queue", "--init",
                           "--home", home, "--library", lib], cwd=REPO_ROOT, env=script_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert made.returncode == 0, made.stderr
    server = serve(home)
    try:
        linked = server.get("/covers/music", params={"key": "Linked"})
        assert linked.status_code == 404 and SECRET not in linked.text, linked.text
        real = server.get("/covers/music", params={"key": "Real"})
        assert real.status_code == 200 and real.content == COVER_PNG
        assert real.headers["content-type"] == "image/png"
    finally:
        server.stop()
