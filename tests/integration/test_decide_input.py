"""``decide`` in the person's words (issue 60): ``--set`` takes every field of the tag table
(composer, ISRC, ... named as a person writes them), journaled and undone byte for byte; and
bad input is one line, exit 2, with not a byte of the data home or the library written.
Real files, real scripts."""

from __future__ import annotations

import re

import mutagen
import pytest

from tests.helpers import run_script


def decide(home, *args):
    return run_script("decide.py", "--home", home, *args)


def files_in(*folders) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for folder in folders for p in sorted(folder.rglob("*"))
            if p.is_file()}  # fmt: skip


def test_every_field_of_the_tag_table_is_set_in_the_users_words_and_undone(processed):
    home, lib = processed
    track = lib / "Metallica" / "Loose Song.flac"
    before = track.read_bytes()
    took = decide(home, "music", "Metallica", "--set", "Composer=James Hetfield",
                  "--set", "ISRC=USEE10001992", "--set", "original year=1986",
                  "--set", "Album Artist=Metallica", "--set", "bpm=120")  # fmt: skip
    assert took.returncode == 0, took.stdout + took.stderr
    assert "set composer of Loose Song.flac: (none) -> 'James Hetfield'" in took.stdout
    written = mutagen.File(track)
    assert written["composer"] == ["James Hetfield"] and written["isrc"] == ["USEE10001992"]
    assert written["originaldate"] == ["1986"] and written["albumartist"] == ["Metallica"]
    assert written["bpm"] == ["120"]
    session = re.search(r"--session (\S+)$", took.stdout, re.M).group(1)
    undone = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "5 values restored" in undone.stdout
    assert track.read_bytes() == before  # the file as it was, byte for byte


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--group", "no-such-code"), "no finding code 'no-such-code'"),
        (("--all", "--dismiss", "no-such-code"), "no finding code 'no-such-code'"),
        (
            ("verify", "--all", "--dismiss", "missing-year"),
            "no open 'missing-year' decision in verify",
        ),
        (("audiobooks", "--group", "missing-author"), "no open 'missing-author' decision"),
        (("music", "--all"), "--all needs a choice"),
        (("movies", "--all", "--group", "no-match"), "--all needs a choice"),
        (("--all", "--group", "failed", "--choose", "1"), "no failed item: nothing to decide"),
        (
            ("music", "--all", "--group", "failed", "--choose", "1", "--remember"),
            "--remember records a finding code's answer",
        ),
        (("music", "Metallica", "--set", "mood=sad"), "'mood' is not a tag mediakeeper writes"),
        (("music", "Metallica", "--set", "bpm=fast"), "bpm takes a whole number"),
        (("music", "Metallica", "--set", "comp=yes"), "comp takes 1 (a compilation) or 0"),
        (("music", "Metallica", "--set", "date=" + "x" * 4000), "date takes a date as YYYY"),
        (("music", "Metallica", "--set", "year=1999-13"), "date takes a date as YYYY"),
        (("music", "Metallica", "--set", "date=0000"), "date takes a date as YYYY"),
        (("music", "Metallica", "--set", "date=1999-02-30"),
         "date takes a day of the calendar, not '1999-02-30'"),
        (("music", "Metallica", "--set", "date=2023-02-29T10:00"),
         "date takes a day of the calendar, not '2023-02-29T10:00'"),
        (("music", "Metallica", "--set", "title=" + "x" * 5000), "at most 4,096 characters"),
        # A value the next batch would tidy, or one a one-line tag cannot hold; "remove
        # it" where nothing has it: none is an answer.
        (("music", "Metallica", "--set", "artist= Metallica"),
         "which the next batch would tidy: give 'Metallica'"),
        (("music", "Metallica", "--set", "artist=   "), "a blank value"),
        (("music", "Metallica", "--set", "artist=Meta\nllica"),
         "the artist value 'Meta\\nllica': a one-line tag holds no '\\n'"),
        (("music", "Metallica", "--set", "artist=\x1b[2J"), "holds no '\\x1b'"),
        (("music", "Metallica", "--set", "artist="),
         "an empty artist removes the tag, which none of those files has; nothing written"),
        # --fields naming none wrote every field of the choice; beside a dismissal or a
        # whole group it was not read at all.
        (("music", "Metallica", "--choose", "1", "--fields", ", ,,"),
         "no field of the choice chosen: name those to write"),
        (("music", "Metallica", "--dismiss", "missing-year", "--fields", "date"),
         "fields go with a choice"),
        (("music", "--all", "--group", "missing-year", "--choose", "1", "--fields", "date"),
         "--fields goes with one decision's --choose N, not --all"),
    ],
    ids=lambda v: " ".join(v)[:60] if isinstance(v, tuple) else None,
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(processed, args, said):
    home, lib = processed
    before = files_in(home, lib)
    shown = decide(home, *args)
    assert shown.returncode == 2, shown.stdout + shown.stderr
    assert shown.stderr.count("\n") == 1 and said in shown.stderr, shown.stderr
    assert "Traceback" not in shown.stderr and "x" * 300 not in shown.stderr  # cut, not echoed
    assert files_in(home, lib) == before


