"""Crash-safe file writes: a reader sees the old file or the new one, never a mix."""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from mediakeeper.fs.names import fitted, free_by_serial
from mediakeeper.system.interrupts import critical
from mediakeeper.system.linux import start_writeback


@contextlib.contextmanager
def naming(path: Path | str) -> Iterator[None]:
    """An OSError raised inside names ``path`` when it names no file: a write to an open
    file does not, and "No space left on device" alone does not say which file was lost."""
    try:
        yield
    except OSError as err:
        if err.filename is None:
            raise OSError(err.errno, err.strerror or str(err), str(path)) from err
        raise


def fsync_dir(directory: Path | str) -> None:
    """Make a rename inside ``directory`` durable (a no-op where directories can't be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def flush_files(fds: Sequence[int], paths: Sequence[Path] = (), *, data_only: bool = False) -> None:
    """Make several open files' data durable, and the files at ``paths`` (opened here, and
    closed again whatever happens). Each one's writeback is started first, so the fsyncs that
    follow wait for writes already on their way and one journal commit can cover them all,
    instead of one commit per file. Where that call is missing, they are simply fsynced one
    by one. ``data_only``: their bytes and what reading them back needs (a size grown), not
    their times (``fdatasync``), for files only the toolkit reads. An OSError about a
    file at ``paths`` names it (``filename``); one about ``fds`` names none."""
    flush = os.fdatasync if data_only else os.fsync
    opened: list[int] = []
    try:
        for path in paths:
            opened.append(os.open(path, os.O_RDONLY | os.O_CLOEXEC))
        for fd in (*opened, *fds):
            start_writeback(fd)
        for path, fd in zip(paths, opened, strict=True):
            try:
                flush(fd)
            except OSError as err:
                raise OSError(err.errno, err.strerror, str(path)) from err
        for fd in fds:
            flush(fd)
    finally:
        for fd in opened:
            os.close(fd)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """``os.write`` until every byte is written (one call may write only part)."""
    # Released however it ends: a view left to a traceback would keep ``data``'s owner (a
    # BytesIO) from being resized or closed, and hide the OSError behind a BufferError.
    with memoryview(data) as view:
        done = 0
        while done < len(view):
            done += os.write(fd, view[done:])


def append_lines(path: Path, data: bytes, *, durable: bool) -> None:
    """Append whole lines to a file several processes append to, in one write (O_APPEND:
    theirs and ours never interleave). A file that ends inside a line (an append a kill or a
    full disk cut short) gets a newline first, so this one is read back whole; a spare empty
    line, should another writer end its line meanwhile, is passed over by the readers. A
    short write raises (ENOSPC): the tail is torn and the caller must know."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    try:
        append_to(fd, data, path)
        if durable:
            with naming(path):
                os.fdatasync(fd)
    finally:
        os.close(fd)


def append_to(fd: int, data: bytes, path: Path | str) -> None:
    """``append_lines``' one write, to ``fd`` (open with O_APPEND) of the file at ``path``."""
    with naming(path):
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        if os.write(fd, data) != len(data):
            raise OSError(errno.ENOSPC, "an append was cut short", str(path))


_SERIAL = itertools.count()
TEMP_ROOM = 24  # bytes a temp name adds to its prefix: "<pid>-<n>.tmp"


