"""The ``shouting`` rule: a title written in capitals, fixed to title case. Its code is
``all-caps-title``; mediakeeper reports it as ``shouting:all-caps-title``."""

from __future__ import annotations

from collections.abc import Iterator

from mediakeeper.core.findings import Finding
from mediakeeper.core.rule_plugins import RulePlugin


def all_caps_titles(ctx) -> Iterator[Finding]:
    """``ctx`` is the music rules' Context (mediakeeper.music.rule_base): read tag values
    through ``ctx.value`` (as earlier rules' fixes leave them), propose fixes with
    ``ctx.change``."""
    for track in ctx.tracks:
        title = ctx.value(track, "title").strip()
        if len(title) > 3 and title.isupper():
            better = title.title()
            yield SHOUTING.finding(
                "all-caps-title",
                track.path,
                track.album,
                f"The title {title!r} is in capitals — setting {better!r}.",
                [ctx.change(track, "title", better)],
            )


SHOUTING = RulePlugin(
    codes={"all-caps-title": ("warning", "a title written in capital letters")},
    rule=all_caps_titles,
)
