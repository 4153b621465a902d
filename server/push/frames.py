"""The JSON text frames of `/api/v1/ws`, built in one place (documented in mobile_api_spec/)."""

from __future__ import annotations

import json
from collections.abc import Iterable
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


def fanout_message(frames: Iterable[tuple[str, int, str]]) -> str:
    """What goes over the kv channel to every worker: for each frame, who, which seq, then the frame
    as sent, one per line (a frame is one line of JSON: `dumps` escapes every line break)."""
    return "\n".join(f"{user_id}\n{seq}\n{frame}" for user_id, seq, frame in frames)


def parse_fanout(message: str) -> list[tuple[str, int, str]]:
    """The (user_id, seq, frame) triples of one kv message; a malformed triple ends the message."""
    lines = message.split("\n")
    parsed = []
    for at in range(0, len(lines) - 2, 3):
        user_id, seq, frame = lines[at : at + 3]
        if not seq.isdigit():
            break
        parsed.append((user_id, int(seq), frame))
    return parsed
