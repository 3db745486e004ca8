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
WHAT = {  # what is wrong with one file, and with several
    "decode-error": ("does not decode whole", "do not decode whole"),
    "truncated-audio": ("is cut short", "are cut short"),
    "audio-md5-mismatch": ("is not the audio its header's MD5 says",
                           "are not the audio their headers' MD5 says"),
    "audio-changed": ("is not the audio last found whole", "are not the audio last found whole"),
}


def words(asked: Asked) -> str:
    files = asked.files
    one, several = WHAT.get(asked.code, (f"has {asked.code}", f"have {asked.code}"))
    # A restore only where a good copy is found: a listing words the question without
    # looking for one (that loads the media probes), so the words promise no restore.
    if len(files) == 1:  # its name is said beside the words, never twice (issue 69)
        return (f"It {one}: accept it as is, verify it again, or restore it where a good copy "
                "is found?")
    return (f"{count(len(files), 'file')} {several} ({', '.join(files)}): accept them as they "
            "are, verify them again, or restore them where good copies are found?")  # fmt: skip


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
    return found, "; ".join(dict.fromkeys(n for n in notes if n))


def evidence(asked: Asked) -> dict[str, Any]:
    checked = {f.get("file"): f for f in asked.document.get("files") or []}
    shown = []
    every = asked.document.get("findings") or []
    for name in asked.files:
        # What is known of the file's damage, whichever of its findings says it.
        about = [f.get("details") or {} for f in (*asked.findings, *every) if f.get("path") == name]
        details: Mapping[str, Any] = {k: v for d in reversed(about) for k, v in d.items()
                                      if v is not None}  # fmt: skip
        good, why = asked.good_copy(name)
        entry = checked.get(name) or {}
        shown.append({
            "path": name,
            "seconds": entry.get("seconds"),
            "missing_seconds": details.get("missing_seconds"),
            "missing_bytes": details.get("missing_bytes"),
            "at": details.get("at"),
            "last_good": details.get("last_good"),
            # one damaged file's one question (``rules.one_question``): all it found in it
            "found": [{"code": f["code"], "message": f["message"]}
                      for f in details.get("found") or ()],
            "backup": {"good": good is not None,
                       "path": getattr(good, "path", None), "why_not": why or None},
        })  # fmt: skip
    return {"damage": shown}


def listed(code: str) -> tuple[str, ...]:
    """Every verify decision's choices, as a group lists them: a restore where a copy is good."""
    return (LABELS[ACCEPT], LABELS[AGAIN], f"{LABELS[RESTORE]} (where one is good)")


QUESTIONS = Questions(words=words, offers=offers, evidence=evidence, listed=listed)
