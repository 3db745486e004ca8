"""Output names: slugs that cannot collide, and the guard that keeps outputs in their folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediakeeper.core.errors import MediakeeperError
from mediakeeper.text.slug import inside, slugify


@pytest.mark.parametrize("name", ["AC/DC", "../../etc/passwd", "..", ".", "", "a\0b", "Björk"])
def test_a_slug_is_one_plain_name_whatever_the_input(name):
    slug = slugify(name)
    assert "/" not in slug and "\0" not in slug and slug not in ("", ".", "..")
    assert inside(Path("/home"), "issues", f"{slug}.md").parent == Path("/home/issues")


def test_names_that_read_alike_get_different_slugs():
    assert len({slugify(name) for name in ("AC/DC", "AC DC", "ac-dc", "AC⧸DC")}) == 4
    assert slugify("AC/DC") == slugify("AC/DC")  # and a name always gets the same one


@pytest.mark.parametrize("part", ["..", ".", "", "a/b", "../x", "x/..", "nul\0byte"])
def test_inside_refuses_a_part_that_could_lead_elsewhere(part):
    with pytest.raises(MediakeeperError, match="refusing to write outside"):
        inside(Path("/home"), "outputs", part)


@pytest.mark.parametrize("part", ["..x", "x..", "...And Justice for All", ". .", "a\\b"])
def test_inside_accepts_odd_but_single_names(part):
    assert inside(Path("/home"), "outputs", part) == Path("/home/outputs") / part
