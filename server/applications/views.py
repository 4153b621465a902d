"""JSON views of applications and tasks, as their owner, a department or a progress lookup sees them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from server.applications import progress
from server.applications.states import TaskStatus
from server.guide.knowledge import Knowledge
from server.models import Application, Task, TimelineEvent


def task_plan(task: Task) -> progress.TaskPlan:
    return progress.TaskPlan(
        item=task.item,
        status=TaskStatus(task.status),
        requires=tuple(task.requires),
        time_limit_days=task.time_limit_days,
        due_on=task.due_on,
        finished_on=task.updated_at.date() if task.status == TaskStatus.done and task.updated_at else None,
    )


def task_view(knowledge: Knowledge, task: Task, today: dt.date | None, warn_days: int) -> dict[str, Any]:
    """One task: its item, department, status, limit and due day, and what it asks or delivered."""
    department = knowledge.departments.get(task.department)
    open_ = TaskStatus(task.status) not in (
        TaskStatus.done,
        TaskStatus.result_issued,
        TaskStatus.rejected,
        TaskStatus.withdrawn,
        TaskStatus.cancelled,
    )
    warning = (
        progress.warning(knowledge.calendar, task.due_on, today, warn_days)
        if today is not None and open_
        else None
    )
    return {
        "id": task.id,
        "item": task.item,
        "item_name": task.item_name,
        "department": task.department,
        "department_name": department.name if department else task.department,
        "status": task.status,
        "requires": list(task.requires),
        "time_limit_working_days": task.time_limit_days,
        "accepted_at": task.accepted_at.isoformat() if task.accepted_at else None,
        "due_on": task.due_on.isoformat() if task.due_on else None,
        "due_on_estimated": bool(
            task.due_on and knowledge.calendar and knowledge.calendar.is_estimate(task.due_on)
        ),
        "warning": warning,
        "correction": task.correction,
        "result": task.result,
        "reason": task.reason,
        "version": task.version,
    }


def _timeline_entry(event: TimelineEvent, owner: bool) -> dict[str, Any]:
    actor: dict[str, Any] = {"kind": event.actor_kind}
    if event.actor_kind == "department":
        actor["department"] = event.actor_id
    elif owner and event.actor_kind == "user":
        actor["id"] = event.actor_id
    return {
        "version": event.version,
        "kind": event.kind,
        "task_id": event.task_id,
        "actor": actor,
        "detail": event.detail,
        "occurred_at": event.occurred_at.isoformat(),
        "recorded_at": event.created_at.isoformat(),
    }


def application_view(
    knowledge: Knowledge,
    application: Application,
    tasks: Sequence[Task],
    events: Sequence[TimelineEvent],
    today: dt.date,
    warn_days: int,
    *,
    form: Mapping[str, Any],
    query_code: str | None,
) -> dict[str, Any]:
    """The application with its tasks, timeline and expected completion; `query_code` only for its owner."""
    estimate = progress.estimate([task_plan(t) for t in tasks], knowledge.calendar, today)
    bundle = knowledge.bundles.get(application.bundle)
    view: dict[str, Any] = {
        "id": application.id,
        "receipt_no": application.receipt_no,
        "bundle": application.bundle,
        "bundle_name": bundle.name if bundle else application.bundle,
        "status": application.status,
        "version": application.version,
        "expected_completion": estimate.expected_completion.isoformat()
        if estimate.expected_completion
        else None,
        "expected_completion_note": estimate.reason,
        "expected_completion_estimated": estimate.estimated,
        "time_limit_unknown_items": list(estimate.unknown_items),
        "submitted_at": application.submitted_at.isoformat(),
        "finished_at": application.finished_at.isoformat() if application.finished_at else None,
        "tasks": [task_view(knowledge, t, today, warn_days) for t in tasks],
        "timeline": [_timeline_entry(e, query_code is not None) for e in events],
        "form": dict(form),
        "materials": dict(application.materials) if query_code is not None else sorted(application.materials),
    }
    if query_code is not None:
        view["query_code"] = query_code
        view["conversation_id"] = application.conversation_id
    return view
