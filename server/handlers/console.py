"""The operators' web console: static HTML, CSS and JavaScript from `server/console/`, no build step."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file, redirect

from server.errors import ApiError

bp = Blueprint("console")

ROOT = Path(__file__).resolve().parent.parent / "console"
# The page loads only its own files: no inline script, nothing from elsewhere.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@bp.get("/console")
async def console_page(request: Request) -> HTTPResponse:
    return await file(ROOT / "index.html", mime_type="text/html; charset=utf-8", headers=HEADERS)


@bp.get("/console/<name:path>")
async def console_file(request: Request, name: str) -> HTTPResponse:
    """A file of the console; anything outside `server/console/` or missing is a 404."""
    if name in ("", "index.html"):
        return redirect("/console")
    path = (ROOT / name).resolve()
    if not path.is_relative_to(ROOT) or not path.is_file():
        raise ApiError(404, "not_found", "No such console file.")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if mime.startswith("text/") or mime in ("application/javascript", "text/javascript"):
        mime += "; charset=utf-8"
    return await file(path, mime_type=mime, headers=HEADERS)
