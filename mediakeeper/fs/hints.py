"""Telling the kernel that a file's bytes will be read soon (``posix_fadvise(WILLNEED)``), so
that the disk fetches them while the program does other work. A hint changes no byte, moves
nothing into the process and touches no access time; a file it cannot open is passed over.
Its user: the batch's read-ahead (``fs/readahead.py``: the ends of the next items' files)."""

from __future__ import annotations

import os

from mediakeeper.system.linux import cached_pages

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def will_need(path: str | bytes, head: int = 0, tail: int = 0) -> bool:
    """Hint ``path``'s first ``head`` and last ``tail`` bytes (``head`` 0: the whole file);
    links are not followed, and a file another program holds a lease on is skipped, not
    waited for (``O_NONBLOCK``). Whether the hint was given."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        os.posix_fadvise(fd, 0, head, os.POSIX_FADV_WILLNEED)
        if head and tail:
            size = os.fstat(fd).st_size
            if size > head:
                start = max(head, size - tail)
                os.posix_fadvise(fd, start, size - start, os.POSIX_FADV_WILLNEED)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def in_memory(path: str | bytes, head: int) -> bool:
    """Whether ``path``'s first ``head`` bytes (or all of a shorter file) are in the page
    cache already, asked of the kernel without reading them (``cachestat``); False where it
    cannot tell, or the file cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        pages = cached_pages(fd, 0, head)
        if not pages:
            return False
        size = os.fstat(fd).st_size
        return pages >= -(-min(size, head) // PAGE)
    except OSError:
        return False
    finally:
        os.close(fd)
