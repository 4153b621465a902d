"""Where an application stands, derived from its tasks: its status, expected completion, 超期预警.

Pure: takes the tasks as plain values, the working-day calendar and today's date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from server.applications.states import TaskStatus
from server.workdays import CalendarUnknown, WorkdayCalendar

_STOPPED = {TaskStatus.rejected, TaskStatus.withdrawn, TaskStatus.cancelled}


@dataclass(frozen=True)
class TaskPlan:
    """What the estimate needs of one task."""

    item: str
    status: TaskStatus
    requires: tuple[str, ...]
    time_limit_days: int | None  # promised working days; None when the knowledge states none
    due_on: dt.date | None  # set at acceptance
    finished_on: dt.date | None = None


@dataclass(frozen=True)
class Estimate:
    expected_completion: dt.date | None
    unknown_items: tuple[str, ...]  # open items without a stated time limit (not in the date)
    reason: str | None = None  # why there is no date, or `holidays_estimated_after_<year>`
    estimated: bool = False  # counted on the rule's days off: that year's notice is not out yet


def application_status(statuses: Sequence[TaskStatus], withdrawn: bool) -> str:
    """One word for the citizen: submitted, in_progress, needs_correction, done, partially_done,
    rejected or withdrawn."""
    if withdrawn:
        return "withdrawn"
    if TaskStatus.needs_correction in statuses:
        return "needs_correction"
    open_ = [s for s in statuses if s not in _STOPPED and s != TaskStatus.done]
    if not open_:
        if all(s == TaskStatus.done for s in statuses):
            return "done"
        return "partially_done" if TaskStatus.done in statuses else "rejected"
    if (
        all(s in (TaskStatus.submitted, TaskStatus.waiting) for s in open_)
        and TaskStatus.done not in statuses
    ):
        return "submitted"
    return "in_progress"


def estimate(plans: Sequence[TaskPlan], calendar: WorkdayCalendar | None, today: dt.date) -> Estimate:
    """The critical path of the open tasks' promised limits in working days, from acceptance (or
    from today for tasks not accepted yet, after the tasks they wait on)."""
    if calendar is None:
        return Estimate(None, (), "calendar_unknown")
    finish: dict[str, dt.date] = {}
    unknown: list[str] = []
    by_item = {plan.item: plan for plan in plans}

    def finish_of(plan: TaskPlan) -> dt.date:
        if plan.item in finish:
            return finish[plan.item]
        if plan.status in (TaskStatus.done, TaskStatus.result_issued):
            day = plan.finished_on or today
        elif plan.due_on is not None:
            day = plan.due_on
        else:
            start = max(
                [today] + [finish_of(by_item[r]) for r in plan.requires if r in by_item], default=today
            )
            if plan.time_limit_days is None:
                unknown.append(plan.item)
                day = start
            else:
                day = calendar.add(start, plan.time_limit_days)
        finish[plan.item] = day
        return day

    active = [plan for plan in plans if plan.status not in _STOPPED]
    if not active:
        return Estimate(None, (), "no_open_tasks")
    try:
        expected = max(finish_of(plan) for plan in active)
    except CalendarUnknown as exc:
        return Estimate(None, tuple(unknown), f"calendar_unknown_after_{exc.last_year}")
    unknown_items = tuple(dict.fromkeys(unknown))
    if calendar.is_estimate(expected):
        return Estimate(expected, unknown_items, f"holidays_estimated_after_{calendar.last_year}", True)
    return Estimate(expected, unknown_items)


def due_on(calendar: WorkdayCalendar, accepted_on: dt.date, time_limit_days: int | None) -> dt.date | None:
    """The last day of a task's time limit counted from acceptance; None without a limit or a calendar."""
    if time_limit_days is None:
        return None
    try:
        return calendar.add(accepted_on, time_limit_days)
    except CalendarUnknown:
        return None


def extend(
    calendar: WorkdayCalendar, due: dt.date | None, paused_from: dt.date, paused_to: dt.date
) -> dt.date | None:
    """The due date moved by the working days a 补正 paused the clock (补正期间不计入时限)."""
    if due is None:
        return None
    try:
        return calendar.add(due, calendar.between(paused_from, paused_to))
    except CalendarUnknown:
        return due


def warning(
    calendar: WorkdayCalendar | None, due: dt.date | None, today: dt.date, warn_days: int
) -> str | None:
    """`overdue` past the due day, `due_soon` within `warn_days` working days of it, else None."""
    if due is None:
        return None
    if today > due:
        return "overdue"
    if calendar is None:
        return None
    try:
        return "due_soon" if calendar.between(today, due) <= warn_days else None
    except CalendarUnknown:
        return None
