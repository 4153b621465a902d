"""Routes for department systems, authenticated by signed requests (see server/auth/departments.py)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.auth.guards import requires_department

bp = Blueprint("departments", url_prefix="/api/v1/departments")


@bp.get("/me")
@requires_department
async def whoami(request: Request) -> HTTPResponse:
    """Which department and key a correctly signed request was made with."""
    principal = request.ctx.principal
    return json({"department": principal.department, "key_id": principal.id})
