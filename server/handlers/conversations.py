"""Operators review conversations: the filtered list and one transcript (each view audit-logged)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.auth.guards import requires_operator
from server.bodies import parse_query
from server.operators import review

bp = Blueprint("conversations", url_prefix="/api/v1")


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    bundle: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    reply_type: str | None = Field(default=None, pattern=r"^[a-z_]{1,16}$")
    max_confidence: float | None = Field(default=None, ge=0, le=1)
    handed_over: bool | None = None
    rated_bad: bool | None = None
    has_application: bool | None = None
    q: str | None = Field(default=None, min_length=1, max_length=100)
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=100_000)


@bp.get("/conversations")
@requires_operator()
async def list_conversations(request: Request) -> HTTPResponse:
    """Newest activity first; every filter optional (`bundle=none` for conversations without one)."""
    query = parse_query(request, ListQuery)
    await request.app.ctx.turns.flush()
    texts = request.app.ctx.operators.texts
    found = review.ConversationFilter(
        since=query.since,
        until=query.until,
        bundle=query.bundle,
        reply_type=query.reply_type,
        max_confidence=query.max_confidence,
        handed_over=query.handed_over,
        rated_bad_at_most=texts.config.ratings.bad_at_most if query.rated_bad else None,
        has_application=query.has_application,
        text=query.q,
    )
    return json(await review.list_conversations(found, limit=query.limit, offset=query.offset))


@bp.get("/conversations/<conversation_id:str>")
@requires_operator()
async def transcript(request: Request, conversation_id: str) -> HTTPResponse:
    """Every turn with recognised bundle, confidence and answer, masked; the view is audit-logged."""
    await request.app.ctx.turns.flush()
    return json(await review.transcript(conversation_id))
