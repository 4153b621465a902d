"""Headers on every response: `nosniff` always; `no-store` on API answers unless the route set its own.

API answers carry tokens, profiles, transcripts and progress: no browser, proxy or app cache keeps
them. Routes whose content is public and versioned (the bundle guides, with their ETag) say how
they may be cached and are left alone.
"""

from __future__ import annotations

from sanic import HTTPResponse, Request, Sanic


async def _add_headers(request: Request, response: HTTPResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith("/api/") and "cache-control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"


def install_response_headers(app: Sanic) -> None:
    app.on_response(_add_headers)
