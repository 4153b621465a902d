"""The statutory days off of a year by the national rule, for years whose 放假安排 notice is not out yet.

The State Council publishes each year's days off and 调休 in November or December of the year before;
until then a time limit running into that year is counted on the rule of 全国年节及纪念日放假办法
(元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节), lunar dates and the 清明 solar term computed with
`lunar_python`. Only the notice fixes the 调休 swaps, so such days are an estimate and are marked so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from lunar_python import Lunar


@dataclass(frozen=True)
class StatutoryHoliday:
    """One festival of the rule: its date on its calendar, the offset of the first day off, how many days."""

    name: str
    calendar: Literal["solar", "lunar", "solar_term"]
    month: int | None = None
    day: int | None = None
    term: str | None = None  # the solar term's Chinese name, for calendar solar_term
    first_offset: int = 0  # days from that date to the first day off (春节: -1, from 除夕)
    days: int = 1


def festival_date(holiday: StatutoryHoliday, year: int) -> dt.date:
    """The Gregorian date of the festival in `year`."""
    if holiday.calendar == "solar":
        assert holiday.month and holiday.day
        return dt.date(year, holiday.month, holiday.day)
    if holiday.calendar == "lunar":
        assert holiday.month and holiday.day
        solar = Lunar.fromYmd(year, holiday.month, holiday.day).getSolar()
    else:
        assert holiday.term
        # The lunar year starting in `year` holds every solar term from 立春 on (清明 in April).
        solar = Lunar.fromYmd(year, 1, 1).getJieQiTable()[holiday.term]
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def statutory_days_off(holidays: Iterable[StatutoryHoliday], year: int) -> frozenset[dt.date]:
    """Every statutory day off the rule gives `year` (without the 调休 only a notice decides)."""
    days: set[dt.date] = set()
    for holiday in holidays:
        first = festival_date(holiday, year) + dt.timedelta(days=holiday.first_offset)
        days.update(first + dt.timedelta(days=n) for n in range(holiday.days))
    return frozenset(days)
