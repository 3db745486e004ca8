"""Whether this run found a web service unreachable: then it goes on offline.

A job that cannot reach its service (MusicBrainz, TMDb) does the item's local work all the
same and leaves its lookups for ``--enrich``; and from then on no item of the run asks the
network again. Items run in worker processes, so the word is a flag file in the kind's run
state, ``status/<kind>/run/<session>.unreachable``: the first job to find the service down
writes it (created exclusively, so one reason wins), every job looks for it before its
lookups (one stat), and the batch removes it when the run ends (a killed run's flag names
its own session only: no later run reads it).
"""

from __future__ import annotations

import os
from pathlib import Path

RUN_DIR = "run"
SUFFIX = ".unreachable"


def flag_path(kind_dir: Path, session: str) -> Path:
    return kind_dir / RUN_DIR / f"{session}{SUFFIX}"


def went_offline(kind_dir: Path, session: str) -> tuple[str, str] | None:
    """(service, reason) when this run found its service unreachable, else None."""
    try:
        text = flag_path(kind_dir, session).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        text = ""  # the flag is there, whatever it says
    service, _, reason = text.partition("\n")
    return service or "the service", reason.strip()


def go_offline(kind_dir: Path, session: str, service: str, reason: str) -> None:
    """Say, for every process of this run, that ``service`` is unreachable. The first word
    stays: its text is written before its name appears, so no reader sees it half done."""
    path = flag_path(kind_dir, session)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temp.write_text(f"{service}\n{reason}\n", encoding="utf-8")
    try:
        os.link(temp, path)  # fails if another process said it first: its reason stays
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links: the last word stays instead
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def clear(kind_dir: Path, session: str) -> None:
    flag_path(kind_dir, session).unlink(missing_ok=True)
