"""The report pages the toolkit writes, served as they lie in the home: the weekly report
(``/reports/weekly``, this week's, and ``/status/reports/<file>``, every week's), every issue
report and its index (``/issues/<kind>/<file>``, page or Markdown; ``/issues/<kind>/`` leads
to the index), and an item's cover
(``/covers/<kind>?key=KEY``). So every link a report holds answers: the weekly report's
``../../issues/music/x.html`` and an issue page's index and Markdown links are the same
relative paths on the server as on disk.

A report's page is made when it is read (``fs.reports``): asked for ``issues/<kind>/x.html``,
the server answers the page of ``x.md`` beside it, made from it when missing or made from
other text, and kept on disk (``read_page``) for the next reader, the index's next links and a
browser's ``file://``. Since it makes any report's page asked for, every page it answers links
pages: a page on disk that links a report's Markdown, its page not made yet (the weekly
report, written as a batch ends), links its page here.

A path asked for is a name in a folder the home holds, never a path of the asker's making:
one part under ``issues/<kind>/`` (or ``status/reports/``), no dot-file, no separator, found
by listing that folder; a symlink leading out of the home is not followed. A report page is
sent with its own policy (its styles inline, no script) and never framed.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from mediakeeper.fs.reports import read_page
from mediakeeper.lookup.images import image_suffix
from mediakeeper.text.commands import tool_command
from mediakeeper.web.bodies import Name, Params, query
from mediakeeper.web.security import asked_page

REPORT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                 "frame-ancestors 'none'")  # fmt: skip
TYPES = {".html": "text/html", ".md": "text/markdown", ".json": "application/json",
         ".csv": "text/csv"}  # fmt: skip
_NAME = re.compile(r"^[^/\\\x00]{1,255}$")
COVERS = ("cover.jpg", "cover.png", "folder.jpg", "folder.png", "front.jpg", "front.png",
          "poster.jpg", "poster.png")  # a movie's poster (``--artwork``) is its cover
COVER_TYPES = {".jpg": "image/jpeg", ".png": "image/png"}
MOST_COVER = 20 * 1024 * 1024  # bytes: a bigger file is no cover the page shows


def weekly_report(home: Path) -> Path | None:
    """The latest week's report page the home holds: one a link leads out of the home to is
    none of its reports (``_inside``), here as at ``/status/reports/<file>``."""
    folder = home / "status" / "reports"
    found = sorted(folder.glob("*_weekly_progress.html"), reverse=True)
    return next((page for p in found if (page := _inside(folder, p.name))), None)


def no_weekly(home: Path) -> Markup:
    """What the page says, and ``/reports/weekly`` answers, before any weekly report is
    written: how one comes."""
    return Markup("No weekly report yet: a batch writes it as it ends, or <code>{}</code> "
                  "writes this week's now.").format(tool_command("report", home))


def _inside(folder: Path, name: str, *, folder_too: bool = False) -> Path | None:
    """``folder/name`` when ``name`` is one plain name of a file (or, ``folder_too``, a
    folder) there, inside ``folder`` once every link is followed; None otherwise."""
    if not _NAME.match(name) or name.startswith("."):
        return None
    try:
        resolved, root = (folder / name).resolve(strict=True), folder.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if resolved.parent != root or not (resolved.is_file() or (folder_too and resolved.is_dir())):
        return None
    return resolved


def report_of(home: Path, kind: str, slug: str) -> str:
    """The issue page of an item (its slug), relative to the server, or "" when it has no
    report (the page is made when asked for: ``issue``)."""
    found = _inside(home / "issues" / kind, f"{slug}.md") if kind else None
    return f"issues/{kind}/{found.stem}.html" if found else ""


def index_of(home: Path, kind: str) -> str:
    return report_of(home, kind, "index")


def cover_of(folder: str) -> Path | None:
    """The cover image the library keeps in an item's folder, if any."""
    if not folder:
        return None
    for name in COVERS:
        path = Path(folder) / name
        try:
            if path.is_file() and path.stat().st_size <= MOST_COVER:
                return path
        except OSError:
            continue
    return None


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": REPORT_POLICY, "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store"}  # fmt: skip


def _answer(path: Path) -> Response:
    media = TYPES[path.suffix]
    return FileResponse(path, media_type=f"{media}; charset=utf-8", headers=_headers())


def _missing(what: str) -> Response:
    page = f"<!doctype html><title>Not found</title><p>{what}</p>"
    return HTMLResponse(page, status_code=404, headers=_headers())


def _signed_out(request: Request) -> Response | None:
    """Without the token: to the sign-in form, which leads back here once it is given."""
    if request.scope.get("signed_in") is False:
        then = urlencode({"then": asked_page(request.scope)})
        return RedirectResponse(f"{request.app.state.web.base_path}/login?{then}",
                                status_code=303)  # fmt: skip
    return None


