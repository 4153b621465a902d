"""The unmatched report: what users wrote that the guide answered with a fallback or a clarifying
question, grouped by similarity (rapidfuzz) with counts, the most common first — the list of
phrasings and topics to teach the guide next."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from server.db import db_time
from server.models import Turn
from server.operators.review import STRUCTURED_PREFIX
from server.operators.texts import squeeze
from server.privacy import mask_text

UNMATCHED_TYPES = ("fallback", "clarify")
EXAMPLES = 5


@dataclass
class Group:
    """Utterances alike enough to be one line of the report."""

    text: str  # the most frequent phrasing
    key: str
    count: int = 0
    examples: list[str] = field(default_factory=list)
    reply_types: dict[str, int] = field(default_factory=dict)
    conversation_ids: list[str] = field(default_factory=list)
    last_seen: dt.datetime | None = None

    def add(self, text: str, reply_type: str, conversation_id: str, at: dt.datetime) -> None:
        self.count += 1
        if text not in self.examples and len(self.examples) < EXAMPLES:
            self.examples.append(text)
        self.reply_types[reply_type] = self.reply_types.get(reply_type, 0) + 1
        if conversation_id not in self.conversation_ids and len(self.conversation_ids) < EXAMPLES:
            self.conversation_ids.append(conversation_id)
        if self.last_seen is None or at > self.last_seen:
            self.last_seen = at


Row = tuple[str, str, str, dt.datetime]  # text, reply type, conversation id, when


def group_utterances(rows: Iterable[Row], similarity: float) -> list[Group]:
    """Exact repeats first (ignoring spaces and punctuation), then each phrasing joins the first group
    whose leading phrasing is at least `similarity` alike (0–100), most frequent phrasings leading."""
    by_key: dict[str, list[Row]] = {}
    for row in rows:
        key = squeeze(row[0])
        if key:
            by_key.setdefault(key, []).append(row)
    groups: list[Group] = []
    keys: list[str] = []
    for key, same in sorted(by_key.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        found = process.extractOne(key, keys, scorer=fuzz.WRatio, score_cutoff=similarity) if keys else None
        if found is None:
            group = Group(text=same[0][0], key=key)
            groups.append(group)
            keys.append(key)
        else:
            group = groups[found[2]]
        for text, reply_type, conversation_id, at in same:
            group.add(text, reply_type, conversation_id, at)
    groups.sort(key=lambda g: (-g.count, g.key))
    return groups


async def unmatched_report(
    *, since: dt.datetime | None, until: dt.datetime | None, similarity: float, max_turns: int, top: int
) -> dict[str, Any]:
    """The groups of the newest `max_turns` unmatched user turns in the range, `top` of them."""
    query = Turn.filter(reply_type__in=UNMATCHED_TYPES).exclude(text__startswith=STRUCTURED_PREFIX)
    if since is not None:
        query = query.filter(created_at__gte=db_time(since))
    if until is not None:
        query = query.filter(created_at__lt=db_time(until))
    raw = (
        await query.order_by("-created_at")
        .limit(max_turns)
        .values_list("text", "reply_type", "conversation_id", "created_at")
    )
    rows: list[Row] = [(mask_text(text), kind, cid, at) for text, kind, cid, at in raw]
    groups = await asyncio.to_thread(group_utterances, rows, similarity)
    return {
        "turns": len(rows),
        "groups": [
            {
                "text": g.text,
                "count": g.count,
                "examples": g.examples,
                "reply_types": g.reply_types,
                "conversation_ids": g.conversation_ids,
                "last_seen": g.last_seen.isoformat() if g.last_seen else None,
            }
            for g in groups[:top]
        ],
        "total_groups": len(groups),
    }
