"""Issue detection: pure functions from an ArtistScan to Findings (the codes: docs/findings.md).

No disk, network or clock. Each rule family is one small function of a ``Context`` that yields
findings; ``STAGES`` registers them, so adding a rule is one line. The families live by what
they look at: ``file_rules`` (single files), ``album_rules`` (album-wide tags),
``number_rules`` (track numbers), and here the artist as a whole. Fixes are proposed through
``mediakeeper.music.fixplan``, whose docstring states how overlapping fixes are settled.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mediakeeper import tags
from mediakeeper.changes.change import TagChange
from mediakeeper.core import kinds, rule_plugins
from mediakeeper.core.findings import Finding
from mediakeeper.music.album_rules import inconsistent, missing
from mediakeeper.music.file_rules import (
    legacy_tags,
    low_bitrates,
    missing_covers,
    mixed_formats,
    mojibake,
    skipped_folders,
    unreadable_files,
    unsupported_formats,
    whitespace,
)
from mediakeeper.music.fixplan import artist_identity, majority_of, planned_changes
from mediakeeper.music.model import ArtistScan
from mediakeeper.music.number_rules import duplicate_numbers, filename_mismatches, track_gaps
from mediakeeper.music.rule_base import Context, Rule, counts_text, finding

__all__ = ["ALBUM_STAGES", "STAGES", "Context", "Issues", "LeftOut", "album_findings",
           "find_issues", "issues_of", "order", "planned_changes"]

# --- stage 3: the artist as a whole -----------------------------------------------------------


def artist_name_variants(ctx: Context) -> Iterator[Finding]:
    # Each spelling counted first, its identity read once: an artist's tracks hold a few
    # spellings between them, each asked for about twice a track.
    held = Counter(value for t in ctx.tracks for tag in ("artist", "albumartist")
                   if (value := ctx.value(t, tag).strip()))  # fmt: skip
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for value, n in held.items():
        spellings[artist_identity(value)][value] = n
    for _, counts in sorted(spellings.items()):
        if len(counts) < 2:
            continue
        winner = majority_of(counts, counts.total())
        message = f"One artist is spelled {len(counts)} ways: {counts_text(counts)}"
        if winner is None:
            message += " — no spelling is used by more than half; choose one."
            changes: list[TagChange] = []
        else:
            message += f" — setting the others to {winner!r}."
            changes = [
                ctx.change(t, tag, winner)
                for t in ctx.tracks
                for tag in ("artist", "albumartist")
                if (v := ctx.value(t, tag).strip()) in counts and v != winner
            ]
        details = {"spellings": dict(sorted(counts.items()))}
        yield finding("artist-name-variant", "", "", message, changes, **details)


# Later stages read values as earlier stages' fixes leave them (fixplan's conflict policy), and
# rules within a stage as the stage before left them. So a rule whose decision reads a tag that
# another rule fixes runs in a later stage than that rule: else the fix lands a run later and
# can change the decision then, rewriting a tag the first run set (no fixed point).
Stage = tuple[Rule, ...]
STAGES: tuple[Stage, ...] = (
    (  # 1. files and raw text
        unreadable_files,
        unsupported_formats,
        skipped_folders,
        low_bitrates,
        legacy_tags,
        whitespace,
        mojibake,
        mixed_formats,
        missing_covers,
    ),
    (missing("album"), inconsistent("album")),  # 2. album names, on cleaned text
    (  # 3. track numbers, within albums as named
        missing("tracknumber"),
        duplicate_numbers,
        track_gaps,
        filename_mismatches,
    ),
    (  # 4. the rest of the album folders' tags, on numbered tracks
        missing("title", "artist", "date", "albumartist"),
        inconsistent("albumartist", "date"),
    ),
    (artist_name_variants,),  # 5. the artist as a whole, on cleaned and album-consistent text
)


@dataclass
class Issues:
    """An artist's findings; a line for each rule plugin stopped (or left out) on it, each
    the same for every artist, so a batch says it once; and the plugins whose findings it
    lacks (``rule plugin 'name'``)."""

    findings: list[Finding]
    stopped: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


@dataclass
class LeftOut:
    """The rule plugins a run runs no more, each with the line that says why: ``said(name)``
    (None: it runs), ``say(name, line)`` (the first line stays). A batch's workers share it
    through flag files in the kind's run state (``batch.offline.leave_out``); a dry run, one
    process, keeps it in memory (``in_memory``)."""

    said: Callable[[str], str | None]
    say: Callable[[str, str], None]

    @classmethod
    def in_memory(cls) -> LeftOut:
        lines: dict[str, str] = {}
        return cls(lines.get, lines.setdefault)


LEFT_FOR_NEXT_RUN = ("it is left out for the rest of this run, and the next run takes the "
                     "artists without its findings again")  # fmt: skip


def plugin_findings(ctx: Context, timeout: float, issues: Issues, left_out: LeftOut,
                    printed: Callable[[str], None] | None = None) -> list[Finding]:  # fmt: skip
    """The findings of installed plugins' rules (``mediakeeper.rules`` entry points): a stage
    after the built-in ones, reading values as every built-in fix leaves them; their codes
    namespaced (``name:code``, mediakeeper.core.rule_plugins).

    Each runs in a child process stopped past ``timeout`` seconds (a thread cannot be
    stopped; a process can: system.time_limit): one stuck in a loop or a read held the
    batch for ever. A rule stopped is said in ``issues.stopped`` and its findings are left
    out, the others kept. Its fixes are ``ctx.change``'s, which only plan: the batch writes
    them once the rule has returned, so a rule stopped half-way has written nothing.

    A rule stopped, or whose process died, is left out of the rest of the run
    (``left_out``): one that hangs on every artist cost its whole limit on each of them.
    Either way the artist lacks its findings (``issues.left_out``), and the next run takes
    it again.

    What a rule prints (``print()``, a warning) never reaches the terminal, where it broke
    the batch's progress line: each line of it is handed to ``printed`` (a batch's session
    log) after the plugin's name, however the rule ended; without ``printed``, dropped."""
    if not (rules := rule_plugins.loaded()):
        return []
    from mediakeeper.system.time_limit import CallDied, OverTime, call_within  # (plugins')

    found: list[Finding] = []
    for rule in rules:
        if (line := left_out.said(rule.name)) is not None:
            issues.stopped.append(line)
            issues.left_out.append(f"rule plugin {rule.name!r}")
            continue
        try:
            found += call_within(lambda rule=rule: list(rule.run(ctx)), timeout,
                                 _said_by(rule.name, printed))
        except OverTime:
            line = (f"{rule.label} did not finish within {timeout:g} s and was stopped: "
                    f"{LEFT_FOR_NEXT_RUN}; raise [music] plugin_rule_timeout if it needs longer")
            left_out.say(rule.name, line)
            issues.stopped.append(left_out.said(rule.name) or line)  # another worker's, first
            issues.left_out.append(f"rule plugin {rule.name!r}")
        except CallDied as err:  # it ended the process (os._exit, a crash in C code)
            left_out.say(rule.name, f"{rule.label}: {err}: {LEFT_FOR_NEXT_RUN}")
            raise rule_plugins.RulePluginError(f"{rule.label}: {err}") from None
        except rule_plugins.RulePluginError:
            raise
        except Exception as err:  # what it yielded could not be passed back (pickled)
            raise rule_plugins.RulePluginError(
                f"{rule.label}: its findings could not be passed back: "
                f"{type(err).__name__}: {err}") from None  # fmt: skip
    return found


