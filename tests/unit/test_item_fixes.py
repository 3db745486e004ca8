"""An item's fixes kept apart from its decisions (``queue.items.FIXES``): what a run that goes
on from the earlier ones (music's --enrich) counts on, from a queue of this release, of one
before it, and of a hand edit."""

from __future__ import annotations

from mediakeeper.core.decisions import DISMISSED, by_rule
from mediakeeper.queue.items import (
    EARLIER_FIXES,
    FIXES,
    asked_details,
    count_totals,
    fixes_so_far,
    kept_fixes,
)

PERSON = {"what": DISMISSED, "by": "me", "at": "2026-11-29T10:00:00+00:00", "session": ""}
CHOSE = {"what": "chose date '1974'", "by": "me", "at": "2026-11-29T10:00:00+00:00",
         "session": "20261129T100000_decide"}  # fmt: skip


def record(code: str, *, fixed: bool = False, decided: dict | None = None) -> dict:
    return {"code": code, "severity": "warning", "path": "a.flac", "album": "", "fixed": fixed,
            "decided": decided}  # fmt: skip


def test_fixes_and_choices_are_kept_apart_from_dismissals():
    findings = [record("whitespace", fixed=True), record("inconsistent-year", decided=CHOSE),
                record("missing-year", decided=PERSON),
                record("filename-mismatch", decided=by_rule("filename-mismatch", "dismiss", "x")),
                record("missing-artist")]  # fmt: skip
    asked = asked_details(findings)
    assert asked[FIXES] == {"whitespace": 1, "inconsistent-year": 1}
    assert EARLIER_FIXES not in asked  # only a run that goes on from earlier ones keeps them
    assert count_totals(asked["finding_counts"]) == {"issues_found": 5, "issues_resolved": 4}


def test_earlier_fixes_are_counted_found_and_settled_and_kept():
    asked = asked_details([record("missing-year", decided=PERSON)], {"whitespace": 2})
    assert asked["finding_counts"] == {"missing-year": [1, 1], "whitespace": [2, 2]}
    assert asked[FIXES] == {"whitespace": 2} and asked[EARLIER_FIXES] == {"whitespace": 2}
    assert kept_fixes(asked) == {"whitespace": 2}
    assert kept_fixes({}) is None


def test_an_older_queue_counts_on_what_its_counts_settled_but_the_dismissals_found_again():
    older = {"finding_counts": {"whitespace": [2, 2], "missing-year": [2, 1],
                                "missing-artist": [1, 0]}}  # fmt: skip
    again = [record("missing-year", decided=PERSON), record("missing-year")]
    assert fixes_so_far(older, again) == {"whitespace": 2}
    assert fixes_so_far({**older, FIXES: {"whitespace": 2, "missing-year": 0}}, again) == {
        "whitespace": 2}


def test_a_hand_edit_is_not_counted():
    assert fixes_so_far({"finding_counts": {"whitespace": [2, "2"]}}, []) == {}
    assert fixes_so_far({"finding_counts": "lots"}, []) == {}
    # Fixes that are not whole numbers: the counts decide, as for an older queue.
    edited = {FIXES: {"whitespace": -1}, "finding_counts": {"whitespace": [1, 1]}}
    assert fixes_so_far(edited, []) == {"whitespace": 1}
    assert kept_fixes({EARLIER_FIXES: {"whitespace": 1.5}}) is None
