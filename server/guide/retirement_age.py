"""A person's statutory retirement date under the 2025 reform, from sex, birth month and track.

Pure: the numbers (first delayed cohorts, step months, caps, minimum contribution, flexibility) come
from `knowledge/retirement_age.yaml` (`RetirementRules`); this module only does the month arithmetic
the reform's attached tables spell out row by row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from server.guide.schema import RetirementRules, RetirementTrack

_YEAR_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class RetirementAgeError(ValueError):
    """Input the calculation cannot take (unknown track, a track of the other sex, a bad month)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, order=True)
class YearMonth:
    """A calendar month; arithmetic in whole months."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> YearMonth:
        """`1975-06` → YearMonth(1975, 6); RetirementAgeError otherwise."""
        found = _YEAR_MONTH.match(text)
        if not found:
            raise RetirementAgeError("invalid_birth", f"'{text}' is not a year and month like 1975-06.")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> YearMonth:
        return cls(day.year, day.month)

    def index(self) -> int:
        """Months since year 0, for arithmetic."""
        return self.year * 12 + self.month - 1

    def plus(self, months: int) -> YearMonth:
        index = self.index() + months
        return YearMonth(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def chinese(self) -> str:
        return f"{self.year}年{self.month}月"


def age_label(months: int) -> str:
    """720 → 60岁, 752 → 62岁8个月."""
    years, rest = divmod(months, 12)
    return f"{years}岁" + (f"{rest}个月" if rest else "")


def duration_label(months: int) -> str:
    """180 → 15年, 186 → 15年6个月."""
    years, rest = divmod(months, 12)
    return f"{years}年" + (f"{rest}个月" if rest else "")


@dataclass(frozen=True)
class RetirementDate:
    """The result for one person: statutory age and month, minimum contribution, flexible window."""

    track: RetirementTrack
    birth: YearMonth
    delay_months: int
    age_months: int
    month: YearMonth  # the month statutory age is reached
    minimum_contribution_months: int
    earliest_months: int | None  # flexible early: the earliest age (None when the reform does not apply)
    latest_months: int | None  # flexible late: the latest age

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form for the API and the guide."""
        flexible = None
        if self.earliest_months is not None and self.latest_months is not None:
            flexible = {
                "earliest_month": str(self.birth.plus(self.earliest_months)),
                "earliest_age": _age(self.earliest_months),
                "latest_month": str(self.birth.plus(self.latest_months)),
                "latest_age": _age(self.latest_months),
            }
        return {
            "sex": self.track.sex,
            "birth": str(self.birth),
            "track": self.track.id,
            "track_label": self.track.label,
            "table": self.track.table,
            "original_age": _age(self.track.original_age_months),
            "delay_months": self.delay_months,
            "statutory_age": _age(self.age_months),
            "retirement_month": str(self.month),
            "minimum_contribution": {
                "months": self.minimum_contribution_months,
                "label": duration_label(self.minimum_contribution_months),
                "year": self.month.year,
            },
            "flexible": flexible,
        }


def _age(months: int) -> dict[str, Any]:
    return {"years": months // 12, "months": months % 12, "label": age_label(months)}


def tracks_for(rules: RetirementRules, sex: str) -> list[RetirementTrack]:
    """The tracks of one sex, in data order."""
    return [track for track in rules.tracks if track.sex == sex]


def find_track(rules: RetirementRules, sex: str, track_id: str | None) -> RetirementTrack:
    """The track named, or the only track of `sex`; RetirementAgeError when unknown or ambiguous."""
    own = tracks_for(rules, sex)
    if not own:
        raise RetirementAgeError("invalid_sex", f"'{sex}' is not male or female.")
    if track_id is None:
        if len(own) == 1:
            return own[0]
        names = ", ".join(track.id for track in own)
        raise RetirementAgeError("track_required", f"Say which track applies: one of {names}.")
    track = next((t for t in rules.tracks if t.id == track_id), None)
    if track is None:
        names = ", ".join(t.id for t in rules.tracks)
        raise RetirementAgeError("invalid_track", f"'{track_id}' is not a track; use one of {names}.")
    if track.sex != sex:
        raise RetirementAgeError("track_mismatch", f"Track '{track_id}' is not for sex '{sex}'.")
    return track


def delay_months(track: RetirementTrack, birth: YearMonth) -> int:
    """Months of delay for a birth month: one per `birth_months_per_step` from the first cohort, capped."""
    since = birth.index() - YearMonth.parse(track.first_delayed_birth).index()
    if since < 0:
        return 0
    return min(since // track.birth_months_per_step + 1, track.max_delay_months)


def minimum_contribution_months(rules: RetirementRules, year: int) -> int:
    """Minimum contribution for a monthly pension when statutory age is reached in `year`."""
    rule = rules.minimum_contribution
    if year < rule.first_raised_year:
        return rule.base_months
    raised = rule.first_raised_months + (year - rule.first_raised_year) * rule.raise_per_year_months
    return min(raised, rule.cap_months)


def retirement_date(rules: RetirementRules, track: RetirementTrack, birth: YearMonth) -> RetirementDate:
    """Statutory age and month, minimum contribution and flexible window for one person."""
    delay = delay_months(track, birth)
    age = track.original_age_months + delay
    month = birth.plus(age)
    reform = YearMonth.of(rules.reform_start)
    earliest = latest = None
    if month >= reform:  # ages reached before the reform keep the old rule and know no flexibility
        flexible = rules.flexibility
        earliest = max(track.original_age_months, age - flexible.max_early_months)
        latest = age + flexible.max_late_months
    return RetirementDate(
        track=track,
        birth=birth,
        delay_months=delay,
        age_months=age,
        month=month,
        minimum_contribution_months=minimum_contribution_months(rules, month.year),
        earliest_months=earliest,
        latest_months=latest,
    )


def for_person(
    rules: RetirementRules, sex: str, birth: YearMonth, track_id: str | None, today: dt.date
) -> RetirementDate:
    """Validate one person's facts and compute their date; RetirementAgeError for input that cannot be."""
    if birth > YearMonth.of(today):
        raise RetirementAgeError("invalid_birth", f"The birth month {birth} is in the future.")
    return retirement_date(rules, find_track(rules, sex, track_id), birth)


def describe(result: RetirementDate, today: dt.date) -> str:
    """The answer in one paragraph of Chinese, for the guide."""
    reached = result.month <= YearMonth.of(today)
    verb = "已于" if reached else "将于"
    text = (
        f"按{result.track.label}口径,{result.birth.chinese()}出生的法定退休年龄为"
        f"{age_label(result.age_months)}"
        + (
            f"(比原{age_label(result.track.original_age_months)}延迟{result.delay_months}个月)"
            if result.delay_months
            else ""
        )
        + f",{verb}{result.month.chinese()}达到。"
        f"届时按月领取基本养老金的最低缴费年限为{duration_label(result.minimum_contribution_months)}"
        f"(按{result.month.year}年达到法定退休年龄计)。"
    )
    if result.earliest_months is not None and result.latest_months is not None:
        text += (
            f"缴费满最低年限的,可自愿弹性提前退休,最早{result.birth.plus(result.earliest_months).chinese()}"
            f"({age_label(result.earliest_months)},不早于原法定退休年龄);"
            f"与单位协商一致的,可弹性延迟退休,最晚{result.birth.plus(result.latest_months).chinese()}"
            f"({age_label(result.latest_months)})。"
        )
    return text
