"""The grade listens (issue 69, point 2): a FLAC decoded from a 128 kbps MP3 (24-bit, as
ffmpeg writes it) is never kept over the genuine 16-bit rip for its "resolution"; where the
sound cannot tell the two apart, the group is a person's question, which ``set-aside --all``
and a whole level's "keep the best" leave alone. Real files made by ffmpeg, the real command
in a subprocess, no verify run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mediakeeper.text.commands import tool_command
from tests.helpers.dupes import mediakeeper, scanned
from tests.helpers.melody import encode, melody_wav

SECONDS = 20


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def rich_rip(target: Path, work: Path) -> Path:
    """A 16-bit stereo FLAC of a rich source: a melody (``melody``) over ffmpeg's pink noise,
    sound up to 22 kHz as a CD rip of most music has."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tune = melody_wav(work / "tune.wav", 5, SECONDS)
    _ffmpeg("-i", str(tune), "-f", "lavfi", "-i", f"anoisesrc=c=pink:a=0.1:d={SECONDS}:r=44100:s=7",
            "-filter_complex", "[0]aresample=44100[m];[m][1]amix=inputs=2:normalize=0,"
            "aformat=channel_layouts=stereo", "-sample_fmt", "s16", str(target))  # fmt: skip
    return target


def fake_of(rip: Path, target: Path, work: Path, bitrate: str = "128k", rate: int = 0) -> Path:
    """``rip`` encoded to an MP3 (128 kbps unless told), then decoded to FLAC as ffmpeg writes
    it (24-bit; ``rate``: resampled to that rate, a "hi-res" FLAC)."""
    mp3 = work / f"{target.stem}.mp3"
    _ffmpeg("-i", str(rip), "-b:a", bitrate, str(mp3))
    target.parent.mkdir(parents=True, exist_ok=True)
    _ffmpeg("-i", str(mp3), *(("-ar", str(rate), "-sample_fmt", "s32") if rate else ()),
            str(target))  # fmt: skip
    mp3.unlink()
    return target


def bits(path: Path) -> int:
    from mutagen.flac import FLAC

    return FLAC(path).info.bits_per_sample


@pytest.fixture
def rich(tmp_path) -> Path:
    lib = tmp_path / "Music"
    genuine = rich_rip(lib / "Artist" / "Album" / "01 - Song.flac", tmp_path)
    fake = fake_of(genuine, lib / "Downloads" / "Album [24bit]" / "01 - Song.flac", tmp_path)
    assert (bits(genuine), bits(fake)) == (16, 24)
    return lib


def test_the_genuine_rip_is_kept_over_a_24_bit_decode_of_its_mp3(rich, tmp_path):
    """It kept the fake as "higher resolution: FLAC 44.1 kHz/24-bit over FLAC 44.1 kHz/16-bit",
    and set-aside --all moved the genuine rip away."""
    home = tmp_path / "home"
    genuine = rich / "Artist" / "Album" / "01 - Song.flac"
    fake = rich / "Downloads" / "Album [24bit]" / "01 - Song.flac"
    done = mediakeeper(home, "dupes", "scan", "--library", rich)
    assert "reading the sound of 2 lossless copies in duplicate groups" in done.stdout, done.stdout
    (group,) = json.loads(mediakeeper(home, "dupes", "--json").stdout)["groups"]
    assert group["best"] == str(genuine), group
    assert group["doubt"] == ""
    graded = {c["path"]: c["grade"] for c in group["copies"]}
    assert graded[str(fake)] == "FLAC (lossy origin)"
    assert group["why"] == ["better sound: FLAC 44.1 kHz/16-bit over FLAC (lossy origin)"]
    done = mediakeeper(home, "dupes", "set-aside", "--all")
    assert done.returncode == 0, done.stdout + done.stderr
    assert genuine.exists() and not fake.exists()
    assert (home / "set-aside" / "Downloads" / "Album [24bit]" / "01 - Song.flac").exists()
    # the spectrum was read once: a second grouping reads it from spectra.json
    spectra = json.loads((home / "status" / "dupes" / "spectra.json").read_text())
    assert set(spectra) == {str(genuine), str(fake)}


