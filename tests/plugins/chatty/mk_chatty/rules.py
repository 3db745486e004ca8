"""A rule that prints as it works, and on a title saying "boom" raises after printing."""

import subprocess
import sys
import warnings

from mediakeeper.core.rule_plugins import RulePlugin


def chatters(ctx):
    print(f"looking at {len(ctx.tracks)} tracks")
    print("a note on stderr", file=sys.stderr)
    print("no line end", end="")  # flushed all the same, as the rule returns
    print()
    subprocess.run(["echo", "from a program it ran"], check=True)
    warnings.warn("a rule plugin's warning", stacklevel=1)
    for track in ctx.tracks:
        if "boom" in ctx.value(track, "title").lower():
            print(f"about to fail on {track.path}")
            raise RuntimeError("cannot go on")
    return []


CHATTY = RulePlugin(codes={"noise": ("info", "never reported")}, rule=chatters)
