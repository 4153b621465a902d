"""Statistics for supervisors over a time range: volume per day, bundles, fallback / clarify / handoff
rates, time to the first operator reply, 好差评 scores and whether bad ratings were answered in time.

Rows of the range are read once and counted here (days in the service's time zone), so SQLite and
PostgreSQL give the same figures without dialect-specific date functions.
"""

from __future__ import annotations

import datetime as dt
import statistics as stats
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from server.db import db_time
from server.models import Case, Conversation, Delivery, Handoff, Rating, Turn
from server.push.queue import DEAD_LETTERS, pending_count


def _days(since: dt.datetime, until: dt.datetime, zone: ZoneInfo) -> list[dt.date]:
    first, last = (
        since.astimezone(zone).date(),
        (until - dt.timedelta(microseconds=1)).astimezone(zone).date(),
    )
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def statistics(
    *, since: dt.datetime, until: dt.datetime, timezone: str, today: dt.date, bad_at_most: int
) -> dict[str, Any]:
    """The figures of [since, until)."""
    zone = ZoneInfo(timezone)
    low, high = db_time(since), db_time(until)
    turns = await Turn.filter(created_at__gte=low, created_at__lt=high).values_list(
        "created_at", "reply_type"
    )
    started = [
        row[0]
        for row in await Conversation.filter(created_at__gte=low, created_at__lt=high).values_list(
            "created_at"
        )
    ]
    active = await Conversation.filter(updated_at__gte=low, updated_at__lt=high).values_list("id", "bundle")
    handoffs = await Handoff.filter(requested_at__gte=low, requested_at__lt=high).values_list(
        "conversation_id", "requested_at", "first_reply_at"
    )
    ratings = [
        row[0] for row in await Rating.filter(created_at__gte=low, created_at__lt=high).values_list("score")
    ]
    followups = await Case.filter(kind="rating_followup", created_at__gte=low, created_at__lt=high)

    per_day_turns = Counter(at.astimezone(zone).date() for at, _ in turns)
    per_day_started = Counter(at.astimezone(zone).date() for at in started)
    kinds = Counter(kind for _, kind in turns)
    bundles = Counter(bundle for _, bundle in active)
    handed = {cid for cid, _, _ in handoffs}
    waits = [(first - asked).total_seconds() for _, asked, first in handoffs if first is not None]
    in_time = sum(
        1 for c in followups if c.answered_at is not None and db_time(c.answered_at).date() <= c.due_on
    )
    late = sum(1 for c in followups if c.answered_at is not None and db_time(c.answered_at).date() > c.due_on)
    overdue_open = sum(1 for c in followups if c.answered_at is None and today > c.due_on)
    return {
        "undelivered_notifications": await pending_count(),  # waiting for (another) try, now
        "failed_notifications": await Delivery.filter(status__in=DEAD_LETTERS).count(),  # dead letters
        "since": since.isoformat(),
        "until": until.isoformat(),
        "days": [
            {"date": day.isoformat(), "conversations": per_day_started[day], "turns": per_day_turns[day]}
            for day in _days(since, until, zone)
        ],
        "turns": len(turns),
        "conversations": len(active),
        "handoffs": len(handoffs),
        "bundles": [{"bundle": slug, "conversations": n} for slug, n in bundles.most_common()],
        "reply_types": dict(kinds),
        "rates": {
            "fallback": _share(kinds["fallback"], len(turns)) or 0.0,
            "clarify": _share(kinds["clarify"], len(turns)) or 0.0,
            "handoff": _share(len(handed), len(active)) or 0.0,
        },
        "first_reply_seconds": {
            "count": len(waits),
            "average": round(stats.fmean(waits), 1) if waits else None,
            "median": round(stats.median(waits), 1) if waits else None,
        },
        "ratings": {
            "count": len(ratings),
            "average": round(stats.fmean(ratings), 2) if ratings else None,
            "bad": sum(1 for s in ratings if s <= bad_at_most),
            "distribution": {str(score): sum(1 for s in ratings if s == score) for score in range(1, 6)},
        },
        "bad_answered_in_time": {
            "cases": len(followups),
            "in_time": in_time,
            "late": late,
            "overdue_open": overdue_open,
            "share": _share(in_time, in_time + late + overdue_open),
        },
    }
