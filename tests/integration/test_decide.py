"""``decide`` (issue 36): the open decisions listed worst first, one item's decisions with
numbered choices, a choice taken through the change journal (undo takes it back), a value
set, a finding dismissed; each closes its findings with who and when, and the report, the
index and the listing tell it at once. Real files, real scripts."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import mutagen
import pytest

from mediakeeper.text.slug import slugify
from tests.helpers import run_counted, run_script, script_env, tag_by_hand, wait_until
from tests.helpers.deciding import session_of

REPO = Path(__file__).resolve().parents[2]


def decide(home, *args):
    return run_script("decide.py", "--home", home, *args)


def years(lib) -> list[str]:
    folder = lib / "Pink Floyd" / "1973 - Dark Side"
    return [mutagen.File(p)["date"][0] for p in sorted(folder.glob("*.flac"))]


def report(home, name: str) -> str:
    return (home / "issues" / "music" / f"{slugify(name)}.md").read_text(encoding="utf-8")


def test_the_listing_is_a_group_each_worst_first_with_what_it_means(processed):
    home, _ = processed
    out = decide(home).stdout
    assert out.startswith("3 decisions in 3 groups, worst first:"), out
    lines = [line.split()[:2] for line in out.splitlines() if line.startswith("  ") and
             not line.startswith("    ")]  # fmt: skip
    assert lines == [["music", "missing-artist"], ["music", "inconsistent-year"],
                     ["music", "missing-year"]]  # fmt: skip
    means = [line.strip() for line in out.splitlines() if line.startswith(" " * 10)]
    assert len(means) == 3 and all(means), out  # each group's own words, under its code
    assert "missing-artist  1 decision in 1 artist  [set artist | dismiss]" in out


# Runs the script; at exit writes as JSON to $COUNTED how many rows were added to the spilled
# lists the reports' tally keeps of the week (its completed names, the index's reports).
COUNTING_ROWS = """
from mediakeeper.fs import spill
count_calls(spill.SortedRows, "add", "rows")
"""


def test_the_listing_counts_what_needs_a_person_and_nothing_of_the_week(processed, tmp_path):
    """The listing took each queue's whole tally, the week's figures with it (its completed
    names spilled to a file, each item's week, what it made): about half of what `decide`
    spent at 55,000 artists (docs/performance.md). It now finds only what needs a person;
    the same listing, no week's row kept."""
    home, _ = processed
    run, counted = run_counted(COUNTING_ROWS, "decide.py", "--home", home,
                               counts=tmp_path / "counted.json")  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("3 decisions in 3 groups, worst first:"), run.stdout
    assert counted == {}, counted  # no row of the week's lists added


def test_a_choice_is_written_journaled_closed_and_undone(processed):
    home, lib = processed
    shown = decide(home, "music", "Pink Floyd").stdout
    assert "warning inconsistent-year — 1973 - Dark Side" in shown
    assert "1) date '1973' for the album's 4 tracks" in shown
    assert "2) date '1974' for the album's 4 tracks" in shown

    dry = decide(home, "music", "Pink Floyd", "--choose", "2", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("would set date of ") == 2 and "nothing written" in dry.stdout
    assert "values written" not in dry.stdout
    assert years(lib) == ["1973", "1973", "1974", "1974"]

    took = decide(home, "music", "Pink Floyd", "--choose", "2")
    assert took.returncode == 0, took.stderr
    assert years(lib) == ["1974"] * 4
    assert "1 decision closed; to take it back:" in took.stdout
    # How the values reached the files, in the words of the batch's summary and of undo.
    assert "values written to 2 files, all in place" in took.stdout.splitlines(), took.stdout
    text = report(home, "Pink Floyd")
    assert "**0 decisions for you**" in text and "### Needs a decision" not in text
    assert re.search(r"`inconsistent-year` — .*\(chose date '1974'.* by \w+, 20\d\d-", text)
    index = (home / "issues" / "music" / "index.md").read_text(encoding="utf-8")
    assert "**2 decisions in 1 artist.**" in index
    assert "inconsistent-year" not in decide(home).stdout

    undo = run_script("undo_changes.py", "--home", home, "--artist", "Pink Floyd")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert years(lib) == ["1973", "1973", "1974", "1974"]
    text = report(home, "Pink Floyd")  # the choice taken back: the decision is open again
    assert "chose date '1974'" not in text and "### Needs a decision" in text, text
    assert "inconsistent-year" in decide(home).stdout


def test_sessions_show_of_a_decisions_session_names_what_lists_it(processed, child_env):
    """A decision's session is no batch's: `sessions show` of it points to `undo --list`, which
    lists it, a whole command run pasted from anywhere (exit 2, as a session not found)."""
    home, _ = processed
    session = session_of(decide(home, "music", "Metallica", "--dismiss", "missing-year"))
    shown = run_script("sessions.py", "--home", home, "show", session)
    assert shown.returncode == 2, shown.stdout + shown.stderr
    assert f"{session} is a decision's session, not a batch's" in shown.stderr, shown.stderr
    pasted = shown.stderr.split("`")[1]
    assert pasted.endswith(f" --home {home} --list"), shown.stderr
    listed = subprocess.run(shlex.split(pasted), cwd="/", env=child_env, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert listed.returncode == 0 and f"{session}  decided " in listed.stdout, listed.stdout


def test_a_decision_answered_again_says_which_session_took_it_and_its_undo(processed):
    """Answering a decision taken already names the session that took it and the whole
    command that takes it back (exit 2, nothing written); pasted, the decision is open again."""
    home, lib = processed
    session = session_of(decide(home, "music", "Pink Floyd", "--choose", "2"))
    again = decide(home, "music", "Pink Floyd", "--code", "inconsistent-year", "--choose", "1")
    assert again.returncode == 2, again.stdout + again.stderr
    assert years(lib) == ["1974"] * 4
    assert f"taken already by session {session}" in again.stderr, again.stderr
    pasted = again.stderr.split("answer again: ", 1)[1].rstrip(")\n")
    assert pasted.endswith(f" --session {session}"), again.stderr
    undone = subprocess.run(shlex.split(pasted), cwd="/", env=script_env(), capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "inconsistent-year" in decide(home).stdout


def test_a_value_set_and_a_dismissal_close_the_rest(processed):
    home, lib = processed
    took = decide(home, "music", "Metallica", "--set", "artist=Metallica")
    assert took.returncode == 0, took.stderr
    assert mutagen.File(lib / "Metallica" / "Loose Song.flac")["artist"] == ["Metallica"]
    assert "1 decision closed" in took.stdout
    left = decide(home, "music", "Metallica").stdout
    assert "missing-year" in left and "missing-artist" not in left
    gone = decide(home, "music", "Metallica", "--dismiss", "missing-year")
    assert "1 decision closed; to take it back:" in gone.stdout  # a dismissal is undone alike
    assert "values written" not in gone.stdout  # a dismissal writes no file
    assert "(dismissed: left as it is by " in report(home, "Metallica")
    assert "**0 decisions for you**" in report(home, "Metallica")
    board = run_script("media_dashboard.py", "--home", home).stdout
    assert "NEEDS ATTENTION  1 decision · 0 failed" in board


def test_a_name_that_is_not_one_item_is_refused_in_one_line(processed):
    home, _ = processed
    # As every command finds a name (issue 60): the start of just one name is that one.
    assert decide(home, "music", "pink").stdout.startswith("Pink Floyd: 1 decision open")
    none = decide(home, "music", "Pinc Floyd")
    assert none.returncode == 2
    assert "no completed artist called 'Pinc Floyd' (did you mean: 'Pink Floyd')" in none.stderr
    assert "Traceback" not in none.stderr
    wrong = decide(home, "music", "Pink Floyd", "--choose", "9")
    assert wrong.returncode == 2 and "Pink Floyd has no choice 9" in wrong.stderr
    # A decision with no numbered choice says what it takes instead.
    typed = decide(home, "music", "Metallica", "--code", "missing-artist", "--choose", "1")
    assert typed.returncode == 2, typed.stdout + typed.stderr
    assert "give --set artist=VALUE or --dismiss missing-artist" in typed.stderr
    group = decide(home, "music", "--all", "--group", "missing-artist", "--choose", "1")
    assert group.returncode == 2, group.stdout + group.stderr
    assert "it has no numbered choice: give --all --dismiss missing-artist" in group.stderr


def test_decide_i_walks_the_decisions_on_a_terminal_with_the_choices_as_keys(processed, tmp_path):
    """In tmux (a real terminal, 80x30), in the order ``decide`` lists the groups: Metallica's
    error first, a key it does not offer asked again, then its artist typed as a value (v);
    Pink Floyd's year taken as 2, the number ``decide music "Pink Floyd"`` lists it under,
    written as the settings' ``write_mode = "copy"`` says (new inodes); Metallica's
    missing-year dismissed (d)."""
    from tests.integration.test_batch_terminal import TMUX, WIDTH, Tmux, _env, run_recording_exit

    if TMUX is None:
        pytest.skip("tmux is not installed")
    home, lib = processed
    (home / "mediakeeper.toml").write_text('[music]\nwrite_mode = "copy"\n', encoding="utf-8")
    folder = lib / "Pink Floyd" / "1973 - Dark Side"
    inodes = {p: p.stat().st_ino for p in folder.glob("*.flac")}
    tmux = Tmux(tmp_path, _env())
    ended = tmp_path / "status"
    argv = [sys.executable, str(REPO / "utilities" / "decide.py"), "--home", str(home), "-i"]
    script = run_recording_exit(argv, ended)
    tmux("new-session", "-d", "-x", str(WIDTH), "-y", "30", "-s", "t", "sh", "-c", script)
    try:
        tmux("set-option", "-t", "t", "remain-on-exit", "on")

        def screen() -> str:
            return tmux("capture-pane", "-p", "-J", "-t", "t")

        def answer(shown: str, typed: str, limit: float = 60.0) -> None:
            assert wait_until(lambda: shown in screen(), limit=limit), screen()
            tmux("send-keys", "-t", "t", "-l", typed)  # as typed, then the Enter key
            tmux("send-keys", "-t", "t", "Enter")

        listed = decide(home, "music", "Pink Floyd").stdout
        assert "      2) date '1974' for the album's 4 tracks" in listed  # the listing's number
        # The first screen waits for a cold start (imports, templates) on a busy machine.
        answer("Metallica · error missing-artist", "x", limit=120.0)
        answer("one of: d, q, s, v", "v")
        answer("artist = ", "Metallica")
        answer("[2] date '1974' for the album's 4 tracks", "2")
        answer("Metallica · warning missing-year", "d")
        assert wait_until(ended.exists), screen()
        assert "Nothing left to decide." in screen()
        assert "values written to 2 files, all rewritten whole" in screen()  # copy mode
    finally:
        subprocess.run([TMUX, "-S", str(tmux.socket), "kill-server"], capture_output=True)
    assert ended.read_text().strip() == "0"
    assert years(lib) == ["1974"] * 4
    assert sum(p.stat().st_ino != inode for p, inode in inodes.items()) == 2  # the 1973 two
    assert mutagen.File(lib / "Metallica" / "Loose Song.flac")["artist"] == ["Metallica"]
    assert "(dismissed: left as it is by " in report(home, "Metallica")
    assert decide(home).stdout.strip() == "Nothing to decide."


def test_a_dismissal_sticks_until_the_files_change(processed):
    home, lib = processed
    assert decide(home, "music", "Metallica", "--dismiss", "missing-year").returncode == 0
    manager = ("music_queue_manager.py", "--home", home)
    batch = ("process_music_batch.py", "--home", home, "--offline", "--artist", "Metallica")

    run_script(*manager, "--reset-artist", "Metallica")
    run_script(*batch)  # the files as they were: the dismissal stands
    assert "(dismissed: left as it is by " in report(home, "Metallica")
    assert "missing-year" not in decide(home, "music", "Metallica").stdout

    tag_by_hand(lib / "Metallica" / "Loose Song.flac", "title", "Loose Song (live)")
    run_script(*manager, "--reset-artist", "Metallica")
    run_script(*batch)  # a file changed: asked again
    assert "dismissed" not in report(home, "Metallica")
    assert "missing-year" in decide(home, "music", "Metallica").stdout


def test_a_choice_and_its_undo_are_written_as_the_write_mode_says(processed):
    """``music.write_mode = "copy"`` promises that no file is ever seen with a torn tag: a
    choice and its undo must keep it too, each fixed file a changed copy put in its place (a
    new inode), never bytes written into the file itself."""
    home, lib = processed
    (home / "mediakeeper.toml").write_text('[music]\nwrite_mode = "copy"\n', encoding="utf-8")
    folder = lib / "Pink Floyd" / "1973 - Dark Side"

    def inodes() -> dict[str, int]:
        return {p.name: p.stat().st_ino for p in sorted(folder.glob("*.flac"))}

    before = inodes()
    took = decide(home, "music", "Pink Floyd", "--choose", "2")
    assert took.returncode == 0, took.stdout + took.stderr
    chosen = inodes()
    swapped = {name for name in before if chosen[name] != before[name]}
    assert len(swapped) == 2 and years(lib) == ["1974"] * 4  # the two tracks of 1973
    assert "values written to 2 files, all rewritten whole" in took.stdout.splitlines()

    undo = run_script("undo_changes.py", "--home", home, "--artist", "Pink Floyd")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    undone = inodes()
    assert {name for name in chosen if undone[name] != chosen[name]} == swapped
    assert "values written to 2 files, all rewritten whole" in undo.stdout.splitlines()
    assert years(lib) == ["1973", "1973", "1974", "1974"]


@pytest.mark.parametrize("dry_run", [False, True], ids=["decide", "dry-run"])
def test_a_choice_whose_file_would_be_left_alone_writes_nothing_and_says_why(processed, dry_run):
    """A read-only track among the album's: the decision is refused before a byte is
    written (not half taken), each file said with its own fix, and the decision stays open."""
    home, lib = processed
    folder = lib / "Pink Floyd" / "1973 - Dark Side"
    read_only = sorted(folder.glob("*.flac"))[0]
    read_only.chmod(0o444)
    before = {p: p.read_bytes() for p in folder.glob("*.flac")}
    took = decide(home, "music", "Pink Floyd", "--choose", "2", *(["--dry-run"] if dry_run else []))
    assert took.returncode == 1, took.stdout + took.stderr
    assert (
        f"left alone date of {read_only.relative_to(folder.parent)}: read-only (mode 444): left "
        "alone; make it writable (chmod u+w) if it should be fixed"
    ) in took.stderr
    assert "Nothing decided, nothing written: mend what is said above" in took.stderr
    assert "changed since the batch read it" not in took.stderr
    assert "would set" not in took.stdout, took.stdout  # (what the take refused whole)
    assert {p: p.read_bytes() for p in folder.glob("*.flac")} == before
    assert "### Needs a decision" in report(home, "Pink Floyd")
    journals = home / "status" / "music" / "changes"
    assert not journals.exists() or not list(journals.glob("*_decide.jsonl"))


def test_decide_i_starts_with_the_worst_question(tmp_path, music_library):
    """Issue 70: ``decide -i`` asks the worst first, whatever the names and counts: Aardvark
    comes first by name and has more questions (albums without a year, an album whose years
    disagree: warnings); Zappa's one loose track has no artist (an error). In tmux (a real
    terminal), the first question shown is Zappa's error, the one ``decide --json`` lists
    first."""
    import json

    from tests.integration.test_batch_terminal import TMUX, WIDTH, Tmux, _env, _quote
    from tests.integration.test_decisions_truth import album

    if TMUX is None:
        pytest.skip("tmux is not installed")
    split = album("Aardvark/Third", "Aardvark", 4, album="Third", albumartist="Aardvark")
    for n, (_, track) in enumerate(sorted(split.items())):  # its years disagree, 2 against 2
        track["tags"]["date"] = "1973" if n < 2 else "1974"
    spec = {**album("Aardvark/First", "Aardvark", 2, album="First", albumartist="Aardvark"),
            **album("Aardvark/Second", "Aardvark", 2, album="Second", albumartist="Aardvark"),
            **split,
            "Zappa/Loose Song.flac": {"tags": {"title": "Loose Song", "date": "1970"},
                                      "picture": True}}  # fmt: skip
    music_library(tmp_path / "lib", spec)
    home = tmp_path / "home"
    home.mkdir()
    run_script("process_music_batch.py", "--home", home, "--library", tmp_path / "lib",
               "--offline")  # fmt: skip
    listed = json.loads(decide(home, "--json").stdout)
    worst = listed["groups"][0]
    assert worst["severity"] == "error" and worst["items"] == ["Zappa"], listed
    assert {g["severity"] for g in listed["groups"][1:]} == {"warning"}
    zappa, aardvark = ([d for g in listed["groups"] for d in g["decisions"] if d["item"] == name]
                       for name in ("Zappa", "Aardvark"))  # fmt: skip
    assert len(aardvark) > len(zappa) == 1, listed  # not the worst by its count
    first = f"{worst['decisions'][0]['item']} · error {worst['code']}"

    tmux = Tmux(tmp_path, _env())
    argv = [sys.executable, str(REPO / "utilities" / "decide.py"), "--home", str(home), "-i"]
    tmux("new-session", "-d", "-x", str(WIDTH), "-y", "30", "-s", "t", "sh", "-c",
         " ".join(map(_quote, argv)))  # fmt: skip
    try:
        tmux("set-option", "-t", "t", "remain-on-exit", "on")

        def screen() -> str:
            return tmux("capture-pane", "-p", "-J", "-t", "t")

        # The first screen waits for a cold start (imports, templates) on a busy machine.
        assert wait_until(lambda: "[q] quit" in screen(), limit=120.0), screen()
        questions = [line for line in screen().splitlines() if " · " in line]
        assert questions[0].startswith(first), screen()
        assert "Aardvark" not in screen()
        tmux("send-keys", "-t", "t", "-l", "q")
        tmux("send-keys", "-t", "t", "Enter")
        assert wait_until(lambda: "Stopped; the rest wait" in screen()), screen()
    finally:
        subprocess.run([TMUX, "-S", str(tmux.socket), "kill-server"], capture_output=True)


def test_decide_i_walks_what_decide_lists_the_failed_items_too(demo_home, tmp_path):
    """``decide -i`` asks every question ``decide`` lists, in its order: the findings' groups
    worst first, then the demo's two failed conversions, each retried or skipped by its
    number (no dismissal offered). Before, the walk asked the findings alone and said
    "Nothing left to decide." with the failed items still listed. In tmux, a dry run: each
    finding passed over (s), a failed one's skip previewed, nothing written."""
    import json

    from tests.integration.test_batch_terminal import TMUX, WIDTH, Tmux, _env, run_recording_exit

    if TMUX is None:
        pytest.skip("tmux is not installed")
    listed = json.loads(decide(demo_home, "--json").stdout)
    findings = [d for g in listed["groups"] for d in g["decisions"]]
    failed = [d["item"] for g in listed["outstanding"] for d in g["decisions"]]
    assert len(failed) == 2 and findings, listed
    queue = demo_home / "status" / "conversions" / "processing_queue.json"
    before = queue.read_bytes()
    tmux, ended = Tmux(tmp_path, _env()), tmp_path / "status"
    argv = [sys.executable, str(REPO / "utilities" / "decide.py"), "--home", str(demo_home),
            "-i", "--dry-run"]  # fmt: skip
    tmux("new-session", "-d", "-x", str(WIDTH), "-y", "30", "-s", "t", "sh", "-c",
         run_recording_exit(argv, ended))  # fmt: skip
    try:
        tmux("set-option", "-t", "t", "remain-on-exit", "on")

        def history() -> str:  # the whole walk, not the last screen alone
            return tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "t")

        def answer(typed: str, asked: int) -> None:
            """Wait for the ``asked``-th question's prompt, then type ``typed``."""
            prompts = lambda: history().count("[q] quit")  # noqa: E731
            assert wait_until(lambda: prompts() >= asked, limit=120.0), history()
            tmux("send-keys", "-t", "t", "-l", typed)
            tmux("send-keys", "-t", "t", "Enter")

        for n in range(1, len(findings) + 1):
            answer("s", n)
        answer("2", len(findings) + 1)
        answer("s", len(findings) + 2)
        assert wait_until(ended.exists, limit=120.0), history()
        walked = history()
    finally:
        subprocess.run([TMUX, "-S", str(tmux.socket), "kill-server"], capture_output=True)
    assert ended.read_text().strip() == "0"
    headings = [line for line in walked.splitlines() if " · " in line]
    assert [h.split(" · ")[0] for h in headings] == [d["item"] for d in findings], walked
    asked = [line.split(":")[0] for line in walked.splitlines() if ": failed at stage " in line]
    assert asked == failed, walked
    tail = walked[walked.index(f"{failed[0]}: failed at stage "):]
    assert "[1] retry" in tail and "[2] skip" in tail and "[d]" not in tail, tail
    assert f"would put {failed[0]} back to skipped" in tail
    # Not "Nothing left to decide.": every finding and a failed item were passed over.
    assert f"{len(findings) + 1} decisions skipped, still open: nothing written; `decide` " \
        "lists what is open." in tail.replace("\n", ""), tail  # fmt: skip
    assert queue.read_bytes() == before  # a dry run


def test_decide_i_says_the_decisions_it_passed_over(processed, tmp_path):
    """In tmux, every decision passed over (s): the walk ended "Nothing left to decide."
    with all three still open; it says how many were skipped and that `decide` lists them."""
    import json

    from tests.integration.test_batch_terminal import TMUX, WIDTH, Tmux, _env, run_recording_exit

    if TMUX is None:
        pytest.skip("tmux is not installed")
    home, _ = processed
    tmux, ended = Tmux(tmp_path, _env()), tmp_path / "status"
    argv = [sys.executable, str(REPO / "utilities" / "decide.py"), "--home", str(home), "-i"]
    tmux("new-session", "-d", "-x", str(WIDTH), "-y", "30", "-s", "t", "sh", "-c",
         run_recording_exit(argv, ended))  # fmt: skip
    try:
        tmux("set-option", "-t", "t", "remain-on-exit", "on")

        def history() -> str:
            return tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "t")

        for asked in (1, 2, 3):
            assert wait_until(lambda n=asked: history().count("[q] quit") >= n, limit=120.0)
            tmux("send-keys", "-t", "t", "-l", "s")
            tmux("send-keys", "-t", "t", "Enter")
        assert wait_until(ended.exists, limit=120.0), history()
        walked = history()
    finally:
        subprocess.run([TMUX, "-S", str(tmux.socket), "kill-server"], capture_output=True)
    assert ended.read_text().strip() == "0"
    assert "Nothing left to decide." not in walked
    assert "3 decisions skipped, still open: `decide` lists them" in walked, walked
    assert json.loads(decide(home, "--json").stdout)["total"] == 3


def test_a_dismissal_stands_through_the_persons_own_choice(processed):
    """What the person dismissed is about files as they left them: their own choice written
    since (another tag of the same file) is no change of those files (a run's own writes:
    ``test_resolved_counts``). Before: the next run asked the dismissed question again."""
    home, _lib = processed
    manager = ("music_queue_manager.py", "--home", home)
    assert decide(home, "music", "Metallica", "--dismiss", "missing-year").returncode == 0
    took = decide(home, "music", "Metallica", "--set", "artist=Metallica")
    assert took.returncode == 0, took.stdout + took.stderr
    run_script(*manager, "--reset-artist", "Metallica")
    again = run_script("process_music_batch.py", "--home", home, "--offline", "--artist",
                       "Metallica")  # fmt: skip
    assert "missing-year" not in decide(home, "music", "Metallica").stdout, again.stdout
    assert "findings 1 · resolved 1" in again.stdout, again.stdout
