"""Duplicate groups on serve's page (issues 61 and 64), in the system's Chromium: listed with
the other decision groups, server-rendered and live, and taken from the page as ``decide
dupes ID`` takes them: "Keep the best" sets the other copies aside, "Keep all" keeps them."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import mutagen
import pytest
from mutagen.flac import Picture
from mutagen.id3 import APIC

from mediakeeper.demo.tracks import PNG_1X1
from tests.helpers.dupes import album_twice, build, scanned
from tests.integration.serving import page_errors, serve

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


# A cover as a preview says it (never its whole ``data:`` URI).
PICTURE = f"a picture (image/png, {len(PNG_1X1):,} bytes)"


def with_cover(path: Path) -> None:
    """``path`` given an embedded front cover: what a kept copy without one gains."""
    audio = mutagen.File(path)
    if path.suffix == ".mp3":
        audio.tags.add(APIC(encoding=3, mime="image/png", type=3, desc="", data=PNG_1X1))
    else:
        picture = Picture()
        picture.type, picture.mime, picture.data = 3, "image/png", PNG_1X1
        audio.add_picture(picture)
    audio.save()


def digests(group) -> dict[str, str]:
    """Every file of every copy of a duplicate group, by path: its content's hash."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for c in group["copies"] for p in sorted(Path(c["path"]).rglob("*"))
            if p.is_file()}  # fmt: skip


def retagged_elsewhere(path: Path) -> str:
    """``path`` retagged by another program since the scan: what a take leaves alone."""
    retagged = mutagen.File(path, easy=True)
    retagged["genre"] = ["retagged elsewhere"]
    retagged.save()
    return str(path)


def undone_byte_for_byte(page, groups: list, before: dict[str, str], changed: str) -> None:
    """The Undo at the foot of the window pressed: every file of ``groups`` as ``before``
    but ``changed`` (retagged since, and left alone)."""
    page.locator("#undo-last").get_by_role("button", name="Undo").click()
    expect(page.locator("#said")).to_contain_text("Undone", timeout=30_000)
    after = {path: h for group in groups for path, h in digests(group).items()}
    assert {p: h for p, h in after.items() if p != changed} == \
        {p: h for p, h in before.items() if p != changed}  # fmt: skip


def test_duplicate_groups_are_taken_from_the_page(tmp_path, browser):
    lib = build(tmp_path)
    home = tmp_path / "home"
    groups = scanned(home, lib)
    album = next(g for g in groups if g["level"] == "album")
    track = next(g for g in groups if g["level"] == "track")
    server = serve(home)
    try:
        page = browser.new_page()
        errors = page_errors(page)
        page.goto(server.url + "/")
        expect(page.locator("#live")).to_have_text("live")
        # Counted beside the decisions (it said "What needs you: 0" over every group).
        title = page.locator("#decisions-title")
        expect(title).to_have_text(f"What needs you: 0 decisions, {len(groups)} duplicate groups")
        acts = page.locator(f'.acts[data-kind="dupes"][data-name="{album["id"]}"]')
        expect(acts).to_have_count(1)
        assert acts.get_by_role("button", name="Set a value…").count() == 0
        # Each group says what it is in words, its code beside for the terminal.
        heading = page.locator('article[data-code="duplicate-album"] h2')
        expect(heading).to_contain_text("The same recording found as several album copies")

        # Its evidence: every copy side by side, named by artist and album, the best first.
        question = page.locator(".question", has=acts)
        question.get_by_role("link", name="Evidence and choices").click()
        copies = question.locator("table.copies")
        expect(copies).to_contain_text("best", timeout=30_000)
        expect(copies.locator("tbody tr")).to_have_count(len(album["copies"]))
        expect(question.locator(".decision")).not_to_contain_text(album["id"])
        before = digests(album)
        acts.get_by_role("button", name="Keep the best…").click()
        # Moving files asks once, saying what moves where (issue 70 point 3); then its Undo.
        dialog = page.locator("dialog#ask")
        expect(dialog).to_contain_text("holding folder")
        dialog.get_by_role("button", name="Take it").click()
        # The group named as the page shows it, "Artist A — Album", never by its id.
        name = question.locator(".name").text_content()
        expect(page.locator("#said")).to_contain_text(f"Kept the best of {name}: 1 closed",
                                                      timeout=30_000)  # fmt: skip
        expect(page.locator("#undo-last button")).to_be_visible()
        expect(acts).to_have_count(0)  # the group is decided: listed no more
        expect(title).to_contain_text(f", {len(groups) - 1} duplicate groups")
        holding = {c["path"]: len(list(Path(c["path"]).glob("*.*"))) for c in album["copies"]}
        assert holding[album["best"]] > 0  # the best kept, every other copy's files set aside
        assert [n for p, n in holding.items() if p != album["best"]] == [0]
        # The Undo beside the result puts every file back where it was, byte for byte.
        # The set-aside is among the recent changes, with what it moved.
        changes = server.get("/changes").text
        assert "set aside" in changes
        page.locator("#undo-last").get_by_role("button", name="Undo").click()
        expect(page.locator("#said")).to_contain_text("files back", timeout=30_000)
        assert digests(album) == before
        expect(acts).to_have_count(1, timeout=30_000)  # asked again

        other = page.locator(f'.acts[data-kind="dupes"][data-name="{track["id"]}"]')
        name = page.locator(".question", has=other).locator(".name").text_content()
        other.get_by_role("button", name="Keep all").click()
        expect(other).to_have_count(0, timeout=30_000)
        expect(page.locator("#said")).to_contain_text(f"Decided {name}: 1 closed")
        assert track["id"] not in page.locator("#said").text_content()
        assert all(os.path.exists(c["path"]) for c in track["copies"])
        listed = server.get("/api/decisions").json().get("duplicates", [])
        assert not any(track["id"] in g["items"] for g in listed)
        assert errors == []
        page.close()
    finally:
        server.stop()


