"""The demo: ``make demo`` (``python -m mediakeeper.demo``).

Builds ``demo/Music``: nine well-known albums with their real track lists, as one-second
silent files made from the committed templates, in mixed formats, and one track of real
sound with no tags at all (identified by its sound where an AcoustID key is set). Most tags
are clean; the problems listed with each album are planted on purpose, so that every music
finding code (docs/findings.md) fires at least once, some fixable and some left for a person.
Then it runs the real batch command on that library, shows the queue summary, and points to
the reports and to undo.

The demo folder is wiped and rebuilt on every run, so the demo always shows the same thing. A
folder is only ever wiped if it carries the marker file the demo writes into it.
"""

from __future__ import annotations

import argparse
import base64
import importlib.metadata
import os
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mediakeeper.changes.journal import read_journal
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.demo import damage, sound
from mediakeeper.demo import tracks as synth
from mediakeeper.media import ffmpeg
from mediakeeper.system.interrupts import EXIT_INTERRUPTED
from mediakeeper.text.commands import kind_argv, kind_command, tool_command
from mediakeeper.text.slug import slugify
from mediakeeper.text.wording import count

MARKER = ".mediakeeper-demo"
UNTAGGED = "Pink Floyd/untitled.flac"
EXIT_USAGE = 2

# An 8x8 dark-grey baseline JPEG (204 bytes): the demo's cover.jpg.
COVER_JPG = base64.b64decode(
    "/9j/4AAQSkZJRgABAgAAAQABAAD/2wBDAAg+Pkk+SVVVVVVVVWRdZGhoaGRkZGRoaGhwcHCDg4NwcHBoaHBwfHyDg4+T"
    "j4eHg4eTk5ubm7q6srLZ2eD/////xABLAAEBAAAAAAAAAAAAAAAAAAAABwEBAAAAAAAAAAAAAAAAAAAAABABAAAAAAAA"
    "AAAAAAAAAAAAABEBAAAAAAAAAAAAAAAAAAAAAP/AABEIAAgACAMBIgACEQADEQD/2gAMAwEAAhEDEQA/AI8AD//Z"
)


# --- the library ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Track:
    """How one track departs from clean tags. ``tags``: a value to store instead of the clean
    one, or None to leave that tag out. ``kind``: "id3v1" (an ID3v1-only MP3), "id3v22" (an
    ID3v2.2 MP3), "truncated" (the first half of a file, unreadable) or "damaged" (a few bytes
    of its audio frames inverted, as a failing disk leaves them: its tags read fine)."""

    tags: Mapping[str, str | None] = field(default_factory=dict)
    fmt: str | None = None
    template: str | None = None
    kind: str = "clean"


CLEAN = Track()


@dataclass(frozen=True)
class Album:
    folder: str  # the artist folder
    artist: str  # the artist as tagged
    year: str
    title: str
    fmt: str
    genre: str
    titles: tuple[str, ...]
    cover: str  # "file" (cover.jpg), "embedded" (a picture in every file) or "none"
    planted: str  # what was done to it on purpose, for the person watching
    tracks: Mapping[int, Track] = field(default_factory=dict)  # by track number
    album_folder: str | None = None  # default "YYYY - Title"
    id3_version: int = 4

    @property
    def path(self) -> str:
        return f"{self.folder}/{self.album_folder or f'{self.year} - {self.title}'}"


