"""The upgrades list: what no choice of the toolkit can mend (a lossy file at a low bit rate,
a lossless file of lossy origin, clipped audio) is no decision: it is a copy worth replacing.
One line per album, worst first (the lowest bit rate, then lossy origins, then clipping):
what is wrong, the format and bit rate, and which copy would be better: one the last
``dupes scan`` found in the library, graded better, where there is one (``dupes.saved``);
written as ``issues/<kind>/upgrades.md`` and its page (made with it) beside the kind's index.

Only the output documents of the items whose counts hold such a code are read (the
reports' one pass over the queues keeps those items: ``QueueTally.upgrading``). Writing the
list keeps each one's number of albums by the document's identity (``status/<kind>/
upgrades.json``, as ``changes/kept.py`` keeps a journal's counts), so the weekly report's
count reads only the documents written since.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mediakeeper.changes.kept import keep_entries, kept_entries
from mediakeeper.core.decisions import UPGRADES
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.core.units import kbps
from mediakeeper.dupes.saved import better_copies
from mediakeeper.fs.identity import lasting_identity
from mediakeeper.fs.reports import write_report
from mediakeeper.reports.attention import MISSING_WHY
from mediakeeper.reports.records import OUTPUT_DIRS, output_path, read_output
from mediakeeper.reports.tally import QueueTally
from mediakeeper.text.render import markdown_escape, shown
from mediakeeper.text.wording import count

PAGE = "upgrades.md"
KEPT = "upgrades.json"  # in status/<kind>/: each output document's albums, by its identity
WORDS = {"low-bitrate": "low bit rate", "lossy-origin": "lossy origin", "clipping": "clipping"}
BETTER = "a lossless copy, or a lossy one of 256 kbps or more"


@dataclass(frozen=True)
class Upgrade:
    item: str
    album: str  # "" for the item itself (an album already, or loose tracks)
    codes: tuple[str, ...]  # in UPGRADES' order
    formats: tuple[str, ...]
    bitrate: int  # the lowest of its flagged files, bits per second (0: unknown)
    files: int
    paths: tuple[str, ...] = ()  # the flagged files, absolute
    better: str = ""  # a better copy in the library, with its grade ("": none known)
    bettered: int = 0  # how many of ``paths`` it is a better copy of (with others')

    def rank(self) -> tuple:
        first = UPGRADES.index(self.codes[0])
        return (first, self.bitrate or 10**9, self.item.casefold(), self.album.casefold())

    def line(self) -> str:
        where = " — ".join(markdown_escape(shown(w)) for w in (self.item, self.album) if w)
        what = ", ".join(WORDS[c] for c in self.codes)
        rate = f", {kbps(self.bitrate)} kbps" if self.bitrate else ""
        kind = "/".join(self.formats) or "format unknown"
        better = BETTER
        if self.better:
            some = f" of {count(self.bettered, 'file')}" if self.bettered < len(self.paths) else ""
            copy = markdown_escape(shown(self.better))
            better = f"a better copy{some} exists in the library: {copy}"
        files = count(self.files, "file")
        return f"- **{where}**: {what} ({kind}{rate}, {files}); better: {better}"


def upgrades_of(item: Mapping[str, Any], document: Mapping[str, Any]) -> list[Upgrade]:
    """The item's albums worth a better copy, from its output document."""
    tracks = {t.get("path"): t for t in document.get("tracks") or () if isinstance(t, dict)}
    albums: dict[str, list[Mapping[str, Any]]] = {}
    for finding in document.get("findings") or ():
        if isinstance(finding, dict) and finding.get("code") in UPGRADES:
            albums.setdefault(str(finding.get("album") or ""), []).append(finding)
    name = str(item.get("name") or item.get("key"))
    found = []
    for album, findings in albums.items():
        flagged = [tracks[p] for p in {f.get("path") for f in findings} if p in tracks]
        rates = [int(t.get("bitrate") or 0) for t in flagged if t.get("bitrate")]
        if not rates:  # tracks not in the document: the findings' own figure
            said = [(f.get("details") or {}).get("bitrate") for f in findings]
            rates = [int(r) for r in said if r]
        codes = tuple(c for c in UPGRADES if any(f["code"] == c for f in findings))
        formats = tuple(sorted({str(t.get("format")) for t in flagged if t.get("format")}))
        paths = tuple(sorted({_absolute(item, f.get("path")) for f in findings if f.get("path")}))
        files = len({f.get("path") for f in findings})
        found.append(Upgrade(name, album, codes, formats, min(rates, default=0), files, paths))
    return found


