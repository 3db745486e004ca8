"""One record per media kind: everything that differs between music, movies and the kinds to
come. The queue engine, batch runner, queue manager, reports and command line read these
records and keep no per-kind tables of their own.

Adding a kind is one ``Kind(...)`` below, its package (``mediakeeper/<kind>/``: job, rules,
outputs, report template), what its batch adds (``utilities/<kind>_batch.py``) and its two
scripts of a few lines in ``utilities/``, which build their commands from this record.

This module imports nothing of the toolkit's: ``config`` reads it to know the settings
sections, and ``--help`` must stay quick, so a kind's job is named by a dotted path and only
imported when a batch asks for it (``Kind.job_factory``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# Every kind's settings section starts with these; a kind adds its own (``Kind.settings``).
COMMON_SETTINGS: Mapping[str, Any] = MappingProxyType(
    {"library": "", "checkpoint_every": 50, "max_attempts": 3}
)


@dataclass(frozen=True)
class Counter:
    """A number each item of a kind counts, summed over a queue and a batch: ``field`` in the
    queue item, ``total`` its name in a queue summary, ``noun`` how one is said ("track")."""

    field: str
    total: str
    noun: str


ISSUES = (
    Counter("issues_found", "issues_found", "issue"),
    Counter("issues_resolved", "issues_resolved", "fixed issue"),
)
TRACKS = Counter("track_count", "tracks", "track")


@dataclass(frozen=True)
class Makes:
    """What each completed item of a kind makes, which the weekly report and the dashboard
    count, this week and in all: the items, their hours of audio (their details' "seconds");
    with ``saved`` the space saved ("bytes_before" - "bytes_after"); with ``copies`` how many
    were made without re-encoding (the "copied" of their output documents)."""

    verb: str  # what was done to one: "converted" ("Albums converted", "Audio converted")
    saved: bool = False
    copies: str = ""  # how one made without re-encoding is said; "": not counted


@dataclass(frozen=True)
class Kind:
    """What the toolkit knows about one media kind.

    ``name`` is the folder under ``status/``, ``issues/`` and ``outputs/`` and the settings
    section. Items are the folders ``depth`` levels below the library (1: directly inside
    it); ``find`` (``"module:function"``, taking the library's path and returning the item
    folders) replaces that rule for a kind whose items are found otherwise. An item's key is
    its folder's path relative to the library, in POSIX form.
    """

    name: str
    noun: str  # one item: "artist"
    label: str  # the library in --help: "Music library folder"
    job: str  # "module:Class" of the job, imported only when a batch runs
    report_template: str  # the per-item issue report, under reports/templates/
    queue_script: str  # module under utilities/ whose ``main`` is the queue manager
    batch_script: str  # module under utilities/ whose ``main`` runs a batch
    depth: int = 1
    find: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)  # beyond COMMON_SETTINGS
    # What an item counts beside its issues (music: tracks). Shown in lists and summaries.
    extra_counters: tuple[Counter, ...] = ()
    # What its completed items make (audio), which the reports count beside them.
    makes: Makes | None = None
    # Where one JSON document per item with its "findings" is kept, under the data home.
    output_dir: tuple[str, ...] | None = None
    # The service whose id a person may give an item by hand (the queue manager's --choose).
    chosen_by: str | None = None
    # Which files are an item's, whose changes since it completed --refresh notices
    # (mediakeeper.fingerprints): "tree", every file below its folder; "folder", only those
    # directly in it (a kind whose items' folders hold other items).
    item_files: str = "tree"

    # "module:NAME" of the BatchSpec its batch script is built from (what the kind's batch
    # adds: options, job, dry run), imported only when that command is built.
    batch: str | None = None

    @property
    def files_below(self) -> bool:
        """Whether every file below an item's folder is the item's (``item_files``)."""
        return self.item_files == "tree"

    @property
    def plural(self) -> str:
        return f"{self.noun}s"

    @property
    def counters(self) -> tuple[Counter, ...]:
        return (*self.extra_counters, *ISSUES)

    def counts(self, field_name: str) -> bool:
        """Whether this kind's items count ``field_name`` (``"track_count"``)."""
        return any(c.field == field_name for c in self.counters)

    def setting_defaults(self) -> dict[str, Any]:
        return {**COMMON_SETTINGS, **self.settings}

    def job_factory(self) -> Callable[..., Any]:
        return load(self.job)

    def finder(self) -> Callable[..., Any] | None:
        return load(self.find) if self.find else None

    @property
    def item_layout(self) -> str:
        """Where one item's folder sits, for messages: "directly inside it"."""
        if self.find:
            return "found inside it"
        if self.depth == 1:
            return "directly inside it"
        return f"{self.depth} levels down inside it"


def load(dotted: str) -> Callable[..., Any]:
    """``"package.module:name"`` -> the object, imported now."""
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


MUSIC = Kind(
    name="music",
    noun="artist",
    label="Music",
    job="mediakeeper.music.job:MusicJob",
    report_template="artist_issues.md.j2",
    queue_script="music_queue_manager",
    batch_script="process_music_batch",
    settings={"lookups": True},
    extra_counters=(TRACKS,),
    output_dir=("outputs", "music", "artists"),
    batch="utilities.music_batch:BATCH",
)
MOVIES = Kind(
    name="movies",
    noun="movie",
    label="Movie",
    job="mediakeeper.movies.job:MovieJob",
    report_template="movie_issues.md.j2",
    queue_script="movie_queue_manager",
    batch_script="process_movie_batch",
    output_dir=("outputs", "movies"),
    chosen_by="TMDb",
    batch="utilities.movie_batch:BATCH",
)

CONVERSIONS = Kind(
    name="conversions",
    noun="album",
    label="Album",
    job="mediakeeper.conversions.job:ConversionJob",
    report_template="album_conversion.md.j2",
    queue_script="conversion_queue_manager",
    batch_script="process_conversion_batch",
    find="mediakeeper.conversions.albums:find",
    settings={
        "output": "",
        "archive": "",
        "profile": "opus",
        "working": "",  # empty: <data home>/working/conversions
        "delete_originals": False,
        "cleanup_working_on_success": True,
        "cleanup_working_on_failure": False,
        "min_free_mb": 512,
        "damaged": "fail",  # a damaged source fails its album; "leave-out": left out of it
    },
    extra_counters=(TRACKS,),
    makes=Makes("converted", saved=True),
    output_dir=("outputs", "conversions"),
    batch="utilities.conversion_batch:BATCH",
)

AUDIOBOOKS = Kind(
    name="audiobooks",
    noun="book",
    label="Audiobook",
    job="mediakeeper.audiobooks.job:AudiobookJob",
    report_template="audiobook.md.j2",
    queue_script="audiobook_queue_manager",
    batch_script="process_audiobook_batch",
    find="mediakeeper.audiobooks.books:find",
    settings={
        "output": "",
        "backup": "",  # empty: <data home>/backup
        "backup_retention_days": 30,
        "bitrate": "128k",
        "channels": 2,
        "sample_rate": 44100,
        "stall_timeout": 300,  # seconds an ffmpeg of the merge may go without progress
    },
    makes=Makes("made", copies="joined without re-encoding"),
    output_dir=("outputs", "audiobooks"),
    batch="utilities.audiobook_batch:BATCH",
)

VERIFY = Kind(
    name="verify",
    noun="album",
    label="Album",
    job="mediakeeper.verify.job:VerifyJob",
    report_template="verify_album.md.j2",
    queue_script="verify_queue_manager",
    batch_script="process_verify_batch",
    find="mediakeeper.conversions.albums:find",
    settings={"analyse": True},  # clipping, lossy origin, long silences: info findings
    extra_counters=(TRACKS,),
    makes=Makes("verified"),
    output_dir=("outputs", "verify"),
    # An album folder may hold other albums (CD1, CD2): only its own files are its.
    item_files="folder",
    batch="utilities.verify_batch:BATCH",
)

_REGISTERED: dict[str, Kind] = {
    k.name: k for k in (MUSIC, MOVIES, CONVERSIONS, AUDIOBOOKS, VERIFY)
}
# In the order reports and the command line list them.
KINDS: Mapping[str, Kind] = MappingProxyType(_REGISTERED)


def register(kind: Kind) -> None:
    """Add a kind made at run time (a pipeline's). Settings loaded before know no section
    for it: register it before ``load_settings``."""
    _REGISTERED[kind.name] = kind


def unregister(name: str) -> None:
    _REGISTERED.pop(name, None)


def all_counters() -> tuple[Counter, ...]:
    """Every counter any kind has, in a stable order: what a batch's session summary and a
    queue summary add up (a kind without one adds 0, as a movie's tracks)."""
    return tuple(dict.fromkeys(c for k in KINDS.values() for c in k.counters))


def get(name: str) -> Kind:
    """The record of kind ``name``. A queue of a kind this version does not know (written by
    a newer one, or a test's) still gets a record: items one level down, called "item"."""
    known = KINDS.get(name)
    if known is not None:
        return known
    return Kind(
        name=name,
        noun="item",
        label=name.capitalize(),
        job="",
        report_template="",
        queue_script=f"{name}_queue_manager",
        batch_script=f"process_{name}_batch",
    )


def noun(name: str) -> str:
    return get(name).noun
