"""One helper says how many of something, for every message and report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mediakeeper.text.render import environment
from mediakeeper.text.wording import count, format_size, plural_of, queue_name


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((0, "issue"), "0 issues"),
        ((1, "issue"), "1 issue"),
        ((2, "issue"), "2 issues"),
        ((1, "tag change"), "1 tag change"),
        ((3, "tag change"), "3 tag changes"),
        ((2, "fix"), "2 fixes"),
        ((2, "match"), "2 matches"),
        ((1, "fix"), "1 fix"),
        ((2, "child", "children"), "2 children"),
        ((1, "child", "children"), "1 child"),
        ((17274, "track"), "17,274 tracks"),  # as a person reads it, everywhere
        ((1234567, "decision"), "1,234,567 decisions"),
    ],
)
def test_count(args, said):
    assert count(*args) == said


def test_plural_of():
    assert [plural_of(w) for w in ("artist", "status", "box", "batch", "wish")] == [
        "artists",
        "statuses",
        "boxes",
        "batches",
        "wishes",
    ]


def test_the_report_templates_count_with_the_same_helper():
    template = environment().from_string(
        '{{ count(1, "cache hit") }} · {{ count(1200, "cache hit") }}'
    )
    assert template.render() == "1 cache hit · 1,200 cache hits"


def test_a_queue_is_named_one_way_everywhere():
    """It was "the movies queue" in some messages and "the movie queue" in others."""
    assert (queue_name("music"), queue_name("movies")) == ("music queue", "movie queue")
    root = Path(__file__).resolve().parents[2]
    sources = [
        *root.glob("mediakeeper/**/*.py"),
        *root.glob("mediakeeper/**/*.j2"),
        *root.glob("utilities/*.py"),
        *root.glob("docs/*.md"),
        root / "README.md",
    ]
    # "mediakeeper movies queue" is a command (the kind's name, then its verb), not a name.
    spelled = re.compile(r"(?<!mediakeeper )movies'? (processing )?queue", re.IGNORECASE)
    assert [p.name for p in sources if spelled.search(p.read_text(encoding="utf-8"))] == []


@pytest.mark.parametrize(
    ("size", "said"),
    [(0, "0 bytes"), (1, "1 byte"), (22, "22 bytes"), (999, "999 bytes"), (1000, "1 kB"),
     (812_000, "812 kB"), (3_400_000, "3.4 MB"), (1.2e9, "1.2 GB"), (-22, "-22 bytes"),
     (-5_000_000, "-5.0 MB")],
)  # fmt: skip
def test_a_size_is_said_in_the_unit_that_shows_it(size, said):
    assert format_size(size) == said
