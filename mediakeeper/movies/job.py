"""One movie folder, start to end: find the videos, read the name, identify the movie on TMDb,
write ``movie.nfo`` (and with ``artwork`` ``poster.jpg`` and ``fanart.jpg``), write outputs.

Everything is decided before the first write: the lookups (and artwork downloads) happen, the
NFO is built and the files already present are noted, and that plan is kept in a work file
(``status/movies/work/<slug>.json``) tagged with the queue item's ``run_token``. A run killed
mid-movie resumes from it and ends exactly as an uninterrupted run would have: files that were
there before the plan are kept (unless ``overwrite``), files the plan writes are written. Every
file is written atomically. Lookups that fail leave the movie folder untouched.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediakeeper.batch.job import ItemFailure, ItemResult, NotTried, enrich_failed, failure_of
from mediakeeper.batch.offline import failure_said, go_offline, refused, went_offline
from mediakeeper.batch.workfile import finished, load_work, save_finished, save_work, work_path
from mediakeeper.core import kinds
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import LibraryError, LookupFailed
from mediakeeper.core.findings import Finding, finding_record
from mediakeeper.fs.atomic import atomic_write_bytes
from mediakeeper.fs.left_behind import will_write_in
from mediakeeper.lookup.clients import per_process
from mediakeeper.lookup.images import image_suffix
from mediakeeper.lookup.tmdb_types import KeyRefused, MovieDetails
from mediakeeper.movies import rules
from mediakeeper.movies.identified import BY_ID, NOT_LOOKED_UP, OFFLINE, UNUSABLE
from mediakeeper.movies.names import ParsedName
from mediakeeper.movies.nfo import date_added, movie_nfo
from mediakeeper.movies.outputs import write_outputs
from mediakeeper.movies.videos import VideoScan, scan_videos
from mediakeeper.queue import dismissals
from mediakeeper.queue.items import asked_details, finding_totals
from mediakeeper.text.commands import queue_manager
from mediakeeper.text.slug import inside, slugify
from mediakeeper.text.visible import shell_word
from mediakeeper.text.wording import count

if TYPE_CHECKING:
    from mediakeeper.lookup.tmdb import TMDb

MOVIES = kinds.get("movies")  # its own record (its kind.py points at this module)
TMDB = "TMDb"  # the service, as a run that found it unreachable names it (batch.offline)

NFO, POSTER, FANART = "movie.nfo", "poster.jpg", "fanart.jpg"


@dataclass(frozen=True)
class Preview:
    """What a dry run shows for one movie: local checks and the lookup a run would make."""

    name: str
    parsed: ParsedName
    videos: VideoScan
    findings: list[Finding]
    lookup: str  # "" when no lookup would be made
    existing: tuple[str, ...] = ()  # files a match would write that are already there
    writes: tuple[str, ...] = ()  # every file a match would write (kept where it exists)


@dataclass
class MovieJob:
    home: Path
    session: str
    settings: Settings | None = None  # None: offline, local checks only
    artwork: bool = False
    overwrite: bool = False
    enrich_only: bool = False  # --enrich: a lookup that fails is the movie's failure
    # Why TMDb's image host could not be reached by this process, once it could not: the
    # movies after it get their NFO and leave their artwork for --enrich without asking.
    images_down: str | None = None

    @property
    def status_dir(self) -> Path:
        return self.home / "status" / "movies"

    def preview(self, item: dict[str, Any]) -> Preview:
        folder = Path(item["path"])
        videos = _scan(folder)
        parsed = rules.lookup_name(folder.name, videos)
        findings = rules.local_findings(folder.name, parsed, videos)
        lookup = ""
        if self.settings is not None and videos.groups:
            chosen = _chosen(item)
            lookup = (
                f"look up TMDb id {chosen} (chosen with --choose)"
                if chosen
                else f"look up TMDb id {parsed.tmdb_id}"
                if parsed.tmdb_id
                else f"search TMDb for '{parsed.title}'"
                + (f" ({parsed.year})" if parsed.year else " (no year)")
            )
        targets = (NFO, POSTER, FANART) if self.artwork else (NFO,)
        existing = tuple(name for name in targets if _exists(folder / name))
        return Preview(item["name"], parsed, videos, findings, lookup, existing, targets)

    def process(self, item: dict[str, Any]) -> ItemResult:
        folder = Path(item["path"])
        slug = slugify(item["key"])
        work = work_path(self.status_dir, slug)
        state = load_work(work, item.get("run_token"))
        if (result := finished(state)) is not None:
            return result  # killed after finishing, before the runner recorded it
        images: dict[str, bytes] = {}
        if state is None:
            state, images = self._plan(item, folder)
            save_work(work, state)
        written, kept = self._write(folder, state, images)

        tmdb = state["tmdb"]
        document = {
            "name": item["name"],
            "folder_name": folder.name,
            "folder": str(folder),
            "slug": slug,
            "session": self.session,
            "processed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "parsed": state["parsed"],
            "videos": state["videos"],
            "match": state["match"],
            "tmdb": tmdb,
            "files": {"written": written, "kept": kept},
            "findings": state["findings"],
        }
        said = write_outputs(self.home, slug, document)  # as a decision's rewrite does
        # Offline (asked, or TMDb unreachable) or an answer it could not use: its lookup
        # waits for --enrich.
        # Artwork its host did not give waits for --enrich too.
        online = state["match"]["status"] not in (OFFLINE, UNUSABLE)
        online = online and not state.get("artwork_waits")
        result = ItemResult(
            counts=finding_totals(state["findings"]),
            details={
                "slug": slug,
                "enriched": online,
                "match": state["match"]["status"],
                "tmdb_id": tmdb["id"] if tmdb else None,
                "unidentified": said["unidentified"],
                "imdb_id": tmdb["imdb_id"] if tmdb else None,
                "files_written": written,
                "files_kept": kept,
                **asked_details(state["findings"]),
                "processed_at": document["processed_at"],
                **state["lookups"],
            },
            summary=_summary(state, written, kept),
            notices=state.get("notes", []),
        )
        save_finished(work, state["token"], result)
        return result

    # ---- planning: every read and lookup, no writes ------------------------------------

    def _plan(self, item: dict[str, Any], folder: Path) -> tuple[dict[str, Any], dict]:
        videos = _scan(folder)
        parsed = rules.lookup_name(folder.name, videos)
        findings = rules.local_findings(folder.name, parsed, videos)
        if chosen := _chosen(item):  # a person's --choose outranks the name's own tag
            parsed = replace(parsed, tmdb_id=chosen)
        state: dict[str, Any] = {
            "token": item.get("run_token"),
            "chosen": chosen,
            "choose": f"{queue_manager('movies', self.home)} --choose {shell_word(item['name'])}",
            "stage": "writing",
            "parsed": asdict(parsed),
            "videos": {
                "main": list(videos.main),
                "candidates": [list(group) for group in videos.groups],
                "extras": list(videos.extras),
                "samples": list(videos.samples),
            },
            # A folder without a video has nothing to identify, online or offline: its
            # no-video-file finding is the one thing said of it (no lookup waits for --enrich).
            "match": {
                "status": OFFLINE if self.settings is None and videos.groups else NOT_LOOKED_UP
            },
            "tmdb": None,
            "writes": {},  # file name -> "nfo" or a TMDb image path
            "existing": [],
            "nfo": None,
            "lookups": {},
        }
        images: dict[str, bytes] = {}
        if self.settings is not None and videos.groups:
            if went_offline(self.status_dir, self.session, TMDB):  # another movie found it
                if self.enrich_only:  # unreachable: an --enrich run has nothing else to do
                    raise NotTried(TMDB)
                state["match"] = {"status": OFFLINE}
            else:
                images = self._look_up(folder, parsed, state, findings)
        state["findings"] = [finding_record(f) for f in findings]
        # Before any write: a dismissal holds while the folder's files are as it saw them.
        dismissed = dismissals.standing(item, MOVIES.files_below, self.home)
        dismissals.close(state["findings"], dismissed)
        return state, images

    def _look_up(self, folder, parsed, state, findings) -> dict[str, bytes]:
        """Identify the movie and plan its files. TMDb unreachable (outside --enrich): the
        movie keeps its local checks only, its lookup waits for --enrich, and no movie of
        this run (in any worker) asks again."""
        client = tmdb_client(self.settings)
        before, noted = client.session.counters(), len(client.session.notes)
        local = list(findings)
        try:
            movie = self._identify(client, folder, parsed, state, findings)
            images = {}
            if movie is not None:
                images = self._plan_files(client, folder, movie, state, findings)
        except KeyRefused as err:  # wrong for every movie: no lookup can succeed
            said = refused(self.status_dir, self.session, TMDB, err,
                           enrich_only=self.enrich_only, stage="lookup", noun="movie")  # fmt: skip
            # Each movie's local checks stand; it is left for --enrich.
            findings[:] = local
            state.update(match={"status": OFFLINE}, tmdb=None, writes={}, existing=[], nfo=None)
            state["lookups"] = client.session.counters_since(before)
            state["notes"] = [said]
            return {}
        except LookupFailed as err:
            spent = client.session.counters_since(before)  # its requests count all the same
            message = failure_said(TMDB, err)  # unreachable: said as a normal run says it
            if err.status == 404 and state["chosen"]:
                message += f" (TMDb id {parsed.tmdb_id} was chosen with --choose)"
            elif err.status == 404 and parsed.tmdb_id:
                message += f" (from [tmdbid-{parsed.tmdb_id}] in the folder or file name)"
            # Unreachable: no movie of this run asks again; an answer it cannot use is this
            # movie's alone.
            if err.network:
                go_offline(self.status_dir, self.session, TMDB, err.why)
            if self.enrich_only:  # the movie stays completed as it was
                raise enrich_failed("lookup", message, err.network, spent) from None
            # The movie keeps its local checks; its lookup waits for --enrich.
            findings[:] = local
            match = {"status": OFFLINE} if err.network else {"status": UNUSABLE, "why": message}
            state.update(match=match, tmdb=None, writes={}, existing=[], nfo=None)
            state["lookups"] = spent
            state["notes"] = [] if err.network else [f"{folder.name}: {message}"]
            return {}
        state["lookups"] = client.session.counters_since(before)
        # What TMDb answered that did not fit and was left out: said once, at the batch's end.
        state["notes"] = [f"{folder.name}: {note}" for note in client.session.notes[noted:]]
        return images

    def _identify(self, client, folder, parsed, state, findings) -> MovieDetails | None:
        """One details request for a [tmdbid-N]; else one search, and details on a match."""
        if parsed.tmdb_id:
            chosen = {"chosen": True} if state["chosen"] else {}
            state["match"] = {"status": BY_ID, "candidates": [], **chosen}
            return client.movie(parsed.tmdb_id)
        candidates = client.search_movies(parsed.title, parsed.year)
        choice = rules.choose_movie(candidates, parsed.title, parsed.year)
        state["match"] = {
            "status": choice.status,
            "candidates": [rules.candidate_record(c) for c in choice.candidates],
        }
        findings += rules.match_findings(choice, parsed, state["choose"])
        return client.movie(choice.movie_id) if choice.status == rules.MATCHED else None

    def _plan_files(self, client, folder, movie, state, findings) -> dict[str, bytes]:
        """The NFO and artwork to write; artwork is downloaded now, before any write."""
        state["tmdb"] = {
            "id": movie.id,
            "title": movie.title,
            "original_title": movie.original_title,
            "year": movie.year,
            "release_date": movie.release_date,
            "imdb_id": movie.imdb_id or None,
            "url": movie.url,
            "imdb_url": movie.imdb_url or None,
            "runtime": movie.runtime,
            "genres": list(movie.genres),
        }
        difference = rules.folder_finding(folder.name, movie)
        if difference:
            findings.append(difference)
        added = date_added(folder, state["videos"]["main"])
        state["nfo"] = movie_nfo(movie, client.image_url, added).decode("utf-8")
        writes = {NFO: "nfo"}
        if self.artwork:
            for name, path, what in (
                (POSTER, movie.poster_path, "poster"),
                (FANART, movie.backdrop_path, "backdrop"),
            ):
                if path:
                    writes[name] = path
                else:
                    findings.append(rules.no_artwork(name, f"TMDb has no {what} for this movie"))
        state["existing"] = [name for name in writes if _exists(folder / name)]
        images = {}
        for name, path in list(writes.items()):
            if path == "nfo" or (name in state["existing"] and not self.overwrite):
                continue
            try:
                if self.images_down and not self.enrich_only:
                    raise LookupFailed(self.images_down, network=True)
                images[name] = _artwork(client, name, path)
            except LookupFailed as err:
                if err.network and self.enrich_only:
                    raise
                del writes[name]
                if err.network:  # the image host alone: the NFO is written all the same
                    self.images_down = err.message
                    state["artwork_waits"] = True
                later = "; --enrich --artwork fetches it" if err.network else ""
                findings.append(rules.no_artwork(name, err.message + later))
        state["writes"] = writes
        return images

    # ---- writing ------------------------------------------------------------------------

    def _write(self, folder: Path, state: dict[str, Any], images: dict[str, bytes]):
        """Every planned file that is not kept: all their bytes first (a download that fails
        leaves the folder untouched), then each written atomically."""
        kept = [n for n in state["writes"] if n in state["existing"] and not self.overwrite]
        payloads = {
            name: self._payload(name, source, state, images)
            for name, source in state["writes"].items()
            if name not in kept
        }
        if payloads:  # a kill mid-write leaves a temp file: the next command deletes it
            will_write_in(folder, self.status_dir.parent)
        for name, data in payloads.items():
            try:
                atomic_write_bytes(inside(folder, name), data)
            except OSError as err:
                message = f"cannot write {name}: {err.strerror or err}"
                raise failure_of("write", err, message) from None
        return list(payloads), kept

    def _payload(self, name: str, source: str, state: dict[str, Any], images: dict[str, bytes]):
        if source == "nfo":
            return state["nfo"].encode("utf-8")
        if name in images:
            return images[name]
        # A resumed run: the download is in the cache.
        if self.settings is None:  # resumed by an --offline run
            raise ItemFailure(
                "artwork",
                f"{name} was planned by an online run that stopped before writing it; "
                "run without --offline to finish this movie",
            )
        try:
            return _artwork(tmdb_client(self.settings), name, source)
        except LookupFailed as err:
            raise ItemFailure("artwork", err.message, network=err.network) from None


def _artwork(client: TMDb, name: str, path: str) -> bytes:
    """The image at TMDb's ``path``, to be saved as ``name``. poster.jpg and fanart.jpg are
    what media centres look for: TMDb's rare PNG or WebP would be a file whose name lies, so
    it is reported (LookupFailed) instead."""
    image = client.image(path)
    kind = image_suffix(image)
    if kind != ".jpg":
        raise LookupFailed(
            f"TMDb's image is {(kind or '.unknown')[1:].upper()}, not the JPEG {name} must be",
            network=False,
        )
    return image


def tmdb_client(settings: Settings) -> TMDb:
    return per_process(_make_tmdb, settings)


def _make_tmdb(settings: Settings) -> TMDb:
    # Imported here: the web stack is slow to import, and offline runs never need it.
    from mediakeeper.lookup.tmdb import tmdb_from_settings

    return tmdb_from_settings(settings)


def _chosen(item: dict[str, Any]) -> int | None:
    """The TMDb id a person chose for this movie (the movie queue manager's ``--choose``)."""
    return (item.get("choice") or {}).get("tmdb_id")


def _scan(folder: Path) -> VideoScan:
    try:
        return scan_videos(folder)
    except LibraryError as err:
        raise ItemFailure("scan", err.message) from None


def _exists(path: Path) -> bool:
    return os.path.lexists(path)


def _summary(state: dict[str, Any], written: list[str], kept: list[str]) -> str:
    tmdb, status = state["tmdb"], state["match"]["status"]
    counted = count(len(state["findings"]), "finding")
    if tmdb:
        what = f"{tmdb['title']} ({tmdb['year'] or '?'}), tmdb {tmdb['id']}"
        files = f"wrote {', '.join(written)}" if written else "wrote nothing"
        if kept:
            files += f", kept existing {', '.join(kept)}"
        return f"{what}; {files}; {counted}"
    label = {
        OFFLINE: "offline, local checks only; not identified yet (--enrich)",
        UNUSABLE: "TMDb's answer could not be used, local checks only; lookup left for --enrich",
        NOT_LOOKED_UP: "not looked up (no video file)",
        rules.AMBIGUOUS: "ambiguous on TMDb, nothing written",
        rules.NO_MATCH: "no TMDb match, nothing written",
    }.get(status, status)
    return f"{label}; {counted}"
