"""Guide conversations between turns: one JSON record per conversation in the kv role, with a TTL.

On Redis every worker and host continues any conversation; on the in-process stand-in, this worker.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from server.kv import KV

KEY_PREFIX = "guide:conversation:"


@dataclass
class ConversationRecord:
    """Who owns a conversation (None for a guest), how many turns it has had and the dialogue state."""

    id: str
    owner: str | None = None
    seq: int = 0
    state: dict[str, Any] = field(default_factory=dict)


ID_PATTERN = r"^[0-9a-f]{32}$"
_ID = re.compile(ID_PATTERN.strip("^$"))


def new_conversation_id() -> str:
    """32 hex characters: unguessable, since holding the id is what lets a guest read it."""
    return uuid.uuid4().hex


def is_conversation_id(value: str) -> bool:
    """True when `value` could be an id we issued (anything else names no conversation)."""
    return _ID.fullmatch(value) is not None


class ConversationStore:
    """Loads and saves conversation records; each save renews the TTL."""

    def __init__(self, kv: KV, ttl_seconds: float) -> None:
        self.kv = kv
        self.ttl = ttl_seconds

    async def load(self, conversation_id: str) -> ConversationRecord | None:
        """The record, or None when unknown or expired."""
        raw = await self.kv.get(KEY_PREFIX + conversation_id)
        return None if raw is None else ConversationRecord(**json.loads(raw))

    async def save(self, record: ConversationRecord) -> None:
        await self.kv.set(KEY_PREFIX + record.id, json.dumps(asdict(record), ensure_ascii=False), self.ttl)


def visible_to(owner: str | None, user_id: str | None) -> bool:
    """A guest conversation is readable by whoever holds its id; a user's only by that user."""
    return owner is None or owner == user_id
