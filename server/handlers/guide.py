"""The guide: a conversation turn, a conversation's transcript, and the stateless checklist."""

from __future__ import annotations

import datetime as dt
import time

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.auth.guards import client_ip
from server.auth.limits import take
from server.bodies import parse_body
from server.clock import today
from server.conversations import (
    ConversationRecord,
    is_conversation_id,
    new_conversation_id,
    visible_to,
)
from server.errors import ApiError
from server.guide.checklist import ChecklistError, build_checklist
from server.guide.dialogue import DialogueError, Message
from server.handlers.bundles import knowledge_with
from server.models import Conversation, Turn
from server.privacy import mask_text
from server.turns import TurnRecord

bp = Blueprint("guide")

_NOT_FOUND = "No conversation with this id (it may have expired); start a new one without conversation_id."


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question_id: str = Field(min_length=1, max_length=64)
    option_id: str = Field(min_length=1, max_length=64)


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = None
    conversation_id: str | None = Field(default=None, min_length=1, max_length=64)
    answer: AnswerBody | None = None
    chosen_items: list[str] | None = Field(default=None, max_length=50)


class ChecklistBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[str, str] = {}
    chosen_items: list[str] | None = Field(default=None, max_length=50)
    date: dt.date | None = None


def _user_id(request: Request) -> str | None:
    """The logged-in citizen's id, or None for a guest (and for operators and departments)."""
    principal = getattr(request.ctx, "principal", None)
    return principal.id if principal is not None and principal.kind == "user" else None


def _message(body: MessageBody, max_length: int) -> Message:
    """The user's turn, or a 422 saying what is wrong with it."""
    if body.text is not None and body.answer is None and body.chosen_items is None:
        if not body.text.strip():
            raise ApiError(422, "empty_text", "text is empty; type what you want to do.")
    if body.text is not None and len(body.text) > max_length:
        raise ApiError(422, "text_too_long", f"text is longer than {max_length} characters.")
    if body.text is None and body.answer is None and body.chosen_items is None:
        raise ApiError(422, "missing_input", "Send text, an answer {question_id, option_id} or chosen_items.")
    answer = (body.answer.question_id, body.answer.option_id) if body.answer else None
    chosen = tuple(body.chosen_items) if body.chosen_items is not None else None
    # Masked before anything keeps it: the dialogue state, the turn row, a log line.
    text = mask_text(body.text) if body.text is not None else None
    return Message(text=text, answer=answer, chosen_items=chosen)


async def _throttle(request: Request, new_conversation: bool) -> None:
    """429 with Retry-After past the per-address limits on messages and on new conversations."""
    settings, kv, ip = request.app.ctx.settings, request.app.ctx.kv, client_ip(request)
    message = "Too many guide messages from this address; wait a moment and try again."
    await take(kv, f"guide:ip:msg:{ip}", settings.guide_ip_messages_per_minute, 60, message)
    if new_conversation:
        message = "Too many new conversations from this address; continue one or wait a moment."
        await take(kv, f"guide:ip:new:{ip}", settings.guide_ip_conversations_per_minute, 60, message)


@bp.post("/api/v1/guide/messages")
async def post_message(request: Request) -> HTTPResponse:
    """One turn of the conversation: load its state, step the dialogue, save, queue the turn record."""
    started = time.perf_counter()
    settings = request.app.ctx.settings
    body = parse_body(request, MessageBody)
    message = _message(body, settings.max_text_length)
    await _throttle(request, new_conversation=body.conversation_id is None)
    user_id = _user_id(request)
    store = request.app.ctx.conversations
    if body.conversation_id is None:
        record = ConversationRecord(id=new_conversation_id(), owner=user_id)
    else:
        known = is_conversation_id(body.conversation_id)
        loaded = await store.load(body.conversation_id) if known else None
        if loaded is None or not visible_to(loaded.owner, user_id):
            raise ApiError(404, "conversation_not_found", _NOT_FOUND)
        record = loaded
    record.owner = record.owner or user_id
    # 转人工: the guide stays silent while an operator holds the conversation or when asked for one.
    takeover = request.app.ctx.operators.takeover
    intercept = await takeover.before_guide(
        record.id, record.owner, message.text, new=body.conversation_id is None
    )
    if intercept.reply is not None and intercept.reply["type"] == "operator":
        return json(
            {"conversation_id": record.id, "bundle": record.state.get("bundle"), "reply": intercept.reply}
        )
    state, reply = record.state, intercept.reply
    if reply is None:
        served = request.app.ctx.knowledge.current
        try:
            state, reply = served.openings.step(record.state, message, today(settings.timezone))
        except DialogueError as exc:
            raise ApiError(422, exc.code, exc.message) from exc
        reply = await takeover.after_guide(intercept, reply)
    else:
        request.app.ctx.operators.ensure_sweeper()
    record.state, record.seq = state, record.seq + 1
    await store.save(record)
    await request.app.ctx.turns.record(
        TurnRecord(
            conversation_id=record.id,
            user_id=record.owner,
            seq=record.seq,
            text=message.text if message.text is not None else _describe(message),
            bundle=state.get("bundle"),
            confidence=state.get("confidence"),
            reply_type=reply["type"],
            reply=reply,
            latency_ms=(time.perf_counter() - started) * 1000,
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    return json({"conversation_id": record.id, "bundle": state.get("bundle"), "reply": reply})


def _describe(message: Message) -> str:
    """A structured turn written as text for the transcript."""
    if message.answer is not None:
        return f"[answer {message.answer[0]}={message.answer[1]}]"
    return f"[chosen_items {','.join(message.chosen_items or ())}]"


@bp.get("/api/v1/guide/conversations/<conversation_id:str>")
async def get_conversation(request: Request, conversation_id: str) -> HTTPResponse:
    """A conversation's recorded turns, for its owner (or anyone holding a guest conversation's id)."""
    if not is_conversation_id(conversation_id):
        raise ApiError(404, "conversation_not_found", _NOT_FOUND)
    await request.app.ctx.turns.flush()  # this worker's queued turns, so a client reads its own writes
    row = await Conversation.get_or_none(id=conversation_id)
    if row is None or not visible_to(row.user_id, _user_id(request)):
        raise ApiError(404, "conversation_not_found", _NOT_FOUND)
    turns = await Turn.filter(conversation_id=conversation_id).order_by("seq")
    return json(
        {
            "id": row.id,
            "bundle": row.bundle,
            "status": row.status,
            "turn_count": row.turn_count,
            "created_at": row.created_at.isoformat(),
            "updated_at": row.updated_at.isoformat(),
            "turns": [
                {
                    "seq": t.seq,
                    "text": t.text,
                    "bundle": t.bundle,
                    "confidence": t.confidence,
                    "reply_type": t.reply_type,
                    "reply": t.reply,
                    "latency_ms": t.latency_ms,
                    "created_at": t.created_at.isoformat(),
                }
                for t in turns
            ],
        }
    )


@bp.post("/api/v1/bundles/<slug:str>/checklist")
async def post_checklist(request: Request, slug: str) -> HTTPResponse:
    """The same 一次告知 the conversation ends with, from answers and chosen items, without state."""
    body = parse_body(request, ChecklistBody)
    knowledge = knowledge_with(request, slug)
    day = body.date or today(request.app.ctx.settings.timezone)
    try:
        checklist = build_checklist(knowledge, slug, body.answers, body.chosen_items, day)
    except ChecklistError as exc:
        raise ApiError(422, exc.code, exc.message) from exc
    return json({"checklist": checklist})
