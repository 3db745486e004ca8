"""Which web services this run found unreachable: then it goes on without them.

A job that cannot reach a service (MusicBrainz, AcoustID, the Cover Art Archive, TMDb) does
the item's local work all the same and leaves that service's lookups for ``--enrich``; and
from then on no item of the run asks that service again. Each service has its own word: the
Cover Art Archive (the Internet Archive's) or AcoustID may be down while MusicBrainz answers,
and one out of reach must not cost the others' lookups. Items run in worker processes, so
the word is a flag file in the kind's run state, ``status/<kind>/run/<session>.<service>
.unreachable``: the first job to find the service down writes it (created exclusively, so
one reason wins), every job looks for it before its lookups (one stat), and the batch
removes the run's flags when it ends (a killed run's flags name its own session only: no
later run reads them).

A rule plugin stopped at its time limit (or whose process died) is left out of the rest of
the run by the same kind of flag, ``status/<kind>/run/<session>.<plugin>.left-out``, holding
the line that says so: a plugin that hangs on every artist then costs its limit once per
worker, not once per artist.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from mediakeeper.batch.job import ItemFailure
from mediakeeper.core.errors import LookupFailed, unreachable

RUN_DIR = "run"
UNREACHABLE_SUFFIX = ".unreachable"  # a flag file's: a service this run asks no more
LEFT_OUT_SUFFIX = ".left-out"  # a flag file's: a rule plugin this run runs no more
REFUSED = "refused"  # the mark of a service that answered and refused this client


class Offline(NamedTuple):
    """A service this run asks no more: why, and whether it answered with a refusal (a
    setting to mend) rather than not at all."""

    service: str
    reason: str
    refused: bool = False


def failure_said(service: str, err: LookupFailed) -> str:
    """What a person reads of a lookup that failed (a notice, ``--enrich``'s line for the
    item it gives back): a service unreachable, ``service`` and why; an answer it could not
    use, in the client's words. Neither holds the request's address (``LookupFailed``)."""
    return unreachable(service, err.why) if err.network else err.message


def refused(kind_dir: Path, session: str, service: str, err: LookupFailed, *,
            enrich_only: bool, stage: str, noun: str) -> str:  # fmt: skip
    """A service that refused this client (``err``: a key or client wrong for every item,
    its ``what_to_set`` naming the setting, never the key). An ``--enrich`` run, which has
    nothing else to do, stops at once, each item as it was (an ItemFailure of ``stage``).
    Any other run stops that service's lookups, not the local work: each item is left for
    ``--enrich`` as in a run offline. The line the batch says once is returned."""
    if enrich_only:
        raise ItemFailure(stage, str(err), stop=True) from None
    # The flag's reason (the log's REFUSED line, the summary's) names the setting too.
    go_offline(kind_dir, session, service, f"{err.message}; {err.what_to_set}", refused=True)
    return f"{err.message}: no {noun} was looked up ({err.what_to_set}, then run --enrich)"


def flag_path(kind_dir: Path, session: str, service: str) -> Path:
    return kind_dir / RUN_DIR / f"{session}.{service.lower().replace(' ', '-')}{UNREACHABLE_SUFFIX}"


def _said(path: Path) -> Offline | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        text = ""  # the flag is there, whatever it says
    service, reason, mark = [*text.split("\n", 2), "", ""][:3]
    return Offline(service or "the service", reason.strip(), mark.strip() == REFUSED)


def went_offline(kind_dir: Path, session: str, service: str) -> Offline | None:
    """Why this run asks ``service`` no more, if it found it unreachable (or refusing)."""
    return _said(flag_path(kind_dir, session, service))


def offline_services(kind_dir: Path, session: str) -> list[Offline]:
    """Each service this run found unreachable (or refusing), first found first."""
    flags = sorted((kind_dir / RUN_DIR).glob(f"{session}.*{UNREACHABLE_SUFFIX}"),
                   key=lambda path: path.stat().st_mtime_ns if path.exists() else 0)  # fmt: skip
    return [said for path in flags if (said := _said(path))]


def go_offline(kind_dir: Path, session: str, service: str, reason: str, *,
               refused: bool = False) -> None:  # fmt: skip
    """Say, for every process of this run, that ``service`` is unreachable, and why
    (``reason``: the failure's ``why``, never its address); ``refused``: it refuses this
    client (``reason``: the refusal's message). The first word stays: its text is written
    before its name appears, so no reader sees it half done."""
    _say_first(flag_path(kind_dir, session, service),
               f"{service}\n{reason}\n{REFUSED if refused else ''}\n")  # fmt: skip


def _say_first(path: Path, text: str) -> None:
    """``text`` in the flag ``path``, unless another process said it first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temp.write_text(text, encoding="utf-8")
    try:
        os.link(temp, path)  # fails if another process said it first: its reason stays
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links: the last word stays instead
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _left_out_path(kind_dir: Path, session: str, plugin: str) -> Path:
    return kind_dir / RUN_DIR / f"{session}.{plugin}{LEFT_OUT_SUFFIX}"


def leave_out(kind_dir: Path, session: str, plugin: str, line: str) -> None:
    """Say, for every process of this run, that the rule plugin ``plugin`` (its entry point's
    name: kebab-case) runs no more, and why (``line``, the first said stays)."""
    _say_first(_left_out_path(kind_dir, session, plugin), line)


def left_out(kind_dir: Path, session: str, plugin: str) -> str | None:
    """Why this run runs the rule plugin ``plugin`` no more, if it left it out."""
    try:
        return _left_out_path(kind_dir, session, plugin).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def clear(kind_dir: Path, session: str) -> None:
    for suffix in (UNREACHABLE_SUFFIX, LEFT_OUT_SUFFIX):
        for path in (kind_dir / RUN_DIR).glob(f"{session}.*{suffix}"):
            path.unlink(missing_ok=True)
