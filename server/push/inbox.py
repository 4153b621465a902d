"""The in-app inbox: newest first, read marks, unread count, and the replay a reconnecting socket gets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from server.models import Notification


async def page(
    user_id: str, before_id: int | None = None, limit: int = 20, unread_only: bool = False
) -> list[Notification]:
    query = Notification.filter(user_id=user_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    if unread_only:
        query = query.filter(read_at__isnull=True)
    return list(await query.order_by("-id").limit(limit))


async def unread_count(user_id: str) -> int:
    return await Notification.filter(user_id=user_id, read_at__isnull=True).count()


async def mark_read(user_id: str, ids: Sequence[int]) -> int:
    """Mark the caller's own notifications among `ids` read; how many changed."""
    return await Notification.filter(user_id=user_id, id__in=list(ids), read_at__isnull=True).update(
        read_at=dt.datetime.now(dt.UTC)
    )


async def mark_all_read(user_id: str) -> int:
    return await Notification.filter(user_id=user_id, read_at__isnull=True).update(
        read_at=dt.datetime.now(dt.UTC)
    )


async def since(user_id: str, seq: int, limit: int) -> list[Notification]:
    """What a citizen has not seen after `seq`, oldest first (at most `limit`)."""
    return list(await Notification.filter(user_id=user_id, seq__gt=seq).order_by("seq").limit(limit))


async def last_seq(user_id: str) -> int:
    latest = await Notification.filter(user_id=user_id).order_by("-seq").only("seq").first()
    return latest.seq if latest else 0
