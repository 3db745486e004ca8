"""``decide`` asks once for many (issue 60): the same question in several artists is one
group, listed worst first and as one JSON object whose counts add up to the total; a whole
group dismissed in one command is one session that one undo takes back exactly; a remembered
rule settles the code's findings in later batches, ``--refresh`` included, until forgotten.
And (issue 63) a value that is not text is refused before any file is touched, in one line.
Real files, real scripts."""

from __future__ import annotations

import json
import re
import shlex
import subprocess

import mutagen
import pytest

from mediakeeper.text.slug import slugify
from tests.helpers import run_script, tag_by_hand

ARTISTS = ("Abba", "Blur", "Cream", "Doves", "Elbow")


def library_spec() -> dict:
    """Five artists whose album's first two tracks have their tag numbers swapped (the file
    names say 1 and 2, the tags 2 and 1): two filename-mismatch findings each, no fix. One
    clean artist."""
    spec = {}
    for artist in (*ARTISTS, "Clean"):
        for n in (1, 2, 3):
            number = {1: 2, 2: 1}.get(n, n) if artist != "Clean" else n
            tags = {"title": f"Song {n}", "artist": artist, "albumartist": artist,
                    "album": "Album", "date": "2001", "tracknumber": str(number)}  # fmt: skip
            spec[f"{artist}/2001 - Album/0{n} - Song {n}.flac"] = {"tags": tags, "picture": True}
    return spec


@pytest.fixture
def asked(tmp_path, music_library):
    lib, home = tmp_path / "lib", tmp_path / "home"
    music_library(lib, library_spec())
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr
    return home, lib


def decide(home, *args):
    return run_script("decide.py", "--home", home, *args)


def groups_of(home) -> dict:
    """``decide --json`` but each group's ``decisions`` (their ids and questions: checked in
    test_decision_engine), which every group has."""
    shown = decide(home, "--json")
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout)
    for entry in (e for key in ("groups", "outstanding", "duplicates") for e in found.get(key, ())):
        assert entry.pop("decisions") is not None
    return found


def queue_file(home) -> dict:
    """The music queue's JSON file as a person opens it (its journal not replayed)."""
    return json.loads((home / "status" / "music" / "processing_queue.json").read_text())


def open_counts(item: dict) -> dict:
    """The item's finding codes with open findings, by its queue counts."""
    counts = (item.get("details") or {}).get("finding_counts") or {}
    return {code: c for code, c in counts.items() if c[0] > c[1]}


def test_the_same_question_in_five_artists_is_one_group(asked):
    home, _ = asked
    listed = decide(home)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == "5 decisions in 1 group, worst first:", listed.stdout
    assert re.fullmatch(r"\s+music\s+filename-mismatch  5 decisions in 5 artists  \[.*dismiss\]",
                        lines[1]), lines[1]  # fmt: skip
    assert lines[2] == "          the file name's track number is not the tag's", listed.stdout
    assert len(lines) <= 12
    assert decide(home, "music").stdout == listed.stdout  # one kind's groups
    assert decide(home, "movies").stdout.strip() == "Nothing to decide."

    found = groups_of(home)
    assert found == {"total": 5, "groups": [{
        "kind": "music", "code": "filename-mismatch", "severity": "warning", "count": 5,
        "items": list(ARTISTS), "choices": found["groups"][0]["choices"],
        "means": "the file name's track number is not the tag's"}]}  # fmt: skip
    assert found["groups"][0]["choices"][-1] == "dismiss"

    items = decide(home, "--group", "filename-mismatch").stdout
    assert items.splitlines()[1] == "        the file name's track number is not the tag's"
    for artist in ARTISTS:
        assert re.search(rf"^  {artist}  1 decision  issues/music/", items, re.M), items
    assert "Clean" not in items
    one = decide(home, "music", "Blur").stdout  # one item: its decisions, choices numbered
    assert one.startswith("Blur: 1 decision open (2 findings)") and "filename-mismatch" in one


