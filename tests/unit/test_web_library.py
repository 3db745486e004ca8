"""The library's listing (``web.library``): what a search, a filter, an order and a page
select from the follower's entries, and a failure said in a person's words."""

from __future__ import annotations

import tempfile

import pytest

from mediakeeper.web.bodies import BadInput, parsed
from mediakeeper.web.library import ERROR_LENGTH, Listing, Query, entry_of, select


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
    query = parsed(params, Query)
    return select(Listing().ordered(ENTRIES, 1, query.sort), query)


def test_a_search_folds_case_and_accents():
    total, rows = listed(q="BJÖRK")
    assert total == 2 and [r.name for r in rows] == ["Björk", "bjork tribute"]


def test_a_search_finds_a_folder_named_with_the_stand_in_for_a_slash():
    """The page shows "AC⧸DC" as AC/DC: the "/" a person then types finds it."""
    acdc = entry_of(item("AC\u29f8DC"))
    query = parsed({"q": "ac/dc"}, Query)
    assert select(Listing().ordered({**ENTRIES, acdc.key: acdc}, 1, query.sort), query)[0] == 1


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


def test_two_items_whose_names_fold_alike_keep_their_own_places_as_they_change():
    """"Björk" and "Bjork" (two folders of one artist, as messy libraries have them) fold to
    the same text: each order still holds each of them once, the changed one as it is now."""
    entries = {e.key: e for e in map(entry_of, [item("Björk"), item("Bjork"), item("ABBA")])}
    listing = Listing()
    for sort in ("name", "status", "recent", "decisions"):
        listing.ordered(entries, 1, sort)
    for version, key in enumerate(("Bjork", "Björk", "Bjork"), 2):
        after = entry_of(item(key, codes=["missing-year"], status="completed",
                              at=f"2026-11-2{version}T10:00:00+00:00"))  # fmt: skip
        listing.changed(entries[key], after)
        entries[key] = after
        for sort in ("name", "status", "recent", "decisions"):
            shown = listing.ordered(entries, version, sort)
            assert sorted(shown, key=lambda e: e.key) == sorted(entries.values(),
                                                                 key=lambda e: e.key), sort


@pytest.mark.parametrize("params", [{"status": "done"}, {"sort": "size"}, {"offset": "-1"},
                                    {"limit": "x"}, {"limit": "0"}, {"q": "x" * 501},
                                    {"code": "x" * 201},
                                    {"offset": "9" * 5000}])  # fmt: skip
def test_a_bad_query_says_which_part(params):
    with pytest.raises(BadInput) as said:
        parsed(params, Query)
    assert str(said.value).startswith(f"{next(iter(params))}: ")
    assert "x" * 50 not in str(said.value) and "9" * 50 not in str(said.value)  # never echoed
    assert "\n" not in str(said.value) and said.value.status == 400


def test_a_blank_parameter_is_as_if_absent_and_a_limit_past_a_page_is_a_page():
    assert parsed({"status": "", "sort": "", "limit": "", "kind": "music"}, Query) == Query()
    assert parsed({"limit": "100000"}, Query).limit == 500  # (0 is refused: it gave one)


def test_a_failure_names_files_not_working_folders_in_one_line():
    """The library's entry says an item's last error as ``text.failures.plain_error`` does
    for every face: a temporary or working folder's path as its file's name; one line, cut."""
    where = f"{tempfile.gettempdir()}/mk-123/_source/07 - Fitter Happier.ogg"
    said = entry_of(item("a", "error", error=f"07 - Fitter Happier.ogg: does not decode: "
                                             f"file:{where}: End of file")).error  # fmt: skip
    assert said == "07 - Fitter Happier.ogg: does not decode: 07 - Fitter Happier.ogg: End of file"
    processed = "/home/me/working/conversions/x/_processed/a.opus: too short\n  at line 2"
    assert entry_of(item("b", "error", error=processed)).error == "a.opus: too short at line 2"
    long = entry_of(item("c", "error", error="scan: " + "é" * 1000)).error
    assert len(long) == ERROR_LENGTH and long.endswith("…")


def test_a_failure_shows_a_digest_by_its_start():
    said = entry_of(item("a", "error", error=(
        "a.flac: its decoded audio's MD5 f1f62466079d50a485fc3a1182beab5a is not the "
        "1ee0193671609c7d63cfe89b920ad313 its FLAC header holds"))).error  # fmt: skip
    assert said == "a.flac: its decoded audio's MD5 f1f62466… is not the 1ee01936… its FLAC " \
        "header holds"  # fmt: skip
    for whole in ("track 0123456789 of 20260101",
                  "cannot read /m/d41d8cd98f00b204e9800998ecf8427e.flac: gone",
                  "cannot read d41d8cd98f00b204e9800998ecf8427e.flac."):  # fmt: skip
        assert entry_of(item("b", "error", error=whole)).error == whole
    end = entry_of(item("c", "error", error="MD5 d41d8cd98f00b204e9800998ecf8427e.")).error
    assert end == "MD5 d41d8cd9…."
