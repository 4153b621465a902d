"""Push: every change a citizen should know about reaches them on their channels, once.

Pure domain (no Sanic). What other domains call:

- `notify(conn, config, NewNotification(...))` inside the transaction of the state change, then
  `wake(kv)` after the commit;
- `message_user(conn, config, user_id, text, ...)` for a message that belongs to no application
  (an operator's reply in a chat); `ChatDelivery` is the operators' `deliver` hook built on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server.kv import KV
from server.models import Notification
from server.push.config import PushConfig
from server.push.outbox import NewNotification, notify, wake

__all__ = ["ChatDelivery", "NewNotification", "PushConfig", "message_user", "notify", "wake"]


async def message_user(
    conn: BaseDBAsyncClient,
    config: PushConfig,
    user_id: str,
    text: str,
    *,
    conversation_id: str | None = None,
    dedup_key: str | None = None,
) -> Notification | None:
    """Tell a citizen `text` (category `message`), e.g. an operator's answer in a live chat."""
    rendered = config.texts.render("message", {"text": text})
    return await notify(
        conn,
        config,
        NewNotification(
            user_id=user_id,
            category="message",
            title=rendered.title,
            body=rendered.body,
            data={"conversation_id": conversation_id, "text": text},
            dedup_key=dedup_key,
        ),
    )


class ChatDelivery:
    """The operators' `deliver` hook: an operator's (or the system's) chat message to the citizen's
    channels, deduplicated by the chat message id, then a wake-up. Guests have no channel: the message
    reaches them in the reply to their next message, as it does every citizen."""

    def __init__(self, config: PushConfig, kv: KV) -> None:
        self.config = config
        self.kv = kv

    async def __call__(self, user_id: str | None, conversation_id: str, message: Mapping[str, Any]) -> None:
        if user_id is None:
            return
        async with in_transaction() as conn:
            await message_user(
                conn,
                self.config,
                user_id,
                str(message.get("text", "")),
                conversation_id=conversation_id,
                dedup_key=f"chat:{message.get('id')}",
            )
        await wake(self.kv)
