"""The files a command's start reads, asked of the disk at its first instant.

From a cold page cache (the reference user runs a batch when they have a moment, days apart)
a batch's start reads about 400 files (compiled modules, extension modules, the libraries
they load) one at a time, as each import needs the next, and waits on the disk for each:
a cold empty batch takes about twice a warm one. So at the first line of a script
(``cli.startup``) a helper process is forked that tells the kernel every such file will be
needed (``posix_fadvise(WILLNEED)``: the reads are queued together and overlap the imports),
then ends. It is a grandchild that its parent leaves at once, so it is never the command's
child; Ctrl+C ends it with the command.

Which files: the list the set-up records (``make compile`` runs the music batch over an
empty library with ``MEDIAKEEPER_START_FILES=record``: at its end it writes the files it
loaded, in the order it loaded them). The list names this Python environment's files, so it
lives in that environment (``<sys.prefix>/share/mediakeeper/``), not in a data home. No list,
an old one, or files that are gone cost nothing but the hints left out. When the last file
of the list is in the page cache already (a read told not to wait succeeds), the cache is
warm and nothing is forked.

Imports nothing beyond ``os``, ``signal``, ``sys`` and ``fs.hints`` (which imports ``os``
alone): it runs before everything else.
"""

from __future__ import annotations

import os
import signal
import sys

from mediakeeper.fs.hints import will_need

SETTING = "MEDIAKEEPER_START_FILES"  # "record": write the list at exit; "off": no hints
LIST_SETTING = "MEDIAKEEPER_START_LIST"  # another list's path (a test's own)
_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def list_path() -> str:
    """Where this environment's list is (one per Python version: it names compiled files)."""
    if os.environ.get(LIST_SETTING):
        return os.environ[LIST_SETTING]
    tag = sys.implementation.cache_tag
    return os.path.join(sys.prefix, "share", "mediakeeper", f"start-files.{tag}.txt")


def hint_at_start() -> None:
    """Fork the helper that hints the listed files, unless there is nothing to gain."""
    if os.environ.get(SETTING) == "off" or not hasattr(os, "posix_fadvise"):
        return
    try:
        with open(list_path(), "rb") as listed:
            paths = listed.read().split(b"\n")
    except OSError:
        return  # no list: a set-up that has not recorded one
    paths = [path for path in paths if path]
    if paths and not _cached(paths[-1]):
        _fork_hinter(paths)


def _cached(path: bytes) -> bool:
    """Whether a file's first page is in the page cache: a read told not to wait for the disk
    succeeds. A file that is gone counts as cached (the list is out of date: hint nothing)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return True
    try:
        os.preadv(fd, [bytearray(1)], 0, os.RWF_NOWAIT)
        return True
    except BlockingIOError:
        return False
    except (OSError, AttributeError):  # no RWF_NOWAIT here: hint, as a cold cache would want
        return False
    finally:
        os.close(fd)


def _fork_hinter(paths: list[bytes]) -> None:
    # Signals are held across the forks: the helper then takes their default action (Ctrl+C
    # ends it), never the command's handler, and the command misses none.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        child = os.fork()
        if child == 0:
            try:
                if os.fork() == 0:
                    for sig in _SIGNALS:
                        signal.signal(sig, signal.SIG_DFL)
                    signal.pthread_sigmask(signal.SIG_SETMASK, held)
                    hint(paths)
            finally:
                os._exit(0)  # neither runs the command's exit handlers or flushes its output
        os.waitpid(child, 0)  # it ends as soon as it has forked
    except OSError:
        pass  # no process to spare: the start reads as it would have
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def hint(paths: list[bytes]) -> None:
    """Tell the kernel each file will be read whole, soon."""
    for path in paths:
        will_need(path)


def loaded_files() -> list[str]:
    """The files this process has loaded: the shared libraries it maps (needed throughout),
    then each imported module's compiled file (its source where it has none) or extension
    module, in the order they were first imported."""
    found: dict[str, None] = {}
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="surrogateescape") as maps:
            for line in maps:
                parts = line.split(maxsplit=5)
                if len(parts) == 6 and parts[5].startswith("/") and ".so" in parts[5]:
                    found.setdefault(parts[5].rstrip("\n"))
    except OSError:
        pass  # not Linux: the modules alone
    for module in list(sys.modules.values()):
        spec = getattr(module, "__spec__", None)
        if spec is None or not spec.has_location:
            continue
        for path in (spec.cached, spec.origin):
            if path and os.path.isfile(path):
                found.pop(path, None)  # an extension module: in import order, not the maps'
                found[path] = None
                break
    return list(found)


def record_at_exit() -> None:
    """With ``MEDIAKEEPER_START_FILES=record``: write the list when this process ends (not
    its forked workers, which end without exit handlers)."""
    if os.environ.get(SETTING) != "record":
        return
    import atexit

    me = os.getpid()
    atexit.register(lambda: os.getpid() == me and write_list(loaded_files()))


def write_list(files: list[str]) -> None:
    from mediakeeper.fs.atomic import atomic_write_text

    path = list_path()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    atomic_write_text(path, "".join(f"{file}\n" for file in files), durable=False)