ALBUMS: tuple[Album, ...] = (
    Album(
        "The Beatles", "The Beatles", "1969", "Abbey Road", "mp3", "Rock",
        ("Come Together", "Something", "Maxwell's Silver Hammer", "Oh! Darling",
         "Octopus's Garden", "I Want You (She's So Heavy)", "Here Comes the Sun", "Because",
         "You Never Give Me Your Money", "Sun King", "Mean Mr. Mustard", "Polythene Pam",
         "She Came In Through the Bathroom Window", "Golden Slumbers", "Carry That Weight",
         "The End", "Her Majesty"),
        cover="file",
        planted='artist spelled "the beatles" on two tracks; a blank title; '
        "an ID3v2.2 file and an ID3v1-only file (which has no album artist)",
        tracks={
            3: Track({"artist": "the beatles"}),
            4: Track({"artist": "the beatles"}),
            5: Track({"title": None}),
            16: Track(kind="id3v22"),
            17: Track(kind="id3v1"),
        },
    ),
    Album(
        "Björk", "Björk", "1997", "Homogenic", "flac", "Electronic",
        ("Hunter", "Jóga", "Unravel", "Bachelorette", "All Neon Like", "5 Years", "Immature",
         "Alarm Call", "Pluto", "All Is Full of Love"),
        cover="embedded",
        planted='artist mis-decoded as "BjÃ¶rk" on two tracks; '
        "the track numbers of tracks 4 and 5 swapped",
        tracks={
            1: Track({"artist": "BjÃ¶rk"}),
            2: Track({"artist": "BjÃ¶rk"}),
            4: Track({"tracknumber": "5"}),
            5: Track({"tracknumber": "4"}),
        },
    ),
    Album(
        "Miles Davis", "Miles Davis", "1959", "Kind of Blue", "flac", "Jazz",
        ("So What", "Freddie Freeloader", "Blue in Green", "All Blues", "Flamenco Sketches"),
        cover="file",
        planted="no year and no album artist on any track "
        "(the folder name has the year, every track's artist the album artist); "
        "track 3's audio damaged near its end (its tags read fine: the verify step finds it, "
        "and the conversion refuses to carry it)",
        tracks={
            n: Track({"date": None, "albumartist": None}, kind="damaged" if n == 3 else "clean")
            for n in range(1, 6)
        },
    ),
    Album(
        "Radiohead", "Radiohead", "1997", "OK Computer", "ogg", "Alternative Rock",
        ("Airbag", "Paranoid Android", "Subterranean Homesick Alien", "Exit Music (For a Film)",
         "Let Down", "Karma Police", "Fitter Happier", "Electioneering",
         "Climbing Up the Walls", "No Surprises", "Lucky", "The Tourist"),
        cover="file",
        planted="track 7 cut off half-way (unreadable); "
        'a title "Karma  Police" and an album "OK Computer " with stray spaces; '
        'a link "Favourites" to this album\'s folder; track 6 a link to a file outside the '
        "library; a music video in Matroska (a format not read)",
        tracks={
            2: Track({"album": "OK Computer "}),
            6: Track({"title": "Karma  Police"}),
            7: Track(kind="truncated"),
        },
    ),
    Album(
        "Daft Punk", "Daft Punk", "2001", "Discovery", "mp3", "Electronic",
        ("One More Time", "Aerodynamic", "Digital Love", "Harder, Better, Faster, Stronger",
         "Crescendolls", "Nightvision", "Superheroes", "High Life", "Something About Us",
         "Voyager", "Veridis Quo", "Short Circuit", "Face to Face", "Too Long"),
        cover="embedded",
        planted="tracks 3 and 4 both numbered 3; "
        'album artist "Daft Punk feat. Romanthony" on track 1; ID3v2.3 tags',
        tracks={
            1: Track({"albumartist": "Daft Punk feat. Romanthony"}),
            4: Track({"tracknumber": "3"}),
        },
        id3_version=3,
    ),
    Album(
        "Sigur Rós", "Sigur Rós", "1999", "Ágætis byrjun", "ogg", "Post-Rock",
        ("Intro", "Svefn-g-englar", "Starálfur", "Flugufrelsarinn", "Ný batterí",
         "Hjartað hamast (bamm bamm bamm)", "Viðrar vel til loftárása", "Olsen Olsen",
         "Ágætis byrjun", "Avalon"),
        cover="none",
        planted='"Sigur RÃ³s", "StarÃ¡lfur" and a mis-decoded album on two tracks; '
        "one track without an album; no cover art at all",
        tracks={
            3: Track({"artist": "Sigur RÃ³s", "title": "StarÃ¡lfur"}),
            9: Track({"album": None}),
            10: Track({"album": "Ágætis byrjun".encode().decode("latin-1")}),
        },
    ),
    Album(
        "Metallica", "Metallica", "1988", "...And Justice for All", "mp3", "Metal",
        ("Blackened", "...And Justice for All", "Eye of the Beholder", "One",
         "The Shortest Straw", "Harvester of Sorrow", "The Frayed Ends of Sanity",
         "To Live Is to Die", "Dyers Eve"),
        cover="file",
        planted="an album folder that starts with dots and has no year; "
        'no artist on "One"; year 2018 (a remaster) on track 6; no number on track 9',
        tracks={
            4: Track({"artist": None}),
            6: Track({"date": "2018"}),
            9: Track({"tracknumber": None, "tracktotal": None}),
        },
        album_folder="...And Justice for All",
    ),
    Album(
        "AC⧸DC", "AC/DC", "1980", "Back in Black", "mp3", "Hard Rock",
        ("Hells Bells", "Shoot to Thrill", "What Do You Do for Money Honey",
         "Given the Dog a Bone", "Let Me Put My Love into You", "Back in Black",
         "You Shook Me All Night Long", "Have a Drink on Me", "Shake a Leg",
         "Rock and Roll Ain't Noise Pollution"),
        cover="file",
        planted='the folder is "AC⧸DC" (a folder name cannot hold "/"); '
        '"Back In Black" on two tracks; track 7 a 64 kbps MP3; '
        "tracks 9 and 10 from another source (M4A and Opus)",
        tracks={
            1: Track({"album": "Back In Black"}),
            2: Track({"album": "Back In Black"}),
            7: Track(template="silence_64k.mp3"),
            9: Track(fmt="m4a"),
            10: Track(fmt="opus"),
        },
    ),
    Album(
        "Pink Floyd", "Pink Floyd", "1973", "The Dark Side of the Moon", "flac",
        "Progressive Rock",
        ("Speak to Me", "Breathe", "On the Run", "Time", "The Great Gig in the Sky", "Money",
         "Us and Them", "Any Colour You Like", "Brain Damage", "Eclipse"),
        cover="embedded",
        planted="half the tracks say 1973, half say 2011 (a remaster): "
        "a 5-vs-5 tie the toolkit must leave to you",
        tracks={n: Track({"date": "2011"}) for n in range(6, 11)},
    ),
)  # fmt: skip

