"""What items spent, added up and shared: several items a worker commits together share the
commit's spending (``batch.usage.shared``), each adding its share to its own
(``batch.usage.combined``)."""

from __future__ import annotations

from mediakeeper.batch import usage


def test_shares_add_back_up_to_what_was_spent_the_first_taking_what_does_not_divide():
    spent = {"bytes_read": 10, "bytes_written": 7, "lookups": {"musicbrainz": {"network": 2}}}
    shares = usage.shared(spent, 3)
    assert shares == [
        {"bytes_read": 4, "bytes_written": 3, "lookups": {"musicbrainz": {"network": 2}}},
        {"bytes_read": 3, "bytes_written": 2},
        {"bytes_read": 3, "bytes_written": 2},
    ]  # a service none of an item's share went to is not named in its event
    total: dict = {}
    for share in shares:
        total = usage.combined(total, share)
    assert total == spent


def test_combined_adds_counts_and_names_each_worker_once():
    first = {"bytes_sent": 5, "workers": ["w1", "w2"], "lookups": {"acoustid": {"cache": 1}}}
    second = {"bytes_sent": 2, "workers": ["w2", "w3"], "lookups": {"acoustid": {"network": 3}}}
    assert usage.combined(first, second) == {
        "bytes_sent": 7,
        "workers": ["w1", "w2", "w3"],
        "lookups": {"acoustid": {"cache": 1, "network": 3}},
    }
    assert first["bytes_sent"] == 5  # neither is changed
    assert usage.combined({}, {}) == {} and usage.shared({}, 2) == [{}, {}]
