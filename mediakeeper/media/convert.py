"""The ``convert`` processor: one audio file in, one file of a profile's format out.

The encode goes to a temporary name beside the output; the file is flushed, verified (it
decodes, its decoded length matches the source's within ``TOLERANCE``, and its own header
says what it decodes to: ``headers``), given its tags and cover by the toolkit (``tags`` for
the tag table, ``carry`` for the rest: ffmpeg's own metadata mapping drops MusicBrainz and
ReplayGain tags in MP4 and fails on a cover in Opus), and only then renamed to its name. A
kill at any instant leaves the output name absent or whole. A source is verified as it is
carried (``integrity``: decode errors, a FLAC's MD5, a length short of its header's; for an
encode, from the encode's own decode): a damaged track is never passed on as healthy, it
fails with the file and where it fails named. Pure: it touches nothing but its output and
returns what it did.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import mutagen

from mediakeeper import tags
from mediakeeper.core.errors import AudioError
from mediakeeper.fs.atomic import flush_files
from mediakeeper.fs.names import beside, cut_to_fit
from mediakeeper.fs.workdir import PARTIAL, copy_verified
from mediakeeper.fs.write_errors import FULL, OutOfSpace, mount_point
from mediakeeper.media import carry, ffmpeg, headers, integrity
from mediakeeper.media.albums import LOSSY_EXTENSIONS

TOLERANCE = 0.1  # seconds a verified output's length may differ from its source's

# Not carried into a portable library of audio: a music video is a player's and a phone's
# burden there, and a library of movies is another kind's.
VIDEO_EXTENSIONS = frozenset(
    {".mkv", ".mp4", ".m4v", ".avi", ".mov", ".webm", ".wmv", ".mpg", ".mpeg", ".ts", ".flv"}
)


@dataclass(frozen=True)
class Profile:
    name: str
    extension: str
    muxer: str
    codec: tuple[str, ...]
    lossy: bool
    kbps: int  # for the space estimate; 0: lossless (about the source's size)


# A portable player's AAC decoder takes 48 kHz at most (an iPod's, a car's), and a 96 kHz
# AAC spends its bits above hearing: a higher rate goes to the nearest of these, a rate
# among them is kept. (LAME keeps to 48 kHz itself; Opus is always 48 kHz.)
PORTABLE_RATES = ("-af", "aformat=sample_rates=" + "|".join(
    map(str, (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000))))

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "opus", ".opus", "opus", ("-c:a", "libopus", "-b:a", "128k", "-vbr", "on"), True, 128
        ),
        Profile("aac", ".m4a", "ipod", ("-c:a", "aac", "-b:a", "256k", *PORTABLE_RATES), True, 256),
        Profile("mp3", ".mp3", "mp3", ("-c:a", "libmp3lame", "-q:a", "2"), True, 190),
        Profile("flac", ".flac", "flac", ("-c:a", "flac", "-compression_level", "5"), False, 0),
        Profile("alac", ".m4a", "ipod", ("-c:a", "alac"), False, 0),
    )
}


class ConvertFailed(Exception):
    """One track could not be converted; ``message`` says why (ffmpeg's own last line)."""

    def __init__(self, message: str, *, retry: bool = False, said: str = ""):
        super().__init__(message)
        self.message = message
        self.retry = retry  # worth another try (ffmpeg failed, not the source)
        self.said = said  # all ffmpeg wrote on stderr (a full disk's line is not its last)


class DamagedSource(ConvertFailed):
    """The source itself is damaged (``integrity``): never carried on as healthy."""


@dataclass
class Converted:
    source: str
    output: str
    action: str  # "encoded" | "copied" (a lossy source kept as it is)
    source_bytes: int
    output_bytes: int
    source_seconds: float
    output_seconds: float
    tags: list[str] = field(default_factory=list)  # logical tags written
    extra_tags: list[str] = field(default_factory=list)  # other fields carried
    cover: bool = False  # a picture carried
    note: str = ""  # why a source was left out ("left-out": damaged, by the settings)
    pictures: int = 0  # the pictures carried (a front and a back cover: 2)
    not_carried: list[str] = field(default_factory=list)  # what the target could not hold
    source_sha256: str = ""  # the source's bytes encoded (an encode only)
    made_with: str = ""  # how (``made_with``): an earlier output is kept only if the same
    unchanged: bool = False  # an earlier output of the same source kept, not encoded again


CD_BYTES_PER_SECOND = 176_400  # an uncompressed source of unknown length: 16-bit stereo


def header_seconds(path: Path, size: int) -> float:
    """A file's length from its header (mutagen), or from its size as CD audio: for space
    estimates, before anything is decoded."""
    try:
        audio = mutagen.File(path)
    except Exception:  # unreadable header: the encode says what is wrong with the file
        audio = None
    length = getattr(getattr(audio, "info", None), "length", 0) or 0
    return float(length) or size / CD_BYTES_PER_SECOND


def estimated_bytes(seconds: float, size: int, profile: Profile) -> int:
    """Bytes one encoded track will take, on the generous side."""
    if profile.lossy:
        return int(seconds * profile.kbps * 1000 / 8 * 1.1) + 65_536
    return int(size * 1.15) + 65_536  # ALAC runs a little larger than FLAC


def is_video(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in VIDEO_EXTENSIONS


def verify_source(exe: str, source: Path) -> None:
    """ConvertFailed (not worth a retry: the file is what it is) unless ``source`` decodes
    whole, to the MD5 and length its header gives: for a source copied as it is."""
    _refuse_damaged(source, integrity.check(exe, source, analyse=False))


def _refuse_damaged(source: Path, found: integrity.Check) -> None:
    if found.damaged:
        raise DamagedSource(f"{source.name}: {found.why()}; replace it from a good copy")


def is_lossy(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in LOSSY_EXTENSIONS:
        return True
    if suffix == ".m4a":
        try:
            return not tags.read(path).lossless
        except AudioError:
            return False
    return False


def output_name(source: Path, profile: Profile, *, copy: bool) -> str:
    return source.name if copy else cut_to_fit(source.stem, profile.extension)


def encode_args(source: Path, temp: Path, profile: Profile) -> list[str]:
    """ffmpeg's arguments for one track: the first audio stream only, no metadata or
    pictures from ffmpeg (the toolkit writes them); bit-exact, so one source always gives
    the same bytes (no random Ogg serial, no muxing time): a resumed run ends as an
    uninterrupted one would have. The source's frames checked as they are decoded
    (``integrity.decoding``)."""
    return [
        *integrity.decoding(source), "-i", os.fspath(source), "-map", "0:a:0",
        "-map_metadata", "-1", "-map_chapters", "-1", *profile.codec, "-fflags", "+bitexact",
        "-f", profile.muxer, "-y", os.fspath(temp),
    ]  # fmt: skip


def checked_encode_args(
    source: Path, temp: Path, profile: Profile, header: integrity.Header
) -> list[str]:
    """The encode, with the source's checks (``integrity.outputs``) fed by the same decode:
    verifying a source costs no second decode."""
    checks = integrity.outputs(source, header, analyse=False)
    return ["-loglevel", "level+info", *encode_args(source, temp, profile), *checks]


def encode_command(exe: str, source: Path, output: Path, profile: Profile) -> list[str]:
    """The exact command a conversion runs (a dry run prints it)."""
    header = integrity.read_header(source)
    return ffmpeg.command(exe, checked_encode_args(source, _temp(output), profile, header))


def _temp(output: Path) -> Path:
    return beside(output, PARTIAL)


def convert(
    exe: str, source: Path, output: Path, profile: Profile, *, retries: int = 1
) -> Converted:
    """Encode ``source`` into ``output`` (absent until it is whole and verified)."""
    temp = _temp(output)
    attempts = retries + 1
    try:
        for attempt in range(attempts):
            try:
                return _convert_once(exe, source, output, temp, profile)
            except ConvertFailed as failure:
                if not failure.retry or attempt == attempts - 1:
                    raise
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    raise AssertionError("unreachable")


FULL_BELOW = 1 << 20  # bytes free under which a failed encode's volume counts as full


class EncodeDiskFull(ConvertFailed, OutOfSpace):
    """An encode whose volume filled: the batch's failure, not the track's."""


def _disk_full(output: Path, temp: Path, said: str = "") -> ConvertFailed | None:
    """A failed encode whose volume filled ("No space left on device" anywhere in what
    ffmpeg ``said``, or under 1 MB left): said as a full disk, naming the person's file and
    the volume, not as the truncated file's failure to decode. None otherwise."""
    try:
        stat = os.statvfs(temp.parent)
        nearly = stat.f_bavail * stat.f_frsize < FULL_BELOW
    except OSError:
        nearly = False
    if "No space left on device" not in said and not nearly:
        return None
    return EncodeDiskFull(f"{output.name}: disk full: no space left on the file system mounted "
                         f"at {mount_point(os.fspath(temp))}; free some space there and run "
                         "this again")  # fmt: skip


def _convert_once(exe: str, source: Path, output: Path, temp: Path, profile: Profile) -> Converted:
    try:
        return _encode_verified(exe, source, output, temp, profile)
    except DamagedSource:
        raise  # the source's own fault, whatever room is left
    except ConvertFailed as failure:
        raise _disk_full(output, temp, failure.said) or failure from None
    except OSError as err:  # tagging the encode, or flushing it
        if err.errno in FULL:
            raise _disk_full(output, temp, "No space left on device") from None
        raise


def _encode_verified(exe: str, source: Path, output: Path, temp: Path, profile: Profile
                     ) -> Converted:  # fmt: skip
    header = integrity.read_header(source)
    run = ffmpeg.run(exe, checked_encode_args(source, temp, profile, header))
    found = integrity.reading(exe, source, header, run)
    if run.returncode != 0 and not found.errors:
        # No error of the source's, nothing decoded: the output's side failed first (its
        # folder gone, a full disk), or the source does not open. Reading it alone tells.
        _refuse_damaged(source, integrity.check(exe, source, analyse=False))
    elif found.harmed:
        _refuse_damaged(source, found)
    if run.returncode != 0:
        why = run.last_error or f"ffmpeg exited with {run.returncode}"
        why = why.replace(os.fspath(temp), os.fspath(output))  # the name a person knows
        raise ConvertFailed(f"{source.name}: {why}", retry=True, said=run.stderr)
    flush_files((), [temp])
    source_seconds = found.seconds
    output_seconds = verified_length(exe, temp, output, source_seconds, run.stderr)
    written, carried = _tag(source, temp, output.name)
    flush_files((), [temp])
    os.replace(temp, output)
    return Converted(
        source=source.name,
        output=output.name,
        action="encoded",
        source_bytes=source.stat().st_size,
        output_bytes=output.stat().st_size,
        source_seconds=round(source_seconds, 3),
        output_seconds=round(output_seconds, 3),
        tags=written,
        extra_tags=carried.fields,
        cover=bool(carried.pictures),
        pictures=carried.pictures,
        not_carried=carried.not_carried,
    )


def verified_length(exe: str, temp: Path, output: Path, source_seconds: float,
                    said: str = "") -> float:  # fmt: skip
    """The length of the encode at ``temp`` (to be renamed ``output``) once it decodes whole,
    its header says what it decodes to, and it lasts as its source within ``TOLERANCE``;
    ConvertFailed (worth a retry) otherwise. ``said``: what the encoder wrote."""
    try:
        output_seconds = headers.decoded_truly(exe, temp)
    except ffmpeg.FFmpegFailed as err:
        raise ConvertFailed(f"{output.name} does not decode: {err}", retry=True,
                            said=said) from None  # fmt: skip
    except headers.UntrueHeader as err:
        raise ConvertFailed(str(err).replace(temp.name, output.name), retry=True,
                            said=said) from None  # fmt: skip
    if abs(output_seconds - source_seconds) > TOLERANCE:
        raise ConvertFailed(
            f"{output.name} lasts {output_seconds:.2f} s, its source {source_seconds:.2f} s",
            retry=True,
            said=said,
        )
    return output_seconds


def convert_sent(exe: str, inputs: Path, outputs: Path, *, source: str, output: str,
                 profile: str) -> dict:  # fmt: skip
    """``convert`` as a cluster's worker runs it (``batch/cluster_steps``): the track sent
    into ``inputs``, its encode into ``outputs``."""
    return asdict(convert(exe, inputs / source, outputs / output, PROFILES[profile]))


def place_received(exe: str, data: bytes, output: Path, made: dict) -> Converted:
    """An encode made elsewhere (a cluster's worker: ``made`` is its ``Converted``), written
    to a temporary name, verified here as an encode made here is (``verified_length``), then
    renamed to ``output``: absent until whole and verified."""
    temp = _temp(output)
    try:
        with open(temp, "wb") as file:
            file.write(data)
        flush_files((), [temp])
        seconds = verified_length(exe, temp, output, made["source_seconds"])
        os.replace(temp, output)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    return Converted(**{**made, "output": output.name, "output_bytes": len(data),
                        "output_seconds": round(seconds, 3)})  # fmt: skip


def _tag(source: Path, target: Path, name: str) -> tuple[list[str], carry.Carried]:
    """The source's tags from the tag table, then every other field, picture and cue sheet."""
    try:
        values = dict(tags.read(source).tags)
    except AudioError:
        values = {}
    values = tags.storable(values, target)
    if values:
        tags.write(target, values)
    return sorted(values), carry.carry_rest(source, target, name)


# What an encode's bytes depend on besides its source's: the profile's muxer and codec, and
# what ``carry`` writes (raise CARRIED when it carries more: an earlier output lacks it).
CARRIED = 2  # 2: every picture and the cue sheet


def made_with(profile: Profile) -> str:
    return " ".join([profile.muxer, *profile.codec, f"carried-{CARRIED}"])


def keep_earlier(exe: str, earlier: Path, output: Path, made: dict, sha256: str) -> Converted:
    """An earlier output of the same source (``made``: its record, its bytes ``sha256`` as
    placed) copied to ``output`` and verified as an encode is (``verified_length``): absent
    until whole and verified. ConvertFailed where its bytes are not those placed, or it does
    not verify: the caller encodes the track instead."""
    temp = _temp(output)
    try:
        if copy_verified(earlier, temp).sha256 != sha256:
            raise ConvertFailed(f"{earlier} is no longer the file placed")
        seconds = verified_length(exe, temp, output, made["source_seconds"])
        os.replace(temp, output)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    known = {f.name for f in fields(Converted)}  # (a record may hold more: its SHA as placed)
    kept = {k: v for k, v in made.items() if k in known}
    return Converted(**{**kept, "output": output.name, "output_seconds": round(seconds, 3),
                        "unchanged": True})  # fmt: skip


def copy_track(source: Path, output: Path, seconds: float, exe: str = "") -> Converted:
    """A lossy source kept as it is (no second lossy generation), verified first."""
    verify_source(exe or ffmpeg.find(), source)
    copy_verified(source, output)
    size = output.stat().st_size
    return Converted(source.name, output.name, "copied", size, size, seconds, seconds)


def describe(profiles: Sequence[str] = tuple(PROFILES)) -> str:
    return ", ".join(profiles)