def _said_by(plugin: str, printed: Callable[[str], None] | None
             ) -> Callable[[str], None] | None:  # fmt: skip
    """``printed`` given what the rule plugin ``plugin`` printed, a line at a time, each after
    its name (``rule plugin 'shouting' printed: ...``)."""
    if printed is None:
        return None

    def say(text: str) -> None:
        for line in text.splitlines():
            if line.strip():
                printed(f"rule plugin {plugin!r} printed: {line}")

    return say


def order(album: str, path: str, code: str, details: Mapping[str, Any], message: str
          ) -> tuple[str, ...]:  # fmt: skip
    """Where a finding stands in an artist's list (a ``Finding``'s fields, or a record's)."""
    return (album, path, code, str(details.get("tag", "")), message)


def _order(found: Finding) -> tuple[str, ...]:
    return order(found.album, found.path, found.code, found.details, found.message)


def find_issues(scan: ArtistScan) -> list[Finding]:
    """Every finding for one artist, ordered by album, path, then code; rule plugins given
    the setting's default time."""
    timeout = kinds.get("music").settings["plugin_rule_timeout"]
    return issues_of(scan, timeout, LeftOut.in_memory()).findings


def issues_of(scan: ArtistScan, plugin_timeout: float, left_out: LeftOut,
              printed: Callable[[str], None] | None = None) -> Issues:  # fmt: skip
    """Every finding for one artist, ordered by album, path, then code; and the rule plugins
    stopped at ``plugin_timeout`` (``[music] plugin_rule_timeout``) or left out of the run
    (``left_out``); what they print handed to ``printed`` (``plugin_findings``)."""
    issues = Issues([])
    stages = (*STAGES, (lambda ctx: plugin_findings(ctx, plugin_timeout, issues, left_out,
                                                    printed),))  # fmt: skip
    issues.findings = _found(scan, stages)
    return issues


