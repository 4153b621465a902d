"""The working-day calendar: the holiday notices in knowledge/ agree with the chinese-calendar package
day by day, counting follows 行政许可法/民法典 (start day not counted), unknown years are refused."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import chinese_calendar
import pytest
import yaml

from server.config import REPO_ROOT
from server.guide.knowledge import check, load_knowledge
from server.holiday_rule import StatutoryHoliday, statutory_days_off
from server.workdays import CalendarUnknown, HolidayYear, WorkdayCalendar

KNOWLEDGE = load_knowledge(REPO_ROOT / "knowledge")
CALENDAR = KNOWLEDGE.calendar
assert CALENDAR is not None


def test_every_known_day_agrees_with_the_chinese_calendar_package() -> None:
    day = dt.date(CALENDAR.first_year, 1, 1)
    checked = 0
    while day.year <= CALENDAR.last_year:
        assert CALENDAR.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)
        checked += 1
    assert checked >= 3 * 365 and CALENDAR.first_year <= 2024 and CALENDAR.last_year >= 2026


def test_counting_skips_holidays_and_counts_make_up_weekends() -> None:
    assert CALENDAR.add(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)  # National Day week off
    assert CALENDAR.add(dt.date(2026, 10, 9), 1) == dt.date(2026, 10, 10)  # a Saturday worked (调休)
    assert CALENDAR.add(dt.date(2026, 2, 13), 1) == dt.date(2026, 2, 14)  # Saturday before 春节, worked
    assert CALENDAR.add(dt.date(2026, 2, 14), 1) == dt.date(2026, 2, 24)
    assert CALENDAR.add(dt.date(2026, 12, 1), 0) == dt.date(2026, 12, 1)  # on the spot
    assert CALENDAR.add(dt.date(2026, 12, 4), 1) == dt.date(2026, 12, 7)  # Friday + 1 = Monday
    assert CALENDAR.between(dt.date(2026, 9, 30), dt.date(2026, 10, 10)) == 3  # 8th, 9th, 10th
    assert CALENDAR.between(dt.date(2026, 10, 10), dt.date(2026, 9, 30)) == 0


def test_the_years_after_the_last_notice_are_counted_on_the_statutory_days_off() -> None:
    """No 2027 notice yet: 30 working days from 20 Dec 2026 skip 元旦 and weekends, marked estimated."""
    end = CALENDAR.add(dt.date(2026, 12, 20), 30)
    assert end == dt.date(2027, 2, 1) and CALENDAR.is_estimate(end)
    assert not CALENDAR.is_estimate(dt.date(2026, 12, 31))
    spring = [dt.date(2027, 2, 5) + dt.timedelta(days=n) for n in range(4)]  # 除夕 to 初三 of 丁未年
    assert not any(CALENDAR.is_working_day(day) for day in spring if day.weekday() < 5)
    assert not CALENDAR.is_working_day(dt.date(2027, 4, 5))  # 清明 (a Monday)
    assert CALENDAR.is_working_day(dt.date(2027, 4, 6))


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_rule_gives_a_subset_of_each_published_notice(year: int) -> None:
    """Checked against the notices we have: every statutory day off of the rule is a day off in them."""
    rule = yaml.safe_load((REPO_ROOT / "knowledge" / "holiday_rule.yaml").read_text(encoding="utf-8"))
    days = statutory_days_off([StatutoryHoliday(**row) for row in rule["holidays"]], year)
    assert len(days) == 13
    assert [day for day in sorted(days) if CALENDAR.is_working_day(day)] == []


def test_further_ahead_it_refuses_rather_than_guesses() -> None:
    with pytest.raises(CalendarUnknown) as raised:
        CALENDAR.add(dt.date(2028, 12, 20), 30)  # would run into 2029
    assert raised.value.last_year == 2028
    with pytest.raises(CalendarUnknown):
        CALENDAR.is_working_day(dt.date(2023, 12, 29))
    with pytest.raises(ValueError):
        WorkdayCalendar(
            [
                HolidayYear(2024, frozenset(), frozenset(), "x"),
                HolidayYear(2026, frozenset(), frozenset(), "y"),
            ]
        )


def test_sources_name_the_state_council_notices() -> None:
    assert all("国务院办公厅" in source and "节假日安排" in source for source in CALENDAR.sources.values())


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(REPO_ROOT / "knowledge", root)
    return root


def test_the_knowledge_check_reports_bad_holiday_files_with_file_and_field(tree: Path) -> None:
    path = tree / "holidays" / "2025.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["periods"][1]["workdays"].append(dt.date(2025, 1, 29))  # a Wednesday, and inside the days off
    data["periods"][2]["days_off"] = [dt.date(2025, 4, 6), dt.date(2025, 4, 4)]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (tree / "holidays" / "2024.yaml").rename(tree / "holidays" / "2023.yaml")
    rule = tree / "holiday_rule.yaml"
    rule.write_text(
        rule.read_text(encoding="utf-8").replace("term: 清明, ", "month: 4, day: 5, "), encoding="utf-8"
    )
    problems = [str(p) for p in check(tree)]
    assert any(p.startswith("knowledge/holiday_rule.yaml: holidays[2]") and "term" in p for p in problems)
    assert any(p.startswith("knowledge/holidays/2025.yaml: periods[1]") and "weekday" in p for p in problems)
    assert any(p.startswith("knowledge/holidays/2025.yaml: periods[2]") for p in problems)
    assert any(p.startswith("knowledge/holidays/2023.yaml: year") for p in problems)


def test_the_knowledge_check_reports_unknown_departments_and_fields(tree: Path) -> None:
    path = tree / "items" / "marriage.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("department_code: civil_affairs", "department_code: ministry_of_magic", 1)
    text = text.replace("form_fields: [applicant_name,", "form_fields: [applicant_nmae,", 1)
    path.write_text(text, encoding="utf-8")
    fields = tree / "form_fields" / "common.yaml"
    fields.write_text(
        fields.read_text(encoding="utf-8").replace(
            "required_if: {field: result_delivery", "required_if: {field: nope"
        ),
        encoding="utf-8",
    )
    problems = [str(p) for p in check(tree)]
    assert any("department_code: unknown department 'ministry_of_magic'" in p for p in problems)
    assert any("form_fields[0]: unknown form field 'applicant_nmae'" in p for p in problems)
    assert any("required_if.field: unknown form field 'nope'" in p for p in problems)
