"""What a batch did, item by item: the runner's report, which the command line renders and
turns into an exit code (``runner`` fills it in)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from mediakeeper.batch.job import ItemResult
from mediakeeper.batch.offline import Offline
from mediakeeper.core.decisions import item_decisions
from mediakeeper.queue.items import ERROR
from mediakeeper.queue.left_out import lacked_by
from mediakeeper.system.interrupts import EXIT_INTERRUPTED

EXIT_OK, EXIT_SOME_ERRORS = 0, 1
# An item the batch gave back as it was claimed: interrupted in hand, or (with an error) its
# service unreachable or its answer unusable where nothing of it had changed
# (``ItemFailure.as_it_was``).
RELEASED = "released"


@dataclass
class Outcome:
    key: str
    name: str
    status: str  # completed | error | skipped | released (RELEASED)
    result: ItemResult | None = None
    error: str | None = None
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)  # a failure's (see ItemFailure)
    stage: str = ""  # a failure's: the stage it failed in
    network: bool = False  # a failure's: its service could not be reached


def unidentified(outcome: Outcome) -> bool:
    """A completed item whose artist, album or movie no service could name."""
    return bool(outcome.result and outcome.result.details.get("unidentified"))


def waits_for_later(outcome: Outcome) -> bool:
    """An item whose work could not happen now (its service unreachable, or its answer
    unusable), given back as it was for a later run; not one an interrupt gave back."""
    return outcome.status == RELEASED and outcome.error is not None


def _kept(outcome: Outcome) -> bool:
    """An outcome the summary names: one that did not complete, or whose fix was not written."""
    return outcome.status != "completed" or bool(outcome.result and outcome.result.problem)


@dataclass
class BatchReport:
    """What the batch did. An item is counted as it is noted (``note``): its statuses, the
    counters it ran up, the decisions it leaves. Only the outcomes the summary names are kept
    (``outcomes``: failed, skipped, released, a fix not written): a completed item's result is
    let go once counted, so a batch of any size holds the same."""

    outcomes: list[Outcome] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)
    released_stale: list[str] = field(default_factory=list)
    interrupted: bool = False
    stopped_early: str | None = None
    # Each web service a job found unreachable, or refusing this client (a key or a setting
    # to mend), first found first: the run went on without it, its lookups left for --enrich.
    offline: list[Offline] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # the items' notices, each once
    seconds: float = 0.0
    # Web lookups sent, and answered from the cache, by the batch's processes: counted as
    # each went (``lookup.tally``), so those of an item stopped mid-lookup count too.
    lookups: int = 0
    cache_hits: int = 0
    noted: int = 0  # every outcome, kept or not
    unidentified: int = 0
    awaiting: int = 0  # completed items that leave decisions
    decisions: int = 0  # the decisions they leave
    # Completed items that lack part of their work (a rule plugin stopped or left out:
    # ``details.plugins_left_out``), which the next run takes again.
    left_out: int = 0
    _statuses: Counter[str] = field(default_factory=Counter)
    _totals: Counter[str] = field(default_factory=Counter)
    _details: Counter[str] = field(default_factory=Counter)

    def note(self, outcome: Outcome) -> None:
        self.noted += 1
        self._statuses[outcome.status] += 1
        result = outcome.result
        if result is not None:
            self._totals.update(result.this_run)
            self.unidentified += unidentified(outcome)
            self.left_out += bool(lacked_by(result.details))
            if decisions := item_decisions(result.details):
                self.awaiting += 1
                self.decisions += decisions
        details = result.details if result is not None else outcome.details
        self._details.update({k: v for k, v in details.items() if type(v) is int})
        if _kept(outcome):
            self.outcomes.append(outcome)

    def count(self, status: str) -> int:
        return self._statuses[status]

    def total(self, counter: str) -> int:
        """What this run's items counted (``ItemResult.this_run``)."""
        return self._totals[counter]

    def total_detail(self, key: str) -> int:
        """A detail summed over every item, the failed ones too (their web requests count)."""
        return self._details[key]

    @property
    def exit_code(self) -> int:
        """1 when some item needs the person: it failed or was skipped, a fix of it could
        not be written, it awaits a decision, its work waits for a later run (its service
        unreachable), or it lacks a rule plugin's findings (the plugin was stopped: a
        nightly run must not pass that over as all done); or the batch stopped early."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        failed = self.count(ERROR) + self.count("skipped") + len(self.with_problems())
        needs_you = failed or self.awaiting or self.given_back() or self.left_out
        return EXIT_SOME_ERRORS if needs_you or self.stopped_early else EXIT_OK

    def given_back(self) -> list[Outcome]:
        """The items whose work waits for a later run (``waits_for_later``)."""
        return [o for o in self.outcomes if waits_for_later(o)]

    def with_problems(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.result and o.result.problem]
