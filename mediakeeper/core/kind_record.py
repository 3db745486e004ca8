"""What a media kind is: the ``Kind`` record (everything that differs between music, movies
and the kinds to come), its counters, what it makes, and the settings every kind has with
their limits. Each kind's own record is ``KIND`` in its package's ``kind.py``
(``mediakeeper/music/kind.py``), registered through the ``mediakeeper.kinds`` entry points;
the registry of them is ``core/kinds.py``.

A record points at its parts by direct reference: functions of its package. ``config`` reads
the records to know the settings sections, and ``--help`` must stay quick, so a part whose
import is heavy (the batch plan and the job it makes, the outputs written again) is a
function of ``kind.py`` that imports it when called (``Kind.plan``, ``Kind.rewrite``).
This module imports nothing of the toolkit's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# Every kind's settings section starts with these; a kind adds its own (``Kind.settings``).
COMMON_SETTINGS: Mapping[str, Any] = MappingProxyType(
    {"library": "", "checkpoint_every": 50, "max_attempts": 3}
)
# The setting that bounds a rule plugin's time over one item: a kind whose items run rule
# plugins (``mediakeeper.rules``) has it, and only its items can be completed without a
# plugin's findings, to be taken again (``Kind.runs_rule_plugins``).
PLUGIN_RULE_TIMEOUT = "plugin_rule_timeout"


@dataclass(frozen=True)
class Limit:
    """The range of a number setting: beyond ``most`` a value is a typo (and some overflow
    clocks and sleeps); below ``least``, where there is one, it breaks something (checkpoints
    every 0 completions never come), said as ``least_words``. Elsewhere 0 means "none"."""

    most: float
    least: float | None = None
    least_words: str = ""


COMMON_LIMITS: Mapping[str, Limit] = MappingProxyType(
    {
        "checkpoint_every": Limit(1_000_000, least=1, least_words="a whole number >= 1"),
        "max_attempts": Limit(1000),
    }
)


def one_of(words: tuple[str, ...]) -> Callable[[Any], str | None]:
    """A setting's check (``Kind.checks``): its value is one of ``words``."""

    def problem(value: Any) -> str | None:
        return None if value in words else f"expected one of {', '.join(words)}, got {value!r}"

    return problem


@dataclass(frozen=True)
class Counter:
    """A number each item of a kind counts, summed over a queue and a batch: ``field`` in the
    queue item, ``total`` its name in a queue summary, ``noun`` how one is said ("track")."""

    field: str
    total: str
    noun: str


ISSUES = (
    Counter("issues_found", "issues_found", "issue"),
    Counter("issues_resolved", "issues_resolved", "fixed issue"),
)
TRACKS = Counter("track_count", "tracks", "track")


@dataclass(frozen=True)
class Makes:
    """What each completed item of a kind makes, which the weekly report and the dashboard
    count, this week and in all: the items, their hours of audio (their details' "seconds");
    with ``saved`` the space saved ("bytes_before" - "bytes_after"); with ``copies`` how many
    were made without re-encoding (the "copied" of their output documents)."""

    verb: str  # what was done to one: "converted" ("Albums converted", "Audio converted")
    saved: bool = False
    copies: str = ""  # how one made without re-encoding is said; "": not counted