_ID3V1_TAGS = ("title", "artist", "album", "date", "tracknumber", "genre")
_ID3V22_TAGS = ("title", "artist", "albumartist", "album", "date", "genre", "tracknumber")


def _file_name(number: int, title: str, fmt: str) -> str:
    return f"{number:02d} - {title.replace('/', '⧸')}.{fmt}"


def build_album(music: Path, album: Album) -> int:
    """Write one album folder; the number of files written."""
    folder = music / album.path
    folder.mkdir(parents=True, exist_ok=True)
    total = len(album.titles)
    for number, title in enumerate(album.titles, 1):
        spec = album.tracks.get(number, CLEAN)
        fmt = spec.fmt or album.fmt
        clean = {
            "title": title,
            "artist": album.artist,
            "albumartist": album.artist,
            "album": album.title,
            "tracknumber": str(number),
            "tracktotal": str(total),
            "date": album.year,
            "genre": album.genre,
        }
        tags = {k: v for k, v in {**clean, **spec.tags}.items() if v is not None}
        dest = folder / _file_name(number, title, fmt)
        if spec.kind == "id3v1":
            synth.make_id3v1_only(dest, {k: v for k, v in tags.items() if k in _ID3V1_TAGS})
        elif spec.kind == "id3v22":
            synth.make_id3v22(dest, {k: v for k, v in tags.items() if k in _ID3V22_TAGS})
        else:
            synth.make_track(
                dest,
                fmt,
                tags,
                id3_version=album.id3_version if fmt == "mp3" else 4,
                picture=album.cover == "embedded",
                template=spec.template,
            )
        if spec.kind == "truncated":
            damage.cut(dest, keep=0.5)
        elif spec.kind == "damaged":  # the frames sit at the end, after the tags
            damage.flip_bytes(dest, at=0.95, count=8)
    if album.cover == "file":
        (folder / "cover.jpg").write_bytes(COVER_JPG)
    return total


def build_library(music: Path) -> int:
    """Write every album under ``music``; the number of files written."""
    files = sum(build_album(music, album) for album in ALBUMS)
    # An album under a second name, as a link: reported, never scanned twice.
    (music / "Radiohead" / "Favourites").symlink_to("1997 - OK Computer")
    # A track kept outside the library and linked in: read and reported, never written.
    linked = next((music / "Radiohead" / "1997 - OK Computer").glob("06 *"))
    outside = music.parent / "Elsewhere" / linked.name
    outside.parent.mkdir(exist_ok=True)
    linked.rename(outside)
    linked.symlink_to(outside.resolve())
    # A music video in a format the toolkit does not read (a Matroska header): reported.
    video = music / "Radiohead" / "1997 - OK Computer" / "Karma Police (video).mkv"
    video.write_bytes(b"\x1aE\xdf\xa3" + bytes(28))
    # A track with no tag at all, of real sound (20 s of noise): offline it is reported; with
    # an AcoustID key it is looked up by its sound (this noise is one AcoustID does not know).
    sound.noise(ffmpeg.find(), music / UNTAGGED, 20, seed=38)
    return files + 2


