"""超期提醒: tell the citizen when a task has passed its promised day (its `due_on`, in working days).

Every server worker sweeps now and then; a task is told once per due day (a 补正 that moves the
due day may make it due again later). Concurrent sweeps are safe: the notification's dedup key is
unique, and a sweep that loses the race for a task skips it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.applications.states import OPEN
from server.models import Notification, Task
from server.push.application_events import TimelineObserver, notify_change

log = logging.getLogger("server.push.overdue")


def dedup_event(task: Task) -> str:
    return f"overdue-{task.id}-{task.due_on}"


async def sweep(observer: TimelineObserver, today: dt.date) -> int:
    """Notify every open task past its due day not told yet; how many were told."""
    told = 0
    overdue = Task.filter(status__in=[s.value for s in OPEN], due_on__lt=today)
    for task in await overdue.prefetch_related("application"):
        event_id = dedup_event(task)
        if await Notification.filter(dedup_key=f"timeline:{event_id}").exists():
            continue
        detail = {"due_on": str(task.due_on)}
        change = observer.change(task.application, task, "overdue", detail, event_id)
        try:
            async with in_transaction() as conn:
                told += 1 if await notify_change(conn, observer.config, change) else 0
        except IntegrityError:
            continue  # another worker told it at the same moment
    return told


async def run(observer: TimelineObserver, today: Callable[[], dt.date], every_seconds: float) -> None:
    """Sweep every `every_seconds` until cancelled; wakes nobody (the dispatchers poll)."""
    while True:
        try:
            told = await sweep(observer, today())
            if told:
                log.info("overdue tasks told", extra={"count": told})
        except Exception:
            log.exception("overdue sweep failed; trying again later")
        await asyncio.sleep(every_seconds)
