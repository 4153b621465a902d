"""Operators work the cases: bad-rating follow-ups (supervisors answer them) and 投诉建议."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.auth.guards import requires_operator
from server.bodies import parse_body, parse_query
from server.clock import today, utc_now
from server.operators import cases

bp = Blueprint("cases", url_prefix="/api/v1")


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["rating_followup", "consultation", "complaint", "suggestion"] | None = None
    status: Literal["open", "answered"] | None = None
    overdue: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=100_000)


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["revisit", "rectify", "reply"]
    answer: str = Field(min_length=1, max_length=4000)


def _view(request: Request) -> dict:
    return {
        "today": today(request.app.ctx.settings.timezone),
        "calendar": cases.Calendar(request.app.ctx.knowledge.current.knowledge.calendar),
        "texts": request.app.ctx.operators.texts,
        "for_operator": True,
    }


@bp.get("/cases")
@requires_operator()
async def list_cases(request: Request) -> HTTPResponse:
    """Open cases the soonest due first (else newest first); `overdue=true` for those past their day."""
    query = parse_query(request, ListQuery)
    view = _view(request)
    found, total = await cases.list_cases(
        kind=query.kind,
        status=query.status,
        overdue=query.overdue,
        today=view["today"],
        limit=query.limit,
        offset=query.offset,
    )
    return json({"cases": [cases.case_json(c, **view) for c in found], "total": total})


@bp.get("/cases/<case_id:str>")
@requires_operator()
async def get_case(request: Request, case_id: str) -> HTTPResponse:
    return json({"case": cases.case_json(await cases.get_case(case_id), **_view(request))})


@bp.post("/cases/<case_id:str>/answer")
@requires_operator()
async def answer_case(request: Request, case_id: str) -> HTTPResponse:
    """Answer once (回访 / 整改 for a bad rating, by a supervisor; 答复 for 投诉建议); the citizen sees it."""
    body = parse_body(request, AnswerBody)
    case = await cases.answer_case(
        case_id,
        action=body.action,
        answer=body.answer,
        operator_id=request.ctx.principal.id,
        supervisor=request.ctx.principal.role == "supervisor",
        now=utc_now(),
    )
    return json({"case": cases.case_json(case, **_view(request))})
