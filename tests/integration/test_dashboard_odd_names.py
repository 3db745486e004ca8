"""The dashboard's columns with names from many machines: a decomposed accent (a macOS rip,
'Bjo\\u0308rk'), a Japanese name (two cells a letter) and a long one keep the codes after them
in one column. Real files, the real scripts; the cells measured by rich, as a terminal draws
them."""

from __future__ import annotations

from rich.cells import cell_len

from tests.helpers.audio import build_library
from tests.helpers.processes import run_script

NAMES = ("Plain", "Bjo\u0308rk", "日本のバンド", "東京事変の長い長い長い名前のバンドです")


def test_the_attention_columns_line_up_whatever_the_names(tmp_path):
    """A decomposed name was padded by its code points (one cell short), a Japanese one by
    its letters (each two cells: six cells past the column), a long one cut by letters."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    build_library(lib, {f"{name}/Album/01 - Song.flac": {"tags": {"title": "Song  ",
                        "artist": name, "album": "Album", "tracknumber": "1"}}
                        for name in NAMES})  # fmt: skip
    home.mkdir()
    run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    shown = run_script("media_dashboard.py", "--home", home)
    assert shown.returncode == 0, shown.stderr
    rows = [line for line in shown.stdout.splitlines() if line.startswith("    warning  ")]
    assert len(rows) == len(NAMES), shown.stdout
    # where the codes start, in cells: the same on every row
    starts = {cell_len(row[: row.index("missing-")]) for row in rows}
    assert len(starts) == 1, "\n".join(rows)
