"""The working-day calendar of mainland China: weekends, statutory holidays and 调休 working weekends.

Time limits of government items are counted in working days (行政许可法 第八十二条), the day an
application is accepted not counted (民法典 第二百零一条). The days off and the weekends worked come
from the State Council's yearly notices, kept as data in `knowledge/holidays/<year>.yaml`. The years
right after the last notice (published only late in the year before) are counted on the statutory days
off of the national rule (`server.holiday_rule`) and reported as estimates; a date outside both raises
`CalendarUnknown` rather than guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_ONE_DAY = dt.timedelta(days=1)


class CalendarUnknown(ValueError):
    """The date lies in a year the calendar can neither read from a notice nor estimate."""

    def __init__(self, day: dt.date, first_year: int, last_year: int) -> None:
        super().__init__(f"no holiday calendar for {day.year} (known: {first_year}-{last_year})")
        self.day = day
        self.first_year = first_year
        self.last_year = last_year


@dataclass(frozen=True)
class HolidayYear:
    """One year's notice, as the calendar needs it: the days off and the weekend days worked."""

    year: int
    days_off: frozenset[dt.date]
    weekend_workdays: frozenset[dt.date]
    source: str


class WorkdayCalendar:
    """Answers "is this a working day" and counts working days, for the contiguous years it knows.

    `estimated` holds, for the years right after the last notice, the statutory days off of the rule.
    """

    def __init__(
        self, years: Iterable[HolidayYear], estimated: Mapping[int, frozenset[dt.date]] | None = None
    ) -> None:
        known = sorted(years, key=lambda y: y.year)
        if not known:
            raise ValueError("a working-day calendar needs at least one year")
        numbers = [y.year for y in known]
        if numbers != list(range(numbers[0], numbers[-1] + 1)):
            raise ValueError(f"holiday years must be contiguous, got {numbers}")
        self.first_year = numbers[0]
        self.last_year = numbers[-1]
        self.sources = {y.year: y.source for y in known}
        estimated = dict(estimated or {})
        if sorted(estimated) != list(range(self.last_year + 1, self.last_year + 1 + len(estimated))):
            raise ValueError(f"estimated years must follow {self.last_year}, got {sorted(estimated)}")
        self.last_counted_year = self.last_year + len(estimated)
        self._off = frozenset().union(*(y.days_off for y in known), *estimated.values())
        self._worked = frozenset().union(*(y.weekend_workdays for y in known))

    def knows(self, day: dt.date) -> bool:
        """Whether working days can be counted on `day`, from a notice or estimated."""
        return self.first_year <= day.year <= self.last_counted_year

    def is_estimate(self, day: dt.date) -> bool:
        """Whether `day` lies after the last published notice, where only the rule's days off are known."""
        return day.year > self.last_year

    def _check(self, day: dt.date) -> None:
        if not self.knows(day):
            raise CalendarUnknown(day, self.first_year, self.last_counted_year)

    def is_working_day(self, day: dt.date) -> bool:
        """Monday to Friday unless a statutory day off, plus the weekend days worked instead."""
        self._check(day)
        if day in self._worked:
            return True
        return day.weekday() < 5 and day not in self._off

    def add(self, start: dt.date, working_days: int) -> dt.date:
        """The day on which `working_days` working days after `start` end (`start` itself not counted).

        Zero days means `start` itself (当场办结).
        """
        if working_days < 0:
            raise ValueError("working_days must not be negative")
        self._check(start)
        day, left = start, working_days
        while left:
            day += _ONE_DAY
            if self.is_working_day(day):
                left -= 1
        return day

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 when `end` is not after `start`)."""
        self._check(start)
        self._check(end)
        count, day = 0, start
        while day < end:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count
