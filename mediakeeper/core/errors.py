"""The toolkit's small error tree.

Every error a user can cause carries a one-line message and, where there is one, the fix.
Only the command line turns these into exit codes; the library just raises them.
"""

from __future__ import annotations

import reprlib
from typing import Any

# A value a file or a person gave, in a one-line message: a hand edit may put a megabyte of
# text, or lists nested thousands deep, where a name belongs, and a YAML file of 500 bytes
# holds, through its aliases, a list of 387 million texts. Two levels are said, each of a few
# entries; the rest is "...", never walked.
_SAID = reprlib.Repr()
_SAID.maxlevel, _SAID.maxstring, _SAID.maxother = 2, 200, 80


def said(value: Any) -> str:
    """``value``'s repr, short: what an error's message says it was given."""
    return _SAID.repr(value)


class MediakeeperError(Exception):
    """Something the user can act on. ``str(err)`` is the one-line message."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def lines(self) -> list[str]:
        """The message as a terminal says it, a line each: one, whatever a name in it holds
        (a line feed in a folder's name included); an error that lists several problems
        (a pipeline file's) says one a line."""
        return [str(self)]


class ConfigError(MediakeeperError):
    """Bad settings: malformed TOML, unknown key, wrong type."""


class UsageError(ConfigError):
    """Options that do not go together (``--enrich`` offline): the command line says it as
    a usage error, with the command's usage line."""


class NoDataHome(ConfigError):
    """A command that reads a data home was given a folder that is none (a mistyped --home)."""


class QueueError(MediakeeperError):
    """The queue file is missing, unreadable or invalid."""


class QueueMissing(QueueError):
    pass


class CheckpointMissing(QueueError):
    """No checkpoint by that name: the command line names the listing of the form typed."""


class QueueCorrupt(QueueError):
    pass


class BatchRunning(QueueError):
    """A change asked for while a batch works on what it would change: the whole queue, or
    the session whose changes an undo would take back."""

    exit_code = 1


class AlreadyRunning(MediakeeperError):
    """A second process asked for where one per data home may run (a scrub)."""

    exit_code = 1


class WatcherRunning(AlreadyRunning):
    """A second watcher asked for on a data home another one watches already."""


class LibraryError(MediakeeperError):
    """A library path that does not exist, is not a folder, or cannot be read."""


class NotFound(MediakeeperError):
    """A name (an item, a session, a file a session ran) that matches nothing: the person's
    to mend, so a usage error (exit 2) on the command line; a 404 over HTTP."""

    exit_code = 2


class TransitionError(RuntimeError):
    """An illegal status change: always a bug in the caller, never user input."""


class FileError(MediakeeperError):
    """A user's file that could not be read or was left alone; knows its path. ``code``: the
    finding code a person sees it under, when it is one of its own (a read-only file).
    ``touched``: a write failed after it had begun to change the file (the next command
    completes it, or the changed original was kept beside it), so the change may stand."""

    def __init__(self, path: str, message: str, code: str | None = None):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.reason = message  # without the path, for a line that names the file already
        self.code = code
        self.touched = False


class AudioError(FileError):
    """A file mutagen cannot read or write."""


class LookupFailed(MediakeeperError):
    """A web lookup that did not produce an answer.

    ``network`` is True when the service could not be reached, timed out, or kept answering
    429/5xx after every retry (worth trying again later); False when it answered and the
    answer was "no" (4xx, or a body that is not what the service sends). ``status`` is the
    final HTTP status, when there was one; ``body`` the start of a refusal's body (a service
    that says why in it, as AcoustID does); ``asked_to_wait`` the seconds the service asked
    to be left alone for, where longer than a lookup waits (a Retry-After of an hour: the
    lookup failed at once, as the network's).

    The message is what a person reads: the service and what went wrong, never the request's
    address (it holds the person's query: an artist's name, a title, a fingerprint). ``why``
    is what went wrong in a few words, without the service (``Connection refused``), for a
    line that names the service itself (``unreachable``); a message that is its own reason
    is its ``why`` too. ``address``: the request's, secrets redacted, for the debug log only.
    """

    def __init__(
        self,
        message: str,
        network: bool,
        status: int | None = None,
        hint: str | None = None,
        *,
        why: str | None = None,
        address: str = "",
        body: bytes = b"",
        asked_to_wait: float | None = None,
    ):
        super().__init__(message, hint)
        self.network = network
        self.status = status
        self.why = why or message
        self.address = address
        self.body = body
        self.asked_to_wait = asked_to_wait

    @classmethod
    def of(cls, service: str, why: str, *, network: bool, **more: Any) -> LookupFailed:
        """``service``'s failure, said as every face says it: out of reach, ``unreachable``;
        else what it answered ("MusicBrainz answered HTTP 400 Bad Request")."""
        message = unreachable(service, why) if network else f"{service} answered {why}"
        return cls(message, network, why=why, **more)


def unreachable(service: str, why: str = "") -> str:
    """A service out of reach, as every line says it: "MusicBrainz unreachable (Connection
    refused)": its name and why, never the request's address."""
    return f"{service} unreachable ({why})" if why else f"{service} unreachable"
