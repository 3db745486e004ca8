"""One web client per data home and process, made on first use.

SQLite handles and HTTP connections must never cross a fork: each worker process builds its
own. This module imports nothing of the web stack, so a job can hold it from the start.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from mediakeeper.core.config import Settings

Client = TypeVar("Client")
_clients: dict[tuple[Any, Any, int], Any] = {}


def per_process(make: Callable[[Settings], Client], settings: Settings) -> Client:
    """``make(settings)``, once per data home and process."""
    key = (make, settings.home, os.getpid())
    if key not in _clients:
        _clients[key] = make(settings)
    return _clients[key]
