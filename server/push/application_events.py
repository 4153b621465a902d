"""Which changes of an application a citizen is told about, and in what words.

The applications domain calls `notify_change` from its one timeline function, inside the transaction
of the change, so the notification exists exactly when the change does. Changes the citizen made
themselves (withdrawing, answering a 补正) are not echoed back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.guide.knowledge import Knowledge
from server.models import Application, Notification, Task, TimelineEvent
from server.push.config import PushConfig
from server.push.outbox import NewNotification, notify

# Task statuses a department reports that the citizen hears about (category = status).
TOLD_STATUSES = frozenset(
    {"accepted", "in_review", "needs_correction", "approved", "rejected", "result_issued", "done"}
)
# Timeline kinds other than a department's task status.
TOLD_KINDS = {"submitted": "submitted", "task_cancelled": "cancelled", "overdue": "overdue"}


@dataclass(frozen=True)
class ApplicationChange:
    """One timeline event as the push domain needs it (names already resolved from the knowledge)."""

    event_id: int | str
    kind: str
    user_id: str
    application_id: str
    receipt_no: str
    bundle: str
    item: str = ""
    department: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)


def category_of(change: ApplicationChange) -> str | None:
    if change.kind == "task_status":
        status = str(change.detail.get("status", ""))
        return status if status in TOLD_STATUSES else None
    return TOLD_KINDS.get(change.kind)


def describe(config: PushConfig, change: ApplicationChange) -> NewNotification | None:
    """The notification for `change`, or None when the citizen is not told about it."""
    category = category_of(change)
    if category is None:
        return None
    correction = change.detail.get("correction") or {}
    result = change.detail.get("result") or {}
    missing = [str(m) for m in correction.get("materials", [])]
    values: dict[str, Any] = {
        "bundle": change.bundle,
        "item": change.item,
        "department": change.department,
        "receipt_no": change.receipt_no,
        "reason": change.detail.get("reason") or correction.get("note") or "",
        "missing": "、".join(missing),
        "deadline": correction.get("deadline", ""),
        "collect": config.texts.collect_text(result) if result else "",
    }
    rendered = config.texts.render(category, values)
    data = {key: value for key, value in values.items() if value}
    if missing:
        data["missing_materials"] = missing
    if result:
        data["result"] = dict(result)
    return NewNotification(
        user_id=change.user_id,
        category=category,
        title=rendered.title,
        body=rendered.body,
        application_id=change.application_id,
        data=data,
        dedup_key=f"timeline:{change.event_id}",
    )


async def notify_change(
    conn: BaseDBAsyncClient, config: PushConfig, change: ApplicationChange
) -> Notification | None:
    """Write the notification of `change` (if the citizen is told about it) in `conn`'s transaction."""
    new = describe(config, change)
    return await notify(conn, config, new) if new else None


class TimelineObserver:
    """Called by the applications domain for every timeline event, inside the event's transaction.

    `knowledge()` gives the knowledge now served, for the names of bundles, departments and materials.
    """

    def __init__(self, config: PushConfig, knowledge: Callable[[], Knowledge]) -> None:
        self.config = config
        self.knowledge = knowledge

    def change(
        self,
        application: Application,
        task: Task | None,
        kind: str,
        detail: Mapping[str, Any],
        event_id: int | str,
    ) -> ApplicationChange:
        knowledge = self.knowledge()
        bundle = knowledge.bundles.get(application.bundle)
        department = knowledge.departments.get(task.department) if task else None
        named = dict(detail or {})
        correction = named.get("correction")
        if isinstance(correction, dict) and correction.get("materials"):
            names = [_material_name(knowledge, str(m)) for m in correction["materials"]]
            named["correction"] = {**correction, "materials": names}
        return ApplicationChange(
            event_id=event_id,
            kind=kind,
            user_id=application.user_id,
            application_id=application.id,
            receipt_no=application.receipt_no,
            bundle=bundle.name if bundle else application.bundle,
            item=task.item_name if task else "",
            department=department.name if department else (task.department if task else ""),
            detail=named,
        )

    async def __call__(
        self, conn: BaseDBAsyncClient, application: Application, task: Task | None, event: TimelineEvent
    ) -> None:
        change = self.change(application, task, event.kind, event.detail, event.id)
        await notify_change(conn, self.config, change)


def _material_name(knowledge: Knowledge, material_id: str) -> str:
    material = knowledge.materials.get(material_id)
    return material.name if material else material_id
