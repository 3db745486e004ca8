"""What one kind's batch needs beyond the engine, declared once in the kind's package
(``mediakeeper/<kind>/batch.py``: ``PLAN``, named by the kind's record) and read by every face
that starts a batch: the command line, the web app, the watcher, a script calling
``mediakeeper.run_batch``. Nothing here prints or parses options."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mediakeeper.batch.job import Job
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import UsageError


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
    # Where its heavy steps go when they are sent to a cluster (``batch.cluster.Target``,
    # checked and its workers judged); None: here, in the local pool.
    cluster: Any = None


@dataclass(frozen=True)
class BatchPlan:
    """A kind's part of a batch.

    ``jobs(run)`` returns the job of a session (a function of its id); it is called before
    any item is chosen, so it may refuse the options (a ``ConfigError``).
    ``describe(run)`` names the run's choices for the session log, in order
    (``{"offline": True}`` -> "offline").
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
    # A real run with lookups: what it needs before anything is touched (a key), and what it
    # checks once the queue is open, before any item is claimed (the service's settings).
    requires: Callable[[Settings], None] | None = None
    before_claims: Callable[[Settings], None] | None = None
    after: Callable[[Settings], None] | None = None  # once the batch has ended (closing files)
    # Its heavy step, for a [cluster] scheduler: ``"send"`` (seconds of CPU per megabyte: an
    # encode, worth sending), ``"near"`` (bytes moved per CPU-second: done here unless
    # [cluster] send names the kind), None: nothing a cluster could take (batch/cluster.py).
    heavy: str | None = None

    def own_flags(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The kind's flags with their defaults filled in; a name it does not know refused."""
        unknown = sorted(set(given) - set(self.flags))
        if unknown:
            known = ", ".join(sorted(self.flags)) or "none"
            raise UsageError(f"unknown option {unknown[0]!r} for this kind (its own: {known})")
        return {**self.flags, **given}


def describe(size: int, **flags: bool) -> str:
    """The session log's name for a batch: ``batch of 10, offline, enrich``."""
    return ", ".join(
        [f"batch of {size}", *(name.replace("_", " ") for name, on in flags.items() if on)]
    )
