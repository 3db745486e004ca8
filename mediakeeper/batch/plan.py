"""What one kind's batch needs beyond the engine, declared once in the kind's package
(``mediakeeper/<kind>/batch.py``: ``PLAN``, which the kind's record points at) and read by
every face that starts a batch: the command line, the web app, the watcher, a script calling
``mediakeeper.run_batch``. It says what the kind's batch command adds (its --help, its own
options, its dry run's lines) as words and functions, and what a kind's queue manager adds
(``QueueAction``, which the record lists apart: ``Kind.actions``): nothing here prints or
parses options (the command line does, ``cli/batch.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mediakeeper.batch.job import ItemFailure, Job
from mediakeeper.core import kinds
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import ConfigError, MediakeeperError, UsageError
from mediakeeper.text.visible import one_line
from mediakeeper.text.wording import count

if TYPE_CHECKING:  # loaded only where a batch sends (``cluster_target``)
    from mediakeeper.batch.cluster import Target

SEND, NEAR = "send", "near"  # a kind's heavy step: worth sending, or better near the data
PIPELINES = "pipelines"  # what [cluster] send names every pipeline's sent steps by


@dataclass(frozen=True)
class Run:
    """One batch as the kind's plan sees it. ``flags``: the kind's own options by parameter
    name (``no_fix``); ``online``: web lookups allowed (not ``offline``, and the kind's
    ``lookups`` setting where it has one); ``dry_run``: nothing will be written or asked."""

    settings: Settings
    flags: Mapping[str, Any]
    online: bool
    enrich: bool
    workers: int
    dry_run: bool = False
    # Where its heavy steps go when they are sent to a cluster (checked and its workers
    # judged: ``cluster_target``); None: here, in the local pool.
    cluster: Target | None = None
    verbose: bool = False  # a person asked for every line (-v): a dry run's commands too


@dataclass(frozen=True)
class Option:
    """One of a kind's own batch options, as ``--help`` shows it. Its parameter is the flag's
    name (``--no-fix``: ``no_fix``), its default the plan's ``flags``."""

    flag: str
    help: str
    value: str = ""  # "": on or off; else what it takes: "PATH", "TEXT"
    choices: tuple[str, ...] = ()  # the words it takes, when only those
    lookup: bool = False  # a lookup's option: listed after --offline and --enrich

    @property
    def name(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class QueueAction:
    """One of a kind's own queue manager actions (the audiobooks' ``--prune-backups``, also
    the command ``prune-backups``): ``run(settings)`` does it and says what it did."""

    flag: str
    help: str
    run: Callable[[Settings], Iterable[str]]

    @property
    def name(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


DryRun = Callable[[Run, list[dict[str, Any]]], Iterable[str]]


@dataclass(frozen=True)
class BatchPlan:
    """A kind's part of a batch.

    ``jobs(run)`` returns the job of a session (a function of its id); it is called before
    any item is chosen, so it may refuse the options (a ``ConfigError``).
    ``describe(run)`` names the run's choices for the session log, in order
    (``{"offline": True}`` -> "offline").
    ``dry_run(run, items)`` says what a real run would do with the items it would take, line
    by line, writing nothing.
    """

    jobs: Callable[[Run], Callable[[str], Job]]
    describe: Callable[[Run], Mapping[str, bool]]
    # The kind's own options and their defaults, by parameter name: what a caller of
    # run_batch may give beyond every kind's (an unknown one is refused).
    flags: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    looks_up: bool = False  # it makes web lookups: offline and enrich mean something
    # Flags that need the network: refused offline, saying why.
    needs_network: Mapping[str, str] = field(default_factory=dict)
    # Flags that override the [<kind>] setting of the same name (library and
    # checkpoint_every always do).
    setting_options: tuple[str, ...] = ()
    workers: int | None = None  # the default workers; None: two where there are two cores
    # It places each item's output whole (its own earlier output replaced only with its
    # --overwrite): a completed item asked for by name is refused without it.
    places: bool = False
    # A real run with lookups: what it needs before anything is touched (a key; told
    # ``offline_fits``: whether --offline would be a way without it, no flag given that
    # needs the network), and what it checks once the queue is open, before any item is
    # claimed (the service's settings).
    requires: Callable[..., None] | None = None
    before_claims: Callable[[Settings], None] | None = None
    after: Callable[[Settings], None] | None = None  # once the batch has ended (closing files)
    # Its heavy step, for a [cluster] scheduler: ``SEND`` (seconds of CPU per megabyte: an
    # encode, worth sending), ``NEAR`` (bytes moved per CPU-second: done here unless
    # [cluster] send names the kind), None: nothing a cluster could take (``sent``).
    heavy: str | None = None
    help: str = ""  # its batch command's --help text
    options: tuple[Option, ...] = ()  # its own options, each of ``flags``, placed after --dry-run
    # A kind that makes web lookups: the --offline help (it gets --offline and --enrich).
    offline_help: str | None = None
    dry_run: DryRun | None = None

    def own_flags(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The kind's flags with their defaults filled in; a name it does not know refused."""
        unknown = sorted(set(given) - set(self.flags))
        if unknown:
            known = ", ".join(sorted(self.flags)) or "none"
            raise UsageError(f"unknown option {unknown[0]!r} for this kind (its own: {known})")
        return {**self.flags, **given}


def previewing(
    jobs: Callable[[Run], Callable[[str], Job]],
    preview: Callable[[Any, dict[str, Any]], list[str]],
    noun: str,
) -> DryRun:
    """The dry run of a kind whose job previews an item as lines (its stages, the ffmpeg
    commands): each item's lines, or why a real run would fail it, then a closing line."""

    def dry_run(run: Run, items: list[dict[str, Any]]) -> Iterable[str]:
        job = jobs(run)("dry-run")
        yield from each_previewed(items, lambda item: preview(job, item))
        yield f"dry run: {count(len(items), noun)}; nothing was written"

    return dry_run


def each_previewed(
    items: Iterable[dict[str, Any]], lines: Callable[[dict[str, Any]], Iterable[str]]
) -> Iterator[str]:
    """Every kind's dry-run loop: each item's lines (``lines(item)``, read whole before the
    first is shown), or the one line that says why a real run would fail it, as that run
    would mark it: its stage where the job names one (``ItemFailure``), else the error; each
    held to one line (``text.visible.one_line``)."""
    for item in items:
        try:
            said = list(lines(item))
        except ItemFailure as err:
            said = [f"{item['name']}: would fail ({err.stage}): {err.message}"]
        except (MediakeeperError, OSError) as err:
            said = [f"{item['name']}: would fail: {err}"]
        # Each is one line: a line feed in a name or a folder it names is shown as its escape.
        yield from map(one_line, said)


def describe(size: int, **flags: bool) -> str:
    """The session log's name for a batch: ``batch of 10, offline, enrich``."""
    return ", ".join(
        [f"batch of {size}", *(name.replace("_", " ") for name, on in flags.items() if on)]
    )


def sent(settings: Settings, kind: str, heavy: str | None) -> bool:
    """Whether ``kind``'s heavy step goes to the cluster: a scheduler is set, and the kind
    is named in ``[cluster] send``, or (none named) declares its step worth sending. A name
    that is no kind, or the kind running when it has no step a worker can take (music), is a
    ConfigError: either would send nothing, and say nothing."""
    if not settings.get("cluster", "scheduler"):
        return False
    named = settings.get("cluster", "send")
    known = [*kinds.KINDS, PIPELINES]
    where = settings.origin("cluster", "send") or "[cluster] send"
    if unknown := [name for name in named if name not in known]:
        raise ConfigError(f"{where}: {', '.join(map(repr, unknown))} is no kind: name some "
                          f"of {', '.join(known)}")  # fmt: skip
    if heavy is None:
        if kind in named:
            raise ConfigError(f"{where}: {kind!r} has no step a worker can take (its work is "
                              f"read near its files): name only some of "
                              f"{', '.join(_sendable())}")  # fmt: skip
        return False
    return kind in named if named else heavy == SEND


def _sendable() -> list[str]:
    """The kinds a cluster can take a step of (their plans imported: said only in an
    error)."""
    plans = {name: kinds.get(name).batch_plan() for name in kinds.KINDS}
    return [name for name, plan in plans.items() if plan and plan.heavy] + [PIPELINES]


def cluster_target(settings: Settings, kind: str, heavy: str | None, *, dry_run: bool = False
                   ) -> tuple[Target | None, list[str]]:  # fmt: skip
    """Where ``kind``'s heavy steps go: None (here, the local pool), or the cluster's
    checked target (``batch/cluster.joined``), with a line per refused worker. Only a batch
    that sends loads the cluster's module: a kind with no heavy step (music) or a batch with
    no scheduler set pays none of its imports (the [cluster] face, issue 72)."""
    if not sent(settings, kind, heavy):
        return None, []
    from mediakeeper.batch import cluster

    return cluster.joined(settings, dry_run=dry_run)
