"""The audiobook job built from settings, and what a dry run shows of one book: its files in
order with their chapter titles, where it would go, and whether it would be joined as it is
or encoded. Reads only (no decoding: lengths come when it runs)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from mediakeeper.audiobooks import metadata
from mediakeeper.audiobooks.books import book_files, left_out
from mediakeeper.audiobooks.job import AudiobookJob
from mediakeeper.batch.staged import check_layout, libraries
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import ConfigError, MediakeeperError

KIND = "audiobooks"


def job_from_settings(
    settings: Settings, *, overwrite: bool, retries: int = 1, cluster=None
) -> Callable[[str], AudiobookJob]:
    section = settings.section(KIND)
    if not section["output"]:
        raise ConfigError(
            "no output folder: give --output PATH or set [audiobooks] output in mediakeeper.toml"
        )
    expand = lambda raw: Path(raw).expanduser().resolve() if raw else None  # noqa: E731
    output = expand(section["output"])
    destinations = [("output", output), ("backup", expand(section["backup"]))]
    check_layout(libraries(settings, KIND), destinations)
    return partial(
        _job,
        home=settings.home,
        output=output,
        backup=expand(section["backup"]),
        bitrate=str(section["bitrate"]),
        channels=int(section["channels"]),
        sample_rate=int(section["sample_rate"]),
        stall_timeout=int(section["stall_timeout"]),
        overwrite=overwrite,
        ffmpeg_path=settings.get("ffmpeg", "path"),
        retries=retries,
        cluster=cluster,
    )


def _job(session: str, **fields: Any) -> AudiobookJob:
    return AudiobookJob(session=session, **fields)


def preview(job: AudiobookJob, item: dict[str, Any],
            going: dict[Path, Path] | None = None) -> list[str]:  # fmt: skip
    """``going``: each output file of the books previewed before in this dry run, by the
    folder it comes from (a second book making one is a clash a run would refuse)."""
    folder = Path(item["path"])
    files = book_files(folder)
    if not files:
        raise MediakeeperError(f"no audio files in {folder}")
    book = metadata.gather(folder, item["key"], files)
    target = job.output / metadata.relative_output(book)
    lines = [f"{item['name']}: backup -> measure -> merge -> place"]
    for number, path in enumerate(files, 1):
        rel = path.relative_to(folder).as_posix()
        lines.append(f"  {number:3d}. {rel}: {metadata.chapter_title(path)!r}")
    place = target.parent
    first = folder if going is None else going.setdefault(target, folder)
    note = job.place_note(item, place, {target.name}) if first == folder else (
        f" (clash: {first} and {folder} both make this file, and a run places only one: "
        "give one of them its own title or author, in its tags)")  # fmt: skip
    lines.append(f"  output: {target}{note}")
    lines += [f"  {line}" for line in left_out(folder)]
    lines.append(f"  backup under {job.backup_root}")
    return lines
