"""The task state machine: which status may follow which, and how a late or repeated event is judged.

`submitted → accepted → in_review → approved | rejected | needs_correction → result_issued → done`;
`needs_correction` returns to `in_review` when the citizen answers the 补正. A department may report a
later stage directly (in_review implies accepted; an on-the-spot approval skips review). `waiting`
tasks become `submitted` by themselves when the items they require are done; `withdrawn` and
`cancelled` are set by the service, never by a department.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class TaskStatus(StrEnum):
    waiting = "waiting"  # an item it requires is not done yet
    submitted = "submitted"
    accepted = "accepted"  # 受理: the time limit starts counting
    in_review = "in_review"
    needs_correction = "needs_correction"  # 补正: materials asked for, with a deadline
    approved = "approved"
    rejected = "rejected"
    result_issued = "result_issued"  # 出件
    done = "done"
    withdrawn = "withdrawn"  # the citizen withdrew the application (撤回)
    cancelled = "cancelled"  # an item it required was rejected


DEPARTMENT_STATUSES = (
    TaskStatus.submitted,
    TaskStatus.accepted,
    TaskStatus.in_review,
    TaskStatus.needs_correction,
    TaskStatus.approved,
    TaskStatus.rejected,
    TaskStatus.result_issued,
    TaskStatus.done,
)
FINAL = frozenset({TaskStatus.done, TaskStatus.rejected, TaskStatus.withdrawn, TaskStatus.cancelled})
OPEN = frozenset(TaskStatus) - FINAL

# What a department may report next. A `waiting` task is not yet the department's to move: the
# service submits it when the items it requires are done.
_NEXT: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.submitted: frozenset(
        {
            TaskStatus.accepted,
            TaskStatus.in_review,
            TaskStatus.needs_correction,
            TaskStatus.approved,
            TaskStatus.rejected,
        }
    ),
    TaskStatus.accepted: frozenset(
        {TaskStatus.in_review, TaskStatus.needs_correction, TaskStatus.approved, TaskStatus.rejected}
    ),
    TaskStatus.in_review: frozenset({TaskStatus.needs_correction, TaskStatus.approved, TaskStatus.rejected}),
    TaskStatus.needs_correction: frozenset({TaskStatus.in_review, TaskStatus.rejected}),
    TaskStatus.approved: frozenset({TaskStatus.result_issued}),
    TaskStatus.result_issued: frozenset({TaskStatus.done}),
}

# How far along a status is; a late event for a stage already reached or passed changes nothing.
_RANK = {
    TaskStatus.waiting: 0,
    TaskStatus.submitted: 1,
    TaskStatus.accepted: 2,
    TaskStatus.in_review: 3,
    TaskStatus.needs_correction: 3,
    TaskStatus.approved: 5,
    TaskStatus.rejected: 5,
    TaskStatus.result_issued: 6,
    TaskStatus.done: 7,
    TaskStatus.withdrawn: 8,
    TaskStatus.cancelled: 8,
}


def allowed(current: TaskStatus, target: TaskStatus) -> bool:
    return target in _NEXT.get(current, frozenset())


class Verdict(StrEnum):
    apply = "applied"
    superseded = "superseded"  # older than what the task already shows: recorded, not applied
    illegal = "illegal"  # recorded, not applied, answered 409


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str


def judge(
    current: TaskStatus, target: TaskStatus, occurred_at: dt.datetime, last_event_at: dt.datetime | None
) -> Judgement:
    """What to do with a department's `target` for a task now at `current`.

    Events are ordered by `occurred_at`: one older than the task's last applied event that names a
    stage the task has reached or passed is superseded; otherwise it must be an allowed transition.
    A task never moves backwards.
    """
    late = last_event_at is not None and occurred_at < last_event_at
    if late and _RANK[target] <= _RANK[current]:
        return Judgement(Verdict.superseded, f"the task is already {current.value}, reported later")
    if allowed(current, target):
        return Judgement(Verdict.apply, "")
    return Judgement(Verdict.illegal, f"a task that is {current.value} cannot become {target.value}")
