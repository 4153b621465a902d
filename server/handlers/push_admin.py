"""Supervisors' view of push for support: a citizen's deliveries per channel, dead letters, retry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.auth.guards import requires_operator
from server.bodies import parse_body, parse_query
from server.models import Delivery
from server.push import queue, wake

bp = Blueprint("push_admin", url_prefix="/api/v1")


class DeadLetterQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: str | None = Field(default=None, max_length=32)
    limit: int = Field(default=100, ge=1, le=500)


class RetryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[int] | None = Field(default=None, min_length=1, max_length=1000)
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> RetryBody:
        if bool(self.ids) == self.all:
            raise ValueError("give either ids or all=true")
        return self


def delivery_view(delivery: Delivery) -> dict:
    note = delivery.notification
    return {
        "id": delivery.id,
        "notification_id": note.id,
        "category": note.category,
        "title": note.title,
        "application_id": note.application_id,
        "channel": delivery.channel,
        "target": delivery.target,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "error_code": delivery.error_code,
        "error": delivery.error,
        "idempotency_key": delivery.idempotency_key,
        "created_at": delivery.created_at.isoformat(),
        "sent_at_ms": delivery.sent_ms,
    }


@bp.get("/users/<user_id:str>/deliveries")
@requires_operator("supervisor")
async def user_deliveries(request: Request, user_id: str) -> HTTPResponse:
    deliveries = await queue.deliveries_of(user_id)
    summary: dict[str, dict[str, int]] = {}
    for delivery in deliveries:
        per_channel = summary.setdefault(delivery.channel, {})
        per_channel[delivery.status] = per_channel.get(delivery.status, 0) + 1
    return json({"deliveries": [delivery_view(d) for d in deliveries], "summary": summary})


@bp.get("/push/dead-letters")
@requires_operator("supervisor")
async def dead_letters(request: Request) -> HTTPResponse:
    query = parse_query(request, DeadLetterQuery)
    found = await queue.dead_letters(query.user_id, query.limit)
    return json({"dead_letters": [delivery_view(d) for d in found]})


@bp.post("/push/dead-letters/retry")
@requires_operator("supervisor")
async def retry_dead_letters(request: Request) -> HTTPResponse:
    body = parse_body(request, RetryBody)
    queued = await queue.retry(body.ids)
    await wake(request.app.ctx.kv)
    return json({"queued": queued})
