"""Conversation review: the filtered list operators search, and one conversation's full transcript.

Texts were masked when they were written; they are masked again on the way out, so nothing written
before a masking rule existed leaks through the console.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from server.db import db_time
from server.models import Application, Conversation, Handoff, HandoffMessage, Rating, Turn, TurnLabel
from server.operators.errors import not_found
from server.privacy import mask_text

# Structured turns are written as "[answer q=o]" or "[chosen_items …]": not something a user typed.
STRUCTURED_PREFIX = "["


@dataclass(frozen=True)
class ConversationFilter:
    """What the list may be narrowed by; None means any."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    bundle: str | None = None
    reply_type: str | None = None
    max_confidence: float | None = None  # has a turn recognised with less confidence than this
    handed_over: bool | None = None
    rated_bad_at_most: int | None = None  # it or an application from it was rated at or below this
    has_application: bool | None = None
    text: str | None = None  # free text searched in what users wrote


def masked(value: Any) -> Any:
    """`value` with every string in it masked (dicts and lists walked)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _narrowed(query: QuerySet[Conversation], f: ConversationFilter) -> QuerySet[Conversation]:
    if f.since is not None:
        query = query.filter(updated_at__gte=db_time(f.since))
    if f.until is not None:
        query = query.filter(updated_at__lt=db_time(f.until))
    if f.bundle is not None:
        query = query.filter(bundle=f.bundle if f.bundle != "none" else None)
    turns = Turn.all()
    narrowed_by_turns = False
    if f.reply_type is not None:
        turns, narrowed_by_turns = turns.filter(reply_type=f.reply_type), True
    if f.max_confidence is not None:
        turns, narrowed_by_turns = turns.filter(confidence__lt=f.max_confidence), True
    if f.text:
        turns, narrowed_by_turns = turns.filter(text__icontains=f.text), True
    if narrowed_by_turns:
        query = query.filter(id__in=Subquery(turns.values("conversation_id")))
    if f.handed_over is not None:
        handed = Subquery(Handoff.all().values("conversation_id"))
        query = query.filter(id__in=handed) if f.handed_over else query.exclude(id__in=handed)
    if f.rated_bad_at_most is not None:
        bad = Rating.filter(score__lte=f.rated_bad_at_most)
        rated = Subquery(bad.filter(target_kind="conversation").values("target_id"))
        rated_applications = Subquery(bad.filter(target_kind="application").values("target_id"))
        via_application = Subquery(Application.filter(id__in=rated_applications).values("conversation_id"))
        query = query.filter(Q(id__in=rated) | Q(id__in=via_application))
    if f.has_application is not None:
        applied = Subquery(Application.exclude(conversation_id=None).values("conversation_id"))
        query = query.filter(id__in=applied) if f.has_application else query.exclude(id__in=applied)
    return query


async def list_conversations(f: ConversationFilter, *, limit: int, offset: int) -> dict[str, Any]:
    """One page of conversations, most recently active first, with what an operator scans for."""
    query = _narrowed(Conversation.all(), f)
    total = await query.count()
    rows = await query.order_by("-updated_at", "-id").offset(offset).limit(limit)
    ids = [row.id for row in rows]
    summaries = await _summaries(ids)
    conversations = [{**_conversation_json(row), **summaries.get(row.id, {})} for row in rows]
    next_offset = offset + len(rows) if offset + len(rows) < total else None
    return {"conversations": conversations, "total": total, "next_offset": next_offset}


def _conversation_json(row: Conversation) -> dict[str, Any]:
    return {
        "id": row.id,
        "user_id": row.user_id,
        "bundle": row.bundle,
        "channel": row.channel,
        "turn_count": row.turn_count,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
    }


async def _summaries(ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per conversation: first user text, reply types seen, lowest confidence, takeover and rating."""
    if not ids:
        return {}
    out: dict[str, dict[str, Any]] = {
        cid: {
            "first_text": None,
            "reply_types": {},
            "min_confidence": None,
            "handoff_status": None,
            "rating": None,
            "application_ids": [],
        }
        for cid in ids
    }
    turns = (
        await Turn.filter(conversation_id__in=ids)
        .order_by("seq")
        .values_list("conversation_id", "text", "reply_type", "confidence")
    )
    for cid, text, reply_type, confidence in turns:
        summary = out[cid]
        if summary["first_text"] is None and not text.startswith(STRUCTURED_PREFIX):
            summary["first_text"] = mask_text(text)
        summary["reply_types"][reply_type] = summary["reply_types"].get(reply_type, 0) + 1
        if confidence is not None and (
            summary["min_confidence"] is None or confidence < summary["min_confidence"]
        ):
            summary["min_confidence"] = confidence
    for handoff in await Handoff.filter(conversation_id__in=ids).order_by("requested_at"):
        out[handoff.conversation_id]["handoff_status"] = handoff.status
    for rating in await Rating.filter(target_kind="conversation", target_id__in=ids):
        out[rating.target_id]["rating"] = rating.score
    for application_id, conversation_id in await Application.filter(conversation_id__in=ids).values_list(
        "id", "conversation_id"
    ):
        out[conversation_id]["application_ids"].append(application_id)
    return out


