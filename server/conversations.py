"""Guide conversations between turns: one compact JSON record per conversation in the kv role, with a TTL.

On Redis every worker and host continues any conversation; on the in-process stand-in, this worker.

A record is stored as `[2, owner, seq, state]` (format 2), the state without the keys that still hold
their starting value, written by orjson straight from the dicts (no `dataclasses.asdict` deep copy).
Records stored by earlier versions (`{"id", "owner", "seq", "state"}`) are read as before.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from server.guide.dialogue import new_state
from server.json_codec import JSONDecodeError, dumps_text, loads
from server.kv import KV

KEY_PREFIX = "guide:conversation:"
FORMAT = 2

log = logging.getLogger("server.conversations")

_STARTING = new_state()


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
    """32 hex characters (128 random bits): unguessable, since holding the id is what lets a guest read it."""
    return secrets.token_hex(16)


def is_conversation_id(value: str) -> bool:
    """True when `value` could be an id we issued (anything else names no conversation)."""
    return _ID.fullmatch(value) is not None


def encode(record: ConversationRecord) -> str:
    """The stored form of `record` (its id is the key): format 2, starting values left out."""
    state = {k: v for k, v in record.state.items() if k not in _STARTING or v != _STARTING[k]}
    return dumps_text([FORMAT, record.owner, record.seq, state])


def decode(conversation_id: str, raw: str | bytes) -> ConversationRecord | None:
    """The record stored as `raw` (format 2 or the earlier object), its state with every starting key;
    None for a form this version does not know (a newer one, or damaged), which reads as expired."""
    try:
        stored = loads(raw)
    except JSONDecodeError:
        stored = None
    if isinstance(stored, list) and len(stored) == 4 and stored[0] == FORMAT:
        _, owner, seq, state = stored
    elif isinstance(stored, dict) and isinstance(stored.get("state"), dict):  # format 1
        owner, seq, state = stored.get("owner"), stored.get("seq", 0), stored["state"]
    else:
        log.warning("conversation record in an unknown format", extra={"conversation_id": conversation_id})
        return None
    return ConversationRecord(id=conversation_id, owner=owner, seq=seq, state={**new_state(), **state})


class ConversationStore:
    """Loads and saves conversation records; each save renews the TTL."""

    def __init__(self, kv: KV, ttl_seconds: float) -> None:
        self.kv = kv
        self.ttl = ttl_seconds

    async def load(self, conversation_id: str) -> ConversationRecord | None:
        """The record, or None when unknown or expired."""
        raw = await self.kv.get(KEY_PREFIX + conversation_id)
        return None if raw is None else decode(conversation_id, raw)

    async def save(self, record: ConversationRecord) -> None:
        await self.kv.set(KEY_PREFIX + record.id, encode(record), self.ttl)


def visible_to(owner: str | None, user_id: str | None) -> bool:
    """A guest conversation is readable by whoever holds its id; a user's only by that user."""
    return owner is None or owner == user_id
