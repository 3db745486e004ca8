"""Session records: numbering per day, the human log, and the folded machine record."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

from mediakeeper.fs import last_given
from mediakeeper.queue.session_log import (
    EVENTS_FILE,
    ItemLine,
    kind_of,
    load_sessions,
    start_session,
)


def log_dir(status_dir):
    return status_dir / "music" / "session_logs"


def test_a_session_id_names_its_kind_even_a_pipeline_whose_name_holds_underscores(
    tmp_path, clock
):
    """The web app stops a batch it did not start by the kind its session id names: split at
    every "_", a pipeline named "to_phone" was looked for under "pipeline-to" (404)."""
    status = tmp_path / "status"
    for kind in ("music", "pipeline-to_phone", "pipeline-a_b_c"):
        assert kind_of(start_session(status, kind, clock=clock).id) == kind
    for not_an_id in ("", "nope", "nope_music_001", "20240309_music", "20240309__001"):
        assert kind_of(not_an_id) == ""


def test_sessions_are_numbered_per_day(tmp_path, clock):
    status = tmp_path / "status"
    first = start_session(status, "music", clock=clock)
    clock.advance(hours=2)
    second = start_session(status, "music", clock=clock)
    assert (first.id, second.id) == ("20240309_music_001", "20240309_music_002")
    assert first.log_path == log_dir(status) / "20240309_music_001.log"
    assert second.log_path == log_dir(status) / "20240309_music_002.log"
    assert sorted(p.name for p in log_dir(status).iterdir()) == [
        "20240309_music_001.log",
        "20240309_music_002.log",
    ]
    clock.advance(days=1)
    assert start_session(status, "music", clock=clock).id == "20240310_music_001"


def test_numbering_continues_after_the_highest_number_of_the_day(tmp_path, clock):
    status = tmp_path / "status"
    log_dir(status).mkdir(parents=True)
    (log_dir(status) / "20240309_music_007.log").write_text("")
    (log_dir(status) / "20240308_music_041.log").write_text("")
    (log_dir(status) / "20240309_music_notes.log").write_text("")
    assert start_session(status, "music", clock=clock).id == "20240309_music_008"


def test_an_id_is_never_given_again_once_its_log_is_deleted(tmp_path, clock):
    """`sessions clean` deletes the logs the numbering read: the next batch of the day took
    the first one's id again, its changes joined that session's journal (one undo took both
    back) and its record hid the first one's."""
    status = tmp_path / "status"
    first = start_session(status, "music", clock=clock)
    first.end("completed")
    first.log_path.unlink()  # as `sessions clean` deletes it; its records stay
    second = start_session(status, "music", clock=clock)
    assert (first.id, second.id) == ("20240309_music_001", "20240309_music_002")
    assert [r.id for r in load_sessions(status, "music")] == [first.id, second.id]


def test_where_the_last_id_given_is_lost_the_records_and_journals_still_name_theirs(
    tmp_path, clock
):
    """Without the file of the ids given (a home of an older release, the file deleted or
    damaged) the next number comes after every one the kind's records, change journals and
    logs still name, its logs deleted or not."""
    status = tmp_path / "status"
    for _ in range(3):
        start_session(status, "music", clock=clock).end("completed")
    (status / "music" / "changes").mkdir()
    (status / "music" / "changes" / "20240309_music_005.jsonl").write_text("")
    (status / "music" / "changes" / "20240308_music_041.jsonl").write_text("")  # a day before
    start_session(status, "pipeline-music_7", clock=clock)  # another kind's: not counted
    for log in log_dir(status).iterdir():
        log.unlink()
    ids = status / last_given.FILE
    ids.write_bytes(b"")  # none: the change journal's 5 is the highest
    assert start_session(status, "music", clock=clock).id == "20240309_music_006"
    for lost, number in ((b'{"music": "20240309_mus', 7), (b"[]", 8)):  # cut short, damaged
        ids.write_bytes(lost)
        for log in log_dir(status).iterdir():
            log.unlink()
        assert start_session(status, "music", clock=clock).id == f"20240309_music_00{number}"
    ids.unlink()
    assert start_session(status, "music", clock=clock).id == "20240309_music_009"
    clock.advance(days=-1)  # a clock set back: the day before's ids are looked for
    assert start_session(status, "music", clock=clock).id == "20240308_music_042"


