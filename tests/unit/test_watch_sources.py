"""The watcher's sources speak watchfiles' change values without importing it at start-up
(``mediakeeper.watch.sources``): the values it names must be watchfiles' own."""

from __future__ import annotations

import watchfiles

from mediakeeper.watch.sources import DELETED, MODIFIED


def test_the_change_values_named_are_watchfiles_own():
    assert (watchfiles.Change.modified, watchfiles.Change.deleted) == (MODIFIED, DELETED)