def _release_opus(tmp_path: Path) -> tuple[Path, dict, str, int]:
    """A scanned home, its release-level group, that group's Opus copy of song 1 and the
    choice that keeps it: (home, group, the Opus file, its choice number)."""
    lib = build(tmp_path)
    with_cover(lib / "Artist A" / "Album" / "01 - Song 1.flac")  # the Opus has none
    home = tmp_path / "home"
    release = next(g for g in scanned(home, lib) if g["level"] == "release")
    opus = next(c["path"] for c in release["copies"] if c["path"].endswith(".opus"))
    choice = 3 + [c["path"] for c in release["copies"] if c["path"] != release["best"]].index(opus)
    return home, release, opus, choice


def _chosen(page, url: str, group: dict, choice: int):
    """The page at ``url`` with ``group``'s evidence opened and ``choice`` pressed: its
    question."""
    page.goto(url + "/")
    acts = page.locator(f'.acts[data-kind="dupes"][data-name="{group["id"]}"]')
    question = page.locator(".question", has=acts)
    question.get_by_role("link", name="Evidence and choices").click()
    question.locator(f'.decision button[data-choose="{choice}"]').click()
    return question


def test_keeping_another_copy_previews_the_tags_it_gains(tmp_path, browser):
    """Keeping the compilation's Opus copy of song 1 instead of its FLAC writes into the Opus
    the MusicBrainz recording id and the cover only the FLAC carries, before the FLAC is set
    aside: the preview shows those writes beside the move (it showed the move alone), the
    cover by its type and size (it showed its whole ``data:`` URI), and the take writes
    exactly the value it showed."""
    home, release, opus, choice = _release_opus(tmp_path)
    server = serve(home)
    try:
        page = browser.new_page()
        errors = page_errors(page)
        preview = _chosen(page, server.url, release, choice).locator(".preview")
        expect(preview).to_contain_text("moves", timeout=30_000)
        expect(preview).to_contain_text("2 values would be written to 1 file")
        row = preview.locator("tr", has_text="musicbrainz_trackid")
        expect(row).to_contain_text(opus)
        cover = preview.locator("tr", has_text=PICTURE)  # the cover gained, in words
        expect(cover.locator("td").nth(1)).to_have_text("cover")
        expect(preview).not_to_contain_text("data:")
        shown = row.locator("td").nth(3).text_content()
        preview.get_by_role("button", name="Take it").click()
        expect(page.locator("#said")).to_contain_text("1 closed", timeout=30_000)
        assert mutagen.File(opus)["musicbrainz_trackid"] == [shown]
        assert errors == []
        page.close()
    finally:
        server.stop()


