"""The findings of a book that are not its metadata's (``metadata.findings``): files that do
not decode, a re-encode the formats forced, chapter marks off their files."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mediakeeper.core.findings import Finding, finding_of
from mediakeeper.media import ffmpeg, merge_m4b
from mediakeeper.system import children
from mediakeeper.system.processes import usable_cores
from mediakeeper.text.wording import spans


def measure(exe: str, folder: Path, files: Sequence[Path], titles: Sequence[str], threads: int = 0,
            timeout: Callable[[Path], float | None] = lambda path: None):  # fmt: skip
    """(the inputs measured, an ``unreadable-file`` finding for each file ffmpeg cannot
    read, or not within ``timeout(path)`` seconds); paths in findings relative to
    ``folder``. One file per core at once."""

    def one(path: Path, title: str):
        where = path.relative_to(folder).as_posix()
        # A file of 0 bytes (a copy that never finished) said as such: ffmpeg's words are
        # "Invalid argument", of the backup's copy. One that cannot be read: ffmpeg says why.
        with contextlib.suppress(OSError):
            if path.stat().st_size == 0:
                return finding_of("unreadable-file", where, f"{where} is empty (0 bytes)")
        try:
            return merge_m4b.measure_whole(exe, path, title, timeout(path))
        except merge_m4b.CutShort as err:  # read, but shorter than its headers say
            return finding_of("unreadable-file", where, f"{where} {err.why}")
        except ffmpeg.FFmpegFailed as err:
            # ffmpeg's line names the file it read, the backup's copy: the book's is named.
            said = str(err).replace(f"{path}: ", "")
            return finding_of("unreadable-file", where, f"{where} does not read: {said}")

    with ThreadPoolExecutor(max_workers=max(1, threads or usable_cores())) as pool:
        try:
            results = list(pool.map(one, files, titles))
        except BaseException:
            children.kill_all()  # Ctrl+C: no decoder goes on
            raise
    inputs = [r for r in results if isinstance(r, merge_m4b.Input)]
    return inputs, [r for r in results if not isinstance(r, merge_m4b.Input)]


def formats(inputs: Sequence[merge_m4b.Input]) -> list[Finding]:
    if not inputs or merge_m4b.can_copy(inputs):
        return []
    kinds = sorted({f"{i.codec} {i.rate} Hz {i.channels} ch" for i in inputs})
    said = f"the files are {', '.join(kinds)}: encoded once to AAC (a stream copy needs AAC of "
    return [finding_of("mixed-audio-formats", "", said + "one rate and channels)")]


def drift(titles: Sequence[str], wanted: Sequence[float], found: Sequence[float]) -> list[Finding]:
    """A ``chapter-drift`` for each of the first marks more than 50 ms off its file's start
    (or missing), then one that counts the rest: a book of 300 chapters missing 45 is said in
    four findings, not 45."""
    out = []
    off = merge_m4b.drifted(wanted, found)
    for n in off[:DRIFTS_SAID]:
        said = f"at {found[n]:.3f} s" if n < len(found) else "missing"
        out.append(finding_of("chapter-drift", "", f"chapter {n + 1} ({titles[n]}) is {said}, "
                              f"its file starts at {wanted[n]:.3f} s"))  # fmt: skip
    if len(off) > DRIFTS_SAID:
        rest = [n + 1 for n in off[DRIFTS_SAID:]]
        out.append(finding_of("chapter-drift", "", f"and {len(rest)} more chapters off or "
                              f"missing ({spans(rest)})"))  # fmt: skip
    return out


def unreadable(found: Sequence[Finding], folder: Path) -> str:
    """Why a book cannot be joined, every file that does not read counted: the first few
    said one by one, so that a person replaces them all before the next run, not one a run."""
    said = "; ".join(f.message for f in found[:DRIFTS_SAID])
    if len(found) > DRIFTS_SAID:
        rest = [f.path for f in found[DRIFTS_SAID:]]
        said += f"; and {len(rest)} more files that do not read ({', '.join(rest)})"
    them = "them" if len(found) > 1 else "it"
    return f"unreadable-file: {said} (in {folder}): replace or remove {them}"


DRIFTS_SAID = 3  # chapters or files said one by one; the rest are counted
