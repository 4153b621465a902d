"""GET /api/v1/retirement-date: a person's statutory retirement date, for clients (read-only, no token)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.bodies import parse_query
from server.clock import today
from server.errors import ApiError
from server.guide.retirement_age import RetirementAgeError, YearMonth, describe, for_person

bp = Blueprint("retirement", url_prefix="/api/v1/retirement-date")


class RetirementQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sex: Literal["male", "female"]
    birth: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")  # year and month of birth, 1975-06
    track: str | None = Field(default=None, max_length=64)
    date: dt.date | None = None  # the day asked on (default today)


@bp.get("")
async def get_retirement_date(request: Request) -> HTTPResponse:
    """Statutory age and month, the minimum contribution years then, and the flexible window."""
    query = parse_query(request, RetirementQuery)
    knowledge = request.app.ctx.knowledge.current.knowledge
    day = query.date or today(request.app.ctx.settings.timezone)
    rules = knowledge.retirement
    if rules is None:
        raise ApiError(503, "rules_unavailable", "The retirement-age rules are not loaded.")
    if not rules.in_force(day):
        raise ApiError(
            422,
            "rules_not_in_force",
            f"The reform's tables apply from {rules.valid_from}; {day} is outside them.",
        )
    try:
        result = for_person(rules, query.sex, YearMonth.parse(query.birth), query.track, day)
    except RetirementAgeError as exc:
        raise ApiError(422, exc.code, exc.message) from exc
    return json(
        {
            "retirement": {**result.as_dict(), "text": describe(result, day)},
            "as_of": day.isoformat(),
            "notes": [note.text for note in rules.notes if note.in_force(day)],
            "sources": [source.model_dump(mode="json", exclude_none=True) for source in rules.sources],
        },
        headers={"X-Knowledge-Version": knowledge.version},
    )
