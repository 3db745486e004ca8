"""The conversion job built from settings, and what a dry run shows of one album: its stages,
what becomes of each track (with ``-v`` its exact ffmpeg command) and the space each volume
needs. Reads only."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from mediakeeper.batch.staged import check_layout, libraries
from mediakeeper.conversions import plan
from mediakeeper.conversions.job import (
    ARCHIVING,
    COMPLETED,
    CONVERTING,
    FINALIZING,
    PREPARING,
    PROCESSED,
    SOURCE,
    ConversionJob,
    made_alike,
)
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import ConfigError, MediakeeperError
from mediakeeper.fs.workdir import file_hash
from mediakeeper.media import cuesheet, ffmpeg
from mediakeeper.media.convert import PROFILES, encode_command, made_with
from mediakeeper.media.integrity import no_audio_by_header
from mediakeeper.queue.store import QueueStore
from mediakeeper.system.processes import usable_cores
from mediakeeper.text.visible import shell_join

KIND = "conversions"


def job_from_settings(
    settings: Settings, *, overwrite: bool, allow_lossy: bool, workers: int, cluster=None
) -> Callable[[str], ConversionJob]:
    """session id -> the job. ConfigError for a missing output or an unknown profile."""
    section = settings.section(KIND)
    if not section["output"]:
        raise ConfigError(
            "no output folder: give --output PATH or set [conversions] output in mediakeeper.toml"
        )
    if section["profile"] not in PROFILES:
        raise ConfigError(
            f"unknown profile {section['profile']!r} ({settings.origin(KIND, 'profile')}): "
            f"use one of {', '.join(PROFILES)}"
        )
    if section["damaged"] not in (plan.FAIL, plan.LEAVE_OUT):
        raise ConfigError(
            f"[conversions] damaged is {section['damaged']!r} ({settings.origin(KIND, 'damaged')})"
            f": use {plan.FAIL!r} (a damaged source fails its album) or {plan.LEAVE_OUT!r}"
        )
    expand = lambda raw: Path(raw).expanduser().resolve() if raw else None  # noqa: E731
    destinations = [(key, expand(section[key])) for key in ("output", "archive", "working")]
    check_layout(libraries(settings, KIND), destinations)
    _same_profile(settings, expand(section["output"]), section["profile"])
    return partial(
        _job,
        home=settings.home,
        output=expand(section["output"]),
        profile=section["profile"],
        archive=expand(section["archive"]),
        working=expand(section["working"]),
        delete_originals=bool(section["delete_originals"]),
        overwrite=overwrite,
        allow_lossy=allow_lossy,
        cleanup_working_on_success=bool(section["cleanup_working_on_success"]),
        cleanup_working_on_failure=bool(section["cleanup_working_on_failure"]),
        min_free_mb=int(section["min_free_mb"]),
        damaged=section["damaged"],
        ffmpeg_path=settings.get("ffmpeg", "path"),
        # The cores shared among the albums converted at once; sent to a cluster, as many
        # tracks in flight per album as it has threads: with two albums at once, each thread
        # has the next track's bytes already there while it encodes one.
        threads=cluster.threads if cluster else max(1, usable_cores() // workers),
        cluster=cluster,
    )


def _same_profile(settings: Settings, output: Path, profile: str) -> None:
    """ConfigError when albums already converted into ``output`` were made with another
    profile: a second --profile would mix their formats in one library (issue 36)."""
    store, items = QueueStore(settings.status_dir / KIND, KIND), []
    with contextlib.suppress(MediakeeperError, OSError):  # no queue yet, or one unreadable
        items = store.peek()["items"] if store.exists() else []
    made = Counter(
        details["profile"]
        for details in (item.get("details") or {} for item in items)
        if details.get("profile") not in (None, profile)
        and details.get("output")
        and Path(details["output"]).is_relative_to(output)
    )
    if made:
        (other, n), *_ = made.most_common()
        raise ConfigError(
            f"{n} album(s) in {output} were converted with the {other} profile: --profile "
            f"{profile} would mix two formats in one library; use --profile {other}, or give "
            "another --output"
        )


def _job(session: str, **fields: Any) -> ConversionJob:
    return ConversionJob(session=session, **fields)


def _sheet_names(path: Path, files: list[plan.Entry]) -> list[str]:
    """The converted files a cue sheet will name (none: copied as it is)."""
    try:
        return cuesheet.renaming(path.read_bytes(), plan.converted_names(files))[1]
    except OSError:
        return []  # (unreadable: the run's copy says so)


def preview(job: ConversionJob, item: dict[str, Any], *, commands: bool = False) -> list[str]:
    """The lines a dry run prints for one album: a short one per track, with ``commands``
    (``-v``) the exact ffmpeg command of each encoded one."""
    album = Path(item["path"])
    profile = PROFILES[job.profile]
    files = plan.entries(album, profile, allow_lossy=job.allow_lossy)
    stages = [PREPARING, CONVERTING, *([ARCHIVING] if job.archive else []), FINALIZING, COMPLETED]
    wd = job.workdir(item)
    out = job.target(job.output, item)
    lines = [f"{item['name']}: {' -> '.join(stages)}"]
    exe = ffmpeg.find(job.ffmpeg_path)
    # (without --overwrite the album's earlier output refuses the run: the output line says)
    earlier = job.earlier_outputs(item) if job.overwrite else {}
    for entry in files:
        source = wd / SOURCE / entry.name
        if entry.action in (plan.ENCODE, plan.COPY_LOSSY) and (
            no_audio := no_audio_by_header(album / entry.name)
        ):  # what the run's check of the source finds first (``convert``): said as it does
            lines.append(f"  {entry.name}: " + (
                f"left out: {no_audio} ([conversions] damaged)" if job.damaged == plan.LEAVE_OUT
                else f"fails the album: {no_audio}; replace it from a good copy"))  # fmt: skip
        elif entry.action == plan.ENCODE and entry.output in earlier and made_alike(
            earlier[entry.output], file_hash(album / entry.name), made_with(profile)
        ):
            lines.append(f"  {entry.name}: {entry.output} kept as converted before (its "
                         "source unchanged), verified")  # fmt: skip
        elif entry.action == plan.ENCODE:
            said = f"  {entry.name}: encoded to {entry.output} ({job.profile})"
            command = encode_command(exe, source, wd / PROCESSED / entry.output, profile)
            lines.append(f"{said}: {shell_join(command)}" if commands else said)
        elif entry.action == plan.COPY_LOSSY:
            lines.append(f"  {entry.name}: copied as it is (a lossy source; --allow-lossy)")
        elif entry.action == plan.LEAVE:
            lines.append(f"  {entry.name}: left out (a video: it stays where it is)")
        elif plan.is_cue_sheet(entry) and (named := _sheet_names(album / entry.name, files)):
            lines.append(f"  {entry.name}: copied, {plan.sheet_rewritten(named)}")
        else:
            lines.append(f"  {entry.name}: copied")
    if not commands and any(entry.action == plan.ENCODE for entry in files):
        lines.append("  ffmpeg's command of each track: add -v")
    for path, size in job.needs(item, files).items():
        lines.append(f"  space: {size / plan.MB:.1f} MB under {path}")
    lines.append(f"  output: {out}" + job.place_note(item, out, {e.output for e in files}))
    if job.archive:
        lines.append(f"  archive: {job.target(job.archive, item)}")
    if job.delete_originals:
        lines.append(f"  then deletes the original files in {album}")
    return lines
