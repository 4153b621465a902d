"""Cases that must be answered within working days: the follow-up of a bad 好差评 (回访, 整改) and
投诉建议 (consultation, complaint, suggestion), each category with its own deadline.

Deadlines are counted on the one working-day calendar (`server.workdays`), the day a case opens not
counted. Beyond the years whose holiday notices the calendar has, Monday to Friday are counted and
the deadline is marked approximate rather than refused. The citizen sees state, deadline and answer;
operators see who answered; an open case past its day is overdue.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.db import db_time
from server.models import Case, Rating
from server.operators.deadlines import CaseDeadlines
from server.operators.errors import conflict, forbidden, invalid, not_found
from server.operators.texts import CaseKind, OperatorsKnowledge
from server.privacy import mask_text
from server.workdays import CalendarUnknown, WorkdayCalendar

FEEDBACK_KINDS = ("consultation", "complaint", "suggestion")
ACTIONS = {
    "rating_followup": ("revisit", "rectify"),
    "consultation": ("reply",),
    "complaint": ("reply", "rectify"),
    "suggestion": ("reply",),
}


@dataclass(frozen=True)
class Calendar:
    """The working-day calendar, with weekdays counted beyond the years it can count (marked approximate,
    as are the years it counts on the statutory days off only)."""

    calendar: WorkdayCalendar | None

    def add(self, start: dt.date, days: int) -> tuple[dt.date, bool]:
        if self.calendar is not None:
            try:
                day = self.calendar.add(start, days)
                return day, self.calendar.is_estimate(day)
            except CalendarUnknown:
                pass
        day, left = start, days
        while left:
            day += dt.timedelta(days=1)
            left -= day.weekday() < 5
        return day, True

    def between(self, start: dt.date, end: dt.date) -> int:
        if self.calendar is not None:
            try:
                return self.calendar.between(start, end)
            except CalendarUnknown:
                pass
        return sum((start + dt.timedelta(days=n)).weekday() < 5 for n in range(1, (end - start).days + 1))


async def open_case(
    kind: CaseKind,
    *,
    user_id: str,
    text: str,
    reference: tuple[str, str] | None,
    rating: Rating | None,
    now: dt.datetime,
    today: dt.date,
    calendar: Calendar,
    deadlines: CaseDeadlines,
    connection: BaseDBAsyncClient | None = None,
) -> Case:
    """A new open case due `deadlines.days(kind)` working days after today."""
    due_on, _ = calendar.add(today, deadlines.days(kind))
    return await Case.create(
        id=uuid.uuid4().hex,
        kind=kind,
        user_id=user_id,
        rating=rating,
        reference_kind=reference[0] if reference else None,
        reference_id=reference[1] if reference else None,
        text=mask_text(text),
        status="open",
        due_on=due_on,
        created_at=now,
        using_db=connection,
    )


def _local_date(moment: dt.datetime) -> dt.date:
    return db_time(moment).date()


def case_json(
    case: Case, *, today: dt.date, calendar: Calendar, texts: OperatorsKnowledge, for_operator: bool
) -> dict[str, Any]:
    """A case as the console (for_operator) or the citizen's app shows it."""
    created_on = _local_date(case.created_at)
    working_days = calendar.between(created_on, case.due_on)
    overdue = case.status == "open" and today > case.due_on
    answered_in_time = case.answered_at is not None and _local_date(case.answered_at) <= case.due_on
    out: dict[str, Any] = {
        "id": case.id,
        "kind": case.kind,
        "kind_name": getattr(texts.config.cases, case.kind),
        "status": case.status,
        "text": mask_text(case.text),
        "reference_kind": case.reference_kind,
        "reference_id": case.reference_id,
        "due_on": case.due_on.isoformat(),
        "working_days": working_days,
        "working_days_left": 0 if today >= case.due_on else calendar.between(today, case.due_on),
        "overdue": overdue,
        "answered_in_time": answered_in_time if case.status == "answered" else None,
        "answer": case.answer,
        "action": case.action,
        "answered_at": case.answered_at.isoformat() if case.answered_at else None,
        "created_at": case.created_at.isoformat(),
        "rating": _rating_json(case.rating, texts) if case.rating is not None else None,
    }
    if for_operator:
        out["user_id"] = case.user_id
        out["answered_by"] = case.answered_by
        out["actions"] = list(ACTIONS[case.kind])
    return out


def _rating_json(rating: Rating, texts: OperatorsKnowledge) -> dict[str, Any]:
    tags = [texts.tag(t) for t in rating.tags]
    return {
        "id": rating.id,
        "target_kind": rating.target_kind,
        "target_id": rating.target_id,
        "score": rating.score,
        "level": texts.config.ratings.levels[rating.score],
        "tags": [{"id": t.id, "text": t.text} for t in tags if t is not None],
        "comment": mask_text(rating.comment),
        "created_at": rating.created_at.isoformat(),
    }


async def list_cases(
    *,
    kind: str | None,
    status: str | None,
    overdue: bool | None,
    today: dt.date,
    user_id: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[Case], int]:
    """Cases, the soonest due first (open ones) or newest first; `user_id` narrows to one citizen's."""
    query = Case.all().select_related("rating")
    if user_id is not None:
        query = query.filter(user_id=user_id)
    if kind is not None:
        query = query.filter(kind=kind)
    if status is not None:
        query = query.filter(status=status)
    if overdue is True:
        query = query.filter(status="open", due_on__lt=today)
    elif overdue is False:
        query = query.exclude(status="open", due_on__lt=today)
    total = await query.count()
    order = ("due_on", "created_at") if status == "open" else ("-created_at",)
    return await query.order_by(*order).offset(offset).limit(limit), total


async def get_case(case_id: str, *, user_id: str | None = None) -> Case:
    """One case; for a citizen (`user_id`) only their own, else 404."""
    case = await Case.get_or_none(id=case_id).select_related("rating")
    if case is None or (user_id is not None and case.user_id != user_id):
        raise not_found("case_not_found", "No case with this id.")
    return case


async def answer_case(
    case_id: str, *, action: str, answer: str, operator_id: str, supervisor: bool, now: dt.datetime
) -> Case:
    """Answer an open case once; a bad rating's follow-up is a supervisor's to answer (回访 or 整改)."""
    case = await get_case(case_id)
    if case.kind == "rating_followup" and not supervisor:
        raise forbidden("supervisor_required", "A bad rating's follow-up is answered by a supervisor.")
    if action not in ACTIONS[case.kind]:
        allowed = ", ".join(ACTIONS[case.kind])
        raise invalid("invalid_action", f"A {case.kind} case is answered with one of: {allowed}.")
    answered = await Case.filter(id=case.id, status="open").update(
        status="answered", action=action, answer=mask_text(answer), answered_by=operator_id, answered_at=now
    )
    if not answered:
        raise conflict("already_answered", "This case has been answered.")
    return await get_case(case_id)
