"""What one file's check means for a person, as findings (pure: a ``Check``, what was known
of the file before, and the time in; findings out). See docs/findings.md's verify rows.

A damaged file asks one question (``one_question``): its damage and bit rot become ONE
finding, of the code ``FIRST`` puts first, with each thing found listed inside it
(``details["found"]``), so the batch, the reports and ``decide`` count it once. A message
never repeats the file's name: every surface shows it beside the message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mediakeeper.core.findings import Finding, finding_of
from mediakeeper.media.integrity import SAMPLES, Check

CLIPPED_SAMPLES = 100  # fewer samples at full scale are a loud peak, not clipping


def damage(name: str, check: Check) -> list[Finding]:
    """The file is not the audio it says it is."""
    found = []
    broken = (bool(check.errors) or not check.decodes) and not check.shown_cut
    missing = {"missing_seconds": check.missing_seconds,
               "missing_bytes": check.header.missing_bytes}  # fmt: skip
    if broken:
        details = {"at": check.error_at, "errors": list(check.errors), **missing}
        found.append(finding_of("decode-error", name, check.why(), details=details))
    if check.md5_is_the_damage:  # not in a file cut short: the cut is its one damage
        found.append(finding_of("audio-md5-mismatch", name, _md5(check),
                                details={"header": check.header.md5,
                                         "decoded": check.samples_md5}))  # fmt: skip
    # A decode that stopped at an error falls short because of it: the error already says
    # where, and one damage is one decision (ffmpeg 5.1 stops where later ones go on).
    if check.truncated and not broken:
        found.append(finding_of("truncated-audio", name, check.cut_short(),
                                details={"seconds": check.seconds,
                                         "header_seconds": check.header.seconds,
                                         **missing}))  # fmt: skip
    return found


# Which of a file's findings names its one question: an MD5 mismatch first, which every
# damaged FLAC shows whatever the decoder (a decode error depends on the bytes and the ffmpeg
# version), so two rotten FLACs are one group; then the decode error, the cut, the bit rot.
FIRST = ("audio-md5-mismatch", "decode-error", "truncated-audio", "audio-changed")


def one_question(found: list[Finding]) -> list[Finding]:
    """One file's damage and bit rot (``damage`` + ``changed``) as the one question it asks:
    the finding first in ``FIRST``, its message followed by the others', each listed in its
    details (``found``: code, message, details); none when there are none."""
    if len(found) < 2:
        return found
    found = sorted(found, key=lambda f: FIRST.index(f.code) if f.code in FIRST else len(FIRST))
    first, rest = found[0], found[1:]
    message = "; ".join([first.message, *(f"also {f.message}" for f in rest)])
    listed = [{"code": f.code, "message": f.message, "details": dict(f.details)} for f in found]
    return [replace(first, message=message, details={**first.details, "found": listed})]


def _md5(check: Check) -> str:
    return (f"its decoded audio's MD5 is {check.samples_md5}, its FLAC header's "
            f"{check.header.md5}: the audio changed after it was encoded")  # fmt: skip


def changed(name: str, check: Check, known: Mapping[str, Any], mtime_ns: int) -> list[Finding]:
    """The audio is not what it was when last checked good (tags never count: the checksum
    is of the audio alone). Checksums of two kinds (a FLAC's packets' hash recorded before
    its MD5 became its checksum) are not compared: this pass records the new kind."""
    was, now = known.get("checksum", ""), check.audio_checksum
    if not was or not now or was == now or was.startswith(SAMPLES) != now.startswith(SAMPLES):
        return []
    # --accept-changed takes only audio that decodes whole: a damaged file is not offered it.
    accept = "" if check.damaged else ("; if you replaced it on purpose, run the batch with "
                                       "--accept-changed")  # fmt: skip
    how = ("its modification time did not change: the disk changed it (bit rot, a failing "
           "sector)" if known.get("mtime_ns") == mtime_ns else
           f"a program rewrote it since{accept}")  # fmt: skip
    return [finding_of(
        "audio-changed", name,
        f"its audio is not what it was when last known good, {known['good_at']}; {how}. "
        "A backup made before that date holds the good copy.",
        details={"last_good": known["good_at"], "was": known["checksum"],
                 "now": check.audio_checksum}
    )]  # fmt: skip


def sound(name: str, check: Check) -> list[Finding]:
    """What a person may want to know of the sound: each an info finding with its figure."""
    found = []
    if check.full_scale >= CLIPPED_SAMPLES:
        found.append(finding_of("clipping", name, f"{check.full_scale:,} samples at "
                                "full scale", details={"samples": check.full_scale}))  # fmt: skip
    if (cutoff := check.cutoff) is not None:
        found.append(finding_of(
            "lossy-origin", name,
            f"its spectrum stops at about {cutoff / 1000:g} kHz, as a lossy encoder's "
            "low-pass does (an old recording can roll off too)",
            details={"cutoff_hz": cutoff, "levels_db": {str(k): v for k, v in
                                                        check.levels.items()}},
        ))  # fmt: skip
    for start, length in check.silences:
        if start > 0 and start + length < check.seconds - 0.5:  # inside the track
            said = f"{length:.1f} s of silence from {start:.1f} s"
            details = {"start": start, "seconds": length}
            found.append(finding_of("long-silence", name, said, details=details))
    return found
