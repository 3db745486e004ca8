"""The transition table: every (old, new) pair over the five statuses, legal or not."""

from __future__ import annotations

import itertools

import pytest

from mediakeeper.core.errors import TransitionError
from mediakeeper.queue.items import STATUSES, check_transition

# Written out by hand from docs/architecture.md, "The queue", not derived from TRANSITIONS: a
# change to the table in the code must be a deliberate change here too.
LEGAL = {
    ("pending", "in_progress"),  # claimed
    ("pending", "skipped"),  # --skip-artist
    ("in_progress", "completed"),  # record_success
    ("in_progress", "error"),  # record_failure
    ("in_progress", "pending"),  # released (interrupted, stale)
    ("in_progress", "skipped"),  # failed max_attempts times
    ("completed", "pending"),  # --reset-artist
    ("completed", "in_progress"),  # re-run for enrichment
    ("error", "pending"),  # --reset-errors
    ("error", "in_progress"),  # retried by a batch
    ("error", "skipped"),  # --skip-artist
    ("skipped", "pending"),  # --reset-artist
}

ALL_STATUSES = ("pending", "in_progress", "completed", "error", "skipped")
PAIRS = list(itertools.product(ALL_STATUSES, repeat=2))


def test_the_five_statuses_are_the_documented_ones():
    assert set(STATUSES) == set(ALL_STATUSES)
    assert len(PAIRS) == 25


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[f"{o}->{n}" for o, n in PAIRS])
def test_transition(old, new):
    if (old, new) in LEGAL:
        check_transition(old, new)  # must not raise
    else:
        with pytest.raises(TransitionError, match=f"'{old}' -> '{new}'"):
            check_transition(old, new)


@pytest.mark.parametrize(
    ("old", "new"), [("bogus", "pending"), ("pending", "bogus"), ("", ""), ("done", "completed")]
)
def test_unknown_statuses_are_illegal(old, new):
    with pytest.raises(TransitionError):
        check_transition(old, new)


def test_transition_error_is_a_bug_not_user_input():
    from mediakeeper.core.errors import MediakeeperError

    assert not issubclass(TransitionError, MediakeeperError)