def create_temp(folder: Path, prefix: str, suffix: str, mode: int = 0o600) -> tuple[int, str]:
    """A new, empty file ``<prefix><pid>-<n><suffix>`` in ``folder`` (made if missing), open
    for reading and writing, with ``mode`` less the umask. Like ``tempfile.mkstemp``, without
    its random names and path checks, which cost more than creating the file."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    made = False
    while True:
        name = os.path.join(folder, f"{prefix}{os.getpid()}-{next(_SERIAL)}{suffix}")
        try:
            return os.open(name, flags, mode), name
        except FileExistsError:
            continue  # left by an earlier process that had this pid
        except FileNotFoundError:
            # Made once: a folder that is there and still makes no file (/proc, /sys) is the
            # caller's error to say, where trying again would spin for ever.
            if made:
                raise
            Path(folder).mkdir(parents=True, exist_ok=True)
            made = True


def atomic_write_bytes(
    path: Path | str, data: bytes | Iterable[bytes], *, durable: bool = True, mode: int = 0o666
) -> None:
    """Write ``data`` (bytes, or chunks: a file joined from parts is never held whole) to
    ``path`` via a temp file in the same folder and an atomic rename.
    The file gets ``mode`` less the umask; by default the mode any new file gets: reports and
    outputs are read by others (a shared home, a media server reading a movie's .nfo)."""
    path = Path(path)
    with naming(path), critical():  # a signal waits for the rename or the clean-up
        prefix = fitted(".", path.name, ".", room=TEMP_ROOM)  # within 255 bytes, as its name
        try:
            fd, tmp = create_temp(path.parent, prefix, ".tmp", mode)
        except OSError as err:  # the temp's name is ours: say the file that was asked for
            raise OSError(err.errno, err.strerror or str(err), str(path)) from err
        try:
            try:
                for chunk in (data,) if isinstance(data, bytes | bytearray) else data:
                    write_all(fd, chunk)
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.replace(tmp, path)
            except OSError as err:  # it names the temp first, ours: say the file asked for
                raise OSError(err.errno, err.strerror or str(err), str(path)) from err
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    if durable:
        fsync_dir(path.parent)


REPLACED = ".replaced-"  # <name>.replaced-<time>: a file as it was before a command replaced it


def replaced_stamp(folder: Path, second: str) -> str:
    """The time (``second``, as ``%Y%m%dT%H%M%S``) that copies kept in ``folder`` now are
    named by: never one an earlier copy there has (two within one second get -2, -3, ...)."""
    taken = {p.name.rsplit(REPLACED, 1)[1] for p in folder.glob(f"*{REPLACED}*")}
    return free_by_serial(second, taken.__contains__)


def keep_replaced(path: Path, stamp: str) -> Path:
    """Copy ``path`` beside itself as ``<name>.replaced-<stamp>``, atomically and with its
    permission bits (a settings file may hold a key), before a command replaces it."""
    kept = path.with_name(f"{path.name}{REPLACED}{stamp}")
    atomic_write_bytes(kept, path.read_bytes(), mode=os.stat(path).st_mode & 0o777)
    return kept


def holds(path: Path | str, data: bytes) -> bool:
    """Whether the file at ``path`` (not a link) holds exactly ``data``: read to compare,
    which costs less than a rewrite (on ext4 without a journal, creating the temp file alone
    costs more than reading the file back, and each rewrite frees an inode that makes the
    next creations slower still: docs/performance.md). A file that cannot be read does not."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if os.fstat(fd).st_size != len(data):
            return False
        with memoryview(data) as view:
            done = 0
            while done < len(view):
                chunk = os.read(fd, min(len(view) - done, 1 << 20))
                if not chunk or chunk != view[done : done + len(chunk)]:
                    return False
                done += len(chunk)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def write_if_changed(path: Path | str, data: bytes, *, durable: bool = True) -> bool:
    """``atomic_write_bytes`` unless the file holds ``data`` already (``holds``): whether it
    was written. A file left as it is and asked ``durable`` is flushed as it stands, so the
    promise is the same either way: on return, ``data`` is on disk under ``path``."""
    if not holds(path, data):
        atomic_write_bytes(path, data, durable=durable)
        return True
    if durable:
        flush_files((), [Path(path)])
        fsync_dir(Path(path).parent)
    return False


def encode_text(text: str) -> bytes:
    """UTF-8, with undecodable file-name bytes (lone surrogates, as Python reads non-UTF-8
    names) written as ``\\udcXX``: a valid JSON escape that reads back to the same name."""
    return text.encode("utf-8", "backslashreplace")


def atomic_write_text(path: Path | str, text: str, *, durable: bool = True) -> None:
    atomic_write_bytes(path, encode_text(text), durable=durable)
