"""The one way a change of an application is recorded: a timeline row and a version bump, in the
caller's transaction. Anything that must happen exactly when a change happens (the push outbox) hooks
in here, so it commits or rolls back with the change itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.models import Application, Task, TimelineEvent


@dataclass(frozen=True)
class Actor:
    """Who made a change: a citizen (`user`), a `department` system (id = department code) or the `system`."""

    kind: str
    id: str


SYSTEM = Actor("system", "system")

# Called with every event in its transaction (the push outbox): (conn, application, task, event).
Observer = Callable[[BaseDBAsyncClient, Application, Task | None, TimelineEvent], Awaitable[None]]


async def record(
    conn: BaseDBAsyncClient,
    application: Application,
    task: Task | None,
    kind: str,
    actor: Actor,
    detail: dict[str, Any],
    occurred_at: dt.datetime,
    observer: Observer | None = None,
) -> TimelineEvent:
    """Bump `application.version` and write one timeline event for it; call inside the transaction.

    The application row must be locked by the caller (`select_for_update`), so versions never repeat.
    `observer` (the push outbox) writes what the event causes in the same transaction.
    """
    application.version += 1
    await Application.filter(id=application.id).using_db(conn).update(version=application.version)
    event = await TimelineEvent.create(
        application_id=application.id,
        task_id=task.id if task else None,
        kind=kind,
        actor_kind=actor.kind,
        actor_id=actor.id,
        detail=detail,
        version=application.version,
        occurred_at=occurred_at,
        using_db=conn,
    )
    if observer is not None:
        await observer(conn, application, task, event)
    return event