def test_a_group_dismissed_in_one_command_is_undone_exactly(asked):
    home, lib = asked
    before = {p: p.read_bytes() for p in lib.rglob("*.flac")}
    generation = queue_file(home)["generation"]
    took = decide(home, "music", "--all", "--dismiss", "filename-mismatch")
    assert took.returncode == 0, took.stdout + took.stderr
    assert "5 decisions in 5 artists closed (dismissed: left as it is)" in took.stdout
    session = re.search(r" undo .*--session (\S+)$", took.stdout, re.M).group(1)
    # The queue's JSON holds every artist's decision, written once for the group (not once
    # per artist, which made a large group's decision quadratic: benchmarks/decide_group.py).
    assert queue_file(home)["generation"] == generation + 1
    assert all(not open_counts(item) for item in queue_file(home)["items"])
    assert groups_of(home) == {"total": 0, "groups": []}
    assert decide(home).stdout.strip() == "Nothing to decide."
    index = (home / "issues" / "music" / "index.md").read_text(encoding="utf-8")
    assert "Nothing to decide: no open findings." in index and "filename-mismatch" not in index
    assert {p: p.read_bytes() for p in lib.rglob("*.flac")} == before  # nothing written

    undo = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert "5 decisions in 5 items open again" in undo.stdout
    assert groups_of(home)["total"] == 5
    assert queue_file(home)["generation"] == generation + 2  # the undo's: once too
    assert sum(bool(open_counts(item)) for item in queue_file(home)["items"]) == 5
    # The dismissals went with it: a batch over the same files asks again.
    run_script("music_queue_manager.py", "--home", home, "--reset-artist", "Abba")
    run_script("process_music_batch.py", "--home", home, "--offline", "--artist", "Abba")
    assert groups_of(home)["groups"][0]["items"] == list(ARTISTS)
    again = run_script("undo_changes.py", "--home", home, "--session", session)
    assert again.returncode == 2, again.stderr  # taken back once: nothing left to undo