def test_a_rule_for_an_unknown_code_is_one_line_and_writes_nothing(processed):
    home, lib = processed
    (home / "mediakeeper.toml").write_text('[decisions]\nno-such-code = "dismiss"\n')
    before = files_in(home, lib)
    for script in ("decide.py", "process_music_batch.py", "process_verify_batch.py"):
        shown = run_script(script, "--home", home, *(["--library", lib] * (script != "decide.py")))
        assert shown.returncode == 2, (script, shown.stdout, shown.stderr)
        assert shown.stderr.count("\n") == 1, shown.stderr
        assert "[decisions] names the unknown code 'no-such-code'" in shown.stderr
        assert files_in(home, lib) == before


@pytest.mark.parametrize(
    ("script", "args", "option"),
    [
        ("process_music_batch.py", ("--offline", "--artist"), "--artist"),
        ("process_music_batch.py", ("--offline", "--resume"), "--resume"),
        ("music_queue_manager.py", ("--reset-artist",), "--reset-artist"),
        ("decide.py", ("--id",), "--id"),
        ("decide.py", ("--group",), "--group"),
        ("undo_changes.py", ("--session",), "--session"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else None,
)
def test_an_empty_name_is_refused_not_taken_as_none_given(processed, script, args, option):
    """``--artist "$NAME"`` with NAME unset ran a batch of the next artists (their fixes
    written); ``--reset-artist ""`` printed the summary; ``decide --id ""`` a traceback."""
    home, lib = processed
    before = files_in(home, lib)
    shown = run_script(script, "--home", home, *args, " ")
    assert shown.returncode == 2, shown.stdout + shown.stderr
    said = f"Error: Invalid value for '{option}': empty: it names nothing"
    assert shown.stderr.splitlines()[-1].startswith(said), shown.stderr
    assert files_in(home, lib) == before


def test_a_value_for_an_album_the_decision_is_not_about_says_the_scope_that_writes_it(demo_home):
    """The demo's Pink Floyd asks the year of a loose track; a date given for another album
    of it is refused, and the way it says to widen the answer writes it (it said --scope
    album, which widens to the decision's own albums: refused the same)."""
    asked = ("music", "Pink Floyd", "--code", "missing-year", "--set", "date=1972", "--album",
             "The Dark Side of the Moon", "--dry-run")  # fmt: skip
    refused = decide(demo_home, *asked)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    widened = re.search(r"widen it to the album's every track: (--scope \w+)", refused.stderr)
    taken = decide(demo_home, *asked, *widened[1].split())
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert "would set date of 1973 - The Dark Side of the Moon/10 - Eclipse.flac" in taken.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--code", "missing-year"), "--code names one of an item's decisions: give KIND NAME"),
        (("music", "--album", "Album"), "--album names one of an item's decisions"),
        (("--dry-run",), "--dry-run previews an answer"),
        (("music", "Metallica", "--dry-run"), "--dry-run previews an answer"),
        (("music", "Metallica", "--fields", "date"), "--fields goes with --choose N"),
        (("music", "Metallica", "--choose", "1", "--scope", "album"), "--scope widens a --set"),
        (("--rules", "--json"), "--rules and --forget print text; --json lists decisions"),
    ],
    ids=lambda v: " ".join(v)[:60] if isinstance(v, tuple) else None,
)
def test_an_option_that_would_be_passed_over_is_a_usage_error(processed, args, said):
    """Each was ignored, exit 0: a listing shown where a person meant one decision, a
    "dry run" that only listed, a scope that widened nothing."""
    home, lib = processed
    before = files_in(home, lib)
    shown = decide(home, *args)
    assert shown.returncode == 2, shown.stdout + shown.stderr
    assert f"Error: {said}" in shown.stderr and not shown.stdout, shown.stderr
    assert files_in(home, lib) == before


def test_an_album_is_found_as_every_name_is_by_the_start_of_just_one(processed):
    """--album as the Names section says every NAME is found: the start of one album (its
    folder's or its tag's name) is that album; one that fits none is refused with the
    closest. (It took the whole name, case and accents aside, only.)"""
    home, lib = processed
    before = files_in(home, lib)
    for album in ("1973", "dark SIDE", "1973 - Dark Side"):
        shown = decide(home, "music", "Pink Floyd", "--code", "inconsistent-year", "--album",
                       album, "--choose", "1", "--dry-run")  # fmt: skip
        assert shown.returncode == 0, (album, shown.stdout + shown.stderr)
        assert "would set date of 1973 - Dark Side/" in shown.stdout, shown.stdout
    refused = decide(home, "music", "Pink Floyd", "--set", "date=1973", "--album", "Side")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "Pink Floyd has no album 'Side' (did you mean: " in refused.stderr, refused.stderr
    assert files_in(home, lib) == before
