"""The task state machine and the derived progress, as pure functions."""

from __future__ import annotations

import datetime as dt

from server.applications.progress import TaskPlan, application_status, estimate, extend, warning
from server.applications.states import TaskStatus as S
from server.applications.states import Verdict, allowed, judge
from server.config import REPO_ROOT
from server.guide.knowledge import load_knowledge

CALENDAR = load_knowledge(REPO_ROOT / "knowledge").calendar
T0 = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


def test_the_main_path_and_the_correction_loop_are_allowed() -> None:
    path = [
        S.submitted,
        S.accepted,
        S.in_review,
        S.needs_correction,
        S.in_review,
        S.approved,
        S.result_issued,
        S.done,
    ]
    assert all(allowed(a, b) for a, b in zip(path, path[1:], strict=False))
    for final in (S.done, S.rejected, S.withdrawn, S.cancelled):
        assert not any(allowed(final, target) for target in S)
    assert not allowed(S.in_review, S.accepted) and not allowed(S.submitted, S.done)
    assert not any(allowed(S.waiting, target) for target in S)  # released by the service only


def test_late_events_are_superseded_and_backwards_ones_illegal() -> None:
    later = T0 + dt.timedelta(hours=1)
    assert judge(S.in_review, S.accepted, T0, later).verdict == Verdict.superseded
    assert judge(S.in_review, S.accepted, later, T0).verdict == Verdict.illegal
    assert judge(S.accepted, S.approved, T0, later).verdict == Verdict.apply  # late but further on
    assert judge(S.done, S.in_review, later, T0).verdict == Verdict.illegal


def test_application_status_follows_its_tasks() -> None:
    assert application_status([S.submitted, S.waiting], False) == "submitted"
    assert application_status([S.accepted, S.waiting], False) == "in_progress"
    assert application_status([S.needs_correction, S.done], False) == "needs_correction"
    assert application_status([S.done, S.done], False) == "done"
    assert application_status([S.done, S.rejected, S.cancelled], False) == "partially_done"
    assert application_status([S.rejected, S.cancelled], False) == "rejected"
    assert application_status([S.withdrawn], True) == "withdrawn"


def test_expected_completion_is_the_critical_path_in_working_days() -> None:
    today = dt.date(2026, 9, 28)  # Monday before National Day
    plans = [
        TaskPlan("a", S.accepted, (), 3, due_on=CALENDAR.add(today, 3)),
        TaskPlan("b", S.waiting, ("a",), 2, None),
        TaskPlan("c", S.submitted, (), None, None),
    ]
    result = estimate(plans, CALENDAR, today)
    # a: 29, 30 Sep, 8 Oct; b: 9, 10 (a Saturday worked) Oct
    assert result.expected_completion == dt.date(2026, 10, 10)
    assert result.unknown_items == ("c",)
    # Into 2027, whose notice is not out: counted on the statutory days off (元旦 1 Jan), marked estimated.
    into_next_year = estimate([TaskPlan("x", S.submitted, (), 60, None)], CALENDAR, dt.date(2026, 11, 2))
    assert into_next_year.expected_completion == dt.date(2027, 1, 26)
    assert into_next_year.estimated and into_next_year.reason == "holidays_estimated_after_2026"
    assert not result.estimated and result.reason is None
    beyond = estimate([TaskPlan("x", S.submitted, (), 60, None)], CALENDAR, dt.date(2028, 11, 2))
    assert beyond.expected_completion is None and beyond.reason == "calendar_unknown_after_2028"


def test_warnings_and_paused_clock() -> None:
    due = dt.date(2026, 12, 10)
    assert warning(CALENDAR, due, dt.date(2026, 12, 11), 2) == "overdue"
    assert warning(CALENDAR, due, dt.date(2026, 12, 8), 2) == "due_soon"
    assert warning(CALENDAR, due, dt.date(2026, 12, 1), 2) is None
    assert extend(CALENDAR, due, dt.date(2026, 12, 1), dt.date(2026, 12, 3)) == dt.date(2026, 12, 14)