def test_keeping_the_best_of_a_level_previews_the_tags_it_gains(tmp_path, browser):
    """The whole album level's "keep the best" sets aside the MP3 rip, whose track 4 alone
    carries a MusicBrainz recording id and a cover: its preview page says the kept FLAC's
    track 4 gains them, as the take writes them (it said the copy set aside alone, "no file
    would be written"; then the cover as its whole ``data:`` URI),
    and each of the rip's four tracks set aside, counted so (it said "1 file set aside"),
    with the folders they leave empty."""
    lib = build(tmp_path)
    with_cover(lib / "Artist A." / "Album (mp3)" / "04 - Song 4.mp3")  # the FLAC has none
    home = tmp_path / "home"
    album = next(g for g in scanned(home, lib) if g["level"] == "album")
    kept = Path(album["best"]) / "04 - Song 4.flac"
    server = serve(home)
    try:
        page = browser.new_page()
        errors = page_errors(page)
        page.goto(server.url + "/decisions/group?kind=dupes&code=duplicate-album&choose=1")
        preview = page.locator(".group-preview")
        expect(preview).to_contain_text("2 values would be written to 1 file")
        expect(preview.locator(".preview-page")).to_contain_text(
            f"{kept} cover (none) → {PICTURE}; "
            f"{kept} musicbrainz_trackid (none) → “5c4f0000-0000-4000-8000-000000000004”")
        expect(preview).not_to_contain_text("data:")
        rip = next(c["path"] for c in album["copies"] if c["path"] != album["best"])
        expect(preview).to_contain_text(
            "2 values would be written to 1 file, 4 files set aside, 2 emptied folders removed "
            f"({rip}; {Path(rip).parent})")
        for n in (1, 2, 3, 4):
            expect(preview.locator(".preview-page")).to_contain_text(
                f"{rip}/0{n} - Song {n}.mp3 set aside")
        assert errors == []
        page.close()
    finally:
        server.stop()


def test_keeping_the_best_album_previews_each_file_and_the_folders_it_empties(tmp_path,
                                                                             browser):
    """The album question's "keep the best" previews each track of the MP3 rip it sets aside
    and the two library folders those moves leave empty (it said the moves alone), and its
    Cancel leaves every file where it was."""
    lib = build(tmp_path)
    home = tmp_path / "home"
    album = next(g for g in scanned(home, lib) if g["level"] == "album")
    rip = Path(next(c["path"] for c in album["copies"] if c["path"] != album["best"]))
    before = digests(album)
    server = serve(home)
    try:
        page = browser.new_page()
        errors = page_errors(page)
        preview = _chosen(page, server.url, album, 1).locator(".preview")
        expect(preview).to_contain_text("moves", timeout=30_000)
        for n in (1, 2, 3, 4):
            expect(preview).to_contain_text(f"moves {rip}/0{n} - Song {n}.mp3 → ")
        for folder in (rip, rip.parent):
            expect(preview.get_by_text(f"removes the folder it empties {folder}",
                                       exact=True)).to_be_visible()  # fmt: skip
        preview.get_by_role("button", name="Cancel").click()
        assert digests(album) == before
        assert errors == []
        page.close()
    finally:
        server.stop()


def test_a_copy_changed_since_the_scan_is_said_in_words(tmp_path, browser):
    """The copy to keep retagged by another program after the scan: the take leaves the
    group alone, and the page says so in words, each file and why (it said "HTTP 409")."""
    home, release, opus, choice = _release_opus(tmp_path)
    retagged = mutagen.File(opus)
    retagged["comment"] = ["retagged elsewhere"]
    retagged.save()
    server = serve(home)
    try:
        page = browser.new_page()
        errors = page_errors(page)
        question = _chosen(page, server.url, release, choice)
        question.locator(".preview").get_by_role("button", name="Take it").click()
        said = page.locator("#said")
        expect(said).to_contain_text(f"Left alone — {opus}: the copy kept was changed",
                                     timeout=30_000)  # fmt: skip
        assert "HTTP" not in said.text_content()
        assert all(os.path.exists(c["path"]) for c in release["copies"])
        assert errors == []
        page.close()
    finally:
        server.stop()