async def weekly(request: Request) -> Response:
    """This week's report, answered here with a ``<base>`` of where it lies
    (``status/reports/``), so its relative links lead where they lead on disk."""
    if answer := _signed_out(request):
        return answer
    web = request.app.state.web
    html = await run_in_threadpool(_weekly_page, web.home)
    if html is None:  # asked by its address: the page links the overview's word instead
        return _missing(await run_in_threadpool(no_weekly, web.home))
    base = f'<base href="{escape(web.base_path)}/status/reports/">'
    html = html.replace("<head>", "<head>\n" + base, 1)
    return HTMLResponse(html, headers=_headers())


def _weekly_page(home: Path) -> str | None:
    """This week's report page as served (``_pages_linked``), or None before any."""
    found = weekly_report(home)
    return _pages_linked(found.read_text(encoding="utf-8", errors="replace")) if found else None


# A weekly report's link to an issue report's Markdown, where its page was not made.
_REPORT_LINK = re.compile(r'href="(\.\./\.\./issues/[^/"]+/[^/"]+)\.md"')


def _pages_linked(html: str) -> str:
    """A weekly report's page as served: its links to reports' Markdown lead to their pages,
    which ``issue`` makes when asked for."""
    return _REPORT_LINK.sub(r'href="\1.html"', html)


async def report(request: Request) -> Response:
    if answer := _signed_out(request):
        return answer
    folder, name = request.app.state.web.home / "status" / "reports", request.path_params["name"]
    found = await run_in_threadpool(_inside, folder, name)
    if not found or found.suffix not in TYPES:
        return _missing("No such report.")
    if found.suffix != ".html":
        return _answer(found)
    html = await run_in_threadpool(found.read_text, encoding="utf-8", errors="replace")
    return HTMLResponse(_pages_linked(html), headers=_headers())


async def issue(request: Request) -> Response:
    if answer := _signed_out(request):
        return answer
    home, name = request.app.state.web.home, request.path_params["name"]
    html, found = await run_in_threadpool(_issue_page, home, request.path_params["kind"], name)
    if html is not None:
        return HTMLResponse(html, headers=_headers())
    return _answer(found) if found and found.suffix in TYPES else _missing("No such report.")


def _issue_page(home: Path, kind: str, name: str) -> tuple[str | None, Path | None]:
    """An issue report asked by name: a report's page (made from its Markdown), else the
    file of that name the kind's folder holds (or None: no such report)."""
    folder = _inside(home / "issues", kind, folder_too=True)
    if folder and name.endswith(".html"):  # a report's page: made from its Markdown
        source = _inside(folder, name.removesuffix(".html") + ".md")
        if source and (html := read_page(source)) is not None:
            return html, None
    return None, _inside(folder, name) if folder else None


async def issue_index(request: Request) -> Response:
    """``/issues/<kind>/`` or ``/issues/<kind>`` (as a person types it, or goes up from a
    report): its index."""
    if answer := _signed_out(request):
        return answer
    web = request.app.state.web
    folder = await run_in_threadpool(_index_folder, web.home, request.path_params["kind"])
    if folder is None:
        return _missing("No issue reports of that kind yet: a batch writes them.")
    return RedirectResponse(f"{web.base_path}/issues/{folder.name}/index.html", status_code=302)


def _index_folder(home: Path, kind: str) -> Path | None:
    """The folder of a kind's issue reports, when it holds their index."""
    folder = _inside(home / "issues", kind, folder_too=True)
    return folder if folder and _inside(folder, "index.md") else None


class CoverAsked(Params):
    """``/covers/{kind}``'s query: the item whose cover."""

    key: Name = ""


def cover_image(path: Path | None) -> tuple[bytes, str] | None:
    """The bytes of the cover at ``path`` and their media type, when they are a JPEG or a PNG
    (whatever its name says) of at most ``MOST_COVER`` bytes; None otherwise. A ``cover.jpg``
    that is a link to another file (an archive can carry one to ``~/.ssh/id_rsa``) is sent
    only if that file is an image: read once, so what was checked is what is sent."""
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            data = f.read(MOST_COVER + 1)
    except OSError:
        return None
    kind = image_suffix(data[:16])
    if len(data) > MOST_COVER or kind not in COVER_TYPES:
        return None
    return data, COVER_TYPES[kind]


async def cover(request: Request) -> Response:
    """An item's cover, found in the folder its queue records for it (never a path the
    asker gives)."""
    if answer := _signed_out(request):
        return answer
    web, kind = request.app.state.web, request.path_params["kind"]
    key = query(request, CoverAsked).key
    follow = web.follower.queues.get(kind)
    entry = follow.entries.get(key) if follow else None
    # Found and read in a thread: the library's folder may be a slow disk or a share.
    found = await run_in_threadpool(lambda: cover_image(cover_of(entry.path))) if entry else None
    if found is None:
        return Response(status_code=404)
    data, media_type = found
    return Response(data, media_type=media_type,
                    headers={"Cache-Control": "max-age=300",
                             "X-Content-Type-Options": "nosniff"})  # fmt: skip


ROUTES = [
    Route("/reports/weekly", weekly),
    Route("/status/reports/{name}", report),
    Route("/issues/{kind}/", issue_index),
    Route("/issues/{kind}", issue_index),  # (Starlette's own redirect to the slash is a 307)
    Route("/issues/{kind}/{name}", issue),
    Route("/covers/{kind}", cover),
]