async def transcript(conversation_id: str) -> dict[str, Any]:
    """Every turn with what the guide recognised, how sure it was and what it answered; the takeover
    chats and the rating beside them. 404 when the conversation is unknown."""
    row = await Conversation.get_or_none(id=conversation_id)
    if row is None:
        raise not_found("conversation_not_found", "No conversation with this id.")
    turns = await Turn.filter(conversation_id=conversation_id).order_by("seq")
    labels = {label.turn_id: label for label in await TurnLabel.filter(turn_id__in=[t.id for t in turns])}  # type: ignore[attr-defined]
    handoffs = await Handoff.filter(conversation_id=conversation_id).order_by("requested_at")
    messages = await HandoffMessage.filter(conversation_id=conversation_id).order_by("id")
    rating = await Rating.get_or_none(target_kind="conversation", target_id=conversation_id)
    return {
        **_conversation_json(row),
        "turns": [
            {
                "id": t.id,
                "seq": t.seq,
                "text": mask_text(t.text),
                "structured": t.text.startswith(STRUCTURED_PREFIX),
                "bundle": t.bundle,
                "confidence": t.confidence,
                "reply_type": t.reply_type,
                "reply": masked(t.reply),
                "latency_ms": t.latency_ms,
                "created_at": _iso(t.created_at),
                "label": label_json(labels[t.id]) if t.id in labels else None,
            }
            for t in turns
        ],
        "handoffs": [handoff_json(h) for h in handoffs],
        "messages": [message_json(m) for m in messages],
        "rating": rating_summary(rating),
    }


def label_json(label: TurnLabel) -> dict[str, Any]:
    return {
        "id": label.id,
        "turn_id": label.turn_id,  # type: ignore[attr-defined]
        "bundle": label.bundle,
        "situation": label.situation,
        "note": mask_text(label.note) if label.note else None,
        "status": label.status,
        "labelled_by": label.labelled_by,
        "reviewed_by": label.reviewed_by,
        "created_at": _iso(label.created_at),
    }


def handoff_json(h: Handoff) -> dict[str, Any]:
    return {
        "id": h.id,
        "conversation_id": h.conversation_id,
        "reason": h.reason,
        "status": h.status,
        "operator_id": h.operator_id,
        "requested_at": _iso(h.requested_at),
        "claimed_at": _iso(h.claimed_at),
        "first_reply_at": _iso(h.first_reply_at),
        "polite_sent_at": _iso(h.polite_sent_at),
        "ended_at": _iso(h.ended_at),
    }


def message_json(m: HandoffMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "handoff_id": m.handoff_id,  # type: ignore[attr-defined]
        "sender": m.sender,
        "operator_id": m.operator_id,
        "text": mask_text(m.text),
        "created_at": _iso(m.created_at),
    }


def rating_summary(rating: Rating | None) -> dict[str, Any] | None:
    if rating is None:
        return None
    return {
        "id": rating.id,
        "score": rating.score,
        "tags": rating.tags,
        "comment": mask_text(rating.comment),
        "created_at": _iso(rating.created_at),
    }
