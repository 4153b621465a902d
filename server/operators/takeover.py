"""转人工: citizens ask for a human, requests queue, operators claim them (or round robin assigns
them), chat while the guide stays silent, then hand the conversation back or close it.

The database holds the truth (handoffs and their messages); the kv role holds a per-conversation
marker so the guide's hot path learns with one lookup whether an operator is involved, and a streak of
fallback replies so the guide can offer a human after repeated misses. Operators' messages reach the
citizen through `deliver` at once (the WebSocket of the push domain) and, in any case, in the reply to
the citizen's next message, each with its id so clients drop the copy they already have.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from server.clock import utc_now
from server.db import db_time
from server.kv import KV
from server.models import Conversation, Handoff, HandoffMessage
from server.operators import assignment
from server.operators.errors import conflict, not_found
from server.operators.review import handoff_json, message_json
from server.operators.texts import OperatorsKnowledge
from server.privacy import mask_text

OPEN = ("waiting", "active")
UNMATCHED = ("fallback", "clarify")
HANDOFF_KEY = "operators:handoff:"
FALLBACKS_KEY = "operators:fallbacks:"

# (citizen's user id or None for a guest, conversation id, message as JSON) -> pushed to the citizen
Deliver = Callable[[str | None, str, dict[str, Any]], Awaitable[None]]
Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class TakeoverPolicy:
    """Settings of the queue: assignment mode, per-operator cap, when to apologise for the wait."""

    assignment: Literal["claim", "round_robin"] = "claim"
    operator_cap: int = 3
    polite_after_seconds: float = 120
    online_seconds: float = 45
    marker_ttl_seconds: float = 7 * 24 * 3600


@dataclass
class Intercept:
    """What `before_guide` found: a reply that replaces the guide's, or the state `after_guide` needs."""

    conversation_id: str
    user_id: str | None
    handoff: Handoff | None
    reply: dict[str, Any] | None = None
    new: bool = False  # the conversation starts with this message: nothing is stored under its id yet


