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
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from mediakeeper.core.errors import LookupFailed

RUN_DIR = "run"
SUFFIX = ".unreachable"
REFUSED = "refused"  # the mark of a service that answered and refused this client


class Offline(NamedTuple):
    """A service this run asks no more: why, and whether it answered with a refusal (a
    setting to mend) rather than not at all."""

    service: str
    reason: str
    refused: bool = False


def failure_said(service: str, err: LookupFailed) -> str:
    """What a person reads of a lookup that failed: a service unreachable as a normal run
    says it, its name and why (``--enrich``'s line for the item it gives back), never the
    request's address; an answer it could not use, in the client's words."""
    if not err.network:
        return err.message
    return f"{service} unreachable ({err.why})" if err.why else f"{service} unreachable"


def flag_path(kind_dir: Path, session: str, service: str) -> Path:
    return kind_dir / RUN_DIR / f"{session}.{service.lower().replace(' ', '-')}{SUFFIX}"


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
    flags = sorted((kind_dir / RUN_DIR).glob(f"{session}.*{SUFFIX}"),
                   key=lambda path: path.stat().st_mtime_ns if path.exists() else 0)  # fmt: skip
    return [said for path in flags if (said := _said(path))]


def go_offline(kind_dir: Path, session: str, service: str, reason: str, *,
               refused: bool = False) -> None:  # fmt: skip
    """Say, for every process of this run, that ``service`` is unreachable (``refused``: it
    refuses this client). The first word stays: its text is written before its name
    appears, so no reader sees it half done."""
    path = flag_path(kind_dir, session, service)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temp.write_text(f"{service}\n{reason}\n{REFUSED if refused else ''}\n", encoding="utf-8")
    try:
        os.link(temp, path)  # fails if another process said it first: its reason stays
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links: the last word stays instead
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def clear(kind_dir: Path, session: str) -> None:
    for path in (kind_dir / RUN_DIR).glob(f"{session}.*{SUFFIX}"):
        path.unlink(missing_ok=True)
