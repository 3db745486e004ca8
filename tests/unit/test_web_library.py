"""The library's listing (``web.library``): what a search, a filter, an order and a page
select from the follower's entries, and a failure said in a person's words."""

from __future__ import annotations

import tempfile

import pytest

from mediakeeper.web.library import BadQuery, Listing, entry_of, query_of, readable_error, select

STATUSES = ("pending", "in_progress", "completed", "error", "skipped")


def item(key, status="completed", codes=None, at="", error=""):
    counts = {c: [1, 0] for c in codes or ()}
    return {"key": key, "name": key, "status": status, "completed_at": at, "last_error": error,
            "details": {"finding_counts": counts}}  # fmt: skip


ENTRIES = {e.key: e for e in map(entry_of, [
    item("Björk", codes=["missing-year"], at="2026-11-25T10:00:00+00:00"),
    item("bjork tribute", status="error", error="scan: unreadable"),
    item("ABBA", codes=["missing-year", "inconsistent-year"], at="2026-11-24T10:00:00+00:00"),
    item("Zappa", status="pending"),
])}  # fmt: skip


def listed(**params):
    query = query_of(params, STATUSES)
    return select(Listing().ordered(ENTRIES, 1, query.sort), query)


def test_a_search_folds_case_and_accents():
    total, rows = listed(q="BJÖRK")
    assert total == 2 and [r.name for r in rows] == ["Björk", "bjork tribute"]


def test_filters_by_status_and_by_open_code():
    assert [r.name for r in listed(status="error")[1]] == ["bjork tribute"]
    assert [r.name for r in listed(code="inconsistent-year")[1]] == ["ABBA"]
    assert listed(code="missing-year", q="abba")[0] == 1


def test_orders_and_pages():
    assert [r.name for r in listed(sort="decisions")[1]][:2] == ["ABBA", "Björk"]
    assert listed(sort="recent")[1][0].name == "Björk"
    assert listed(sort="status")[1][0].name == "bjork tribute"  # failed first
    total, rows = listed(offset="1", limit="2")
    assert total == 4 and [r.name for r in rows] == ["Björk", "bjork tribute"]


def test_orders_are_sorted_once_then_kept_in_order_as_entries_change():
    """Each order sorted when first asked for; every change after (an entry added, changed,
    removed) keeps it as a fresh sort of the entries would be, without sorting them again."""
    entries, listing = dict(ENTRIES), Listing()
    first = listing.ordered(entries, 7, "name")
    assert listing.ordered(entries, 8, "name") is first  # kept, not sorted again
    for sort in ("status", "recent", "decisions"):
        listing.ordered(entries, 8, sort)
    changes = [("Zappa", item("Zappa", codes=["track-gap"], at="2026-11-26T10:00:00+00:00")),
               ("ABBA", item("ABBA", status="error", error="scan: gone")),
               ("Cream", item("Cream", status="in_progress")),
               ("bjork tribute", None), ("Aha", item("Aha", at="2026-11-24T10:00:00+00:00"))]
    for version, (key, now) in enumerate(changes, 9):
        after = entry_of(now) if now else None
        listing.changed(entries.get(key), after)
        if after:
            entries[key] = after
        else:
            del entries[key]
        for sort in ("name", "status", "recent", "decisions"):
            fresh = Listing().ordered(entries, version, sort)
            assert listing.ordered(entries, version, sort) == fresh, (key, sort)
    assert [e.name for e in listing.ordered(entries, 13, "status")][:2] == ["ABBA", "Cream"]


@pytest.mark.parametrize("params", [{"status": "done"}, {"sort": "size"}, {"offset": "-1"},
                                    {"limit": "x"}, {"q": "x" * 501}])  # fmt: skip
def test_a_bad_query_says_which_part(params):
    with pytest.raises(BadQuery) as said:
        query_of(params, STATUSES)
    assert next(iter(params)) in str(said.value)
    assert "x" * 50 not in str(said.value)  # never echoed


def test_a_failure_names_files_not_working_folders():
    where = f"{tempfile.gettempdir()}/mk-123/_source/07 - Fitter Happier.ogg"
    said = readable_error(f"07 - Fitter Happier.ogg: does not decode: file:{where}: End of file")
    assert said == "07 - Fitter Happier.ogg: does not decode: 07 - Fitter Happier.ogg: End of file"
    assert readable_error("/home/me/working/conversions/x/_processed/a.opus: too short") \
        == "a.opus: too short"  # fmt: skip