# The stages that read an album folder's tags alone (2 to 4: its name, its track numbers, its
# other tags): what a decision's writes to an album's tracks answer or cause.
ALBUM_STAGES = range(1, 4)


def album_findings(scan: ArtistScan) -> list[Finding]:
    """The findings of the album stages (``ALBUM_STAGES``) on the scan's tracks, found as the
    batch finds them: after the stages before, whose fixes they read the values through."""
    # Every stage runs: a later stage's fix of a tag settles an album finding's (``settle``).
    return _found(scan, STAGES, kept=ALBUM_STAGES)


def _found(scan: ArtistScan, stages: Sequence[Stage], kept: range | None = None
           ) -> list[Finding]:  # fmt: skip
    """Every finding of ``stages`` for one artist (``kept``: of those stages' alone), each
    with the changes the final plan settles on, ordered by album, path, then code."""
    ctx = Context.of(scan)
    findings: list[Finding] = []
    ours: list[bool] = []  # each finding's: whether its stage is one ``kept``
    for number, stage in enumerate(stages):
        found = [each for rule in stage for each in rule(ctx)]
        ctx.plan.adopt(found)
        findings.extend(found)
        ours += [kept is None or number in kept] * len(found)
    settled = [f for f, keep in zip(ctx.plan.settle(findings), ours, strict=True) if keep]
    if scan.outside:  # links leading out of the library: never written
        why_of = {p: f"{p} is a link to a file outside the library ({t})"
                  for p, t in scan.outside.items()}  # fmt: skip
        settled = [_held_back(f, why_of, ", and nothing outside it is written") for f in settled]
        settled += _links_left_alone(scan, findings)
    if scan.elsewhere:  # links into another item's folder: that item fixes the file
        why_of = {p: f"{p} is a link to {t!r}, which is fixed with the folder that holds it"
                  for p, t in scan.elsewhere.items()}  # fmt: skip
        settled = [_held_back(f, why_of) for f in settled]
    untaggable = {
        t.path: f"{t.path} is {tags.READ_ONLY[t.format]}, a format whose tags cannot be written"
        for t in scan.tracks
        if not tags.writable(t.format)
    }
    if untaggable:
        settled = [_not_written_untaggable(f, untaggable) for f in settled]
    return sorted(settled, key=_order)


def _links_left_alone(scan: ArtistScan, findings: list[Finding]) -> list[Finding]:
    """One ``link-outside-library`` per linked file a fix would have changed: the person
    decides where that file belongs (mediakeeper.fs.links)."""
    albums = {t.path: t.album for t in scan.tracks}
    wanted = {c.path for f in findings for c in f.changes if c.path in scan.outside}
    return [
        finding(
            "link-outside-library",
            path,
            albums.get(path, ""),
            f"A link to {scan.outside[path]}, outside the library: left alone; move the file "
            "into the library (or the link out of it) to have it fixed.",
        )
        for path in sorted(wanted)
    ]


def _held_back(found: Finding, why_of: Mapping[str, str], tail: str = "") -> Finding:
    """The finding without its changes to the files ``why_of`` names, saying why."""
    paths = sorted({c.path for c in found.changes if c.path in why_of})
    if not paths:
        return found
    why = "; ".join(why_of[p] for p in paths)
    return replace(
        found,
        changes=tuple(c for c in found.changes if c.path not in why_of),
        message=f"{found.message} Not fixed: {why}{tail}.",
        details={**found.details, "not_fixed": why},
    )


def _not_written_untaggable(found: Finding, why_of: Mapping[str, str]) -> Finding:
    """The finding without the changes to files of a format mutagen reads but cannot tag
    (AAC, AC-3): reported as not writable, never attempted."""
    held = _held_back(found, why_of)
    return held if held is found else replace(held, not_written=held.details["not_fixed"])
