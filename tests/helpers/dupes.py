"""A library of duplicates for the dupes tests, and the real command run on it: one album in
FLAC and again as an MP3 rip, a compilation's copy, a loose untagged copy, a remaster, a
namesake and a drone, each recording a seeded melody (``melody``) encoded by ffmpeg."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers.audio import tag_by_hand
from tests.helpers.melody import encode, melody_wav
from tests.helpers.processes import REPO_ROOT, script_env

SECONDS = 12


def build(root: Path) -> Path:
    """The library: one album in FLAC and again as an MP3 rip under another spelling of the
    artist; song 1 on a compilation (Opus); song 2 loose and untagged (AAC); song 3 as a
    remaster (quieter, after 1.5 s of silence); another recording also called "Song 1";
    a drone (one tone) twice."""
    wav, lib = root / "wav", root / "Music"
    wav.mkdir(parents=True)
    sources = {n: melody_wav(wav / f"{n}.wav", n, SECONDS) for n in (1, 2, 3, 4, 9, 10)}
    remaster = melody_wav(wav / "3r.wav", 3, SECONDS, gain=0.5, lead=1.5)
    album_twice(lib, "Artist A/Album", "Artist A./Album (mp3)", "Album",
                {n: sources[n] for n in (1, 2, 3, 4)})  # fmt: skip
    recording_id(lib / "Artist A" / "Album" / "01 - Song 1.flac", "1")
    # What the kept FLAC lacks and its MP3 copy carries: gained before the MP3 is set aside.
    recording_id(lib / "Artist A." / "Album (mp3)" / "04 - Song 4.mp3", "4")
    comp = encode(sources[1], lib / "Various" / "Hits" / "05 - Song 1.opus", "-b:a", "64k")
    tag_by_hand(comp, "album", "Hits")
    encode(sources[10], lib / "Various" / "Hits" / "06 - Other.opus", "-b:a", "64k")
    encode(sources[2], lib / "Unsorted" / "track02.m4a", "-b:a", "96k")
    encode(remaster, lib / "Remasters" / "Song 3 (Remaster).flac")
    namesake = encode(sources[9], lib / "Other Artist" / "Album" / "01 - Song 1.flac")
    tag_by_hand(namesake, "title", "Song 1")
    broken = lib / "Drone" / "broken.mp3"  # no decoder reads it: left out, the album done
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"not audio at all " * 100)
    for folder, ext in (("Drone", "flac"), ("Drone 2", "mp3")):
        target = lib / folder / f"tone.{ext}"
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                        f"sine=f=440:d={SECONDS}", str(target)], check=True)  # fmt: skip
    shutil.rmtree(wav)
    return lib


def album_twice(lib: Path, flac: str, mp3: str, album: str, sources: dict[int, Path]) -> None:
    """``album``'s songs (``sources``, WAVs by track number) in FLAC in the folder ``flac``
    and again as a 128k MP3 rip in ``mp3``, each tagged with the album and its title: an
    album group."""
    for n, source in sources.items():
        for path in (encode(source, lib / flac / f"0{n} - Song {n}.flac"),
                     encode(source, lib / mp3 / f"0{n} - Song {n}.mp3", "-b:a", "128k")):
            tag_by_hand(path, "album", album)
            tag_by_hand(path, "title", f"Song {n}")


def recording_id(path: Path, n: str) -> None:
    """A MusicBrainz recording id, as Picard writes it (mutagen alone)."""
    import mutagen
    from mutagen.id3 import UFID

    value = f"5c4f0000-0000-4000-8000-00000000000{n}"
    audio = mutagen.File(path)
    if path.suffix == ".mp3":
        audio.tags.add(UFID(owner="http://musicbrainz.org", data=value.encode()))
    else:
        audio["MUSICBRAINZ_TRACKID"] = [value]
    audio.save()


def mediakeeper(home: Path, *args, env=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mediakeeper", *map(str, args), "--home", str(home)],
        cwd=REPO_ROOT, env=env or script_env(), capture_output=True, timeout=300,
        **{"text": True, **kw},  # text=False: the bytes, a name that is not UTF-8 as it is
    )  # fmt: skip


def scanned(home: Path, lib: Path) -> list[dict]:
    done = mediakeeper(home, "dupes", "scan", "--library", lib)
    assert done.returncode == 0, done.stderr
    listed = mediakeeper(home, "dupes", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)["groups"]


def members(groups: list[dict], lib: Path) -> set[tuple[str, frozenset]]:
    return {(g["level"], frozenset(os.path.relpath(c["path"], lib) for c in g["copies"]))
            for g in groups}  # fmt: skip
