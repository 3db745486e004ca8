"""The faces an install may leave out. ``pip install mediakeeper`` runs the batches and
writes the reports; each face's libraries come with its extra, so a user who never serves a
page installs no web server. A command whose face is missing says which extra to install."""

from __future__ import annotations

import importlib

from mediakeeper.core.errors import MediakeeperError

# extra -> the modules it brings that the face imports (what pyproject.toml's extra installs)
EXTRAS: dict[str, tuple[str, ...]] = {
    "web": ("starlette", "uvicorn", "sse_starlette", "anyio", "prometheus_client"),
    "watch": ("watchfiles",),
    "alerts": ("apprise",),
    "cluster": ("distributed",),
}


class MissingExtra(MediakeeperError):
    """A face's libraries are not installed."""


def require(extra: str, what: str) -> None:
    """Raise :class:`MissingExtra` naming the extra to install when any of its modules is
    missing; ``what`` is the thing that needs it ("mediakeeper serve")."""
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError:
            raise MissingExtra(
                f"{what} needs the {extra} extra ({module} is not installed)",
                f"pip install 'mediakeeper[{extra}]'",
            ) from None