@dataclass(frozen=True)
class Kind:
    """What the toolkit knows about one media kind.

    ``name`` is the folder under ``status/``, ``issues/`` and ``outputs/`` and the settings
    section. Items are the folders ``depth`` levels below the library (1: directly inside
    it); ``find`` (a function taking the library's path and returning the item folders)
    replaces that rule for a kind whose items are found otherwise. An item's key is its
    folder's path relative to the library, in POSIX form.
    """

    name: str
    noun: str  # one item: "artist"
    label: str  # the library in --help: "Music library folder"
    report_template: str  # the per-item issue report, under text/templates/
    # The kind's package ("mediakeeper.music"): its record, plan, job, rules, outputs.
    package: str = ""
    depth: int = 1
    find: Callable[..., Any] | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)  # beyond COMMON_SETTINGS
    # The range of each of its own number settings (every number setting has one: a test).
    limits: Mapping[str, Limit] = field(default_factory=dict)  # beyond COMMON_LIMITS
    # Settings held to a check of their own (one of a few words; a text with a unit, "128k"):
    # by key, what is wrong with a value, or None.
    checks: Mapping[str, Callable[[Any], str | None]] = field(default_factory=dict)
    # What an item counts beside its issues (music: tracks). Shown in lists and summaries.
    extra_counters: tuple[Counter, ...] = ()
    # What its completed items make (audio), which the reports count beside them.
    makes: Makes | None = None
    # Where one JSON document per item with its "findings" is kept, under the data home.
    output_dir: tuple[str, ...] | None = None
    # The service whose id a person may give an item by hand (the queue manager's --choose).
    chosen_by: str | None = None
    # Which files are an item's, whose changes since it completed --refresh notices
    # (mediakeeper.queue.fingerprints): "tree", every file below its folder; "folder", only those
    # directly in it (a kind whose items' folders hold other items).
    item_files: str = "tree"
    # The kind's part of a batch (``batch.plan.BatchPlan``: its job and stages from the
    # options, what it checks first, its closing step), returned by a function that imports
    # it when a batch runs. None: no batch of its own (a pipeline's, run by ``pipeline``).
    plan: Callable[[], Any] | None = None
    order: int = 100  # where reports and the command line list it, lowest first
    # Writes one item's output document and issue report again from the document (home,
    # slug, document), and returns what its queue details now say (or None): what a decision
    # taken by ``decide`` writes. It may first find again the findings the tags written
    # since decide (music's, in the document's findings, which its caller then counts).
    # None: decided by its own commands.
    rewrite: Callable[..., Any] | None = None
    # Joins every item's outputs into the one file they make together (music: tracks.csv
    # from each artist's rows), given the data home: after the items a decision wrote again
    # (one, or a group's last). None: the items' outputs stand alone.
    joins: Callable[[Any], Any] | None = None
    # Its finding codes, by who reports them (the kind, or its lookups: music's "enrichment"):
    # code -> (severity, one line of what it means). ``core.findings.CODES`` gathers them.
    findings: Mapping[str, Mapping[str, tuple[str, str]]] = field(default_factory=dict)
    # Its decisions: returns its ``core.questions.Questions`` (the questions it asks a
    # person, their evidence and choices, which the one decision engine asks and carries
    # out), imported when called. None: the default (its findings' words, no choice but
    # leaving them as they are).
    questions: Callable[[], Any] | None = None
    # Its queue manager's own actions (``batch.plan.QueueAction``s: the audiobooks'
    # --prune-backups), returned by a function that imports them when a queue manager is
    # built: apart from its plan, so a queue manager does not import the kind's batch. None:
    # the actions every queue manager has, alone.
    actions: Callable[[], Iterable[Any]] | None = None
    # A kind with no queue manager of its own (a pipeline's, made at run time): the command
    # that runs it, given the data home and its library (None where a damaged queue no longer
    # says it: its own input), ``pipeline run``, which refreshes its queue first, so that its
    # queue's hints name that command, never a `<kind> queue` that does not exist. None: the
    # kind's queue manager (``<kind> queue``).
    runs_as: Callable[[Any, Any], str] | None = None

    @property
    def files_below(self) -> bool:
        """Whether every file below an item's folder is the item's (``item_files``)."""
        return self.item_files == "tree"

    @property
    def plural(self) -> str:
        return f"{self.noun}s"

    @property
    def counters(self) -> tuple[Counter, ...]:
        return (*self.extra_counters, *ISSUES)

    def counts(self, field_name: str) -> bool:
        """Whether this kind's items count ``field_name`` (``"track_count"``)."""
        return any(c.field == field_name for c in self.counters)

    @property
    def runs_rule_plugins(self) -> bool:
        """Whether its items run rule plugins: then one may complete without a plugin's
        findings, which its next batches take again."""
        return PLUGIN_RULE_TIMEOUT in self.settings

    def setting_defaults(self) -> dict[str, Any]:
        return {**COMMON_SETTINGS, **self.settings}

    def setting_limits(self) -> dict[str, Limit]:
        return {**COMMON_LIMITS, **self.limits}

    def batch_plan(self) -> Any:
        """The kind's ``BatchPlan`` (``plan``), imported now; None for a kind without one."""
        return self.plan() if self.plan is not None else None

    def queue_actions(self) -> tuple[Any, ...]:
        """Its queue manager's own ``QueueAction``s (``actions``), imported now."""
        return tuple(self.actions()) if self.actions is not None else ()

    @property
    def item_layout(self) -> str:
        """Where one item's folder sits, for messages: "directly inside it"."""
        if self.find:
            return "found inside it"
        if self.depth == 1:
            return "directly inside it"
        return f"{self.depth} levels down inside it"

