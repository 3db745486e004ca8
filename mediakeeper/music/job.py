"""One artist, start to end: scan, find issues, fix safely, write outputs.

The job keeps a small work file per artist (``status/music/work/<slug>.json``) tagged with the
queue item's ``run_token``. It is written before any tag changes, so a run that was killed
mid-artist resumes with the findings of its first scan and the same planned changes, and ends
in exactly the state an uninterrupted run would have reached. The queue decides whether a
resume applies: a reset clears the token, and a stale work file is simply ignored.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from mediakeeper.batch.job import ItemFailure, ItemResult, NotTried, enrich_failed, failure_of
from mediakeeper.batch.offline import (
    Offline,
    failure_said,
    go_offline,
    leave_out,
    left_out,
    refused,
    went_offline,
)
from mediakeeper.batch.workfile import finished, load_work, save_finished, save_work, work_path
from mediakeeper.changes.change import TagChange
from mediakeeper.changes.writes import (
    Applied,
    Artist,
    ChangeJournal,
    apply_together,
    would_apply,
)
from mediakeeper.core import kinds, rule_plugins, writemode
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import LibraryError, LookupFailed
from mediakeeper.core.findings import Finding, finding_record
from mediakeeper.fs import tree
from mediakeeper.fs.checks import CHANGED
from mediakeeper.fs.names import home_id, is_temp_copy, sort_stale, temp_copy_owner
from mediakeeper.fs.readahead import hint_ends
from mediakeeper.music import fix_outcome
from mediakeeper.music.model import ArtistScan, Preview, Track
from mediakeeper.music.outputs import ArtistOutputs
from mediakeeper.music.rule_base import finding
from mediakeeper.music.rules import Issues, LeftOut, issues_of, planned_changes
from mediakeeper.music.scan import PARSE_OVERHEAD, scan_artist
from mediakeeper.music.work_state import decoded, encoded
from mediakeeper.queue import dismissals
from mediakeeper.queue.items import (
    PLUGINS_LEFT_OUT,
    PLUGINS_LEFT_OUT_RUNS,
    asked_details,
    count_totals,
    finding_totals,
    fixes_so_far,
)
from mediakeeper.queue.session_log import log_to
from mediakeeper.tags import AUDIO_EXTENSIONS, version_after_write
from mediakeeper.text.commands import queue_manager
from mediakeeper.text.render import load
from mediakeeper.text.slug import slugify
from mediakeeper.text.visible import one_line, shell_word
from mediakeeper.text.wording import count

MUSIC = kinds.get("music")  # its own record (its kind.py points at this module)

# Memory the scan's parses may take in a worker, for the artists it has planned and not yet
# written (one, or several written together), so a fix is written without parsing its file
# again. Pictures count in full; beyond this, parse.
KEEP_PARSED_BYTES = 16 << 20


# Why an artist is left unidentified when MusicBrainz could not be asked (queue details).
UNREACHABLE = "not looked up ({service} was unreachable): run --enrich"
UNUSABLE = "not looked up (MusicBrainz's answer could not be used): run --enrich"
REFUSED = "not looked up ({service} refused {what}): run --enrich once it is set"
# The services an artist asks, as a run found unreachable names them (``batch.offline``).
MUSICBRAINZ, ACOUSTID = "MusicBrainz", "AcoustID"  # (the covers': lookup.musicbrainz)
REFUSES = {MUSICBRAINZ: "this client", ACOUSTID: "the application key"}  # what each refuses
# Said once per batch that leaves lookups for --enrich while asked for covers: --enrich alone
# would not fetch them.
COVERS_WAIT = ("--fetch-covers: the covers of the artists left for --enrich wait too; run "
               "--enrich --fetch-covers later")


@dataclass
class Planned:
    """One artist decided (``MusicJob.plan``): its item, work file and plan (``state``, what
    the work file keeps), the scan's kept parses, another data home's temp copies found in
    its folder, whether the plan was resumed from a killed run's work file, and the
    dismissals standing before any write. ``result``: the artist was finished by a run killed
    before the runner recorded it. ``applied``: what the fixes did (``MusicJob.commit``)."""

    item: dict[str, Any]
    work: Path
    state: dict[str, Any]
    parsed: Mapping[str, Any]
    others: list[str]
    resumed: bool
    dismissed: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    result: ItemResult | None = None
    applied: Applied | None = None

    @property
    def parsed_bytes(self) -> int:
        """What the kept parses take in memory, as the scan counts it."""
        return sum(p.picture_bytes + PARSE_OVERHEAD for p in self.parsed.values())


@dataclass
class MusicJob:
    home: Path
    session: str
    fix: bool = True
    settings: Settings | None = None  # None: offline, no web lookups
    enrich_only: bool = False  # --enrich: a completed artist gets its lookups now
    fetch_covers: bool = False
    replaygain: bool = False  # --replaygain: each album's loudness tags, journaled
    ffmpeg_path: str = ""
    writing: writemode.Writing = writemode.DEFAULT_WRITING  # how a fix is written
    identify: bool = False  # --identify: also tracks without a MusicBrainz recording id
    apply_identified: bool = False  # --apply: write a proposal scoring APPLY_SCORE or more
    plugin_rule_timeout: float = MUSIC.settings["plugin_rule_timeout"]  # seconds, per artist
    # What the kept parses of the plans not yet committed take (``KEEP_PARSED_BYTES`` is
    # the worker's, however many artists it holds).
    _held: int = field(default=0, init=False, repr=False, compare=False)
    # The rule plugins a dry run (``preview``, one process) left out: kept here, not written.
    _previewed: LeftOut = field(default_factory=LeftOut.in_memory, init=False, repr=False,
                                compare=False)  # fmt: skip

    @cached_property  # asked several times an artist; ``home`` stays the job's
    def status_dir(self) -> Path:
        return self.home / "status" / "music"

    # ---- the work ------------------------------------------------------------------------

    def preview(self, item: dict[str, Any]) -> Preview:
        scan = self._scan(item)
        issues = self._issues(scan, self._previewed)
        findings = issues.findings
        held = dismissals.undone_standing(item)  # what an undo took back is not planned
        changes = dismissals.not_held(planned_changes(findings), held) if self.fix else []
        tracks = tuple(scan.tracks)
        would = would_apply(item, changes, self.writing.hard_links)
        findings = [*findings, *_left_alone(would.left_alone, tracks, item["name"], self.home)]
        return Preview(item["name"], len(tracks), findings, changes, tracks, would.refused,
                       tuple(issues.stopped))  # fmt: skip

    def warm(self) -> None:
        """The artist report's template (and Jinja) loaded before the workers fork: each
        would load it at its first artist (what it saves: docs/performance.md, a batch of
        ten)."""
        load(MUSIC.report_template)

    def ahead(self, item: dict[str, Any]) -> None:
        """The tags of the item's files asked for while a worker finishes the item before.
        (Its path as text: in the batch's main process, a ``Path`` of every item would intern
        each part of each one, and the interpreter's table of interned names never shrinks.)"""
        hint_ends(item["path"], AUDIO_EXTENSIONS)

    def process(self, item: dict[str, Any]) -> ItemResult:
        planned = self.plan(item)
        self.commit([planned])
        return self.finish(planned)

    # A worker may run several artists at once (``batch.job.Job``): each planned, their fixes
    # written together (one change-journal append, one in-place journal entry, one round of
    # flushes for them all), then each finished. ``process`` is the same for one artist.

    def plan(self, item: dict[str, Any]) -> Planned:
        """Everything decided for the artist, its work file written; no tag written yet."""
        slug = slugify(item["key"])
        work = work_path(self.status_dir, slug)
        saved = load_work(work, item.get("run_token"))
        if (result := finished(saved)) is not None:
            # Killed after finishing, before the runner recorded it: that result stands.
            return Planned(item, work, {}, {}, [], resumed=True, result=result)
        if saved is not None:  # no scan this time: look for a killed tag write's copy here
            others = self._remove_stale(_temp_copies(Path(item["path"])))
            state, parsed = decoded(saved), {}
        else:
            held = max(0, KEEP_PARSED_BYTES - self._held)  # the plans waiting keep theirs
            state, parsed, others = self._plan(item, held)
            _hold_undone(state, dismissals.undone_standing(item))  # before any write
            if self._resume_needs(state):
                save_work(work, encoded(state))
        dismissed = dismissals.standing(item, MUSIC.files_below, self.home)  # before any write
        planned = Planned(item, work, state, parsed, others, saved is not None, dismissed)
        self._held += planned.parsed_bytes
        return planned

    def commit(self, plans: list[Planned]) -> None:
        """The planned fixes of the artists written, all at once: a resumed artist's files
        are each read again first (some changes may be in already), a fresh plan's were read a
        moment ago by this claim's holder (and their parses are at hand). Our stale copies in
        their folders are gone already (the scan, or the look in ``plan``, removed them)."""
        journal = ChangeJournal(self.status_dir, self.session, self.writing)
        todo = [p for p in plans if p.result is None]
        try:
            for resumed in (False, True):
                if ours := [p for p in todo if p.resumed is resumed]:
                    artists = [Artist(Path(p.item["path"]), p.item["key"], p.state["changes"],
                                      p.parsed) for p in ours]  # fmt: skip
                    applied = apply_together(artists, journal, verify=resumed, swept=True)
                    for p, done in zip(ours, applied, strict=True):
                        p.applied = done
        except OSError as err:
            raise failure_of("fix", err, f"cannot write tags: {err}") from None
        finally:
            for p in plans:
                self._held -= p.parsed_bytes
                p.parsed = {}  # written: the memory is the next plans'

    def finish(self, planned: Planned) -> ItemResult:
        """The artist's loudness tags (--replaygain), findings settled by what the fixes did,
        outputs written, and what the runner records."""
        if planned.result is not None:
            return planned.result
        item, state, applied = planned.item, planned.state, planned.applied
        folder = Path(item["path"])
        tracks, findings = state["tracks"], state["findings"]
        gain, measured = (self._loudness(folder, item["key"], tracks)
                          if self.replaygain else (Applied((), ()), []))  # fmt: skip
        done = set(applied.changes)
        written = {c.path for c in done}
        if "identified" in state and written:  # the files just written keep their fingerprints
            from mediakeeper.music.identify_lookups import carry_fingerprints

            carry_fingerprints(self.settings, folder, written)
        why_not = dict(applied.refused)
        slots = {(c.path, c.tag): c for c in done}
        settled = [fix_outcome.settled(f, slots, written, why_not) for f in findings]
        records = [finding_record(f) for f in settled]
        # A file a fix left alone (read-only, changed meanwhile) is an open issue of its own.
        left_alone = _left_alone(applied.left_alone, tracks, item["name"], self.home)
        records += [*map(finding_record, left_alone), *measured]
        dismissals.close(records, planned.dismissed)
        held = {(path, tag): session for path, tag, session in state.get("held", ())}
        dismissals.reopen_undone(records, held)
        fixed = sum(f.fixed for f in settled)
        covers, noted = self._covers(folder, state, tracks) if self.fetch_covers else ([], [])
        _noted(state, item, noted)
        slug = slugify(item["key"])  # named once: the document, the outputs, the result
        artist = self._document(item, slug, state, records, fixed, applied, len(gain.changes),
                                covers)  # fmt: skip
        outputs = ArtistOutputs(self.home, slug)
        outputs.write(artist, _after(tracks, applied.changes), records)

        result = self._result(item, slug, state, records, fixed, applied, gain)
        result.notices = [*_others_copies(planned.others), *state.get("notes", ())]
        if self.fetch_covers and self._left_for_later(state):
            result.notices.append(COVERS_WAIT)
        if held or (item.get("details") or {}).get(dismissals.UNDONE):  # lifted ones go
            result.details[dismissals.UNDONE] = dismissals.undone_kept(item["path"], held)
        if (done or gain.changes) and (item.get("details") or {}).get(dismissals.KEY):
            # The run's own writes are no change of what the person dismissed about.
            result.details[dismissals.KEY] = dismissals.marked_again(
                item, MUSIC.files_below, planned.dismissed)
        if applied.refused:  # done, and counted as it stands; the person must mend the cause
            change, why = applied.refused[0]
            result.problem = (
                f"{count(len(applied.refused), 'tag fix', 'tag fixes')} could not be written "
                f"({change.path}: {why}); see {outputs.report_path}"
            )
        if self._resume_needs(state):  # killed before the runner records it: this result
            save_finished(planned.work, state["token"], result)
        return result

    def _document(
        self, item: dict[str, Any], slug: str, state: dict[str, Any],
        records: list[dict[str, Any]], fixed: int, applied, loudness: int, covers: list[str],
    ) -> dict[str, Any]:  # fmt: skip
        """The artist's outputs document (outputs/music/artists/<slug>.json) but its tracks
        and findings, which ``ArtistOutputs.write`` adds."""
        folder = Path(item["path"])
        return {
            "name": item["name"],
            "folder_name": folder.name,
            "folder": str(folder),
            "slug": slug,
            "session": self.session,
            "processed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "musicbrainz": state.get("musicbrainz"),
            "summary": {
                "tracks": len(state["tracks"]),
                "issues_found": len(records),
                "issues_resolved": fixed,
                "changes_written": len(set(applied.changes)),  # ids too: undo takes them back
                "loudness_changes": loudness,  # --replaygain (undo takes them back too)
                "refused_changes": [{**asdict(c), "reason": why} for c, why in applied.refused],
                "covers_fetched": covers,
            },
        }

    def _result(
        self, item: dict[str, Any], slug: str, state: dict[str, Any],
        records: list[dict[str, Any]], fixed: int, applied: Applied, gain: Applied,
    ) -> ItemResult:  # fmt: skip
        """What the runner records of the artist: its counts (an --enrich run keeps counting
        the fixes earlier runs wrote, which it does not find again), the details the reports
        read, and its line."""
        tracks = state["tracks"]
        this_run = {"track_count": len(tracks), **finding_totals(records)}
        # Any other run counts what its own scan found: the fixes of the runs before it are
        # in the files, and it finds them no more.
        earlier = fixes_so_far(item.get("details"), records) if self.enrich_only else {}
        asked = asked_details(records, earlier)
        identified = "enrichment" in state  # not when MusicBrainz was unreachable
        later = self._left_for_later(state)  # a service unreachable: lookups for --enrich
        enriched = not later and identified
        return ItemResult(
            counts={"track_count": len(tracks), **count_totals(asked["finding_counts"])},
            details={
                "slug": slug,
                "enriched": enriched,
                "unidentified": self._unidentified(state) if later and not identified else "",
                **asked,  # the counts as the run counts them, its fixes, the albums asked
                # How the fixes reached the files: the closing summary's "written to" line.
                "files_written": applied.files_written.files,
                "files_rewritten": applied.files_written.whole,
                **({"loudness_changes": len(gain.changes),  # and how they reached the files
                    "loudness_files_written": gain.files_written.files,
                    "loudness_files_rewritten": gain.files_written.whole}
                   if self.replaygain else {}),
                **state.get("enrichment", {}),
                **({"identified": state["identified"]} if "identified" in state else {}),
                **state.get("lookups", {}),
                **_left_out_details(item, state.get("plugins_left_out", [])),
            },
            summary=f"{count(len(tracks), 'track')}, {count(len(records), 'finding')}, "
            f"{fixed} fixed" + (_matched(state.get("enrichment")) if identified else "")
            + (f", {'covers' if identified else 'lookups'} left for --enrich" if later else ""),
            run_counts=this_run if self.enrich_only else None,
        )

    def _loudness(self, folder: Path, key: str, tracks) -> tuple[Applied, list[dict[str, Any]]]:
        """The loudness tags of every album folder (``mediakeeper.music.loudness``), through
        the journal: the values applied, and the records of its findings (an album not
        measured, a silent track)."""
        from mediakeeper.media import ffmpeg
        from mediakeeper.music import loudness

        files = [folder / track.path for track in tracks]
        try:
            # swept: as for the fixes just before, our stale copies here are gone already
            journal = ChangeJournal(self.status_dir, self.session, self.writing)
            applied, found = loudness.apply(ffmpeg.find(self.ffmpeg_path), folder, key, files,
                                            journal, swept=True)  # fmt: skip
        except OSError as err:
            raise failure_of("loudness", err, f"cannot write tags: {err}") from None
        return applied, [finding_record(f) for f in found]

    def _remove_stale(self, copies: Iterable[str]) -> list[str]:
        """Remove the temp copies a killed process of this data home left (the originals
        are intact); another data home's are its own to remove: left, and returned."""
        ours, others = sort_stale(copies, home_id(self.home))
        _remove(ours)
        return others

    def _resume_needs(self, state: dict[str, Any]) -> bool:
        """Whether a resumed run needs this plan to end where this one would: it writes tags,
        it asked the web, or it may fetch covers. A plan with none of these is simply made
        again (two file writes saved per clean artist)."""
        return bool(state["changes"]) or "lookups" in state or self.fetch_covers

    def _unidentified(self, state: dict[str, Any]) -> str:
        """Why an artist left for later was not looked up: MusicBrainz's answer unusable, or
        the service this run found unreachable (AcoustID's too: see ``_plan``)."""
        if "refused" in state:
            return UNUSABLE
        offline = self._offline(ACOUSTID, MUSICBRAINZ)
        if offline and offline.refused:
            return REFUSED.format(service=offline.service,
                                  what=REFUSES.get(offline.service, "this client"))  # fmt: skip
        return UNREACHABLE.format(service=offline.service if offline else MUSICBRAINZ)

    def _left_for_later(self, state: dict[str, Any]) -> bool:
        """This run would have looked the artist up, or fetched its covers, but a service was
        unreachable: the next --enrich takes the artist again."""
        return self.settings is not None and ("enrichment" not in state or "covers_left" in state)

    def _plan(
        self, item: dict[str, Any], keep_bytes: int
    ) -> tuple[dict[str, Any], Mapping[str, Any], list[str]]:
        """Scan, find issues, look up (unless offline): everything decided before any write.
        Returns the state (what the work file keeps), the scan's kept parses (up to about
        ``keep_bytes``), and another data home's stale temp copies in the folder."""
        if self.enrich_only:  # its lookups are all it has to do
            self._may_ask(MUSICBRAINZ, ACOUSTID)
        scan = self._scan(item, keep_bytes=keep_bytes if self.fix else 0)
        others = self._remove_stale(scan.leftovers)
        printed: list[str] = []
        try:
            issues = self._issues(scan, self._left_out(), printed.append)
        finally:  # a rule that raised too: what it printed says why
            log_to(self.status_dir, self.session,
                   [f"PRINTED {one_line(item['name'])}: {line}" for line in printed])  # fmt: skip
        findings = issues.findings
        changes = planned_changes(findings)
        state: dict[str, Any] = {"token": item.get("run_token"), "stage": "applying"}
        # The same line from every artist: the batch says it once.
        state.setdefault("notes", []).extend(issues.stopped)
        if issues.left_out:
            state["plugins_left_out"] = issues.left_out
        # An --enrich run has nothing local left to do: there a lookup that fails is the
        # item's failure. Any other run does its local work whatever the network does.
        if self._identifies(scan) and self._may_ask(ACOUSTID):
            findings = self._identify(item, scan, findings, state)
            changes = planned_changes(findings)
        # AcoustID unreachable leaves the MusicBrainz lookups for --enrich too: one mark
        # (``enriched``) says both were made, and --enrich takes only artists without it.
        # (The Cover Art Archive has its own, ``covers_left``: it stops the covers alone.)
        if self.settings is not None and self._may_ask(MUSICBRAINZ, ACOUSTID):
            # Imported here: the web stack (requests, its cache, the limiter) is slow to
            # import, and an offline run never needs it.
            from mediakeeper.lookup.musicbrainz import Refused
            from mediakeeper.music.enrich import fill_years
            from mediakeeper.music.enrich_lookups import enrich_artist, lookup_client

            client = lookup_client(self.settings)
            before, noted = client.session.counters(), len(client.session.notes)
            try:
                plan = enrich_artist(client, scan, {(c.path, c.tag): c.new for c in changes})
            except Refused as err:  # this client's, for every artist: no lookup can succeed
                state.setdefault("notes", []).append(self._refused(MUSICBRAINZ, "lookup", err))
                _spent(state, client.session.counters_since(before))
            except LookupFailed as err:
                spent = client.session.counters_since(before)  # its requests count all the same
                # Unreachable: no artist of this run (in any worker) asks again; an answer it
                # cannot use is this artist's alone.
                if err.network:
                    go_offline(self.status_dir, self.session, MUSICBRAINZ, err.why)
                if self.enrich_only:
                    raise enrich_failed("lookup", failure_said(MUSICBRAINZ, err), err.network,
                                        spent) from None  # fmt: skip
                # The artist's lookups wait for --enrich.
                if err.network:
                    if err.asked_to_wait:  # said once, whichever artists met it
                        from mediakeeper.lookup.http import left_alone_for

                        state.setdefault("notes", []).append(
                            f"MusicBrainz asked to be left alone for "
                            f"{left_alone_for(err.asked_to_wait)}: run --enrich after that")
                else:
                    state["refused"] = said = failure_said(MUSICBRAINZ, err)
                    _noted(state, item, [f"{said}; its lookups wait for --enrich"])
                _spent(state, spent)
            else:
                findings = fill_years(findings, plan.changes) + plan.findings
                changes = planned_changes([*findings, _carrier(plan.changes)])
                state.update(musicbrainz=plan.links(), enrichment=plan.summary())
                _spent(state, client.session.counters_since(before))
            _noted(state, item, client.session.notes[noted:])
        state.update(tracks=list(scan.tracks), findings=findings)
        state["changes"] = changes if self.fix else []
        return state, scan.parsed, others

    def _may_ask(self, *services: str) -> bool:
        """Whether the artist may make the lookups that need ``services``: not once this run
        found one unreachable (each service on its own: ``batch.offline``). Any other run
        then does the artist's local work; an --enrich run, which has nothing else to do,
        gives it back unbegun."""
        if (offline := self._offline(*services)) is None:
            return True
        if self.enrich_only:
            raise NotTried(offline.service)
        return False

    def _offline(self, *services: str) -> Offline | None:
        """Why this run asks the first of ``services`` it found unreachable no more, if any."""
        return next(filter(None, (went_offline(self.status_dir, self.session, s)
                                  for s in services)), None)  # fmt: skip

    def _identifies(self, scan) -> bool:
        """AcoustID has a key (--identify is refused without one) and a track wants it."""
        from mediakeeper.music.identify import wanted

        return (self.settings is not None and bool(self.settings.get("acoustid", "key").strip())
                and any(wanted(t, self.identify) for t in scan.tracks))  # fmt: skip

    def _identify(
        self, item: dict[str, Any], scan, findings: list[Finding], state: dict[str, Any]
    ) -> list[Finding]:
        """AcoustID's proposals, the local findings settled beside them (music/identify.py)."""
        from mediakeeper.lookup.acoustid_types import KeyRefused
        from mediakeeper.music.identify_lookups import identify_tracks, sound_client

        client = sound_client(self.settings)
        before, noted = client.session.counters(), len(client.session.notes)
        try:
            findings, state["identified"] = identify_tracks(
                client, Path(item["path"]), scan.tracks, findings, self.identify,
                self.apply_identified)  # fmt: skip
        except KeyRefused as err:  # wrong for every artist: no lookup can succeed
            state.setdefault("notes", []).append(self._refused(ACOUSTID, "identify", err))
            _spent(state, client.session.counters_since(before))
            return findings
        except LookupFailed as err:  # unreachable: as for MusicBrainz below
            if err.network or not self.enrich_only:
                go_offline(self.status_dir, self.session, ACOUSTID, err.why)
            if self.enrich_only:
                spent = client.session.counters_since(before)
                raise enrich_failed("identify", failure_said(ACOUSTID, err), err.network,
                                    spent) from None  # fmt: skip
        _spent(state, client.session.counters_since(before))
        _noted(state, item, client.session.notes[noted:])
        return findings

    def _covers(self, folder: Path, state: dict[str, Any], tracks: list[Track]):
        from mediakeeper.lookup.musicbrainz import COVER_ARCHIVE  # loaded with the next
        from mediakeeper.music.enrich_lookups import fetch_covers, lookup_client  # see _plan

        if not state.get("musicbrainz"):
            return [], []
        # The archive this run found unreachable (in any worker; an --enrich run's too): the
        # covers wait for --enrich, the artist's tag work and lookups standing.
        if went_offline(self.status_dir, self.session, COVER_ARCHIVE) is None:
            client = lookup_client(self.settings)
            fetched, notes, unreachable = fetch_covers(client, folder, state, tracks,
                                                       self.status_dir.parent)  # fmt: skip
            if unreachable is None:
                return fetched, notes
            go_offline(self.status_dir, self.session, COVER_ARCHIVE, unreachable.why)
        else:
            fetched, notes = [], []
        state["covers_left"] = True
        return fetched, notes

    def _refused(self, service: str, stage: str, err: LookupFailed) -> str:
        """``batch.offline.refused`` for this run: an --enrich run stops; any other stops
        ``service``'s lookups, not the local work, and says the returned line once."""
        return refused(self.status_dir, self.session, service, err,
                       enrich_only=self.enrich_only, stage=stage, noun="artist")  # fmt: skip

    def _left_out(self) -> LeftOut:
        """The rule plugins this run leaves out, as every worker of it sees them."""
        return LeftOut(lambda name: left_out(self.status_dir, self.session, name),
                       lambda name, line: leave_out(self.status_dir, self.session, name, line))

    def _issues(self, scan: ArtistScan, plugins_left_out: LeftOut,
                printed: Callable[[str], None] | None = None) -> Issues:  # fmt: skip
        """The artist's findings; a rule plugin that breaks fails the artist (stage
        ``rules``) with a message naming the plugin, its entry point and its package; what
        the plugins print handed to ``printed`` (a dry run's: dropped)."""
        try:
            return issues_of(scan, self.plugin_rule_timeout, plugins_left_out, printed)
        except rule_plugins.RulePluginError as err:
            raise ItemFailure("rules", str(err)) from None

    def _scan(self, item: dict[str, Any], *, keep_bytes: int = 0):
        folder = Path(item["path"])
        try:
            return scan_artist(folder, keep_bytes=keep_bytes, home=self.home)
        except LibraryError as err:
            raise ItemFailure("scan", err.message) from None


def _spent(state: dict[str, Any], spent: Mapping[str, int]) -> None:
    """Add a service's requests to the item's lookup counters (MusicBrainz and AcoustID)."""
    total = state.setdefault("lookups", {})
    for key, value in spent.items():
        total[key] = total.get(key, 0) + value


def _noted(state: dict[str, Any], item: dict[str, Any], notes: Iterable[str]) -> None:
    """What a service answered that this artist's lookups left out or could not use: said
    once, at the batch's end and in its log (the result's notices)."""
    state.setdefault("notes", []).extend(f"{item['name']}: {note}" for note in notes)


def _left_out_details(item: dict[str, Any], plugins: list[str]) -> dict[str, Any]:
    """The rule plugins whose findings the artist lacks (stopped on it, or left out of the
    run), and how many runs in a row lacked some: the next batch takes it again while
    fewer than ``max_attempts`` (``batch.selection.retake_left_out``). None, and none
    before: nothing said."""
    before = item.get("details") or {}
    if not plugins and not before.get(PLUGINS_LEFT_OUT):
        return {}
    runs = before.get(PLUGINS_LEFT_OUT_RUNS)
    runs = (runs if isinstance(runs, int) else 0) + 1 if plugins else 0
    return {PLUGINS_LEFT_OUT: plugins, PLUGINS_LEFT_OUT_RUNS: runs}


def _matched(enrichment: dict[str, Any] | None) -> str:
    if not enrichment or not enrichment.get("musicbrainz_artist_id"):
        return ", not identified on MusicBrainz"
    return f", {enrichment['albums_matched']}/{enrichment['albums_total']} albums matched"


def _carrier(changes: list[TagChange]) -> Finding:
    """Enrichment's id changes travel through planned_changes like any finding's."""
    return Finding("musicbrainz-ids", "info", "", "", changes=tuple(changes))


def _hold_undone(state: dict[str, Any], held: Mapping[tuple[str, str], str]) -> None:
    """Leave out of the plan the fixes of tags an undo put back (``dismissals``), and keep
    which in the plan, so that a resumed run says the same."""
    state["changes"] = dismissals.not_held(state["changes"], held)
    state["held"] = [[path, tag, session] for (path, tag), session in held.items()]


def _temp_copies(folder: Path) -> list[str]:
    return [
        os.path.join(root, name)
        for root, _dirs, files in tree.walk(folder)
        for name in files
        if is_temp_copy(name)
    ]


def _others_copies(paths: list[str]) -> list[str]:
    """What to tell the person of another data home's temp copies, by folder: not ours to
    remove (its batch may run where this one cannot see it), nor to leave unsaid."""
    by_folder: dict[str, list[str]] = {}
    for path in sorted(paths):
        by_folder.setdefault(os.path.dirname(path), []).append(path)
    notices = []
    for folder, copies in by_folder.items():
        homes = sorted({temp_copy_owner(os.path.basename(p))[0] for p in copies})
        notices.append(
            f"{count(len(copies), 'temporary copy', 'temporary copies')} of another data home "
            f"left in {folder} (data home id {', '.join(homes)}): remove them with that home's "
            "next batch, or delete them if that home is gone"
        )
    return notices


def _remove(paths: Iterable[str]) -> None:
    for path in paths:
        Path(path).unlink(missing_ok=True)


def _left_alone(
    coded: Mapping[str, tuple[str, str]], tracks: Iterable[Track], artist: str, home: Path
) -> list[Finding]:
    """The files whose fixes were (a dry run's: would be) left alone for a reason of their
    own, as findings."""
    albums = {track.path: track.album for track in tracks}
    found = []
    for path, (code, reason) in sorted(coded.items()):
        message = reason[0].upper() + reason[1:]
        if code == CHANGED:
            reset = f"{queue_manager('music', home)} --reset-artist {shell_word(artist)}"
            message += f"; run the artist again to fix it ({reset})"
        found.append(finding(code, path, albums.get(path, posixpath.dirname(path)), message + "."))
    return found


def _after(tracks: list[Track], done: Sequence[TagChange]) -> list[Track]:
    """The tracks as the applied changes left them, a tag a change added after those read, in
    the changes' order (a set's order would change with the process's string hashes, and the
    record's bytes with it)."""
    by_path: dict[str, dict[str, str | None]] = {}
    for change in done:
        by_path.setdefault(change.path, {})[change.tag] = change.new
    result = []
    for track in tracks:
        if track.path in by_path:
            values = {**track.tags, **by_path[track.path]}
            track = replace(
                track,
                tags={k: v for k, v in values.items() if v},
                tag_version=version_after_write(track.format, track.tag_version),
            )
        result.append(track)
    return result

