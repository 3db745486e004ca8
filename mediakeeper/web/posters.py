"""``/decisions/{id}/posters/{tmdb_id}``: the poster of one TMDb candidate of an open movie
decision, served from here (the page's policy allows its own images only), fetched and
cached by ``movies.posters``.

The route fetches nothing a request names: the decision must be open and offer that
candidate, and the path fetched is the one its candidate records. Whatever goes wrong, the
answer is still a picture (``static/no-poster.svg``) beside its status, 404 for a poster no
open decision names and 502 for one that could not be had, so an ``<img>`` shows a
placeholder and the page is never broken by it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mediakeeper.core.errors import MediakeeperError
from mediakeeper.decisions import engine
from mediakeeper.movies.posters import Posters

PLACEHOLDER = (Path(__file__).parent / "static" / "no-poster.svg").read_bytes()
TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp"}
_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"}


def posters_of(web) -> Posters:
    if web.posters is None:
        web.posters = Posters(web.settings)
    return web.posters


def candidate_poster(home, decision_id: str, tmdb_id: int) -> str | None:
    """The poster path the open decision ``decision_id`` records for its candidate
    ``tmdb_id``; None when no open decision offers that candidate with a poster."""
    try:
        shown = engine.explain(home, decision_id)
    except MediakeeperError:  # no decision id, or one no longer open
        return None
    if shown.get("kind") != "movies":
        return None
    candidates = (shown.get("details") or {}).get("candidates") or []
    return next((c.get("poster_path") for c in candidates if c.get("id") == tmdb_id), None)


def _placeholder(status: int) -> Response:
    return Response(PLACEHOLDER, status_code=status, media_type="image/svg+xml",
                    headers={**_HEADERS, "Cache-Control": "no-store"})  # fmt: skip


async def poster(request: Request) -> Response:
    web = request.app.state.web
    if request.scope.get("signed_in") is False:
        return Response(status_code=401)
    decision_id, tmdb_id = request.path_params["id"], request.path_params["tmdb_id"]
    path = await asyncio.to_thread(candidate_poster, web.home, decision_id, tmdb_id)
    if not path:
        return _placeholder(404)
    try:
        data, suffix = await asyncio.to_thread(posters_of(web).fetch, path)
    except MediakeeperError:  # unreachable, refused, no whole image: the placeholder says it
        return _placeholder(502)
    return Response(data, media_type=TYPES[suffix],
                    headers={**_HEADERS, "Cache-Control": "private, max-age=86400"})  # fmt: skip


ROUTES = [Route("/decisions/{id}/posters/{tmdb_id:int}", poster)]
