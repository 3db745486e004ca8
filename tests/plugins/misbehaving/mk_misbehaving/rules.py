"""A rule with a bug: it raises on an artist whose title says "boom"."""

from mediakeeper.core.rule_plugins import RulePlugin


def explodes(ctx):
    for track in ctx.tracks:
        if "boom" in ctx.value(track, "title").lower():
            raise RuntimeError(f"cannot handle {track.path}")
    return []


RAISES = RulePlugin(codes={"never": ("info", "never reported")}, rule=explodes)