# --- the demo home ----------------------------------------------------------------------------


class DemoError(Exception):
    """The demo cannot go on; the message says why and what to do."""


def prepare_home(home: Path, *, fresh: bool) -> bool:
    """Make ``home`` ready; True if the library needs building. Wipes only a demo home."""
    if home.exists():
        if not home.is_dir():
            raise DemoError(f"{home} exists and is not a folder; choose another --home")
        cwd = Path.cwd().resolve()
        if cwd == home.resolve() or home.resolve() in cwd.parents:
            raise DemoError(f"refusing to use {home}: it holds the current folder")
        if (home / MARKER).is_file():
            if not fresh:
                return not (home / "Music").is_dir()
            shutil.rmtree(home)
        elif any(home.iterdir()):
            raise DemoError(
                f"refusing to delete {home}: it is not empty and was not made by the demo "
                f"(no {MARKER} file in it). Choose another --home, or remove it yourself."
            )
    home.mkdir(parents=True, exist_ok=True)
    (home / MARKER).write_text(
        "Made by `python -m mediakeeper.demo`, which deletes and rebuilds this folder "
        "on every run. Do not keep anything here.\n",
        encoding="utf-8",
    )
    return True


# --- running the real commands ----------------------------------------------------------------


def _again(home: Path) -> str:
    """The command that runs the demo again, from any folder: from the checkout when the
    package is not installed in this interpreter's environment."""
    command = shlex.join([sys.executable, "-m", "mediakeeper.demo", "--home", str(home.resolve())])
    try:
        importlib.metadata.distribution("mediakeeper")
    except importlib.metadata.PackageNotFoundError:
        return f"cd {shlex.quote(str(Path(__file__).resolve().parent.parent))} && {command}"
    return command


def _env() -> dict[str, str]:
    """The environment for the commands: the checkout importable even when not installed
    (``python -m mediakeeper`` from any folder)."""
    env = dict(os.environ)
    root = Path(__file__).resolve().parent.parent
    if (root / "utilities").is_dir():  # a checkout, beside its scripts
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return env


def run_command(argv: list[str]) -> int:
    """Run a command as a person would (worded by ``mediakeeper.text.commands``, so the line shown
    can be pasted anywhere), its output straight to the terminal."""
    print(f"$ {shlex.join(argv)}", flush=True)
    done = subprocess.run(argv, env=_env(), check=False)
    return done.returncode


def _prose(text: str, indent: int = 0) -> None:
    """``text`` filled to the terminal's width (80 off a terminal, 92 at most): a longer line
    would be broken mid-word by it. Commands and paths are printed whole, never through here."""
    width, pad = max(40, min(shutil.get_terminal_size((80, 24)).columns, 92)), " " * indent
    print(textwrap.fill(text, width, initial_indent=pad, subsequent_indent=pad))


def _heading(text: str) -> None:
    print(f"\n{text}\n{'─' * len(text)}", flush=True)


def _describe_library(home: Path, files: int, seconds: float) -> None:
    print(
        f"Built {home / 'Music'}: {count(len(ALBUMS), 'album')}, {count(files, 'file')}, "
        f"in {seconds:.1f}s."
    )
    print("Every file is a second of silence. Tags are clean except for what was planted:\n")
    for album in ALBUMS:
        formats = sorted({album.fmt, *(t.fmt for t in album.tracks.values() if t.fmt)})
        tracks = count(len(album.titles), "track")
        print(f"  {album.artist} — {album.title} ({album.year}), {tracks}, {'+'.join(formats)}")
        _prose(album.planted, indent=6)
    print(f"  and {UNTAGGED}: 20 seconds of sound with no tags at all")


