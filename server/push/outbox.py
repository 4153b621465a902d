"""The transactional outbox: a notification and its deliveries are written in the caller's transaction.

`notify(conn, ...)` is called with the connection of the transaction that changes the state the
notification is about, so either both are committed or neither. It writes the inbox row and one
delivery row per channel target the citizen can be reached on (their preferences allowing), each
with its own idempotency key. After the commit the caller calls `wake(kv)` so a dispatcher sends
at once; a lost wake-up only waits for the next poll.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.kv import KV
from server.models import Delivery, Device, Notification, PushPreference, User, WeChatSubscription
from server.privacy import mask_text
from server.push import sql
from server.push.config import APP_PUSH, WEBSOCKET, WECHAT, PushConfig

WAKE_CHANNEL = "push:wake"
# Data values that are identifiers we issued, never masked (a hex conversation id may hold a digit
# run that reads like a phone number).
OUR_IDS = frozenset({"receipt_no", "conversation_id"})


@dataclass(frozen=True)
class NewNotification:
    """What to tell a citizen. `dedup_key` (e.g. the timeline event id) makes a repeat a no-op."""

    user_id: str
    category: str
    title: str
    body: str
    application_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    dedup_key: str | None = None


def now_ms() -> int:
    return int(time.time() * 1000)


async def _next_seq(conn: BaseDBAsyncClient, user_id: str) -> int:
    """Bump the citizen's counter; the row lock it takes orders their notifications by commit."""
    found = await sql.rows(
        conn,
        "INSERT INTO push_user_state (user_id, last_seq) VALUES (?, 1) "
        "ON CONFLICT (user_id) DO UPDATE SET last_seq = push_user_state.last_seq + 1 RETURNING last_seq",
        [user_id],
    )
    return int(found[0]["last_seq"])


async def _switched_off(conn: BaseDBAsyncClient, user_id: str, category: str) -> set[str]:
    prefs = await PushPreference.filter(user_id=user_id, category=category, enabled=False).using_db(conn)
    return {p.channel for p in prefs}


async def _targets(
    conn: BaseDBAsyncClient, config: PushConfig, user_id: str, category: str
) -> list[tuple[str, str | None]]:
    """(channel, target) pairs the citizen can be reached on for `category`, one-time credits taken."""
    critical = config.texts.get(category).critical
    off = set() if critical else await _switched_off(conn, user_id, category)
    targets: list[tuple[str, str | None]] = []
    if WEBSOCKET not in off:
        targets.append((WEBSOCKET, None))
    template = config.templates.get(category)
    if template and WECHAT not in off:
        user = await User.filter(id=user_id).using_db(conn).only("id", "openid").first()
        if user and user.openid and await _take_wechat_credit(conn, user_id, template.template_id):
            targets.append((WECHAT, template.template_id))
    if config.app_push_provider and APP_PUSH not in off:
        devices = await Device.filter(user_id=user_id, provider=config.app_push_provider).using_db(conn)
        targets.extend((APP_PUSH, device.id) for device in devices)
    return targets


async def _take_wechat_credit(conn: BaseDBAsyncClient, user_id: str, template_id: str) -> bool:
    """A long-term consent, or one one-time credit used up (conditionally, so two sends never share one)."""
    subscription = (
        await WeChatSubscription.filter(user_id=user_id, template_id=template_id).using_db(conn).first()
    )
    if subscription is None:
        return False
    if subscription.kind == "long_term":
        return subscription.accepted
    taken = await sql.execute(
        conn,
        "UPDATE wechat_subscription SET credits = credits - 1 WHERE id = ? AND credits > 0",
        [subscription.id],
    )
    return taken == 1


async def notify(conn: BaseDBAsyncClient, config: PushConfig, note: NewNotification) -> Notification | None:
    """Write `note` to the inbox and the outbox inside `conn`'s transaction; None if already written."""
    config.texts.get(note.category)
    if note.dedup_key and await Notification.filter(dedup_key=note.dedup_key).using_db(conn).exists():
        return None
    seq = await _next_seq(conn, note.user_id)
    receipt = note.data.get("receipt_no")
    ours = (receipt,) if isinstance(receipt, str) else ()
    notification = await Notification.create(
        using_db=conn,
        user_id=note.user_id,
        seq=seq,
        category=note.category,
        application_id=note.application_id,
        title=mask_text(note.title, ours)[:128],
        body=mask_text(note.body, ours),
        data={
            k: v if k in OUR_IDS or not isinstance(v, str) else mask_text(v, ours)
            for k, v in note.data.items()
        },
        dedup_key=note.dedup_key,
    )
    due = now_ms()
    deliveries = [
        Delivery(
            notification_id=notification.id,
            user_id=note.user_id,
            channel=channel,
            target=target,
            idempotency_key=uuid.uuid4().hex,
            due_ms=due,
        )
        for channel, target in await _targets(conn, config, note.user_id, note.category)
    ]
    if deliveries:
        await Delivery.bulk_create(deliveries, using_db=conn)
    return notification


async def wake(kv: KV) -> None:
    """Tell dispatchers there is work (call after the commit)."""
    await kv.publish(WAKE_CHANNEL, "1")
