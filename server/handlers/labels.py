"""Teach the guide: the NLU inbox, labelling a turn, supervisors' review and the two exports."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, text

from server.auth.guards import requires_operator
from server.bodies import parse_body, parse_query
from server.clock import utc_now
from server.errors import ApiError
from server.operators import labels

bp = Blueprint("labels", url_prefix="/api/v1")

Slug = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$", max_length=64)


class InboxQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bundle: str | None = Slug
    limit: int = Field(default=50, ge=1, le=200)


class LabelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bundle: str | None = Slug
    situation: dict[str, str] = Field(default_factory=dict, max_length=30)
    note: str | None = Field(default=None, max_length=500)


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["proposed", "approved", "rejected"] | None = None
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=100_000)


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool


def _number(value: str, code: str) -> int:
    """A numeric id from the path; anything else names nothing (404)."""
    if not value.isdigit() or len(value) > 18:
        raise ApiError(404, code, "No such id.")
    return int(value)


@bp.get("/labels/inbox")
@requires_operator()
async def inbox(request: Request) -> HTTPResponse:
    """User turns not labelled yet, lowest confidence first."""
    query = parse_query(request, InboxQuery)
    await request.app.ctx.turns.flush()
    return json({"turns": await labels.inbox(limit=query.limit, bundle=query.bundle)})


@bp.put("/turns/<turn_id:str>/label")
@requires_operator()
async def label_turn(request: Request, turn_id: str) -> HTTPResponse:
    body = parse_body(request, LabelBody)
    label = await labels.label_turn(
        request.app.ctx.knowledge.current.knowledge,
        _number(turn_id, "turn_not_found"),
        bundle=body.bundle,
        situation=body.situation,
        note=body.note,
        operator_id=request.ctx.principal.id,
    )
    return json({"label": label})


@bp.get("/labels")
@requires_operator()
async def list_labels(request: Request) -> HTTPResponse:
    query = parse_query(request, ListQuery)
    found = await labels.list_labels(status=query.status, limit=query.limit, offset=query.offset)
    return json({"labels": found})


@bp.post("/labels/<label_id:str>/review")
@requires_operator("supervisor")
async def review_label(request: Request, label_id: str) -> HTTPResponse:
    """Approve or reject someone else's label; only approved labels are exported."""
    body = parse_body(request, ReviewBody)
    label = await labels.review_label(
        _number(label_id, "label_not_found"),
        approve=body.approve,
        reviewer_id=request.ctx.principal.id,
        now=utc_now(),
    )
    return json({"label": label})


@bp.get("/labels/export")
@requires_operator("supervisor")
async def export_labels(request: Request) -> HTTPResponse:
    """Approved labels as eval-format JSONL (`python -m server.guide.eval FILE` runs on it)."""
    return text(
        await labels.export_jsonl(),
        content_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="labels.jsonl"'},
    )


@bp.get("/labels/lexicon-proposals")
@requires_operator("supervisor")
async def lexicon_proposals(request: Request) -> HTTPResponse:
    """Proposed lexicon additions from approved labels, for review; never applied by the server."""
    return json(await labels.lexicon_proposals(request.app.ctx.knowledge.current.knowledge))
