"""The watcher's catch-up reads only the top-level folders it looked at and found settled:
an album that lands between its look at the library and its refresh (a copy starting at
that instant) is left to its events, never read, queued or run half-copied (issue 69,
point 1). The album is made at that very instant by the look itself (its ``Ignore`` asked
about each folder), on real files, with the real queue."""

from __future__ import annotations

import time
from pathlib import Path

from mediakeeper.core.config import load_settings
from mediakeeper.watch.ignore import Ignore
from mediakeeper.watch.library import watched_libraries
from mediakeeper.watch.watcher import Watcher
from tests.integration.watching import home_for, items, library


class LandsWhileLooked(Ignore):
    """Asked about the library's first folder, starts a copy of another album."""

    def __init__(self, library: Path):
        super().__init__()
        self.library, self.landed = library, False

    def noise(self, name: str) -> bool:
        if not self.landed:
            self.landed = True
            album = self.library / "Late" / "Album"
            album.mkdir(parents=True)
            (album / "01 - One.flac").write_bytes(b"fLaC")  # the copy's first bytes
        return super().noise(name)


def test_an_album_landing_during_the_catch_up_is_left_to_its_events(tmp_path):
    albums = library(tmp_path / "Albums", "First")
    home = home_for(tmp_path, verify=albums)
    settings = load_settings(home)
    time.sleep(0.3)  # First has settled (the settle time below)
    said: list[str] = []
    ignore = LandsWhileLooked(albums)
    watcher = Watcher(settings, watched_libraries(settings), settle=0.2, longest=60,
                      say=said.append, ignore=ignore)  # fmt: skip
    watcher.catch_up()
    assert ignore.landed
    assert set(items(home, "verify")) == {"First/Album"}, said
    assert "verify: queued Late/Album (new)" not in said

