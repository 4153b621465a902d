"""Console operators: login, refresh, logout; supervisors manage accounts and read the audit log."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, json

from server.auth import audit
from server.auth.audit import AuditDetail
from server.auth.guards import client_ip, invalid_token, requires_operator
from server.auth.operators import USERNAME_PATTERN, LoginRefused, Role, canonical_username, operator_json
from server.auth.principal import Principal
from server.auth.services import AuthServices
from server.auth.tokens import InvalidToken
from server.bodies import parse_body, parse_query
from server.errors import ApiError

bp = Blueprint("operators", url_prefix="/api/v1")
_OPERATOR_ID = re.compile(r"[0-9a-f]{32}")  # as Operators.create issues them


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class RefreshBody(Strict):
    refresh_token: str = Field(min_length=1, max_length=4096)


class CreateBody(Strict):
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(max_length=256)
    role: Role = "operator"


class UpdateBody(Strict):
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(default=None, max_length=256)


class AuditQuery(Strict):
    actor_id: str | None = Field(default=None, max_length=40)
    conversation_id: str | None = Field(default=None, max_length=32)
    application_id: str | None = Field(default=None, max_length=64)
    before: dt.datetime | None = None
    limit: int = Field(default=50, ge=1, le=200)


def services(request: Request) -> AuthServices:
    return request.app.ctx.auth


@bp.post("/operators/login")
async def login(request: Request) -> HTTPResponse:
    """Username and password; repeated failures per username and per IP are answered 429."""
    body = parse_body(request, LoginBody)
    auth = services(request)
    try:
        operator = await auth.operators.login(body.username, body.password, client_ip(request))
    except LoginRefused as exc:
        who = Principal(kind="operator", id=exc.operator_id) if exc.operator_id else None
        detail: AuditDetail = {
            "username": canonical_username(body.username),
            "status": exc.status,
            "reason": exc.code,
        }
        await audit.record(who, "operators.login_failed", ip=client_ip(request), detail=detail)
        raise
    pair = await auth.sessions.start("operator", operator.id, operator.role)
    actor = Principal(kind="operator", id=operator.id, role=operator.role)
    await audit.record(actor, "operators.login", ip=client_ip(request))
    return json(pair.as_json(), headers={"Cache-Control": "no-store"})


@bp.post("/operators/refresh")
async def refresh(request: Request) -> HTTPResponse:
    """A new pair for a valid refresh token of an operator who is still active."""
    body = parse_body(request, RefreshBody)
    auth = services(request)
    try:
        pair = await auth.sessions.rotate(body.refresh_token, "operator", auth.operators.role_of)
    except InvalidToken as exc:
        raise invalid_token() from exc
    return json(pair.as_json(), headers={"Cache-Control": "no-store"})


@bp.post("/operators/logout")
@requires_operator()
async def logout(request: Request) -> HTTPResponse:
    await services(request).sessions.revoke_family(request.ctx.token_claims.family)
    return empty()


@bp.get("/operators/me")
@requires_operator()
async def me(request: Request) -> HTTPResponse:
    return json(operator_json(await services(request).operators.get(request.ctx.principal.id)))


@bp.get("/operators")
@requires_operator("supervisor")
async def list_operators(request: Request) -> HTTPResponse:
    operators = await services(request).operators.all()
    return json({"operators": [operator_json(o) for o in operators]})


@bp.post("/operators")
@requires_operator("supervisor")
async def create_operator(request: Request) -> HTTPResponse:
    body = parse_body(request, CreateBody)
    operator = await services(request).operators.create(body.username, body.password, body.role)
    request.ctx.audit_detail = {"target": operator.id, "username": operator.username, "role": operator.role}
    return json(operator_json(operator), status=201)


def _requested_update(request: Request) -> AuditDetail:
    """What a PATCH asked to change (the password only as "new"), audited even when refused."""
    body = request.json if isinstance(request.json, dict) else {}
    asked: AuditDetail = {"target": request.match_info.get("operator_id")}
    for name in ("role", "active"):
        if isinstance(body.get(name), str | bool):
            asked[f"requested_{name}"] = body[name]
    if "password" in body:
        asked["requested_password"] = "new"
    return asked


@bp.patch("/operators/<operator_id:str>")
@requires_operator("supervisor", detail=_requested_update)
async def update_operator(request: Request, operator_id: str) -> HTTPResponse:
    """Change role, active flag or password; existing sessions of that operator end at once.

    A supervisor cannot deactivate itself, and the last active supervisor stays one (409).
    """
    if not _OPERATOR_ID.fullmatch(operator_id):
        raise ApiError(404, "operator_not_found", "No such operator.")
    body = parse_body(request, UpdateBody)
    auth = services(request)
    operator, changed = await auth.operators.update(
        request.ctx.principal.id, operator_id, role=body.role, active=body.active, password=body.password
    )
    request.ctx.audit_detail = {
        "changed": ",".join(changed) or None,
        "role": operator.role,
        "active": operator.active,
    }
    if changed:
        await auth.sessions.revoke_subject("operator", operator.id)
    return json(operator_json(operator))


@bp.get("/audit-log")
@requires_operator("supervisor")
async def audit_log(request: Request) -> HTTPResponse:
    """Newest first; filter by actor, conversation or application; page with `before`."""
    query = parse_query(request, AuditQuery)
    return json({"entries": await audit.entries(**query.model_dump())})