def test_processes_starting_at_once_never_share_an_id(tmp_path, child_env):
    """Four processes start sessions of one kind at once, each deleting its log at once (as
    a clean running beside them would), and take decisions' and undos' ids: none is given
    twice, and each family's come in order."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from mediakeeper.fs import last_given\n"
        "from mediakeeper.queue.session_log import start_session\n"
        "status = Path(sys.argv[1])\n"
        "for _ in range(25):\n"
        "    s = start_session(status, 'music')\n"
        "    s.log_path.unlink()\n"
        "    print(s.id)\n"
        "    print(last_given.stamped(status, 'decide', suffix='_decide'))\n"
        "    print(last_given.stamped(status, 'undo', prefix='undo_'))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], env=child_env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]  # fmt: skip
    given = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        given += out.split()
    assert len(given) == len(set(given)) == 4 * 25 * 3
    recorded = json.loads((tmp_path / last_given.FILE).read_bytes())
    for family, last in recorded.items():
        mine = sorted(i for i in given if family in i)
        assert len(mine) == 100 and mine[-1] == last


def test_a_full_disk_leaves_the_ids_given_as_they_were(tmp_path, child_env):
    """The file is replaced whole: a write the disk has no room for (a real limit on the
    size of the files the process writes) fails naming it, and leaves it as it was, where
    one rewritten in place was left cut short and every id it recorded lost."""
    ids = tmp_path / last_given.FILE
    ids.write_text('{"music": "20240309_music_007"}\n')
    script = (
        "import resource, signal, sys\n"
        "from pathlib import Path\n"
        "from mediakeeper.fs import last_given\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (40, 40))\n"
        "last_given.stamped(Path(sys.argv[1]), 'undo', prefix='undo_')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=child_env,
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 1 and f"{ids}" in proc.stderr, proc.stderr
    assert ids.read_text() == '{"music": "20240309_music_007"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == [last_given.FILE]


def test_an_id_of_the_moment_comes_after_the_last_one_given_whatever_the_clock_says(tmp_path):
    """Two processes within one microsecond, or a clock set back: the decision's id is
    still a new one, a microsecond after the last given."""
    (tmp_path / last_given.FILE).write_text('{"decide": "29991231T235959999999_decide"}')
    assert last_given.stamped(tmp_path, "decide", suffix="_decide") == (
        "30000101T000000000000_decide"
    )
    undo = last_given.stamped(tmp_path, "undo", prefix="undo_")  # each family its own
    assert undo.startswith(f"undo_{datetime.now(UTC):%Y%m%d}")


def test_the_log_has_start_items_and_end(tmp_path, clock):
    status = tmp_path / "status"
    session = start_session(status, "music", clock=clock, description="batch of 10")
    clock.advance(seconds=30)
    session.item("abba", "ABBA", "completed", tracks=12, issues_found=3)
    clock.advance(seconds=30)
    session.item("ac-dc", "AC⧸DC", "error", error="MusicBrainz is down\nretry later")
    clock.advance(seconds=30)
    session.items([ItemLine("odd", "Odd\nName", "released", {"reason": "interrupted"})])
    session.end("interrupted", {"completed": 1, "errors": 1})

    lines = session.log_path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("2024-03-09 10:30:00+00:00  START session 20240309_music_001")
    assert "batch of 10" in lines[0]
    assert lines[1] == "2024-03-09 10:30:30+00:00  COMPLETED  ABBA (tracks 12, issues found 3)"
    assert lines[2] == "2024-03-09 10:31:00+00:00  ERROR      AC⧸DC"
    assert lines[3].endswith("error: MusicBrainz is down")
    assert lines[4].endswith("retry later")
    # A folder name may hold a line break: every line of the log still starts with its time.
    assert lines[5:7] == [
        "2024-03-09 10:31:30+00:00  RELEASED   Odd",
        "2024-03-09 10:31:30+00:00  Name (reason interrupted)",
    ]
    assert (
        lines[-1] == "2024-03-09 10:31:30+00:00  END interrupted after 90s: completed 1, errors 1"
    )
    [record] = load_sessions(status, "music")
    assert (record.items_done, record.items_failed) == (1, 1)


def test_end_is_written_once(tmp_path, clock):
    session = start_session(tmp_path, "music", clock=clock)
    session.end("completed")
    clock.advance(minutes=1)
    session.end("failed")
    text = session.log_path.read_text(encoding="utf-8")
    assert text.count("END ") == 1 and "END completed" in text
    (record,) = load_sessions(tmp_path, "music")
    assert record.outcome == "completed"


def test_load_sessions_folds_the_events(tmp_path, clock):
    status = tmp_path / "status"
    one = start_session(status, "music", clock=clock)
    clock.advance(seconds=10)
    one.item("a", "A", "completed", tracks=3)
    clock.advance(seconds=10)
    one.item("b", "B", "skipped", error="unreadable")
    clock.advance(seconds=10)
    one.item("c", "C", "completed")
    clock.advance(seconds=15)
    one.end("completed", {"items": 3})
    clock.advance(minutes=5)
    two = start_session(status, "music", clock=clock)
    clock.advance(seconds=20)
    two.end("failed")

    records = load_sessions(status, "music")
    assert [r.id for r in records] == ["20240309_music_001", "20240309_music_002"]
    first, second = records
    assert (first.kind, first.outcome, first.items_done, first.seconds) == (
        "music",
        "completed",
        2,
        45.0,
    )
    assert first.started_at == datetime(2024, 3, 9, 10, 30, tzinfo=UTC)
    assert first.ended_at == datetime(2024, 3, 9, 10, 30, 45, tzinfo=UTC)
    assert [i["key"] for i in first.items] == ["a", "b", "c"]
    assert first.summary["items"] == 3 and first.summary["seconds"] == 45.0
    assert (second.outcome, second.items_done, second.seconds) == ("failed", 0, 20.0)


def test_a_reader_that_needs_counts_gets_them_without_the_item_events(tmp_path, clock):
    """What a report reads: the same counts and times, no event kept (held, every item of
    every session ever run stayed in memory); a name with a line separator of Unicode's
    (written as it is by the JSON) is still one line."""
    status = tmp_path / "status"
    one = start_session(status, "music", clock=clock)
    for n, outcome in enumerate(["completed", "error", "released", "completed", "skipped"]):
        clock.advance(seconds=7)
        one.item(f"k{n}", f"Name\u2028{n}", outcome)
    (kept,) = load_sessions(status, "music")
    (counted,) = load_sessions(status, "music", items=False)
    assert [i["name"] for i in kept.items] == [f"Name\u2028{n}" for n in range(5)]
    assert counted.items == []
    assert (counted.items_done, counted.items_failed, counted.seconds) == (2, 2, 35.0)
    assert (kept.items_done, kept.items_failed, kept.seconds) == (2, 2, 35.0)
    assert counted.outcome == kept.outcome == "running"


def test_no_sessions_yet(tmp_path):
    assert load_sessions(tmp_path / "status", "music") == []


def test_an_open_session_of_a_live_process_is_running(tmp_path, clock):
    session = start_session(tmp_path, "music", clock=clock)
    clock.advance(seconds=5)
    session.item("a", "A", "completed")
    (record,) = load_sessions(tmp_path, "music")
    assert (record.outcome, record.ended_at, record.items_done, record.seconds) == (
        "running",
        None,
        1,
        5.0,
    )


def test_a_session_whose_process_was_killed_is_crashed(tmp_path, child_env):
    """A real batch process starts a session, records one item and is SIGKILLed."""
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from mediakeeper.queue.session_log import start_session\n"
        "s = start_session(Path(sys.argv[1]), 'music')\n"
        "s.item('queen', 'Queen', 'completed', tracks=5)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], env=child_env, capture_output=True
    )
    assert proc.returncode == -9, proc.stderr.decode()
    (record,) = load_sessions(tmp_path, "music")
    assert record.outcome == "unrecorded"
    assert record.ended_at is None
    assert record.items_done == 1
    assert record.seconds >= 0.0
    log = record_log(tmp_path, record.id)
    assert "START session" in log and "COMPLETED  Queen" in log and "END" not in log


def record_log(status_dir, session_id):
    return (log_dir(status_dir) / f"{session_id}.log").read_text(encoding="utf-8")


def test_a_torn_last_line_is_ignored_and_the_next_session_still_counts(tmp_path, clock):
    one = start_session(tmp_path, "music", clock=clock)
    one.item("a", "A", "completed")
    events = tmp_path / "music" / EVENTS_FILE
    with open(events, "ab") as f:  # a power cut in the middle of an append
        f.write(b'{"session": "20240309_music_001", "event": "item", "at": "2024-03-')
    records = load_sessions(tmp_path, "music")
    assert [(r.id, r.items_done) for r in records] == [("20240309_music_001", 1)]

    clock.advance(minutes=1)
    one.end("completed")
    clock.advance(minutes=1)
    two = start_session(tmp_path, "music", clock=clock)
    two.item("b", "B", "completed")
    two.end("completed")
    records = load_sessions(tmp_path, "music")
    assert [(r.id, r.outcome, r.items_done) for r in records] == [
        ("20240309_music_001", "completed", 1),
        ("20240309_music_002", "completed", 1),
    ]
    # the damaged line stays a line of its own; every other line parses
    lines = events.read_bytes().splitlines()
    assert sum(1 for line in lines if not _parses(line)) == 1


def _parses(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def test_a_session_crossing_midnight_keeps_its_start_day(tmp_path, clock):
    clock.now = datetime(2024, 3, 9, 23, 59, 30, tzinfo=UTC)
    session = start_session(tmp_path, "music", clock=clock)
    clock.advance(minutes=1)
    session.item("a", "A", "completed")
    clock.advance(minutes=1)
    session.end("completed")
    assert session.id == "20240309_music_001"
    assert sorted(p.name for p in log_dir(tmp_path).iterdir()) == ["20240309_music_001.log"]
    log = session.log_path.read_text(encoding="utf-8")
    assert "2024-03-10 00:01:30+00:00  END completed after 120s" in log
    (record,) = load_sessions(tmp_path, "music")
    assert (record.id, record.seconds, record.items_done) == ("20240309_music_001", 120.0, 1)
    # the next run, after midnight, starts the new day's numbering
    assert start_session(tmp_path, "music", clock=clock).id == "20240310_music_001"


def test_kinds_keep_separate_records(tmp_path, clock):
    start_session(tmp_path, "music", clock=clock).end("completed")
    movie = start_session(tmp_path, "movies", clock=clock)
    assert movie.id == "20240309_movies_001"
    assert movie.log_path.parent == tmp_path / "movies" / "session_logs"
    assert [r.kind for r in load_sessions(tmp_path, "movies")] == ["movies"]
    assert len(load_sessions(tmp_path, "music")) == 1


def test_sessions_show_counts_each_plugin_an_item_lacks(tmp_path, clock, child_env):
    """A session recorded the plugins an item lacked joined in one text, and ``sessions
    show`` counted that text as one plugin: an artist lacking two, beside one lacking the
    first, made "the findings of rule plugin 'a', rule plugin 'a', rule plugin 'b'". A record
    written so before is still read plugin by plugin."""
    status = tmp_path / "home" / "status"
    session = start_session(status, "music", clock=clock)
    session.item("one", "One", "completed", without_findings_of=["rule plugin 'a'"])
    session.item("two", "Two", "completed",
                 without_findings_of=["rule plugin 'a'", "rule plugin 'b'"])  # fmt: skip
    session.item("old", "Old", "completed", without_findings_of="rule plugin 'a', rule plugin 'b'")
    session.end("completed", {"completed": 3})
    shown = subprocess.run(
        [sys.executable, "-m", "mediakeeper", "sessions", "--home", str(tmp_path / "home"),
         "show", session.id], env=child_env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "COMPLETED  Two  (without the findings of rule plugin 'a', rule plugin 'b')" in shown
    assert "\n3 artists lack the findings of rule plugin 'a', rule plugin 'b' (" in shown, shown
    log = session.log_path.read_text("utf-8")
    assert "COMPLETED  Two (without findings of rule plugin 'a', rule plugin 'b')" in log, log
