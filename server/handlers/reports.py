"""Reports for operators and supervisors: the unmatched report and the statistics."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.auth.guards import requires_operator
from server.bodies import parse_query
from server.clock import today, utc_now
from server.db import db_time
from server.errors import ApiError
from server.operators.statistics import statistics as operator_statistics
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


class StatisticsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@bp.get("/statistics")
@requires_operator("supervisor")
async def statistics(request: Request) -> HTTPResponse:
    """Supervisors' figures for [since, until), by default the last 14 days."""
    query = parse_query(request, StatisticsQuery)
    await request.app.ctx.turns.flush()
    settings = request.app.ctx.settings
    until = db_time(query.until or utc_now())
    since = db_time(query.since) if query.since else until - dt.timedelta(days=14)
    if since >= until or until - since > dt.timedelta(days=366):
        raise ApiError(422, "invalid_range", "since must be before until, at most a year apart.")
    day = today(settings.timezone)
    figures = await operator_statistics(
        since=since,
        until=until,
        timezone=settings.timezone,
        today=day,
        bad_at_most=request.app.ctx.operators.texts.config.ratings.bad_at_most,
    )
    flagged = await request.app.ctx.applications.overdue(request.app.ctx.knowledge.current.knowledge, day)
    overdue = sum(1 for tasks in flagged.values() for task in tasks if task["warning"] == "overdue")
    return json({**figures, "overdue_tasks": overdue})
