"""The JSON text frames of `/api/v1/ws`, built in one place (documented in mobile_api_spec/)."""

from __future__ import annotations

import json
from typing import Any

from server.models import Notification

WS_CHANNEL = "push:ws"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def notification_view(notification: Notification) -> dict[str, Any]:
    """A notification as clients see it, in the inbox and on the socket alike."""
    return {
        "id": notification.id,
        "seq": notification.seq,
        "category": notification.category,
        "application_id": notification.application_id,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data,
        "read": notification.read_at is not None,
        "created_at": notification.created_at.isoformat(),
    }


def notification_frame(notification: Notification) -> str:
    return dumps({"type": "notification", "notification": notification_view(notification)})


def fanout_message(user_id: str, seq: int, frame: str) -> str:
    """What goes over the kv channel to every worker: who, which seq, then the frame as sent."""
    return f"{user_id}\n{seq}\n{frame}"


def parse_fanout(message: str) -> tuple[str, int, str] | None:
    user_id, _, rest = message.partition("\n")
    seq, _, frame = rest.partition("\n")
    try:
        return user_id, int(seq), frame
    except ValueError:
        return None
