"""Rules with bugs: one raises on an artist whose title says "boom" (and one below)."""

from mediakeeper.core.rule_plugins import RulePlugin


def explodes(ctx):
    for track in ctx.tracks:
        if "boom" in ctx.value(track, "title").lower():
            raise RuntimeError(f"cannot handle {track.path}")
    return []


RAISES = RulePlugin(codes={"never": ("info", "never reported")}, rule=explodes)


# A rule that proposes a fix to a file it was not given, another artist's: a title saying
# "trespass" sets the title of the track in the artist folder beside it.
from mediakeeper.changes.change import TagChange  # noqa: E402 - the first rule keeps its lines


def trespasses(ctx):
    for track in ctx.tracks:
        if "trespass" in ctx.value(track, "title").lower():
            beside = "../Victim/2001 - Loud/01 - Victim.flac"
            yield TRESPASSES.finding("renamed", track.path, track.album, "renames another's",
                                     [TagChange(beside, "title", "Victim", "Mine")])  # fmt: skip


TRESPASSES = RulePlugin(codes={"renamed": ("warning", "a title renamed")}, rule=trespasses)


# A rule that never ends: on a title saying "forever" it proposes a fix (through ctx.change),
# then loops for ever, as a plugin stuck on a lock or a blocking read would. The tests see
# how often it is called (a line per call appended to $MK_LOOPS_CALLS), and mend it
# ($MK_LOOPS_MENDED: a new version of the plugin, or a limit it now fits in).
import os  # noqa: E402


def loops(ctx):
    if calls := os.environ.get("MK_LOOPS_CALLS"):
        with open(calls, "a", encoding="utf-8") as log:
            log.write(f"{len(ctx.tracks)}\n")
    for track in ctx.tracks:
        if "forever" in ctx.value(track, "title").lower():
            yield LOOPS.finding("stuck", track.path, track.album, "half done",
                                [ctx.change(track, "title", "Half Done")])  # fmt: skip
            while not os.environ.get("MK_LOOPS_MENDED"):
                pass


LOOPS = RulePlugin(codes={"stuck": ("warning", "never finished")}, rule=loops)


# A rule whose finding cannot be passed back from the process it runs in: its message is a
# text of a class made inside the rule, which pickle cannot name.
def unsendable(ctx):
    class Text(str):
        pass

    for track in ctx.tracks:
        if "unsendable" in ctx.value(track, "title").lower():
            yield UNSENDABLE.finding("odd", track.path, track.album, Text("odd"))


UNSENDABLE = RulePlugin(codes={"odd": ("info", "an odd finding")}, rule=unsendable)


# A rule whose process dies (as a crash in C code would end it) on a title saying "dies".
def dies(ctx):
    for track in ctx.tracks:
        if "dies" in ctx.value(track, "title").lower():
            os._exit(3)
    return []


DIES = RulePlugin(codes={"gone": ("info", "never reported")}, rule=dies)