def test_a_group_choice_says_the_files_its_values_went_to_as_one_decision_does(asked):
    """--all --choose N wrote values and said nothing of the files they went to, where one
    decision's --choose says "values written to N files": the same line, summed over the
    group's items (five artists, two tracks renumbered each); its dry run writes none."""
    home, _lib = asked
    args = ("music", "--group", "filename-mismatch", "--all", "--choose", "1")
    dry = decide(home, *args, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "values written" not in dry.stdout
    took = decide(home, *args)
    assert took.returncode == 0, took.stdout + took.stderr
    lines = took.stdout.splitlines()
    assert "values written to 10 files, all in place" in lines, took.stdout
    assert lines.index("values written to 10 files, all in place") == 10  # after the 10 sets


def test_a_remembered_rule_settles_later_batches_until_forgotten(asked):
    home, lib = asked
    # Its dry run says the rule too (it said only the decisions it would close).
    dry = decide(home, "music", "--all", "--dismiss", "filename-mismatch", "--remember",
                 "--dry-run")  # fmt: skip
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert ', and the rule filename-mismatch = "dismiss" recorded for later batches; nothing ' \
        "written" in dry.stdout, dry.stdout  # fmt: skip
    assert not (home / "mediakeeper.toml").exists()  # nothing written
    took = decide(home, "music", "--all", "--dismiss", "filename-mismatch", "--remember")
    assert took.returncode == 0, took.stdout + took.stderr
    assert 'filename-mismatch = "dismiss"' in took.stdout
    config = (home / "mediakeeper.toml").read_text(encoding="utf-8")
    assert '[decisions]\nfilename-mismatch = "dismiss"' in config
    assert decide(home, "--rules").stdout.strip() == 'filename-mismatch = "dismiss"'

    # A file changed: --refresh sends the artist back, and its batch applies the rule.
    tag_by_hand(lib / "Abba" / "2001 - Album" / "03 - Song 3.flac", "title", "Song 3 (live)")
    manager = run_script("music_queue_manager.py", "--home", home, "--refresh")
    assert manager.returncode == 0, manager.stdout + manager.stderr
    batch = run_script("process_music_batch.py", "--home", home, "--offline")
    assert batch.returncode == 0, batch.stdout + batch.stderr  # nothing left for a person
    assert "1 artist completed" in batch.stdout  # Abba, checked again
    report = (home / "issues" / "music" / f"{slugify('Abba')}.md").read_text(encoding="utf-8")
    assert 'by the rule filename-mismatch = "dismiss"' in report

    # A new artist with the same question: settled by the rule in its first batch.
    spec = {f"Fugees/Album/0{n} - S.flac": {"tags": {"title": "S", "artist": "Fugees",
            "albumartist": "Fugees", "album": "Album", "date": "1996",
            "tracknumber": str(3 - n)}, "picture": True} for n in (1, 2)}  # fmt: skip
    from tests.helpers import build_library

    build_library(lib, spec)
    new = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert new.returncode == 0, new.stdout + new.stderr
    assert groups_of(home)["total"] == 0

    forgot = decide(home, "--forget", "filename-mismatch")
    assert forgot.returncode == 0, forgot.stderr
    assert "[decisions]" not in (home / "mediakeeper.toml").read_text(encoding="utf-8") or (
        "filename-mismatch" not in (home / "mediakeeper.toml").read_text(encoding="utf-8"))
    assert decide(home, "--rules").stdout.strip() == "No rules recorded."


def test_undo_of_a_remembering_session_forgets_its_rule(asked):
    home, _ = asked
    took = decide(home, "--all", "--dismiss", "filename-mismatch", "--remember")
    assert took.returncode == 0, took.stdout + took.stderr
    session = re.search(r" undo .*--session (\S+)$", took.stdout, re.M).group(1)
    undo = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert 'rule filename-mismatch = "dismiss" forgotten' in undo.stdout
    assert decide(home, "--rules").stdout.strip() == "No rules recorded."
    assert groups_of(home)["total"] == 5


@pytest.mark.parametrize("settings", [None, "# my settings\n[music]\nmax_attempts = 5  # kept\n"])
def test_undo_of_a_remembering_session_gives_the_settings_file_back(asked, settings):
    """The rule a session recorded taken back by its undo leaves the settings file as it
    was: none where there was none (not a file holding an empty [decisions] table), the
    person's own text byte for byte."""
    home, _ = asked
    path = home / "mediakeeper.toml"
    if settings is not None:
        path.write_text(settings, encoding="utf-8")
    took = decide(home, "--all", "--dismiss", "filename-mismatch", "--remember")
    assert took.returncode == 0, took.stdout + took.stderr
    assert 'filename-mismatch = "dismiss"' in path.read_text(encoding="utf-8")
    session = re.search(r" undo .*--session (\S+)$", took.stdout, re.M).group(1)
    undo = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert 'rule filename-mismatch = "dismiss" forgotten' in undo.stdout
    if settings is None:
        assert not path.exists(), path.read_text(encoding="utf-8")
    else:
        assert path.read_bytes() == settings.encode()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--group", "no-such-code"), "no finding code 'no-such-code'"),
        (("--group", "missing-year"), "no open 'missing-year' decision"),
        (("--all", "--dismiss", "missing-year"), "no open 'missing-year' decision"),
        (("--all", "--dismiss", "nonsense"), "no finding code 'nonsense'"),
        (("music", "--all"), "--all needs a choice"),
        (("--forget", "filename-mismatch"), "no rule for 'filename-mismatch'"),
        (("--group", "filename-mismatch", "--all", "--choose", "3"),
         "'filename-mismatch' has no choice 3"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_and_writes_nothing(asked, args, said):
    home, _ = asked
    before = groups_of(home)
    shown = decide(home, *args)
    assert shown.returncode == 2, shown.stdout + shown.stderr
    assert said in shown.stderr and "Traceback" not in shown.stderr
    assert groups_of(home) == before


def test_a_rule_for_an_unknown_code_is_refused_by_every_command(asked):
    home, _ = asked
    (home / "mediakeeper.toml").write_text('[decisions]\nno-such-code = "dismiss"\n')
    for shown in (decide(home), decide(home, "--rules"),
                  run_script("process_music_batch.py", "--home", home, "--offline")):  # fmt: skip
        assert shown.returncode == 2, shown.stdout + shown.stderr
        assert "[decisions] names the unknown code 'no-such-code'" in shown.stderr
        assert "Traceback" not in shown.stderr


def test_the_users_words_work_year_and_a_name_as_typed(processed):
    """The findings say 'year': ``--set year=1986`` writes the date tag and closes the
    missing-year decision; a name matches as in batches (case, accents, a unique start)."""
    home, lib = processed
    shown = decide(home, "music", "metal")  # the start of just one name, in lower case
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Metallica: 2 decisions open")
    took = decide(home, "music", "METALLICA", "--set", "year=1986")
    assert took.returncode == 0, took.stdout + took.stderr
    assert "1 decision closed" in took.stdout
    assert mutagen.File(lib / "Metallica" / "Loose Song.flac")["date"] == ["1986"]
    assert "missing-year" not in decide(home, "music", "Metallica").stdout
    several = decide(home, "music", "Nothing Like It")
    assert several.returncode == 2 and "no completed artist called 'Nothing Like It'" in (
        several.stderr)  # fmt: skip


def test_a_group_choice_the_same_for_every_decision_is_one_session_undone_whole(processed):
    """After an undo took Nina Simone's album-artist fill back, its three tracks' findings
    each offer the same choice (the fix it proposes): ``--all --choose 1`` writes them as
    one session, and undo of that session puts every value back and reopens them."""
    home, lib = processed
    album = lib / "Nina Simone" / "1958 - Little Girl Blue"

    def albumartists() -> list:
        return [mutagen.File(p).get("albumartist") for p in sorted(album.glob("*.flac"))]

    generation = queue_file(home)["generation"]
    undone = run_script("undo_changes.py", "--home", home, "--artist", "Nina Simone")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert albumartists() == [None] * 3
    # The undo's marks and the artist's reopened counts reach the queue's JSON in one write.
    assert queue_file(home)["generation"] == generation + 1
    nina = next(i for i in queue_file(home)["items"] if i["key"] == "Nina Simone")
    assert "missing-albumartist" in open_counts(nina)
    took = decide(home, "--group", "missing-albumartist", "--all", "--choose", "1")
    assert took.returncode == 0, took.stdout + took.stderr
    assert "1 decision in 1 artist closed (chose the fix it proposes)" in took.stdout
    assert albumartists() == [["Nina Simone"]] * 3
    assert "missing-albumartist" not in decide(home).stdout
    session = re.search(r" undo .*--session (\S+)$", took.stdout, re.M).group(1)
    back = run_script("undo_changes.py", "--home", home, "--session", session)
    assert back.returncode == 0, back.stdout + back.stderr
    assert albumartists() == [None] * 3
    assert "missing-albumartist" in decide(home).stdout


def test_a_failed_item_is_a_decision_retried_or_skipped_from_decide(tmp_path, music_library):
    """An artist whose folder went away after the queue was made fails; ``decide`` lists it
    with its last error and stage, and takes retry (back to pending) or skip."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    music_library(lib, {f"{a}/Album/01 - Song.flac": {"tags": {"title": "Song", "artist": a}}
                        for a in ("Gone", "Here")})  # fmt: skip
    init = run_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0, init.stdout + init.stderr
    moved = lib / "Gone"
    moved.rename(tmp_path / "Gone")
    run_script("process_music_batch.py", "--home", home, "--offline")

    listed = decide(home)
    assert re.search(r"^  music   failed  1 artist: Gone  \[retry \| skip\]$", listed.stdout,
                     re.M), listed.stdout  # fmt: skip
    failed = {"kind": "music", "status": "failed", "count": 1, "items": ["Gone"],
              "choices": ["retry", "skip"]}  # fmt: skip
    assert groups_of(home)["outstanding"] == [failed]
    shown = decide(home, "music", "gone").stdout
    assert shown.startswith("Gone: failed at stage scan after 1 attempt: artist folder not found")
    assert "1) retry" in shown and "2) skip" in shown

    (tmp_path / "Gone").rename(moved)  # the folder is back: retry it
    retried = decide(home, "music", "Gone", "--choose", "1")
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "Gone: back to pending" in retried.stdout
    again = run_script("process_music_batch.py", "--home", home, "--offline")
    assert "1 artist completed, 0 failed" in again.stdout, again.stdout
    assert "outstanding" not in groups_of(home)

    run_script("music_queue_manager.py", "--home", home, "--reset-artist", "Here")
    skipped = run_script("music_queue_manager.py", "--home", home, "--skip-artist", "Here")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    here = decide(home, "music", "Here").stdout.splitlines()[1:]
    assert here[0] == "  1) retry (back to pending, its failures reset)"  # skipped: retry only
    assert len(here) == 2 and here[1].startswith("  id d1.")
    assert decide(home, "music", "Here", "--choose", "2").returncode == 2


def test_the_commands_decide_names_run_pasted_from_anywhere(asked, child_env):
    """What the listing and a group's items say to type next are whole commands (as every
    command the toolkit prints: its program and the data home), run as pasted from another
    folder, the words in capitals filled in."""
    home, _ = asked

    def pasted(line: str, **words: str) -> subprocess.CompletedProcess:
        command = line.split(": ", 1)[1].split(" (", 1)[0]
        argv = [words.get(word, word) for word in shlex.split(command)]
        return subprocess.run(argv, cwd="/", env=child_env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip

    listing = decide(home).stdout.splitlines()
    [group_items] = [line for line in listing if line.startswith("A group's items: ")]
    items = pasted(group_items, CODE="filename-mismatch")
    assert items.returncode == 0 and items.stdout == decide(home, "--group",
                                                            "filename-mismatch").stdout  # fmt: skip
    [every] = [line for line in items.stdout.splitlines() if line.startswith("All of them: ")]
    done = pasted(every)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 decisions in 5 artists closed" in done.stdout, done.stdout
    assert decide(home).stdout.strip() == "Nothing to decide."
