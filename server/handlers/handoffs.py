"""转人工: citizens ask for a human; operators see the queue, claim, chat, hand back or close."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.auth.guards import requires_operator
from server.bodies import parse_body, parse_query
from server.conversations import visible_to
from server.errors import ApiError
from server.operators.takeover import Takeover

bp = Blueprint("handoffs", url_prefix="/api/v1")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AfterQuery(Strict):
    after: int = Field(default=0, ge=0)


class MessageBody(Strict):
    text: str = Field(min_length=1, max_length=2000)


class AvailabilityBody(Strict):
    accepting: bool


def _takeover(request: Request) -> Takeover:
    request.app.ctx.operators.ensure_sweeper()
    return request.app.ctx.operators.takeover


def _is_supervisor(request: Request) -> bool:
    return request.ctx.principal.role == "supervisor"


async def _citizen_conversation(request: Request, conversation_id: str) -> str | None:
    """The owner of a conversation the caller may act in (a guest's by holding its id), else 404."""
    record = await request.app.ctx.conversations.load(conversation_id)
    principal = request.ctx.principal
    user_id = principal.id if principal is not None and principal.kind == "user" else None
    if record is None or not visible_to(record.owner, user_id):
        raise ApiError(404, "conversation_not_found", "No conversation with this id (it may have expired).")
    return record.owner


@bp.post("/guide/conversations/<conversation_id:str>/handoff")
async def request_handoff(request: Request, conversation_id: str) -> HTTPResponse:
    """The citizen asks for a human operator (a button; typing 转人工 does the same)."""
    owner = await _citizen_conversation(request, conversation_id)
    return json({"reply": await _takeover(request).request(conversation_id, owner)})


@bp.get("/guide/conversations/<conversation_id:str>/handoff")
async def citizen_handoff(request: Request, conversation_id: str) -> HTTPResponse:
    """Where the request stands and operator messages after `after` (for clients without a socket)."""
    query = parse_query(request, AfterQuery)
    await _citizen_conversation(request, conversation_id)
    return json(await _takeover(request).citizen_view(conversation_id, query.after))


@bp.get("/handoffs")
@requires_operator()
async def queue(request: Request) -> HTTPResponse:
    """Waiting requests with their waiting time, the caller's own conversations; marks the caller present."""
    return json(await _takeover(request).queue(request.ctx.principal.id))


@bp.put("/handoffs/availability")
@requires_operator()
async def availability(request: Request) -> HTTPResponse:
    """Whether round robin may give the caller conversations."""
    body = parse_body(request, AvailabilityBody)
    await _takeover(request).set_accepting(request.ctx.principal.id, body.accepting)
    return json({"accepting": body.accepting})


@bp.post("/handoffs/<handoff_id:str>/claim")
@requires_operator()
async def claim(request: Request, handoff_id: str) -> HTTPResponse:
    return json({"handoff": await _takeover(request).claim(handoff_id, request.ctx.principal.id)})


@bp.get("/handoffs/<handoff_id:str>/messages")
@requires_operator()
async def messages(request: Request, handoff_id: str) -> HTTPResponse:
    query = parse_query(request, AfterQuery)
    return json(await _takeover(request).messages(handoff_id, query.after))


@bp.post("/handoffs/<handoff_id:str>/messages")
@requires_operator()
async def send(request: Request, handoff_id: str) -> HTTPResponse:
    """A message to the citizen, delivered at once and in the reply to their next message."""
    body = parse_body(request, MessageBody)
    message = await _takeover(request).send(
        handoff_id, request.ctx.principal.id, body.text, supervisor=_is_supervisor(request)
    )
    return json({"message": message}, status=201)


@bp.post("/handoffs/<handoff_id:str>/release")
@requires_operator()
async def release(request: Request, handoff_id: str) -> HTTPResponse:
    """Hand the conversation back to the guide."""
    return await _end(request, handoff_id, "returned")


@bp.post("/handoffs/<handoff_id:str>/close")
@requires_operator()
async def close(request: Request, handoff_id: str) -> HTTPResponse:
    return await _end(request, handoff_id, "closed")


async def _end(request: Request, handoff_id: str, how: Literal["returned", "closed"]) -> HTTPResponse:
    principal = request.ctx.principal
    handoff = await _takeover(request).end(handoff_id, principal.id, how, supervisor=_is_supervisor(request))
    return json({"handoff": handoff})


@bp.get("/canned-replies")
@requires_operator()
async def canned_replies(request: Request) -> HTTPResponse:
    """Replies operators insert with one click (from `knowledge/operators.yaml`)."""
    return json({"canned_replies": request.app.ctx.operators.texts.canned()})
