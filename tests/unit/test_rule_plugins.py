"""A rule plugin's findings as the music rules take them (mediakeeper.core.rule_plugins): its
codes namespaced by its name, their severity from its own table, a code it does not declare
refused; run on a real scan's Context. (Loading from installed packages, end to end:
tests/integration/test_plugins.py.)"""

from __future__ import annotations

import pytest

from mediakeeper.core.rule_plugins import LoadedRule, RulePlugin, RulePluginError, code_of
from mediakeeper.music.model import ArtistScan, Track
from mediakeeper.music.rule_base import Context, finding

SCAN = ArtistScan("Band", tracks=(
    Track("A/01.flac", "A", "flac", {"title": "SHOUT", "artist": "Band"}),
    Track("A/02.flac", "A", "flac", {"title": "Calm", "artist": "Band"}),
))  # fmt: skip


def caps(ctx):
    for track in ctx.tracks:
        if ctx.value(track, "title").isupper():
            yield PLUGIN.finding("caps", track.path, track.album, "capitals",
                                 [ctx.change(track, "title", "Shout")], seen=1)  # fmt: skip


PLUGIN = RulePlugin(codes={"caps": ("info", "a title in capitals")}, rule=caps)


def test_findings_come_namespaced_with_the_plugins_severity_and_fix():
    [found] = LoadedRule("loud", "pkg", "1.0", PLUGIN).run(Context.of(SCAN))
    assert (found.code, found.severity, found.path, found.details) == (
        "loud:caps", "info", "A/01.flac", {"seen": 1})  # fmt: skip
    [change] = found.changes
    assert (change.path, change.tag, change.old, change.new) == ("A/01.flac", "title", "SHOUT",
                                                                 "Shout")  # fmt: skip


def test_a_code_the_plugin_does_not_declare_is_refused():
    with pytest.raises(KeyError, match="'other' is not one of this rule plugin's codes"):
        PLUGIN.finding("other", "", "", "no")
    # A built-in's code, made with the built-ins' helper: a plugin cannot report it.
    builtin = RulePlugin(codes={"caps": ("info", "x")},
                         rule=lambda ctx: [finding("whitespace", "A/01.flac", "A", "spaces")])
    with pytest.raises(RulePluginError, match=r"rule plugin 'loud' \(package pkg 1\.0\) yielded"):
        list(LoadedRule("loud", "pkg", "1.0", builtin).run(Context.of(SCAN)))


def test_a_code_no_installed_plugin_declares_is_unknown_and_built_ins_are_known():
    assert code_of("whitespace").severity == "warning"
    assert code_of("gone:caps") is None  # a plugin removed since: weighed as unknown
