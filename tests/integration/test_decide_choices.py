"""Every question lists real choices, and a person can page through all of them (issue 69
point 6): no placeholder (``<the choices listed for it>``) in ``decide``'s listing or its
``--json``; ``filename-mismatch`` offers the file name's number and the tag's, and the file
name's is written as a fix is (journaled, undone); one item's listing says as many
decisions as it numbers; every group is listed with ``--all-groups``. Real files, real
scripts; the demo's home read, never changed."""

from __future__ import annotations

import csv
import json
import re
import shlex
import subprocess

import mutagen
import pytest

from tests.helpers.deciding import abba_processed, decide

MISMATCH = "filename-mismatch"
FILE_NAMES, TAGS = "the file name's track number", "the tag's track number"


def test_every_group_lists_real_choices_and_every_group_can_be_listed(demo_home):
    listed = decide(demo_home)
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if line.startswith("  ")]
    assert "<" not in listed.stdout, listed.stdout
    shown = json.loads(decide(demo_home, "--json").stdout)
    for group in shown["groups"]:
        assert group["choices"] and not any("<" in c for c in group["choices"]), group
        # A typed value offered only where one can be set: track-gap and
        # duplicate-tracknumber offered "set a value", which --set refused for them.
        if not group["code"].startswith(("missing-", "inconsistent-")):
            assert not any(c.startswith("set ") for c in group["choices"]), group
    codes = {g["code"] for g in shown["groups"]}
    assert "track-gap" in codes, codes  # (one the demo has)
    assert f"[{FILE_NAMES} | {TAGS} | dismiss]" in listed.stdout

    total = len(shown["groups"])
    assert total > 10, total  # more than a screen: the listing says how to see the rest
    more = f"  ... and {total - 9} more group (decide --all-groups lists them all)"
    assert more.replace(" group ", " group " if total - 9 == 1 else " groups ") in lines
    every = decide(demo_home, "--all-groups")
    assert every.returncode == 0, every.stderr
    grouped = [line for line in every.stdout.splitlines()
               if re.match(r"  \w+ +[a-z0-9-]+  \d+ decisions? in ", line)]  # fmt: skip
    assert len(grouped) == total and "... and" not in every.stdout, every.stdout
    assert [line.split()[1] for line in grouped] == [g["code"] for g in shown["groups"]]
    # Under each group's line, what its code means (as the page heads the group).
    after = every.stdout.splitlines()
    for line, group in zip(grouped, shown["groups"], strict=True):
        assert group["means"] and after[after.index(line) + 1] == " " * 10 + group["means"]


def number(path) -> str:
    """A FLAC's track number as stored (its total, "/3", aside), read with mutagen only."""
    return mutagen.File(path)["tracknumber"][0].partition("/")[0]


def listed_numbers(home) -> list[str]:
    """The track numbers ``tracks.csv`` lists, in its order, read with the csv module."""
    with open(home / "outputs" / "music" / "tracks.csv", newline="", encoding="utf-8") as f:
        return [row["tracknumber"] for row in csv.DictReader(f)]


@pytest.fixture
def asked(tmp_path, music_library):
    """Abba, whose first two tracks' numbers are swapped (the file names say 1 and 2, the
    tags 2/3 and 1/3): one filename-mismatch question about two files."""
    return abba_processed(tmp_path, music_library, {1: "2/3", 2: "1/3", 3: "3/3"})


def test_one_question_about_two_files_is_listed_as_one_with_its_real_choices(asked, child_env):
    home, album = asked
    shown = decide(home, "music", "Abba").stdout
    lines = shown.splitlines()
    assert lines[0] == "Abba: 1 decision open (2 findings)", shown
    assert lines[1].startswith(f"  [1] warning {MISMATCH} — "), shown
    assert "[2]" not in shown  # one question: one entry, its two files inside it
    # Each file's tag beside its name, as the page gives them: what the two choices weigh.
    assert lines[2:4] == ["      01 - Song 1.flac: tracknumber 2",
                          "      02 - Song 2.flac: tracknumber 1"], shown  # fmt: skip
    assert f"1) {FILE_NAMES}" in shown and f"2) {TAGS}" in shown, shown

    took = decide(home, "music", "Abba", "--choose", "1")
    assert took.returncode == 0, took.stdout + took.stderr
    assert "set tracknumber of 2001 - Album/01 - Song 1.flac: '2' -> '1'" in took.stdout
    assert "set tracknumber of 2001 - Album/02 - Song 2.flac: '1' -> '2'" in took.stdout
    assert [number(album / f"0{n} - Song {n}.flac") for n in (1, 2, 3)] == ["1", "2", "3"]
    # The number alone was written: its total, stored with it ("2/3"), is kept where it was.
    assert mutagen.File(album / "01 - Song 1.flac")["tracknumber"] == ["1/3"]
    assert listed_numbers(home) == ["1", "2", "3"]  # tracks.csv as the files are now
    assert json.loads(decide(home, "--json").stdout)["total"] == 0
    # Its undo is a whole command, as a group's answer prints one: run pasted from anywhere.
    closed, command = took.stdout.splitlines()[-2:]
    assert closed == "1 decision closed; to take it back:", took.stdout
    undone = subprocess.run(shlex.split(command), cwd="/", env=child_env, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert [number(album / f"0{n} - Song {n}.flac") for n in (1, 2)] == ["2", "1"]
    assert listed_numbers(home) == ["2", "1", "3"]

    listed = home / "outputs" / "music" / "tracks.csv"
    before = listed.stat()
    kept = decide(home, "music", "Abba", "--choose", "2")  # the tags' numbers: left as they are
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert [number(album / f"0{n} - Song {n}.flac") for n in (1, 2)] == ["2", "1"]
    # No tag written, no row changed: tracks.csv (the library's every row) is not made again.
    after = listed.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert listed_numbers(home) == ["2", "1", "3"]
    assert json.loads(decide(home, "--json").stdout)["total"] == 0


def test_a_whole_group_takes_the_file_names_numbers_at_once(asked):
    home, album = asked
    took = decide(home, "music", "--all", "--group", MISMATCH, "--choose", "1")
    assert took.returncode == 0, took.stdout + took.stderr
    numbers = [number(album / f"0{n} - Song {n}.flac") for n in (1, 2, 3)]
    assert numbers == ["1", "2", "3"]


def test_an_items_worst_question_is_asked_first(demo_home):
    """Radiohead's damaged file (an error) comes before its skipped folder, its link and its
    track gap (warnings): ``decide KIND NAME`` lists, and ``decide -i`` asks, the worst
    first, in the one order both read (``decisions.item.item_decisions``)."""
    shown = json.loads(decide(demo_home, "--json").stdout)
    [unreadable] = [g for g in shown["groups"] if g["code"] == "unreadable-file"]
    name = unreadable["items"][0]
    listed = decide(demo_home, "music", name).stdout
    severities = re.findall(r"^  \[\d+\] (\w+) ", listed, re.M)
    assert len(severities) > 1 and "warning" in severities, listed
    assert severities == sorted(severities, key=("error", "warning").index), listed