def _closing(home: Path) -> None:
    reports, library = home / "issues" / "music", (home / "Music").resolve()
    _heading("5. What to look at next")
    print(f"One issue report per artist (Markdown), in {reports}/:")
    for report in sorted(reports.glob("*.md")):
        if report.name != "index.md":
            print(f"  {report}")
    print(f"and their index, what needs you first: {reports / 'index.md'}")
    print(f"The index is a web page too, for a browser: {reports / 'index.html'}")
    print("(a report's own page is made when it is read: mediakeeper serve opens each)")
    tie = reports / f"{slugify('Pink Floyd')}.md"
    print(f"\nStart with {tie}:")
    _prose("its tracks split 5-vs-5 on the year, so the toolkit asks you instead of guessing. "
           "Every report lists what was fixed and what needs a decision, album by album.")
    print()
    _prose(f"{UNTAGGED} has no tags: offline it is only reported. With an AcoustID key (free: "
           "https://acoustid.org/new-application) a batch identifies such tracks by their sound:")
    print(f"  MEDIAKEEPER_ACOUSTID_KEY=<key> {kind_command('music', 'batch', home)} "
          "--artist 'Pink Floyd'")  # fmt: skip
    print(f"\nEverything learned, as JSON:   {home / 'outputs' / 'music' / 'artists'}/*.json")
    print(f"Every track, one row each:     {home / 'outputs' / 'music' / 'tracks.csv'}")
    print(f"The portable library (Opus):   {home / 'Portable'}")
    print(f"What the verify step found:    {home / 'issues' / 'verify' / 'index.md'}")
    sessions = sorted({entry.session for entry in read_journal(home / "status" / "music")})
    if sessions:
        print(
            "\nEvery tag change was journaled with its old value. To put them all back:\n"
            f"  {tool_command('undo', home)} --session {sessions[-1]}"
        )
    for what, command in (
        ("What needs you, one question at a time, the worst first:",
         f"{tool_command('decide', home)} -i"),
        ("The dashboard in your browser, updated live (its decisions too):",
         tool_command("serve", home)),
        ("Copies of one recording anywhere in a library, found by their sound (the demo's "
         "silent tracks are never grouped):",
         f"{kind_command('dupes', 'scan', home)} --library {shlex.quote(str(library))}"),
    ):  # fmt: skip
        print()
        _prose(what)
        print(f"  {command}")
    print(
        "\nOn your own library, look first (--dry-run changes nothing, not even the queue):\n"
        f"  {kind_command('music', 'batch')} --library ~/Music --dry-run\n"
        f"Run the demo again from scratch: {_again(home)}"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mediakeeper.demo",
        description="Build a small music library with planted tag problems and run the "
        "real batch over it.",
    )
    parser.add_argument(
        "--home",
        default="demo",
        type=Path,
        help="demo data home; the library goes in HOME/Music (default: %(default)s)",
    )
    parser.add_argument(
        "--fresh",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="wipe and rebuild the demo home first (default: on); with --no-fresh an "
        "existing demo is processed as it stands",
    )
    return parser


def _run_steps(home: Path) -> int:
    """The real commands on the demo library, one heading each; the music batch's exit code
    (a usage error there stops the demo)."""
    library = str(home.resolve() / "Music")
    _heading("1. Process a batch of 10 artists, offline (the real command)")
    code = run_command([*kind_argv("music", "batch", home),
                        *("--library", library, "--batch-size", "10", "--offline")])  # fmt: skip
    if code == EXIT_USAGE:
        return code
    _heading("2. Where the queue stands")
    run_command([*kind_argv("music", "queue", home), "--show-summary"])
    _heading("3. Convert the albums into a portable Opus library (the real command)")
    run_command([*kind_argv("conversions", "batch", home),
                 *("--library", library, "--batch-size", "20"),
                 *("--output", str(home.resolve() / "Portable"), "--profile", "opus")])  # fmt: skip
    _heading("4. Verify every album: each file decoded in full (the real command)")
    run_command([*kind_argv("verify", "batch", home),
                 *("--library", library, "--batch-size", "20")])  # fmt: skip
    return code


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    home: Path = args.home

    _prose("mediakeeper demo. mediakeeper keeps a music library healthy: it reads every tag, "
           "reports what is wrong, fixes what is safe (journaled, so it can be undone) and leaves "
           "the rest to you. Here it works on a small library built for the purpose.")
    print()
    try:
        started = time.perf_counter()
        if prepare_home(home, fresh=args.fresh):
            files = build_library(home / "Music")
            _describe_library(home, files, time.perf_counter() - started)
        else:
            print(f"Using the existing demo library in {home / 'Music'} (--no-fresh).")
    except DemoError as err:
        print(f"demo: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, MediakeeperError) as err:
        print(f"demo: could not build the library: {err}", file=sys.stderr)
        return 1

    try:
        code = _run_steps(home)
        if code == EXIT_USAGE:
            return EXIT_USAGE
        _closing(home)
    except KeyboardInterrupt:
        print("\ndemo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
