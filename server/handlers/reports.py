"""Reports for operators and supervisors: the unmatched report."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.auth.guards import requires_operator
from server.bodies import parse_query
from server.operators.unmatched import unmatched_report

bp = Blueprint("reports", url_prefix="/api/v1")


class RangeQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    top: int = Field(default=100, ge=1, le=500)


@bp.get("/reports/unmatched")
@requires_operator()
async def unmatched(request: Request) -> HTTPResponse:
    """Fallback and clarify utterances grouped by similarity, most common first."""
    query = parse_query(request, RangeQuery)
    await request.app.ctx.turns.flush()
    settings = request.app.ctx.settings
    report = await unmatched_report(
        since=query.since,
        until=query.until,
        similarity=request.app.ctx.operators.texts.config.unmatched.similarity,
        max_turns=settings.unmatched_max_turns,
        top=query.top,
    )
    return json(report)
