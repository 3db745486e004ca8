"""One file's bit rate is one figure wherever it is shown: its finding, the upgrades list, a
duplicate's grade and its row among the copies (a floor and two roundings said 111 and 112
kbps of the same file)."""

from __future__ import annotations

import pytest

from mediakeeper.core.units import kbps
from mediakeeper.dupes.grade import grade
from mediakeeper.dupes.questions import side_by_side
from mediakeeper.music.rules import find_issues
from mediakeeper.reports.upgrades import Upgrade
from mediakeeper.web.page import TEMPLATES
from tests.unit.test_rules import abbey, of


@pytest.mark.parametrize(("bits", "said"), [(111_500, 112), (112_500, 113), (111_499, 111),
                                            (127_999, 128), (96_000, 96)])  # fmt: skip
def test_every_place_says_the_same_kbps(bits, said):
    assert kbps(bits) == said
    finding = of(find_issues(abbey({"bitrate": bits, "format": "m4a"})), "low-bitrate")
    if bits < 128_000:
        assert f"only {said} kbps;" in finding[0].message
    upgrade = Upgrade("Artist", "Album", ("low-bitrate",), ("mp3",), bits, 1)
    assert f"(mp3, {said} kbps, 1 file)" in upgrade.line()
    entry = {"format": "mp3", "bitrate": bits, "lossless": False, "sample_rate": 44100}
    assert grade(entry).text == f"MP3 {said} kbps"
    assert f" {said} kbps " in " ".join(side_by_side([{"path": "a.mp3", "format": "mp3",
                                                         "bitrate": bits}]))  # fmt: skip
    page = TEMPLATES.from_string("{{ b|kbps }} kbps").render(b=bits)  # the decision page's
    assert page == f"{said} kbps"
