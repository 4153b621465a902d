"""Citizens' 好差评 and 投诉建议: the rating scale, rating once, filing a case, following their cases."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.auth.guards import requires_user
from server.bodies import parse_body
from server.clock import today, utc_now
from server.operators import cases, ratings
from server.operators.targets import check_owned

bp = Blueprint("feedback", url_prefix="/api/v1")


class RatingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_kind: Literal["application", "conversation"]
    target_id: str = Field(min_length=1, max_length=64)
    score: int = Field(ge=1, le=5)
    tags: list[str] = Field(default_factory=list, max_length=10)
    comment: str = Field(default="", max_length=1000)


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["consultation", "complaint", "suggestion"]
    text: str = Field(min_length=1, max_length=2000)
    reference_kind: Literal["application", "conversation"] | None = None
    reference_id: str | None = Field(default=None, min_length=1, max_length=64)


def _context(request: Request) -> tuple[cases.Calendar, dict]:
    """The working-day calendar and the arguments every case view takes."""
    calendar = cases.Calendar(request.app.ctx.knowledge.current.knowledge.calendar)
    day = today(request.app.ctx.settings.timezone)
    return calendar, {"today": day, "calendar": calendar, "texts": request.app.ctx.operators.texts}


@bp.get("/rating-options")
async def rating_options(request: Request) -> HTTPResponse:
    """The 好差评 scale (非常满意 … 非常不满意) and tags, the national bad-rating reasons marked `bad`."""
    return json(ratings.rating_options(request.app.ctx.operators.texts))


@bp.post("/ratings")
@requires_user
async def rate(request: Request) -> HTTPResponse:
    """Rate a finished application or a conversation once; a bad rating opens a follow-up case."""
    body = parse_body(request, RatingBody)
    await request.app.ctx.turns.flush()
    calendar, view = _context(request)
    service = request.app.ctx.operators
    rating, case_id = await ratings.rate(
        service.texts,
        user_id=request.ctx.principal.id,
        target_kind=body.target_kind,
        target_id=body.target_id,
        score=body.score,
        tags=body.tags,
        comment=body.comment,
        now=utc_now(),
        today=view["today"],
        calendar=calendar,
        deadlines=service.deadlines,
    )
    case = await cases.get_case(case_id) if case_id else None
    return json(
        {
            "rating": {"id": rating.id, "score": rating.score, "tags": rating.tags},
            "case": cases.case_json(case, for_operator=False, **view) if case else None,
        },
        status=201,
    )


@bp.post("/feedback")
@requires_user
async def file_feedback(request: Request) -> HTTPResponse:
    """投诉建议: a consultation, complaint or suggestion, optionally about an application or conversation."""
    body = parse_body(request, FeedbackBody)
    user_id = request.ctx.principal.id
    reference = None
    if body.reference_kind is not None and body.reference_id is not None:
        await request.app.ctx.turns.flush()
        await check_owned(body.reference_kind, body.reference_id, user_id)
        reference = (body.reference_kind, body.reference_id)
    calendar, view = _context(request)
    case = await cases.open_case(
        body.kind,
        user_id=user_id,
        text=body.text,
        reference=reference,
        rating=None,
        now=utc_now(),
        today=view["today"],
        calendar=calendar,
        deadlines=request.app.ctx.operators.deadlines,
    )
    case = await cases.get_case(case.id)
    return json({"case": cases.case_json(case, for_operator=False, **view)}, status=201)


@bp.get("/me/cases")
@requires_user
async def my_cases(request: Request) -> HTTPResponse:
    """The citizen's own cases (bad-rating follow-ups and 投诉建议), newest first, with state and answer."""
    _, view = _context(request)
    found, _ = await cases.list_cases(
        kind=None,
        status=None,
        overdue=None,
        today=view["today"],
        user_id=request.ctx.principal.id,
        limit=100,
        offset=0,
    )
    return json({"cases": [cases.case_json(c, for_operator=False, **view) for c in found]})


@bp.get("/me/cases/<case_id:str>")
@requires_user
async def my_case(request: Request, case_id: str) -> HTTPResponse:
    _, view = _context(request)
    case = await cases.get_case(case_id, user_id=request.ctx.principal.id)
    return json({"case": cases.case_json(case, for_operator=False, **view)})