@pytest.mark.parametrize("bitrate", ["224k", "320k"])
def test_the_genuine_rip_is_kept_over_the_decode_of_a_high_bit_rate_mp3(tmp_path, bitrate):
    """The MP3 encoder's low-pass of 224 kbps and more sits at 19.5-20.5 kHz, too near the
    top for the cut-offs (the level above 20 kHz was the same in both copies): the decode
    was kept for its 24 bits, the genuine rip set aside, and nothing asked. Beside the rip,
    which holds sound above 20.5 kHz, the decode is told of lossy origin."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    genuine = rich_rip(lib / "Artist" / "Album" / "01 - Song.flac", tmp_path)
    fake = fake_of(genuine, lib / "Downloads" / "Album [24bit]" / "01 - Song.flac", tmp_path,
                   bitrate)  # fmt: skip
    (group,) = scanned(home, lib)
    assert group["best"] == str(genuine) and group["doubt"] == "", group
    graded = {c["path"]: c["grade"] for c in group["copies"]}
    assert graded[str(fake)] == "FLAC (lossy origin)", graded
    assert group["why"] == ["better sound: FLAC 44.1 kHz/16-bit over FLAC (lossy origin)"]
    # Spectra an older release kept lack the band: read again, not taken as they are (a
    # grade of an older release is made again: its groups' stamp names the grade).
    spectra = home / "status" / "dupes" / "spectra.json"
    kept = json.loads(spectra.read_text())
    for entry in kept.values():
        entry["value"].pop("20500")
    spectra.write_text(json.dumps(kept))
    saved = home / "status" / "dupes" / "groups.json"
    saved.write_text(json.dumps({**json.loads(saved.read_text()), "stamp": "an older grade"}))
    (group,) = scanned(home, lib)
    assert group["best"] == str(genuine), group
    assert all("20500" in entry["value"] for entry in json.loads(spectra.read_text()).values())


@pytest.mark.parametrize(("bitrate", "rate"), [("128k", 96000), ("320k", 192000)])
def test_the_genuine_rip_is_kept_over_a_hi_res_decode_of_its_mp3(tmp_path, bitrate, rate):
    """ffmpeg refused the band above 20.5 kHz at 88.2 kHz and more, and with it the whole
    read: a 96 kHz decode of a 128 kbps MP3 went untold ("its spectrum cannot tell") and was
    kept as the best copy, for its resolution, over the genuine rip."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    genuine = rich_rip(lib / "Artist" / "Album" / "01 - Song.flac", tmp_path)
    fake = fake_of(genuine, lib / "Downloads" / "Album [hires]" / "01 - Song.flac", tmp_path,
                   bitrate, rate)  # fmt: skip
    (group,) = scanned(home, lib)
    assert group["best"] == str(genuine) and group["doubt"] == "", group
    graded = {c["path"]: c["grade"] for c in group["copies"]}
    assert graded[str(fake)] == "FLAC (lossy origin)", graded
    # The empty spectrum an older release kept of it (its read refused) is read again.
    spectra = home / "status" / "dupes" / "spectra.json"
    kept = json.loads(spectra.read_text())
    kept[str(fake)]["value"] = {}
    spectra.write_text(json.dumps(kept))
    saved = home / "status" / "dupes" / "groups.json"
    saved.write_text(json.dumps({**json.loads(saved.read_text()), "stamp": "an older grade"}))
    (group,) = scanned(home, lib)
    assert group["best"] == str(genuine), group
    assert json.loads(spectra.read_text())[str(fake)]["value"]


def test_where_the_sound_cannot_tell_the_group_is_a_question(tmp_path):
    """A dull recording (nothing above 11 kHz): the 24-bit decode of its MP3 wins on
    resolution, so the keep is a guess: listed as a question, left by set-aside --all and by
    a whole level's keep the best, taken only when a person chooses the copy."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    wav = melody_wav(tmp_path / "m.wav", 4, SECONDS)
    genuine = encode(wav, lib / "Artist" / "Album" / "01 - Song.flac", "-sample_fmt", "s16")
    fake = fake_of(genuine, lib / "Downloads" / "Album [24bit]" / "01 - Song.flac", tmp_path)
    (group,) = scanned(home, lib)
    assert group["best"] == str(fake) and "cannot tell" in group["doubt"], group
    listed = mediakeeper(home, "dupes")
    assert "keep? " in listed.stdout and "question: its spectrum cannot tell" in listed.stdout
    assert f"(`{tool_command('decide', home)} dupes {group['id']}`; set-aside --all leaves it)" \
        in listed.stdout, listed.stdout  # fmt: skip
    # What set-aside --all would free leaves the question out, as set-aside does: the listing,
    # the dashboard and this week's report counted it.
    assert "would move 0 bytes out of the library (release groups and questions aside)" \
        in listed.stdout, listed.stdout  # fmt: skip
    assert "DUPLICATES" not in mediakeeper(home, "dashboard").stdout
    weekly = next((home / "status" / "reports").glob("*_weekly_progress.md")).read_text()
    assert "Duplicates:" not in weekly
    every = mediakeeper(home, "dupes", "set-aside", "--all")
    assert every.returncode == 1, every.stdout + every.stderr
    assert f"left for you: group {group['id']}" in every.stdout
    assert genuine.exists() and fake.exists()
    # Its preview closes nothing and moves nothing, as the take does.
    said = mediakeeper(home, "decide", "--all", "--group", "duplicate-track", "--choose", "1",
                       "--dry-run", "--json")  # fmt: skip
    assert said.returncode == 0, said.stdout + said.stderr
    shown = json.loads(said.stdout)
    assert (shown["closes"], shown["decisions"], shown["moves"]) == (0, [], []), shown
    said = mediakeeper(home, "decide", "--all", "--group", "duplicate-track", "--choose", "1",
                       "--dry-run")  # fmt: skip
    assert f"would leave {group['id']} for you: " in said.stdout, said.stdout
    assert said.stdout.splitlines()[-1] == "dry run: 0 groups would be decided; nothing moved"
    level = mediakeeper(home, "decide", "--all", "--group", "duplicate-track", "--choose", "1")
    assert genuine.exists() and fake.exists(), level.stdout + level.stderr
    assert "0 groups decided (keep the best" in level.stdout, level.stdout
    # A group left for you exits 1, as set-aside --all does (it exited 0).
    assert level.returncode == 1 and f"left for you: group {group['id']}" in level.stdout
    shown = mediakeeper(home, "decide", "dupes", group["id"])
    assert "cannot tell which is best: its spectrum cannot tell" in shown.stdout, shown.stdout
    numbered = next(line for line in shown.stdout.splitlines() if str(genuine) in line
                    and "instead" in line)  # fmt: skip
    choice = numbered.split(")")[0].strip()
    taken = mediakeeper(home, "decide", "dupes", group["id"], "--choose", choice)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert genuine.exists() and not fake.exists()
