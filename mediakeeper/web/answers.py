"""The server's JSON answers: Starlette's ``JSONResponse``, but for a name that is not UTF-8
(a folder whose bytes were written in Latin-1), which Starlette's cannot encode (a 500 for
the whole answer): its undecodable bytes, and its hidden controls, are sent as JSON's own
escapes (``"\\udcf6"``), as the command line's ``--json`` sends them
(``text.visible.json_document``), which a reader gives back as the name."""

from __future__ import annotations

from typing import Any

from starlette import responses

from mediakeeper.text.visible import json_document


def sent(content: Any, **options: Any) -> bytes:
    """``content`` as JSON in UTF-8, whatever names it holds."""
    return json_document(content, **options).encode("utf-8")


class JSONResponse(responses.JSONResponse):
    def render(self, content: Any) -> bytes:
        return sent(content, allow_nan=False, separators=(",", ":"))
