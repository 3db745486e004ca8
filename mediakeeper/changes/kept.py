"""What is derived from each change journal, kept in ``status/<kind>/changes/weeks.json`` by
the journal's identity, size and times (``journal.journal_identity``), so that a reader takes
it for a journal unchanged since rather than reading the journal again: its changes counted
by week (``reports/change_weeks.py``) and each session's sums (``journal.written_by_session``,
what ``undo --list`` and the page's recent changes show). The closing reports keep it, a
journal at a time, for the journals they read; every other reader only takes it.

Two lines: a header with the CRC-32 of the second, which holds an entry a journal, by its
name, so a file torn by a kill or damaged is never believed; an entry is believed only for
the journal it names while that journal's identity is the one kept with it (an append
changes its size, any write its ctime, a replacement its inode). The file is derived:
deleting it, or a damaged one, costs one reading of the journals.

The same file, by another name and of other entries, keeps what else is derived from a file
by its identity (``reports/upgrades.py``: each output document's albums worth a better copy).
"""

from __future__ import annotations

import contextlib
import json
import zlib
from pathlib import Path
from typing import Any

from mediakeeper.fs.atomic import atomic_write_bytes, encode_text
from mediakeeper.text.jsonfmt import dumps_one

KEPT_FILE = "weeks.json"
_FORMAT = 1


def kept_entries(
    changes_dir: Path, name: str = KEPT_FILE, of: str = "journals"
) -> dict[str, dict[str, Any]]:
    """Each journal's kept entry as written, by the journal's name, each with its ``id`` a
    list; none for a file missing, damaged (its CRC-32 does not hold) or of another format.
    Each reader checks the parts it takes. ``name``, ``of``: another kept file in the
    folder, and what its entries are of."""
    try:
        raw = (changes_dir / name).read_bytes()
        head, _, body = raw.removesuffix(b"\n").partition(b"\n")
        header = json.loads(head)
        if header["format"] != _FORMAT or header["crc32"] != zlib.crc32(body):
            return {}
        entries = json.loads(body)[of]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {key: held for key, held in entries.items()
            if isinstance(held, dict) and isinstance(held.get("id"), list)}  # fmt: skip


def keep_entries(
    changes_dir: Path, entries: dict[str, dict[str, Any]], name: str = KEPT_FILE,
    of: str = "journals",
) -> None:
    """``entries`` written for the next reading, atomically (``name``, ``of``: as
    ``kept_entries``). Only ever a speed-up: entries that cannot be written are simply not
    kept."""
    body = encode_text(dumps_one({of: entries}))
    header = encode_text(dumps_one({"format": _FORMAT, "crc32": zlib.crc32(body)}))
    with contextlib.suppress(OSError):
        atomic_write_bytes(changes_dir / name, header + b"\n" + body + b"\n",
                           durable=False)  # fmt: skip
