"""超期预警 for supervisors: open tasks past or close to their time limit, by department."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.auth.guards import requires_operator
from server.bodies import parse_query
from server.clock import today

bp = Blueprint("overdue")


class OverdueQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{1,63}$")


@bp.get("/api/v1/overdue-tasks")
@requires_operator("supervisor")
async def overdue_tasks(request: Request) -> HTTPResponse:
    query = parse_query(request, OverdueQuery)
    grouped = await request.app.ctx.applications.overdue(
        request.app.ctx.knowledge.current.knowledge,
        today(request.app.ctx.settings.timezone),
        query.department,
    )
    return json(
        {
            "departments": [
                {"department": code, "count": len(tasks), "tasks": tasks}
                for code, tasks in sorted(grouped.items())
            ]
        }
    )
