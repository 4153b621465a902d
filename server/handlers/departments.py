"""Routes for department systems, authenticated by signed requests (see server/auth/departments.py):
progress events that move their tasks (联办), and the list of their open tasks to pull."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.applications.service import DepartmentReport
from server.applications.states import TaskStatus
from server.auth.guards import requires_department
from server.bodies import parse_body, parse_query
from server.clock import today
from server.push import wake

bp = Blueprint("departments", url_prefix="/api/v1/departments")

_EVENT_ID = r"^[A-Za-z0-9_.:-]{1,128}$"
DepartmentStatus = Literal[
    "submitted", "accepted", "in_review", "needs_correction", "approved", "rejected", "result_issued", "done"
]


class CorrectionIn(BaseModel):
    """补正: the materials missing and the day by which the citizen must provide them."""

    model_config = ConfigDict(extra="forbid")
    materials: list[str] = Field(min_length=1, max_length=30)
    deadline: dt.date
    note: str | None = Field(default=None, max_length=500)


class ResultIn(BaseModel):
    """出件: how the result reaches the citizen."""

    model_config = ConfigDict(extra="forbid")
    method: Literal["e_license", "post", "window"]
    license_no: str | None = Field(default=None, max_length=64)
    carrier: str | None = Field(default=None, max_length=32)
    tracking_no: str | None = Field(default=None, max_length=64)
    pickup_place: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _complete(self) -> ResultIn:
        if self.method == "post" and not self.tracking_no:
            raise ValueError("a result sent by post needs tracking_no")
        if self.method == "window" and not self.pickup_place:
            raise ValueError("a result picked up at a window needs pickup_place")
        return self


class EventBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_id: str = Field(pattern=_EVENT_ID)
    task_id: str = Field(min_length=1, max_length=32)
    status: DepartmentStatus
    occurred_at: AwareDatetime
    reason: str | None = Field(default=None, max_length=1000)
    correction: CorrectionIn | None = None
    result: ResultIn | None = None
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _complete(self) -> EventBody:
        if self.status == "rejected" and not (self.reason and self.reason.strip()):
            raise ValueError("a rejection needs a reason")
        if self.status == "needs_correction" and self.correction is None:
            raise ValueError("needs_correction needs correction {materials, deadline}")
        if self.status == "result_issued" and self.result is None:
            raise ValueError("result_issued needs result {method, ...}")
        if self.correction is not None and self.status != "needs_correction":
            raise ValueError("correction belongs to needs_correction only")
        if self.result is not None and self.status != "result_issued":
            raise ValueError("result belongs to result_issued only")
        return self


class TasksQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: DepartmentStatus | None = None
    overdue: bool | None = None
    limit: int = Field(default=100, ge=1, le=500)


@bp.get("/me")
@requires_department
async def whoami(request: Request) -> HTTPResponse:
    """Which department and key a correctly signed request was made with."""
    principal = request.ctx.principal
    return json({"department": principal.department, "key_id": principal.id})


@bp.post("/events")
@requires_department
async def post_event(request: Request) -> HTTPResponse:
    """A task's progress: applied once per event_id, in occurred_at order, never backwards."""
    body = parse_body(request, EventBody)
    report = DepartmentReport(
        department=request.ctx.principal.department,
        event_id=body.event_id,
        task_id=body.task_id,
        status=TaskStatus(body.status),
        occurred_at=body.occurred_at,
        reason=body.reason,
        correction=body.correction.model_dump(mode="json", exclude_none=True) if body.correction else None,
        result=body.result.model_dump(mode="json", exclude_none=True) if body.result else None,
        note=body.note,
    )
    knowledge = request.app.ctx.knowledge.current.knowledge
    outcome = await request.app.ctx.applications.apply_event(knowledge, report)
    if outcome.applied:
        await wake(request.app.ctx.kv)  # the citizen's notification was committed with the change
    return json({"applied": outcome.applied, "outcome": outcome.outcome, "task": outcome.task})


@bp.get("/tasks")
@requires_department
async def list_tasks(request: Request) -> HTTPResponse:
    """The department's open tasks, oldest first, to pull instead of waiting for pushes."""
    query = parse_query(request, TasksQuery)
    knowledge = request.app.ctx.knowledge.current.knowledge
    tasks = await request.app.ctx.applications.department_tasks(
        knowledge,
        request.ctx.principal.department,
        today(request.app.ctx.settings.timezone),
        status=TaskStatus(query.status) if query.status else None,
        overdue=query.overdue,
        limit=query.limit,
    )
    return json({"tasks": tasks})
