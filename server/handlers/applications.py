"""Citizens' routes: the merged form of a conversation, applying, their applications, withdrawal,
补正 answers; and the progress lookup by 受理编号 + 查询码 for mini-program users without a login."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.applications import forms, materials
from server.applications.service import NewApplication
from server.auth.guards import client_ip, requires_user
from server.auth.limits import take
from server.bodies import parse_body, parse_query
from server.clock import today
from server.conversations import ConversationRecord
from server.errors import ApiError
from server.guide.dialogue import finished_checklist
from server.guide.knowledge import Knowledge
from server.push import wake

bp = Blueprint("applications")

_ID = r"^[A-Za-z0-9_-]{1,64}$"
_NO_CHECKLIST = "This conversation has not reached a checklist yet; answer the guide's questions first."


class ApplicationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conversation_id: str = Field(min_length=1, max_length=64)
    form: dict[str, Any] = Field(default_factory=dict, max_length=200)
    materials: dict[str, str] = Field(default_factory=dict, max_length=200)


class CorrectionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    materials: dict[str, str] = Field(min_length=1, max_length=50)
    note: str | None = Field(default=None, max_length=500)


class ProgressQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    receipt_no: str = Field(min_length=1, max_length=32)
    query_code: str = Field(min_length=1, max_length=16)


def _knowledge(request: Request) -> Knowledge:
    knowledge: Knowledge = request.app.ctx.knowledge.current.knowledge
    return knowledge


async def _own_checklist(
    request: Request, conversation_id: str, user_id: str
) -> tuple[ConversationRecord, dict]:
    """The caller's conversation and the checklist it reached; 404 for another's, 409 before a checklist."""
    record = await request.app.ctx.conversations.load(conversation_id)
    if record is None or record.owner != user_id:
        raise ApiError(
            404, "conversation_not_found", "No conversation of yours with this id (it may have expired)."
        )
    checklist = finished_checklist(
        record.state, _knowledge(request), today(request.app.ctx.settings.timezone)
    )
    if checklist is None:
        raise ApiError(409, "no_checklist", _NO_CHECKLIST)
    return record, checklist


def _items(checklist: dict) -> list[str]:
    return [item["id"] for item in checklist["items"]]


@bp.get("/api/v1/guide/conversations/<conversation_id:str>/form")
@requires_user
async def get_form(request: Request, conversation_id: str) -> HTTPResponse:
    """一表申请: the fields of the chosen items once each, prefilled, and the materials to upload once."""
    user_id = request.ctx.principal.id
    _, checklist = await _own_checklist(request, conversation_id, user_id)
    knowledge = _knowledge(request)
    auth = request.app.ctx.auth
    profile = auth.users.personal_values(await auth.users.get(user_id))
    previous = await request.app.ctx.applications.previous_values(user_id)
    fields = []
    for merged in forms.merge(knowledge, _items(checklist)):
        field = merged.field
        value, source = forms.prefilled(field, profile, previous)
        fields.append(
            {
                "name": field.name,
                "label": field.label,
                "type": field.type.value,
                "required": field.required,
                "required_if": field.required_if.model_dump() if field.required_if else None,
                "value": value,
                "prefilled_from": source,
                "shared_data": field.shared_data,
                "help": field.help,
                "choices": [choice.model_dump() for choice in field.choices],
                "rules": forms.describe(field),
                "needed_by": list(merged.needed_by),
            }
        )
    listed = [
        {
            "id": m["id"],
            "name": m["name"],
            "required": m["required"],
            "upload": materials.not_asked_reason(m) is None,
            "not_asked_reason": materials.not_asked_reason(m),
            "needed_by": [need["item"] for need in m["needed_by"]],
        }
        for m in checklist["materials"]
    ]
    return json(
        {
            "conversation_id": conversation_id,
            "bundle": checklist["bundle"],
            "items": checklist["items"],
            "fields": fields,
            "materials": listed,
        }
    )


@bp.post("/api/v1/applications")
@requires_user
async def post_application(request: Request) -> HTTPResponse:
    """Apply once for the conversation's chosen items: one application, one task per item."""
    body = parse_body(request, ApplicationBody)
    user_id = request.ctx.principal.id
    _, checklist = await _own_checklist(request, body.conversation_id, user_id)
    new = NewApplication(
        user_id=user_id,
        conversation_id=body.conversation_id,
        bundle=checklist["bundle"],
        items=_items(checklist),
        checklist_materials=checklist["materials"],
        form=body.form,
        materials=body.materials,
    )
    application = await request.app.ctx.applications.create(
        _knowledge(request), new, today(request.app.ctx.settings.timezone)
    )
    await wake(request.app.ctx.kv)  # the 已提交 notification was committed with the application
    return json({"application": application}, status=201)


@bp.get("/api/v1/applications")
@requires_user
async def list_applications(request: Request) -> HTTPResponse:
    applications = await request.app.ctx.applications.list_for_user(
        _knowledge(request), request.ctx.principal.id, today(request.app.ctx.settings.timezone)
    )
    return json({"applications": applications})


@bp.get("/api/v1/applications/<application_id:str>")
@requires_user
async def get_application(request: Request, application_id: str) -> HTTPResponse:
    application = await request.app.ctx.applications.for_user(
        _knowledge(request),
        request.ctx.principal.id,
        application_id,
        today(request.app.ctx.settings.timezone),
    )
    return json({"application": application})


@bp.post("/api/v1/applications/<application_id:str>/withdraw")
@requires_user
async def withdraw(request: Request, application_id: str) -> HTTPResponse:
    """撤回, before any department has accepted a task."""
    application = await request.app.ctx.applications.withdraw(
        _knowledge(request),
        request.ctx.principal.id,
        application_id,
        today(request.app.ctx.settings.timezone),
    )
    return json({"application": application})


@bp.post("/api/v1/applications/<application_id:str>/tasks/<task_id:str>/correction")
@requires_user
async def answer_correction(request: Request, application_id: str, task_id: str) -> HTTPResponse:
    """Answer a 补正 with the uploaded materials it asked for; the task goes back to review."""
    body = parse_body(request, CorrectionBody)
    application = await request.app.ctx.applications.answer_correction(
        _knowledge(request),
        request.ctx.principal.id,
        application_id,
        task_id,
        body.materials,
        body.note,
        today(request.app.ctx.settings.timezone),
    )
    return json({"application": application})


@bp.get("/api/v1/progress")
async def progress_lookup(request: Request) -> HTTPResponse:
    """By 受理编号 + 查询码, without a login: limited per address and per number; wrong pairs alike."""
    settings = request.app.ctx.settings
    query = parse_query(request, ProgressQuery)
    kv = request.app.ctx.kv
    message = "Too many progress lookups; please wait a moment."
    await take(kv, f"progress:ip:{client_ip(request)}", settings.progress_ip_per_minute, 60, message)
    receipt_key = "progress:receipt:" + hashlib.sha256(query.receipt_no.encode()).hexdigest()[:32]
    failures = await kv.get(receipt_key)
    if failures is not None and int(failures) >= settings.progress_receipt_failures_per_hour:
        raise ApiError(429, "rate_limited", message, {"Retry-After": "3600"})
    try:
        application = await request.app.ctx.applications.by_receipt(
            _knowledge(request), query.receipt_no, query.query_code, today(settings.timezone)
        )
    except Exception:
        await kv.incr(receipt_key, 3600)
        raise
    return json({"application": application}, headers={"Cache-Control": "no-store"})
