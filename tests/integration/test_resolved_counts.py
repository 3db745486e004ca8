"""How an artist's findings are counted when it runs again: each once, whichever path counts
it. A fix an earlier run wrote (kept by an --enrich run, whose scan no longer finds it), a
decision standing (a dismissal the files still answer, a rule), a finding still open. Real
audio, the real scripts, a fake MusicBrainz on loopback.

Before: a standing dismissal was not counted resolved when the artist ran again ("findings
2 · resolved 0" beside the dismissal), and an --enrich run after a dismissal counted it twice
(``missing-year: [2, 2]``); a decision taken after an --enrich run dropped the earlier
runs' fixes from the counts."""

from __future__ import annotations

import re

import pytest

from mediakeeper.queue.items import EARLIER_FIXES, FIXES
from mediakeeper.queue.store import QueueStore
from tests.helpers import run_script
from tests.helpers.deciding import decide
from tests.integration.test_music_enrichment import fake, queue_of, run  # noqa: F401

MANAGER = "music_queue_manager.py"


def totals_agree(item: dict) -> tuple[int, int]:
    """The item's counters, checked against its counts by code (every surface reads one or
    the other): (found, resolved)."""
    counts = item["details"]["finding_counts"]
    assert sum(n[0] for n in counts.values()) == item["issues_found"], item
    assert sum(n[1] for n in counts.values()) == item["issues_resolved"], item
    return item["issues_found"], item["issues_resolved"]


def summary_counts(out: str) -> tuple[int, int]:
    """A batch's closing line "findings N · resolved M"."""
    found, resolved = re.search(r"findings (\d+) · resolved (\d+)", out).groups()
    return int(found), int(resolved)


def test_a_standing_dismissal_is_resolved_when_the_artist_runs_again(processed):
    home, _lib = processed
    assert decide(home, "music", "Metallica", "--dismiss", "missing-year").returncode == 0
    item = queue_of(home)["Metallica"]
    assert totals_agree(item) == (2, 1)
    run_script(MANAGER, "--home", home, "--reset-artist", "Metallica")
    again = run_script("process_music_batch.py", "--home", home, "--offline", "--artist",
                       "Metallica")  # fmt: skip
    assert summary_counts(again.stdout) == (2, 1), again.stdout
    assert totals_agree(queue_of(home)["Metallica"]) == (2, 1)
    shown = run_script(MANAGER, "--home", home, "--show-summary").stdout
    assert "8 findings, 5 resolved" in shown, shown  # as right after the decision


def test_a_rule_settles_its_findings_as_resolved_in_the_first_run(tmp_path, music_library):
    lib, home = tmp_path / "lib", tmp_path / "home"
    music_library(lib, {"Metallica/Loose Song.flac": {"tags": {"title": "Loose Song",
                                                               "artist": "Metallica"},
                                                      "picture": True}})  # fmt: skip
    home.mkdir()
    (home / "mediakeeper.toml").write_text('decisions.missing-year = "dismiss"\n', "utf-8")
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    found, resolved = totals_agree(queue_of(home)["Metallica"])
    assert resolved == queue_of(home)["Metallica"]["details"]["finding_counts"]["missing-year"][1]
    assert (found, resolved) == summary_counts(batch.stdout) and resolved == 1, batch.stdout


def _library(root):
    """Portishead: an album whose genre has a double space (two fixes), whose years split two
    against two (a choice), and a loose track without a year (a dismissal); a second album
    split the same way, left open until after --enrich."""
    from mediakeeper.demo import tracks as synth

    def track(rel: str, **tags: str) -> None:
        values = {"artist": "Portishead", "albumartist": "Portishead", "title": rel, **tags}
        synth.make_track(root / "Portishead" / rel, "flac", values)

    for n, year in enumerate(("1994", "1994", "1995", "1995"), 1):
        track(f"1994 - Dummy/{n:02d}.flac", album="Dummy", date=year, tracknumber=str(n),
              genre="Trip  Hop" if n <= 2 else "Trip Hop")  # fmt: skip
    for n, year in enumerate(("1997", "1997", "1998", "1998"), 1):
        track(f"1997 - Second/{n:02d}.flac", album="Second", date=year, tracknumber=str(n))
    track("Loose.flac")


