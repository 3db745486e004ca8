"""Recordings with sound of their own, for the duplicate finder: a seeded random melody
(notes of a scale, with harmonics and an envelope) written as WAV by Python and encoded by
ffmpeg. One seed is one recording; two seeds never sound alike."""

from __future__ import annotations

import array
import math
import random
import subprocess
import wave
from pathlib import Path

RATE = 22050
SCALE = [220.0 * 2 ** (n / 12) for n in (0, 2, 3, 5, 7, 8, 10, 12, 14, 15, 17, 19, 20, 22, 24)]


def melody_wav(path: Path, seed: int, seconds: float = 15.0, *, gain: float = 1.0,
               lead: float = 0.0) -> Path:  # fmt: skip
    """A mono 16-bit WAV of ``seed``'s melody, ``gain`` times as loud, after ``lead``
    seconds of silence."""
    rng = random.Random(seed)
    samples = array.array("h", bytes(2 * int(lead * RATE)))
    t_total = 0.0
    while t_total < seconds:
        length = rng.choice((0.15, 0.25, 0.35, 0.5))
        f1, f2 = rng.choice(SCALE), rng.choice(SCALE)
        n = int(length * RATE)
        for i in range(n):
            t = i / RATE
            env = min(1.0, t * 40) * math.exp(-3 * t)
            v = math.sin(2 * math.pi * f1 * t) + 0.5 * math.sin(2 * math.pi * f2 * t)
            v += 0.3 * math.sin(4 * math.pi * f1 * t)
            samples.append(max(-32767, min(32767, int(9000 * gain * env * v))))
        t_total += length
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return path


def encode(source: Path, target: Path, *args: str) -> Path:
    """``source`` encoded to ``target`` by ffmpeg (its format from the extension), with
    ``args`` (``-b:a 128k``), at 44.1 kHz (Opus: 48 kHz, its only rate)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    rate = "48000" if target.suffix == ".opus" else "44100"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), "-ar", rate,
                    *args, str(target)], check=True)  # fmt: skip
    return target
