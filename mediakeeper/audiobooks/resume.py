"""A resumed book and the settings its merge used.

The merge records the encode settings (``bitrate``, ``channels``, ``sample_rate``) in the
book's state before it starts. A book resumed with other settings whose merge encodes (a
stream copy does not use them) is merged again: its merged or half-merged files are removed
first, so nothing of the old encode is placed or mixed into the new one, and a line says so.
A book whose placing has begun keeps the old encode unless the run has ``--overwrite``.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mediakeeper.media import merge_m4b

# What a merge leaves in the state: gone when the book is merged again.
MERGED = ("sha256", "copied", "starts", "seconds", "carried", "cover", "cover_notes")


def recorded(audio: merge_m4b.Audio) -> dict[str, Any]:
    """The settings as the state records them ("64K" and "64k" are one bit rate)."""
    return {**asdict(audio), "bitrate": audio.bitrate.strip().lower()}


def _said(settings: dict[str, Any]) -> str:
    return f"{settings['bitrate']}, {settings['channels']} ch, {settings['sample_rate']} Hz"


def against_settings(state: dict[str, Any], audio: merge_m4b.Audio, *, merge_step: str,
                     place_step: str, overwrite: bool, name: str,
                     leftovers: list[Path]) -> dict[str, Any]:  # fmt: skip
    """``state`` as it resumes under ``audio``: back at ``merge_step`` (``leftovers``
    removed, a note in ``state["notes"]``) when its merge encoded, or began to, with other
    settings; unchanged otherwise."""
    before, now = state.get("audio"), recorded(audio)
    if state.get("stage") not in (merge_step, place_step) or not before or before == now:
        return state
    if merge_m4b.can_copy([merge_m4b.Input(**i) for i in state["inputs"]]):
        return state  # a stream copy is the same whatever the settings
    notes = list(state.get("notes", []))
    if state.get("placing_output") and not overwrite:
        kept = (f"{name}: placed as encoded before ({_said(before)}), not at the settings now "
                f"({_said(now)}): run with --overwrite to encode it again")  # fmt: skip
        return state if kept in notes else {**state, "notes": [*notes, kept]}
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
    notes.append(f"{name}: settings changed since its merge ({_said(before)} -> {_said(now)}): "
                 "merged again")  # fmt: skip
    kept = {k: v for k, v in state.items() if k not in (*MERGED, "audio", "placing_output")}
    return {**kept, "notes": notes, "stage": merge_step}
