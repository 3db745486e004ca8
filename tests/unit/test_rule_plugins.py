"""A rule plugin's findings as the music rules take them (mediakeeper.core.rule_plugins): its
codes namespaced by its name, their severity from its own table, a code it does not declare
refused; run on a real scan's Context. (Loading from installed packages, end to end:
tests/integration/test_plugins.py.)"""

from __future__ import annotations

import pytest

from mediakeeper.changes.change import TagChange
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


def run_rule(rule) -> list:
    plugin = RulePlugin(codes=PLUGIN.codes, rule=rule)
    return list(LoadedRule("loud", "pkg", "1.0", plugin, "mk:LOUD").run(Context.of(SCAN)))


def one(change=None, **fields):
    """A rule yielding one finding of ``fields`` (its changes: ``change``'s, of the context)."""
    def rule(ctx):
        made = {"path": "A/01.flac", "album": "A", "message": "capitals", **fields}
        changes = [change(ctx)] if change else []
        yield PLUGIN.finding("caps", made.pop("path"), made.pop("album"), made.pop("message"),
                             changes, **made)  # fmt: skip
    return rule


@pytest.mark.parametrize(("change", "why"), [
    (lambda ctx: TagChange("../Other/01.flac", "title", "Other", "Mine"),
     "changes '../Other/01.flac', a file it was not given"),
    (lambda ctx: TagChange("/home/someone/x.flac", "title", None, "Mine"),
     "changes '/home/someone/x.flac', a file it was not given"),
    (lambda ctx: "title=Shout", "changes 'title=Shout', not a change made by ctx.change"),
    (lambda ctx: ctx.change(ctx.tracks[0], "no-such-tag", "x"),
     "changes the tag 'no-such-tag', which mediakeeper does not write"),
    (lambda ctx: ctx.change(ctx.tracks[0], "title", 3),
     "changes title of 'A/01.flac' to 3, not a text"),
])  # fmt: skip
def test_a_change_to_a_file_the_rule_was_not_given_is_refused_naming_the_plugin(change, why):
    """A plugin's fix is written by the batch like a built-in's: one naming a file outside
    the artist's tracks (another artist's, one outside the library) was written there."""
    with pytest.raises(RulePluginError) as refused:
        run_rule(one(change))
    assert str(refused.value) == (
        f"rule plugin 'loud' (entry point mk:LOUD, package pkg 1.0) yielded a finding that {why}")


@pytest.mark.parametrize(("fields", "why"), [
    ({"path": 5}, "whose path is 5, not a text"),
    ({"album": None}, "whose album is None, not a text"),
    ({"message": b"bytes"}, "whose message is b'bytes', not a text"),
    ({"blob": object()}, "whose details are not JSON: Object of type object is not JSON "
     "serializable"),
])  # fmt: skip
def test_a_finding_that_the_reports_cannot_hold_is_refused_naming_the_plugin(fields, why):
    """Said as a crash of the toolkit's own (``TypeError ... (at rules.py:141)``), naming
    no plugin, once the finding reached the sorting or the outputs."""
    with pytest.raises(RulePluginError) as refused:
        run_rule(one(**fields))
    assert str(refused.value) == (
        f"rule plugin 'loud' (entry point mk:LOUD, package pkg 1.0) yielded a finding {why}")


def test_a_rule_that_returns_no_findings_at_all_is_said_as_such():
    with pytest.raises(RulePluginError) as refused:
        run_rule(lambda ctx: None)
    assert str(refused.value) == ("rule plugin 'loud' (entry point mk:LOUD, package pkg 1.0) "
                                  "returned None, not an iterable of findings")
