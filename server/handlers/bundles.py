"""Read-only bundle guides for clients, cacheable with ETag / If-None-Match."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, json

from server.bodies import parse_query
from server.clock import today
from server.errors import ApiError
from server.guide.knowledge import Knowledge, bundle_guide, bundle_summary

bp = Blueprint("bundles", url_prefix="/api/v1/bundles")


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["enterprise", "individual"] | None = None
    date: dt.date | None = None


class GuideQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date | None = None


def cached_json(request: Request, knowledge: Knowledge, key: str, build) -> HTTPResponse:
    """Answer 304 when the client's ETag matches the knowledge version and `key`; else the JSON."""
    etag = '"' + hashlib.sha256(f"{knowledge.version}|{key}".encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "X-Knowledge-Version": knowledge.version, "Cache-Control": "no-cache"}
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return empty(status=304, headers=headers)
    return json(build(), headers=headers)


def knowledge_with(request: Request, slug: str) -> Knowledge:
    """The served knowledge, after checking it has bundle `slug` (else a 404)."""
    knowledge = request.app.ctx.knowledge.current.knowledge
    if slug not in knowledge.bundles:
        raise ApiError(404, "bundle_not_found", f"No bundle called '{slug}'. GET /api/v1/bundles lists them.")
    return knowledge


@bp.get("")
async def list_bundles(request: Request) -> HTTPResponse:
    """All 18 bundles (optionally one kind), as in force on `date` (default today)."""
    query = parse_query(request, ListQuery)
    knowledge = request.app.ctx.knowledge.current.knowledge
    day = query.date or today(request.app.ctx.settings.timezone)

    def build() -> dict:
        bundles = [bundle_summary(knowledge, slug, day) for slug in knowledge.bundles]
        return {"bundles": [b for b in bundles if query.kind in (None, b["kind"])], "date": day.isoformat()}

    return cached_json(request, knowledge, f"list|{query.kind}|{day}", build)


@bp.get("/<slug:str>")
async def get_bundle(request: Request, slug: str) -> HTTPResponse:
    """One bundle's full guide: items, materials, steps, time limits, fees, questions, sources."""
    query = parse_query(request, GuideQuery)
    knowledge = knowledge_with(request, slug)
    day = query.date or today(request.app.ctx.settings.timezone)
    return cached_json(request, knowledge, f"{slug}|{day}", lambda: bundle_guide(knowledge, slug, day))