def _absolute(item: Mapping[str, Any], path: str) -> str:
    """A finding's file, absolute (a finding names it in its item's folder)."""
    return str(Path(item.get("path") or "", path))


def upgrades(home: Path, tallies: Iterable[QueueTally]) -> dict[str, list[Upgrade]]:
    """kind -> its albums worth a better copy, worst first, from the items each queue's
    tally kept (``QueueTally.upgrading``); each document's number of them kept for
    ``counted`` (``KEPT``). The better copies are the written list's alone
    (``write_upgrades``)."""
    found: dict[str, list[Upgrade]] = {}
    for tally in tallies:
        if tally.kind not in OUTPUT_DIRS:
            continue
        listed = found.setdefault(tally.kind, [])
        kept = {}
        for item in tally.upgrading:
            where, identity = _identity(home, tally.kind, item)  # before it is read
            document = read_output(home, tally.kind, item)
            its = upgrades_of(item, document) if document else []
            listed += its
            if identity is not None:
                kept[where] = {"id": identity, "albums": len(its)}
        listed.sort(key=Upgrade.rank)
        folder = Path(home) / "status" / tally.kind
        if kept or (folder / KEPT).exists():  # a kind without any writes none
            keep_entries(folder, kept, KEPT, "documents")
    return found


def counted(home: Path, tallies: Iterable[QueueTally]) -> int:
    """How many albums ``upgrades`` finds, each output document's number taken from what
    the last list written kept while the document is unchanged since (read otherwise: a
    count needs no dupes scan read, and no document read again)."""
    albums = 0
    for tally in tallies:
        if tally.kind not in OUTPUT_DIRS:
            continue
        kept = kept_entries(Path(home) / "status" / tally.kind, KEPT, "documents")
        for item in tally.upgrading:
            where, identity = _identity(home, tally.kind, item)
            held = kept.get(where, {})
            said = held.get("albums")
            if identity is not None and held.get("id") == identity and _a_count(said):
                albums += said
                continue
            document = read_output(home, tally.kind, item)
            albums += len(upgrades_of(item, document)) if document else 0
    return albums


def _a_count(said: Any) -> bool:
    """Whether a kept number is one ``upgrades`` keeps (a hand edit's is not believed)."""
    return type(said) is int and said >= 0


def _identity(home: Path, kind: str, item: Mapping[str, Any]) -> tuple[str, list[int] | None]:
    """An item's output document, as its kept entry names it (its path in the data home),
    and its ``lasting_identity`` (None: not there to look at)."""
    try:
        path = output_path(home, kind, item)
        return str(path.relative_to(home)), lasting_identity(path.stat())
    except (OSError, ValueError, TypeError, MediakeeperError):
        return "", None


def _with_better(upgrade: Upgrade, better: Mapping[str, str]) -> Upgrade:
    copies = [better[p] for p in upgrade.paths if p in better]
    return replace(upgrade, better=copies[0], bettered=len(copies)) if copies else upgrade


def write_upgrades(home: Path, tallies: Iterable[QueueTally]) -> list[Path]:
    """Each kind's upgrades list (where it has one, or had: an emptied list says so), with
    a line naming the items left out because their folder is missing."""
    written = []
    tallies = tuple(tallies)
    found = upgrades(home, tallies)
    gone = {t.kind: t.upgrading_missing for t in tallies if t.kind in found}
    better = better_copies(Path(home)) if any(found.values()) else {}
    for kind, listed in found.items():
        listed = [_with_better(u, better) for u in listed]
        path = Path(home) / "issues" / kind / PAGE
        if not listed and not gone[kind] and not path.exists():
            continue
        lines = [f"# Upgrades — {kind}", ""]
        if listed:
            lines += [
                f"**{count(len(listed), 'album')} worth a better copy**, worst first: no "
                "choice of the toolkit mends these, so they are no decision.",
                "",
            ]
            lines += [u.line() for u in listed]
        else:
            lines.append("Nothing to upgrade.")
        if gone[kind]:
            names = ", ".join(f"**{markdown_escape(shown(n))}**" for n in sorted(gone[kind]))
            lines += ["", f"Left out, folder missing ({MISSING_WHY}): {names}."]
        write_report(path, "\n".join(lines) + "\n", now=True)  # opened on disk: its page too
        written.append(path)
    return written

