"""mediakeeper.text.width against wcwidth, an implementation that is not the toolkit's."""

from __future__ import annotations

import unicodedata

import pytest
from wcwidth import wcswidth

from mediakeeper.text.width import cut, fit, pad, width

NAMES = [
    "ABBA",
    "日本のバンド",
    "🎸 Emoji Band",
    unicodedata.normalize("NFD", "Beyoncé"),
    "Sigur Rós",
    "Ｆｕｌｌ　Ｗｉｄｔｈ",
]


@pytest.mark.parametrize("name", NAMES)
def test_width_is_the_cells_a_terminal_gives(name):
    assert width(name) == wcswidth(name)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("cells", [1, 2, 3, 5, 8, 40])
def test_cut_and_pad_fill_exactly_the_cells(name, cells):
    shown = pad(cut(name, cells), cells)
    assert wcswidth(shown) == cells
    if wcswidth(name) > cells:
        assert shown.rstrip().endswith("…")
    else:
        assert shown.startswith(name)


def test_a_decomposed_accent_stays_with_its_letter():
    assert cut(unicodedata.normalize("NFD", "Beyoncé Knowles"), 8) == unicodedata.normalize(
        "NFD", "Beyoncé…"
    )


def test_every_printable_ascii_text_is_as_wide_as_it_is_long():
    """(Measured without rich: one cell a character, as wcwidth says too.)"""
    text = "".join(chr(c) for c in range(32, 127))
    assert width(text) == len(text) == wcswidth(text)
    assert width("a\tb") == wcswidth("a") + wcswidth("b")  # a tab is no printable cell


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("cells", [1, 2, 3, 5, 8, 40])
def test_fit_is_cut_then_pad_measured_once(name, cells):
    assert fit(name, cells) == fit(name, cells, width(name)) == pad(cut(name, cells), cells)