def _strip_fixes(home) -> None:
    """The queue as a release before the fixes were kept apart wrote it."""
    store = QueueStore(home / "status/music", "music")

    def old(item: dict) -> bool:
        for key in (FIXES, EARLIER_FIXES):
            item["details"].pop(key, None)
        return True

    store.update_item("Portishead", old)


@pytest.mark.parametrize("older", [False, True], ids=["queue", "older-queue"])
def test_enrich_counts_each_fix_and_decision_once(fake, tmp_path, older):  # noqa: F811
    library, home = tmp_path / "Music", tmp_path / "home"
    _library(library)
    assert run(fake, home, library, "--offline").returncode == 1
    before = queue_of(home)["Portishead"]["details"]["finding_counts"]
    assert before["whitespace"] == [2, 2] and before["missing-year"] == [1, 0]
    assert before["inconsistent-year"] == [2, 0]
    took = decide(home, "music", "Portishead", "--code", "inconsistent-year", "--album",
                  "1994 - Dummy", "--choose", "2")  # fmt: skip
    assert took.returncode == 0, took.stdout + took.stderr
    took = decide(home, "music", "Portishead", "--dismiss", "missing-year")
    assert took.returncode == 0, took.stdout + took.stderr
    decided = queue_of(home)["Portishead"]
    found, resolved = totals_agree(decided)
    if older:
        _strip_fixes(home)

    enrich = run(fake, home, library, "--enrich")
    assert enrich.returncode == 1, enrich.stdout + enrich.stderr  # the Second album asks
    item = queue_of(home)["Portishead"]
    counts = item["details"]["finding_counts"]
    assert counts["whitespace"] == [2, 2]  # the offline run's fixes, counted on
    assert counts["missing-year"] == [1, 1]  # the dismissal, standing: once
    assert counts["inconsistent-year"] == [2, 1]  # the choice, in the files; Second's open
    assert counts["artist-not-found"] == [1, 0]  # this run's own
    assert totals_agree(item) == (found + 1, resolved)
    # The run's own closing line: what its scan found (the dismissed finding among it, not
    # the three fixes written before) and settled (that dismissal).
    assert summary_counts(enrich.stdout) == (found + 1 - 3, 1), enrich.stdout

    # A decision after the --enrich run keeps counting the earlier runs' fixes.
    took = decide(home, "music", "Portishead", "--code", "inconsistent-year", "--album",
                  "1997 - Second", "--choose", "1")  # fmt: skip
    assert took.returncode == 0, took.stdout + took.stderr
    item = queue_of(home)["Portishead"]
    counts = item["details"]["finding_counts"]
    assert counts["whitespace"] == [2, 2] and counts["inconsistent-year"] == [2, 2]
    assert totals_agree(item) == (found + 1, resolved + 1)


def test_a_dismissal_stands_through_the_ids_an_enrich_run_writes(fake, tmp_path):  # noqa: F811
    """The run's own writes (MusicBrainz's ids in the tags) are no change of the files the
    person dismissed about. Before: the next run asked the dismissed question again."""
    fake.add_artist("Portishead", release_groups=[("Dummy", "1994-08-22")])
    library, home = tmp_path / "Music", tmp_path / "home"
    _library(library)
    assert run(fake, home, library, "--offline").returncode == 1
    assert decide(home, "music", "Portishead", "--dismiss", "missing-year").returncode == 0
    enrich = run(fake, home, library, "--enrich")
    assert queue_of(home)["Portishead"]["details"]["files_written"], enrich.stdout  # the ids
    run_script(MANAGER, "--home", home, "--reset-artist", "Portishead")
    again = run(fake, home, library, "--offline")
    counts = queue_of(home)["Portishead"]["details"]["finding_counts"]
    assert counts["missing-year"] == [1, 1], again.stdout
