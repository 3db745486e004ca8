"""What a batch did, item by item: the runner's report, which the command line renders and
turns into an exit code (``runner`` fills it in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mediakeeper.batch.job import ItemResult
from mediakeeper.core.decisions import item_decisions
from mediakeeper.queue.items import ERROR
from mediakeeper.system.interrupts import EXIT_INTERRUPTED

EXIT_OK, EXIT_SOME_ERRORS = 0, 1


@dataclass
class Outcome:
    key: str
    name: str
    status: str  # completed | error | skipped | released
    result: ItemResult | None = None
    error: str | None = None
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)  # a failure's (see ItemFailure)


@dataclass
class BatchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)
    released_stale: list[str] = field(default_factory=list)
    interrupted: bool = False
    stopped_early: str | None = None
    # (service, reason) when a job found its web service unreachable: the run went on
    # offline, leaving its items' lookups for --enrich (see reach.py).
    went_offline: tuple[str, str] | None = None
    notices: list[str] = field(default_factory=list)  # the items' notices, each once
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def total(self, counter: str) -> int:
        """What this run's items counted (``ItemResult.this_run``)."""
        return sum(o.result.this_run.get(counter, 0) for o in self.outcomes if o.result)

    def total_detail(self, key: str) -> int:
        """A detail summed over every item, the failed ones too (their web requests count)."""
        return sum(
            (o.result.details if o.result else o.details).get(key, 0) or 0 for o in self.outcomes
        )

    def decisions(self, outcome: Outcome) -> int:
        """What one completed item leaves for a person (``decisions.item_decisions``)."""
        return item_decisions(outcome.result.details) if outcome.result else 0

    def awaiting(self) -> list[Outcome]:
        """The items of this run that completed with decisions left for a person."""
        return [o for o in self.outcomes if self.decisions(o)]

    @property
    def exit_code(self) -> int:
        """1 when some item needs the person: it failed or was skipped, a fix of it could
        not be written, or it awaits a decision; or the batch stopped early."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        failed = self.count(ERROR) + self.count("skipped") + len(self.with_problems())
        needs_you = failed or self.awaiting()
        return EXIT_SOME_ERRORS if needs_you or self.stopped_early else EXIT_OK

    def with_problems(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.result and o.result.problem]