def test_a_take_refused_in_part_offers_the_undo_of_what_it_moved(tmp_path, browser):
    """Keeping the best of the album after one track of its MP3 rip was retagged elsewhere:
    that track is left alone (said, with why) and the rip's three others are set aside; that
    move is a session the page offers to undo, as any other take's (it offered none: the
    answer was said as a refusal alone), and its Undo puts the three back byte for byte. (A
    whole level's take goes through the same answer, ``posted`` in page.js.)"""
    lib = build(tmp_path)
    home = tmp_path / "home"
    album = next(g for g in scanned(home, lib) if g["level"] == "album")
    rip = Path(next(c["path"] for c in album["copies"] if c["path"] != album["best"]))
    before = digests(album)
    changed = retagged_elsewhere(rip / "02 - Song 2.mp3")
    moving = [rip / f"0{n} - Song {n}.mp3" for n in (1, 3, 4)]
    server = serve(home)
    try:
        page = browser.new_page()
        errors = page_errors(page)
        question = _chosen(page, server.url, album, 1)
        question.locator(".preview").get_by_role("button", name="Take it").click()
        said = page.locator("#said")
        expect(said).to_contain_text(f"Left alone — {changed}", timeout=30_000)
        expect(said).to_contain_text("(session ")
        assert not any(path.exists() for path in moving)
        undone_byte_for_byte(page, [album], before, changed)
        assert errors == []
        page.close()
    finally:
        server.stop()


def test_a_whole_level_take_refused_in_part_offers_the_undo_of_what_it_moved(tmp_path,
                                                                             browser):
    """Two album groups, one of whose MP3 rips had a track retagged elsewhere since the scan:
    the level's "Keep the best of all 2" leaves that track alone (said, with why), its group
    open with it, and sets aside the rest of both rips; the page offers the undo of those
    moves, and its Undo puts every file back byte for byte."""
    from tests.helpers.melody import melody_wav

    lib = build(tmp_path)
    wav = tmp_path / "wav-b"
    wav.mkdir()
    album_twice(lib, "Artist B/Second", "Artist B/Second (mp3)", "Second",
                {n: melody_wav(wav / f"{n}.wav", n, 12) for n in (5, 6)})  # a second group
    home = tmp_path / "home"
    albums = [g for g in scanned(home, lib) if g["level"] == "album"]
    assert len(albums) == 2
    first = next(g for g in albums if "Artist A" in g["best"])
    rip = Path(next(c["path"] for c in first["copies"] if c["path"] != first["best"]))
    other = next(g for g in albums if g is not first)
    before = {**digests(first), **digests(other)}
    changed = retagged_elsewhere(rip / "02 - Song 2.mp3")
    moving = [f for c in other["copies"] if c["path"] != other["best"]
              for f in Path(c["path"]).glob("*.mp3")]  # fmt: skip
    moving += [rip / f"0{n} - Song {n}.mp3" for n in (1, 3, 4)]
    server = serve(home)
    try:
        page = browser.new_page()
        errors = page_errors(page)
        page.goto(server.url + "/")
        expect(page.locator("#live")).to_have_text("live", timeout=30_000)
        acts = page.locator('.group-acts[data-kind="dupes"][data-code="duplicate-album"]')
        acts.get_by_role("button", name="Keep the best of all 2…").click()
        dialog = page.locator("dialog#ask")
        expect(dialog).to_contain_text("set aside", timeout=30_000)
        dialog.get_by_role("button", name="Take it").click()
        said = page.locator("#said")
        expect(said).to_contain_text(f"Left alone — {changed}", timeout=30_000)
        expect(said).to_contain_text("The whole group: 1 closed")
        expect(said).to_contain_text("(session ")
        assert moving and not any(path.exists() for path in moving)
        # The group left alone in part stays open, asked with what is left of it.
        left = page.locator(f'.acts[data-kind="dupes"][data-name="{first["id"]}"]')
        expect(left).to_have_count(1, timeout=30_000)
        undone_byte_for_byte(page, [first, other], before, changed)
        assert errors == []
        page.close()
    finally:
        server.stop()
