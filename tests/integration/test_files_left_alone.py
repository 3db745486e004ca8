"""Tracks a fix leaves alone, through the real scripts and a real ``mediakeeper.toml``. A
track with another name (a hard link: a download client seeding it): left alone by default,
with a finding that says how to have it fixed; with ``music.hard_links = "separate"`` fixed
under the library's name alone; undone without touching the other name. The seeded copy
never changes a byte. A dry run tells each of them, as the run would."""

from __future__ import annotations

import json
import os

from mediakeeper.text.slug import slugify
from tests.integration.test_undo import FIXED_TITLE, spec


def test_a_seeded_track_keeps_its_bytes_until_the_library_is_given_its_own_file(
    tmp_path, music_library, music_script, library_tags
):
    lib = music_library(tmp_path / "Music", spec("Alpha"))
    track = lib / "Alpha" / "2000 - Album" / "01 - Song 1.flac"
    seeding = tmp_path / "Downloads" / "Song 1.flac"
    seeding.parent.mkdir()
    os.link(track, seeding)
    seeded = seeding.read_bytes()
    home = tmp_path / "home"

    run = music_script("process_music_batch.py", "--home", home, "--library", lib, "--offline",
                       "--verbose")  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr  # a fix that could not be written
    assert "1 tag fix could not be written" in run.stdout
    assert track.read_bytes() == seeded == seeding.read_bytes()
    doc = json.loads((home / "outputs/music/artists" / f"{slugify('Alpha')}.json").read_text())
    [left] = [f for f in doc["findings"] if f["code"] == "hard-linked-file"]
    assert left["path"] == "2000 - Album/01 - Song 1.flac" and left["severity"] == "info"
    assert 'set music.hard_links = "separate"' in left["message"]
    report = (home / "issues" / "music" / f"{slugify('Alpha')}.md").read_text(encoding="utf-8")
    assert "hard-linked-file" in report

    (home / "mediakeeper.toml").write_text('[music]\nhard_links = "separate"\n', "utf-8")
    reset = music_script("music_queue_manager.py", "--home", home, "--reset-artist", "Alpha")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    again = music_script("process_music_batch.py", "--home", home, "--offline")
    assert again.returncode == 0, again.stdout + again.stderr
    assert library_tags(lib)["Alpha/2000 - Album/01 - Song 1.flac"]["title"] == FIXED_TITLE
    assert seeding.read_bytes() == seeded
    assert track.stat().st_nlink == seeding.stat().st_nlink == 1

    undo = music_script("undo_changes.py", "--home", home, "--artist", "Alpha")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert library_tags(lib)["Alpha/2000 - Album/01 - Song 1.flac"]["title"] != FIXED_TITLE
    assert seeding.read_bytes() == seeded


def test_a_hard_links_setting_that_is_not_one_of_its_words_is_one_clear_line(
    tmp_path, music_script
):
    home = tmp_path / "home"
    home.mkdir()
    (home / "mediakeeper.toml").write_text('[music]\nhard_links = "follow"\n', "utf-8")
    (tmp_path / "Music").mkdir()
    run = music_script("process_music_batch.py", "--home", home, "--library", tmp_path / "Music")
    assert run.returncode == 2, run.stdout + run.stderr
    [line] = run.stderr.splitlines()
    assert "hard_links" in line and "expected one of leave, separate" in line, line
    assert sorted(p.name for p in home.iterdir()) == ["mediakeeper.toml"]  # nothing begun


def test_a_dry_run_tells_the_fixes_the_run_would_leave_alone_and_why(
    tmp_path, music_library, music_script
):
    lib = music_library(tmp_path / "Music", {**spec("Alpha"), **spec("Bravo")})
    linked = lib / "Alpha" / "2000 - Album" / "01 - Song 1.flac"
    os.link(linked, tmp_path / "seeding.flac")
    read_only = lib / "Bravo" / "2000 - Album" / "01 - Song 1.flac"
    read_only.chmod(0o444)
    home = tmp_path / "home"
    home.mkdir()

    def dry_run() -> list[str]:
        run = music_script("process_music_batch.py", "--home", home, "--library", lib,
                           "--offline", "--dry-run")  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        return run.stdout.splitlines()

    said = dry_run()
    # The file left alone is a finding of its own, as the run's report will list it.
    assert "Alpha: 2 tracks, 3 findings, 0 tag changes would be made" in said
    assert "Bravo: 2 tracks, 3 findings, 0 tag changes would be made" in said
    assert (
        "  would not set title of '2000 - Album/01 - Song 1.flac': has 2 names (hard links: a "
        "download client's copy, another folder): left alone, since a fix would change every "
        'one; set music.hard_links = "separate" to give the library a file of its own'
    ) in said
    assert (
        "  would not set title of '2000 - Album/01 - Song 1.flac': read-only (mode 444): left "
        "alone; make it writable (chmod u+w) if it should be fixed"
    ) in said
    assert said[-1].startswith("dry run: 2 artists, 0 tag changes would be made")

    (home / "mediakeeper.toml").write_text('[music]\nhard_links = "separate"\n', "utf-8")
    said = dry_run()
    assert "Alpha: 2 tracks, 2 findings, 1 tag change would be made" in said
    fixed = f"'Song 1  ' -> '{FIXED_TITLE}'"
    assert f"  would set title of '2000 - Album/01 - Song 1.flac': {fixed}" in said
    # Bravo's title left alone stays a finding to list, beside the read-only file's own.
    bravo = said[said.index("Bravo: 2 tracks, 3 findings, 0 tag changes would be made"):]
    assert [line.split(":")[0] for line in bravo if line.startswith("  [")] == [
        "  [missing-cover] 2000 - Album",
        "  [whitespace] 2000 - Album/01 - Song 1.flac",
        "  [read-only-file] 2000 - Album/01 - Song 1.flac",
    ]
    assert sorted(p.name for p in home.iterdir()) == ["mediakeeper.toml"]  # nothing written

    # What the dry run foretold is what the run does: each artist's findings and fixes.
    run = music_script("process_music_batch.py", "--home", home, "--library", lib, "--offline",
                       "--verbose")  # fmt: skip
    assert "✓ Alpha — completed: 2 tracks, 2 findings, 1 fixed" in run.stdout, run.stdout
    assert "✓ Bravo — completed: 2 tracks, 3 findings, 0 fixed" in run.stdout, run.stdout
