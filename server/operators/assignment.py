"""Who may take the next conversation: operators with the console open, accepting, under their cap,
the one given a conversation longest ago first (round robin)."""

from __future__ import annotations

import datetime as dt

from tortoise.functions import Count

from server.db import db_time
from server.models import Handoff, OperatorPresence

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


async def touch(operator_id: str, now: dt.datetime, accepting: bool | None = None) -> None:
    """The operator has the console open (and, when given, does or does not accept conversations)."""
    defaults: dict[str, object] = {"seen_at": now}
    if accepting is not None:
        defaults["accepting"] = accepting
    await OperatorPresence.update_or_create(defaults=defaults, operator_id=operator_id)


async def active_counts(operator_ids: list[str] | None = None) -> dict[str, int]:
    """Conversations each operator holds now."""
    query = Handoff.filter(status="active")
    if operator_ids is not None:
        query = query.filter(operator_id__in=operator_ids)
    rows = await query.annotate(n=Count("id")).group_by("operator_id").values_list("operator_id", "n")
    return {str(op): int(n) for op, n in rows}


async def next_operator(now: dt.datetime, *, online_seconds: float, cap: int) -> str | None:
    """The operator round robin gives the next conversation to, or None when nobody can take one."""
    since = now - dt.timedelta(seconds=online_seconds)
    present = await OperatorPresence.filter(seen_at__gte=db_time(since), accepting=True)
    if not present:
        return None
    counts = await active_counts([p.operator_id for p in present])
    free = [p for p in present if counts.get(p.operator_id, 0) < cap]
    if not free:
        return None
    free.sort(key=lambda p: (p.last_assigned_at or EPOCH, p.operator_id))
    return free[0].operator_id


async def mark_assigned(operator_id: str, now: dt.datetime) -> None:
    await OperatorPresence.filter(operator_id=operator_id).update(last_assigned_at=now)
