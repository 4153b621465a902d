"""Push: every change a citizen should know about reaches them on their channels, once.

Pure domain (no Sanic). What other domains call:

- `notify(conn, config, NewNotification(...))` inside the transaction of the state change, then
  `wake(kv)` after the commit;
- `message_user(conn, config, user_id, text, ...)` for a message that belongs to no application
  (an operator's reply in a chat).
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from server.models import Notification
from server.push.config import PushConfig
from server.push.outbox import NewNotification, notify, wake

__all__ = ["NewNotification", "PushConfig", "message_user", "notify", "wake"]


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
