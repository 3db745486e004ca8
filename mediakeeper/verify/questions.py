"""The verify kind's decisions (``core.questions``): a damaged file, or one whose audio
changed since it was last found whole. Its choices: accept it as is, verify the album again,
and, only where a good copy is found (``Asked.good_copy``: the backup folder or the
conversions' archive, checked against the audio last found whole), restore it from that
copy. Its evidence: each file with its seconds, the seconds and bytes missing, and whether a
good copy exists (where, or why none)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mediakeeper.core.questions import ACCEPT, AGAIN, RESTORE, Asked, Offer, Questions
from mediakeeper.text.wording import count

LABELS = {ACCEPT: "accept as is", AGAIN: "verify again", RESTORE: "restore from the backup copy"}
WHAT = {
    "decode-error": "does not decode whole",
    "truncated-audio": "is cut short",
    "audio-md5-mismatch": "is not the audio its header's MD5 says",
    "audio-changed": "is not the audio last found whole",
}


def words(asked: Asked) -> str:
    files = asked.files
    what = WHAT.get(asked.code, f"has {asked.code}")
    where = files[0] if len(files) == 1 else count(len(files), "file")
    return f"{where} {what}: accept it as is, verify it again, or restore a good copy?"


def offers(asked: Asked) -> tuple[list[Offer], str]:
    found = [Offer(LABELS[ACCEPT], ACCEPT), Offer(LABELS[AGAIN], AGAIN)]
    notes = []
    for name in asked.files:
        good, why = asked.good_copy(name)
        if good is None:
            notes.append(f"no restore: {why}" if why else "")
            continue
        several = len(asked.files) > 1
        label = f"{LABELS[RESTORE]} ({name})" if several else LABELS[RESTORE]
        found.append(Offer(label, RESTORE, value=good, file=name))
        notes.append(f"a good copy: {good.path}")
    return found, "; ".join(n for n in notes if n)


def evidence(asked: Asked) -> dict[str, Any]:
    checked = {f.get("file"): f for f in asked.document.get("files") or []}
    shown = []
    for name in asked.files:
        finding = next((f for f in asked.findings if f.get("path") == name), {})
        details: Mapping[str, Any] = finding.get("details") or {}
        good, why = asked.good_copy(name)
        entry = checked.get(name) or {}
        shown.append({
            "path": name,
            "seconds": entry.get("seconds"),
            "missing_seconds": details.get("missing_seconds"),
            "missing_bytes": details.get("missing_bytes"),
            "at": details.get("at"),
            "last_good": details.get("last_good"),
            "backup": {"good": good is not None,
                       "path": getattr(good, "path", None), "why_not": why or None},
        })  # fmt: skip
    return {"damage": shown}


def listed(code: str) -> tuple[str, ...]:
    """Every verify decision's choices, as a group lists them: a restore where a copy is good."""
    return (LABELS[ACCEPT], LABELS[AGAIN], f"<{LABELS[RESTORE]}, where one is good>")


QUESTIONS = Questions(words=words, offers=offers, evidence=evidence, listed=listed)
