"""The statutory retirement date against rows of the reform's attached tables, at every boundary."""

from __future__ import annotations

import datetime as dt

import pytest

from server.guide.knowledge import load_knowledge
from server.guide.retirement_age import (
    RetirementAgeError,
    YearMonth,
    find_track,
    for_person,
    minimum_contribution_months,
    retirement_date,
)
from server.guide.schema import RetirementRules

DAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def rules() -> RetirementRules:
    rules = load_knowledge().retirement
    assert rules is not None
    return rules


# (sex, track, birth, statutory age, month reached, delay months): rows of 附件1-3.
TABLE_ROWS = [
    # 男职工: 1965-01 first delayed cohort; every 4 birth months one more; 63 from 1976-09.
    ("male", "male_worker", "1964-12", "60岁", "2024-12", 0),
    ("male", "male_worker", "1965-01", "60岁1个月", "2025-02", 1),
    ("male", "male_worker", "1965-04", "60岁1个月", "2025-05", 1),
    ("male", "male_worker", "1965-05", "60岁2个月", "2025-07", 2),
    ("male", "male_worker", "1975-06", "62岁8个月", "2038-02", 32),
    ("male", "male_worker", "1976-08", "62岁11个月", "2039-07", 35),
    ("male", "male_worker", "1976-09", "63岁", "2039-09", 36),
    ("male", "male_worker", "1990-03", "63岁", "2053-03", 36),
    # 原55周岁女职工: 1970-01 first; 58 from 1981-09.
    ("female", "female_worker_55", "1969-12", "55岁", "2024-12", 0),
    ("female", "female_worker_55", "1970-01", "55岁1个月", "2025-02", 1),
    ("female", "female_worker_55", "1970-05", "55岁2个月", "2025-07", 2),
    ("female", "female_worker_55", "1981-08", "57岁11个月", "2039-07", 35),
    ("female", "female_worker_55", "1981-09", "58岁", "2039-09", 36),
    # 原50周岁女职工: 1975-01 first; every 2 birth months one more; 55 from 1984-11.
    ("female", "female_worker_50", "1974-12", "50岁", "2024-12", 0),
    ("female", "female_worker_50", "1975-01", "50岁1个月", "2025-02", 1),
    ("female", "female_worker_50", "1975-02", "50岁1个月", "2025-03", 1),
    ("female", "female_worker_50", "1975-03", "50岁2个月", "2025-05", 2),
    ("female", "female_worker_50", "1984-10", "54岁11个月", "2039-09", 59),
    ("female", "female_worker_50", "1984-11", "55岁", "2039-11", 60),
]


@pytest.mark.parametrize(("sex", "track", "birth", "age", "month", "delay"), TABLE_ROWS)
def test_matches_the_official_table(rules, sex, track, birth, age, month, delay) -> None:
    result = for_person(rules, sex, YearMonth.parse(birth), track, DAY).as_dict()
    assert (result["statutory_age"]["label"], result["retirement_month"], result["delay_months"]) == (
        age,
        month,
        delay,
    )


# 附件4: by the year statutory age is reached, not the year the question is asked.
@pytest.mark.parametrize(
    ("year", "months"),
    [(2025, 180), (2029, 180), (2030, 186), (2031, 192), (2032, 198), (2038, 234), (2039, 240), (2050, 240)],
)
def test_minimum_contribution_by_year_reached(rules, year, months) -> None:
    assert minimum_contribution_months(rules, year) == months


def test_reaching_the_age_in_2032_needs_16_and_a_half_years_whenever_asked(rules) -> None:
    early = for_person(rules, "male", YearMonth(1971, 1), None, dt.date(2026, 3, 1)).as_dict()
    assert early["retirement_month"] == "2032-08"
    assert early["minimum_contribution"] == {"months": 198, "label": "16年6个月", "year": 2032}


@pytest.mark.parametrize(
    ("sex", "track", "birth", "earliest", "latest"),
    [
        # First delayed cohort: one month later, so at most one month earlier (never below 60).
        ("male", "male_worker", "1965-01", ("2025-01", "60岁"), ("2028-02", "63岁1个月")),
        ("male", "male_worker", "1975-06", ("2035-06", "60岁"), ("2041-02", "65岁8个月")),
        # Capped at 63: three years either way.
        ("male", "male_worker", "1976-09", ("2036-09", "60岁"), ("2042-09", "66岁")),
        ("female", "female_worker_55", "1981-09", ("2036-09", "55岁"), ("2042-09", "61岁")),
        # 55 for the 50-track: three years earlier is 52, above the original 50.
        ("female", "female_worker_50", "1984-11", ("2036-11", "52岁"), ("2042-11", "58岁")),
    ],
)
def test_flexible_window_is_three_years_never_below_the_original_age(
    rules, sex, track, birth, earliest, latest
) -> None:
    flexible = for_person(rules, sex, YearMonth.parse(birth), track, DAY).as_dict()["flexible"]
    assert (flexible["earliest_month"], flexible["earliest_age"]["label"]) == earliest
    assert (flexible["latest_month"], flexible["latest_age"]["label"]) == latest


def test_ages_reached_before_the_reform_have_no_flexible_window(rules) -> None:
    assert for_person(rules, "male", YearMonth(1964, 12), None, DAY).as_dict()["flexible"] is None


@pytest.mark.parametrize(
    ("sex", "track", "code"),
    [
        ("female", None, "track_required"),
        ("male", "female_worker_50", "track_mismatch"),
        ("female", "female_cadre", "invalid_track"),
        ("other", None, "invalid_sex"),
    ],
)
def test_bad_track_or_sex_is_refused(rules, sex, track, code) -> None:
    with pytest.raises(RetirementAgeError) as caught:
        find_track(rules, sex, track)
    assert caught.value.code == code


def test_birth_must_be_a_past_year_month(rules) -> None:
    for text in ("1975-13", "1975-6", "75-06", "1975/06"):
        with pytest.raises(RetirementAgeError):
            YearMonth.parse(text)
    with pytest.raises(RetirementAgeError) as caught:
        for_person(rules, "male", YearMonth(2027, 1), None, DAY)
    assert caught.value.code == "invalid_birth"


def test_male_track_is_implied(rules) -> None:
    track = find_track(rules, "male", None)
    assert retirement_date(rules, track, YearMonth(1975, 6)).month == YearMonth(2038, 2)