class Takeover:
    """The queue and the chats; one per worker, state in the database and the kv role."""

    def __init__(
        self,
        kv: KV,
        policy: TakeoverPolicy,
        texts: OperatorsKnowledge,
        deliver: Deliver | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.kv = kv
        self.policy = policy
        self.texts = texts
        self.deliver = deliver
        self.clock = clock

    # --- the citizen's side (the guide handler) ----------------------------------------------

    async def _open_handoff(self, conversation_id: str) -> Handoff | None:
        marker = await self.kv.get(HANDOFF_KEY + conversation_id)
        if marker is None:
            return None
        handoff = await Handoff.get_or_none(id=marker)
        if handoff is None or handoff.status not in OPEN:
            await self.kv.delete(HANDOFF_KEY + conversation_id)
            return None
        return handoff

    async def before_guide(
        self, conversation_id: str, user_id: str | None, text: str | None, new: bool = False
    ) -> Intercept:
        """Decide whether the guide answers: not while an operator holds the conversation, nor when the
        message asks for a human (then the request is queued). A `new` conversation (an id issued for
        this message) can have no handoff nor fallback streak yet: neither is looked up."""
        handoff = None if new else await self._open_handoff(conversation_id)
        intercept = Intercept(conversation_id, user_id, handoff, new=new)
        if handoff is not None and handoff.status == "active":
            if text:
                await self._add(handoff, "citizen", text, deliver=False)
            intercept.reply = {
                "type": "operator",
                "text": self.texts.handoff.texts.held,
                "handoff": await self._status(handoff),
                "operator_messages": await self._undelivered(handoff),
            }
        elif text and self.texts.asks_for_human(text):
            if handoff is None:
                streak = int(await self.kv.get(FALLBACKS_KEY + conversation_id) or 0)
                offered = streak >= self.texts.handoff.offer_after_fallbacks
                handoff = await self._create(
                    conversation_id, user_id, "fallbacks" if offered else "requested"
                )
                intercept.handoff = handoff
            intercept.reply = await self._queued_reply(handoff)
        return intercept

    async def after_guide(self, intercept: Intercept, reply: dict[str, Any]) -> dict[str, Any]:
        """The guide's reply with the queue's state and waiting messages, and the offer of a human after
        `offer_after_fallbacks` fallback or clarify replies in a row."""
        key = FALLBACKS_KEY + intercept.conversation_id
        if reply.get("type") in UNMATCHED:
            streak = await self.kv.incr(key, self.policy.marker_ttl_seconds)
        else:
            streak = 0
            if not intercept.new:
                await self.kv.delete(key)
        handoff = intercept.handoff
        if handoff is not None:
            return {
                **reply,
                "handoff": await self._status(handoff),
                "operator_messages": await self._undelivered(handoff),
            }
        if streak >= self.texts.handoff.offer_after_fallbacks:
            return {
                **reply,
                "operator": {"available": True, "offered": True, "text": self.texts.handoff.texts.offer},
            }
        return reply

    async def request(self, conversation_id: str, user_id: str | None) -> dict[str, Any]:
        """The citizen pressed 转人工: queue the conversation (once) and say where it stands."""
        handoff = await self._open_handoff(conversation_id)
        if handoff is None:
            handoff = await self._create(conversation_id, user_id, "requested")
        return await self._queued_reply(handoff)

    async def citizen_view(self, conversation_id: str, after: int) -> dict[str, Any]:
        """The conversation's takeover state and operator messages after id `after` (for polling)."""
        handoff = await Handoff.filter(conversation_id=conversation_id).order_by("-requested_at").first()
        if handoff is None:
            return {"handoff": None, "operator_messages": []}
        rows = await HandoffMessage.filter(
            conversation_id=conversation_id, sender__in=("operator", "system"), id__gt=after
        ).order_by("id")
        return {"handoff": await self._status(handoff), "operator_messages": [_to_citizen(m) for m in rows]}

    async def _create(self, conversation_id: str, user_id: str | None, reason: str) -> Handoff:
        handoff = await Handoff.create(
            id=uuid.uuid4().hex,
            conversation_id=conversation_id,
            user_id=user_id,
            reason=reason,
            status="waiting",
            requested_at=self.clock(),
        )
        await self.kv.set(HANDOFF_KEY + conversation_id, handoff.id, self.policy.marker_ttl_seconds)
        await self.kv.delete(FALLBACKS_KEY + conversation_id)
        await Conversation.filter(id=conversation_id).update(status="waiting")
        if self.policy.assignment == "round_robin":
            await self._assign_waiting()
            await handoff.refresh_from_db()
        return handoff

    async def _queued_reply(self, handoff: Handoff) -> dict[str, Any]:
        status = await self._status(handoff)
        texts = self.texts.handoff.texts
        if handoff.status == "active":
            text = texts.joined
        elif status["ahead"]:
            text = texts.queued.format(ahead=status["ahead"])
        else:
            text = texts.queued_next
        return {
            "type": "handoff",
            "text": text,
            "handoff": status,
            "operator_messages": await self._undelivered(handoff),
        }

    async def _status(self, handoff: Handoff) -> dict[str, Any]:
        ahead = 0
        if handoff.status == "waiting":
            earlier = db_time(handoff.requested_at)
            ahead = await Handoff.filter(status="waiting", requested_at__lt=earlier).count()
        return {
            "id": handoff.id,
            "status": handoff.status,
            "ahead": ahead,
            "waited_seconds": round((self.clock() - handoff.requested_at).total_seconds()),
        }

    async def _undelivered(self, handoff: Handoff) -> list[dict[str, Any]]:
        """Operator and system messages the citizen has not had in a reply; marked delivered now."""
        rows = await HandoffMessage.filter(
            conversation_id=handoff.conversation_id, sender__in=("operator", "system"), delivered_at=None
        ).order_by("id")
        if rows:
            await HandoffMessage.filter(id__in=[m.id for m in rows]).update(delivered_at=self.clock())
        return [_to_citizen(m) for m in rows]

    async def _add(
        self, handoff: Handoff, sender: str, text: str, operator_id: str | None = None, deliver: bool = True
    ) -> HandoffMessage:
        message = await HandoffMessage.create(
            handoff=handoff,
            conversation_id=handoff.conversation_id,
            sender=sender,
            operator_id=operator_id,
            text=mask_text(text),
            created_at=self.clock(),
        )
        if deliver and self.deliver is not None:
            await self.deliver(handoff.user_id, handoff.conversation_id, _to_citizen(message))
        return message

    # --- the operators' side -----------------------------------------------------------------

    async def queue(self, operator_id: str) -> dict[str, Any]:
        """What the console shows: waiting requests (oldest first, with waiting time), the operator's
        own conversations, and how many others hold. Marks the operator present."""
        now = self.clock()
        await assignment.touch(operator_id, now)
        await self.sweep()
        waiting = await Handoff.filter(status="waiting").order_by("requested_at")
        mine = await Handoff.filter(status="active", operator_id=operator_id).order_by("claimed_at")
        counts = await assignment.active_counts()
        return {
            "waiting": [
                {
                    **handoff_json(h),
                    "position": i + 1,
                    "waited_seconds": round((now - h.requested_at).total_seconds()),
                }
                for i, h in enumerate(waiting)
            ],
            "mine": [handoff_json(h) for h in mine],
            "active_total": sum(counts.values()),
            "cap": self.policy.operator_cap,
            "assignment": self.policy.assignment,
        }

    async def set_accepting(self, operator_id: str, accepting: bool) -> None:
        await assignment.touch(operator_id, self.clock(), accepting=accepting)

    async def _get(self, handoff_id: str) -> Handoff:
        handoff = await Handoff.get_or_none(id=handoff_id)
        if handoff is None:
            raise not_found("handoff_not_found", "No takeover request with this id.")
        return handoff

    async def claim(self, handoff_id: str, operator_id: str) -> dict[str, Any]:
        """Take a waiting conversation; 409 when someone was quicker or the operator is at the cap."""
        handoff = await self._get(handoff_id)
        held = (await assignment.active_counts([operator_id])).get(operator_id, 0)
        if held >= self.policy.operator_cap:
            raise conflict("operator_at_cap", f"You already hold {held} conversations (the cap).")
        if not await self._take(handoff, operator_id):
            raise conflict("already_claimed", "This request is no longer waiting.")
        await handoff.refresh_from_db()
        return handoff_json(handoff)

    async def _take(self, handoff: Handoff, operator_id: str) -> bool:
        """Atomically move a waiting handoff to `operator_id`; False when it was not waiting any more."""
        now = self.clock()
        taken = await Handoff.filter(id=handoff.id, status="waiting").update(
            status="active", operator_id=operator_id, claimed_at=now
        )
        if not taken:
            return False
        handoff.status, handoff.operator_id, handoff.claimed_at = "active", operator_id, now
        await assignment.mark_assigned(operator_id, now)
        await Conversation.filter(id=handoff.conversation_id).update(status="operator")
        await self._add(handoff, "system", self.texts.handoff.texts.joined)
        return True

    async def _held(self, handoff_id: str, operator_id: str, supervisor: bool) -> Handoff:
        handoff = await self._get(handoff_id)
        if handoff.status != "active":
            raise conflict("not_active", "Nobody holds this conversation now.")
        if handoff.operator_id != operator_id and not supervisor:
            raise conflict("held_by_other", "Another operator holds this conversation.")
        return handoff

    async def send(
        self, handoff_id: str, operator_id: str, text: str, supervisor: bool = False
    ) -> dict[str, Any]:
        """An operator's message to the citizen: stored masked, pushed at once."""
        handoff = await self._held(handoff_id, operator_id, supervisor)
        message = await self._add(handoff, "operator", text, operator_id=operator_id)
        if handoff.first_reply_at is None:
            await Handoff.filter(id=handoff.id, first_reply_at=None).update(first_reply_at=message.created_at)
        return message_json(message)

    async def messages(self, handoff_id: str, after: int) -> dict[str, Any]:
        handoff = await self._get(handoff_id)
        rows = await HandoffMessage.filter(handoff_id=handoff.id, id__gt=after).order_by("id")
        return {"handoff": handoff_json(handoff), "messages": [message_json(m) for m in rows]}

    async def end(
        self, handoff_id: str, operator_id: str, how: Literal["returned", "closed"], supervisor: bool = False
    ) -> dict[str, Any]:
        """Hand the conversation back to the guide (`returned`) or close it (`closed`)."""
        handoff = await self._held(handoff_id, operator_id, supervisor)
        ended = await Handoff.filter(id=handoff.id, status="active").update(status=how, ended_at=self.clock())
        if not ended:
            raise conflict("not_active", "Nobody holds this conversation now.")
        handoff.status = how
        await self.kv.delete(HANDOFF_KEY + handoff.conversation_id)
        await Conversation.filter(id=handoff.conversation_id).update(status="bot")
        texts = self.texts.handoff.texts
        await self._add(handoff, "system", texts.returned if how == "returned" else texts.closed)
        await handoff.refresh_from_db()
        return handoff_json(handoff)

    # --- housekeeping ------------------------------------------------------------------------

    async def sweep(self) -> None:
        """Apologise once to requests waiting longer than `polite_after_seconds` (they stay queued),
        then, under round robin, give waiting requests to free operators. Safe on many workers."""
        now = self.clock()
        cutoff = now - dt.timedelta(seconds=self.policy.polite_after_seconds)
        overdue = Handoff.filter(status="waiting", polite_sent_at=None, requested_at__lte=db_time(cutoff))
        for handoff in await overdue:
            if await Handoff.filter(id=handoff.id, polite_sent_at=None).update(polite_sent_at=now):
                await self._add(handoff, "system", self.texts.handoff.texts.still_waiting)
        if self.policy.assignment == "round_robin":
            await self._assign_waiting()

    async def _assign_waiting(self) -> None:
        for handoff in await Handoff.filter(status="waiting").order_by("requested_at"):
            operator_id = await assignment.next_operator(
                self.clock(), online_seconds=self.policy.online_seconds, cap=self.policy.operator_cap
            )
            if operator_id is None:
                return
            await self._take(handoff, operator_id)


def _to_citizen(message: HandoffMessage) -> dict[str, Any]:
    """A message as the citizen's app gets it: no operator ids."""
    return {
        "id": message.id,
        "sender": message.sender,
        "text": mask_text(message.text),
        "created_at": message.created_at.isoformat(),
    }
