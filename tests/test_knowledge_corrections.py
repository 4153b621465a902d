"""The legal review's corrections, served on the right dates (issue: knowledge a civil servant would sign)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from server.guide.checklist import build_checklist
from server.guide.knowledge import Knowledge, bundle_guide, load_knowledge


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge()


def item(knowledge: Knowledge, slug: str, item_id: str, day: dt.date) -> dict[str, Any]:
    return next(i for i in bundle_guide(knowledge, slug, day)["items"] if i["id"] == item_id)


def option_notes(knowledge: Knowledge, slug: str, question: str, option: str, day: dt.date) -> str:
    guide = bundle_guide(knowledge, slug, day)
    q = next(q for q in guide["questions"] if q["id"] == question)
    return " ".join(n["text"] for o in q["options"] if o["id"] == option for n in o["notes"])


def test_sellers_vat_is_5_percent_until_2025_and_3_percent_from_2026_nationally(knowledge) -> None:
    def vat(day: dt.date) -> list[dict[str, Any]]:
        fees = item(knowledge, "housing_transfer", "housing_transfer_tax", day)["fees"]
        return [fee for fee in fees if fee["name"].startswith("增值税")]

    (before,) = vat(dt.date(2025, 12, 31))
    (after,) = vat(dt.date(2026, 1, 1))
    assert "5%征收率" in before["rule"] and "3%征收率" in after["rule"]
    assert not after.get("varies_by_locality")
    assert any(s["kind"] == "statute" and "第十一条" in s.get("article", "") for s in after["sources"])
    assert "5%" in option_notes(
        knowledge, "housing_transfer", "seller_holding", "under_two", dt.date(2025, 6, 1)
    )
    assert "3%" in option_notes(
        knowledge, "housing_transfer", "seller_holding", "under_two", dt.date(2026, 1, 1)
    )
    faq = bundle_guide(knowledge, "housing_transfer", dt.date(2026, 1, 1))["faq"]
    assert any("3%征收率" in entry["answer"] for entry in faq)
    assert not any("不满2年5%" in entry["answer"] for entry in faq)


def test_no_big_city_caveat_on_housing_taxes_now(knowledge) -> None:
    notes = item(knowledge, "housing_transfer", "housing_transfer_tax", dt.date(2026, 3, 1))["notes"]
    assert not any("北京" in note["text"] or "口径请以" in note["text"] for note in notes)


def test_individuals_housing_sales_are_exempt_from_stamp_and_land_vat(knowledge) -> None:
    fees = item(knowledge, "housing_transfer", "housing_transfer_tax", dt.date(2026, 3, 1))["fees"]
    exempt = next(fee for fee in fees if fee["name"].startswith("印花税"))
    assert exempt["free"] and any("财税〔2008〕137号" in s["title"] for s in exempt["sources"])


@pytest.mark.parametrize(
    ("slug", "item_id"),
    [("housing_transfer", "buyer_mortgage_registration"), ("housing_transfer", "mortgage_with_transfer")],
)
def test_mortgage_registration_fee_is_paid_by_the_mortgagee(knowledge, slug, item_id) -> None:
    (fee,) = item(knowledge, slug, item_id, dt.date(2026, 3, 1))["fees"]
    assert "抵押权人" in fee["payer"]
    assert any("财税〔2016〕79号" in s["title"] for s in fee["sources"])


def test_selling_a_minors_home_needs_the_guardians_written_guarantee(knowledge) -> None:
    checklist = build_checklist(
        knowledge, "housing_transfer", {"minor_owner": "has_minor"}, None, dt.date(2026, 3, 1)
    )
    names = {m["name"] for m in checklist["materials"]}
    assert "监护人为被监护人利益处分不动产的书面保证" in names


def test_power_of_attorney_to_sell_is_signed_at_the_registry_unless_notarised(knowledge) -> None:
    day = dt.date(2026, 3, 1)
    local = option_notes(knowledge, "housing_transfer", "agent", "by_agent", day)
    overseas = option_notes(knowledge, "housing_transfer", "agent", "by_agent_overseas", day)
    assert "现场签订授权委托书" in local and "公证" in local and "认证" in overseas


def test_birth_date_for_retirement_is_the_earliest_in_the_file(knowledge) -> None:
    notes = option_notes(knowledge, "retirement", "hukou_check", "hukou_needs_check", dt.date(2026, 3, 1))
    assert "档案最先记载的出生时间为准" in notes


def test_minimum_contribution_note_goes_by_the_year_the_age_is_reached(knowledge) -> None:
    notes = option_notes(knowledge, "retirement", "contribution_years", "not_enough", dt.date(2026, 3, 1))
    assert "达到法定退休年龄的年份" in notes and "16年6个月" in notes


def test_final_public_kindergarten_year_is_free_from_autumn_2025(knowledge) -> None:
    def fee(day: dt.date) -> str:
        fees = item(knowledge, "school_enrollment", "school_kindergarten_enrollment", day)["fees"]
        return next(f["rule"] for f in fees if f["name"] == "保育教育费")

    assert "免除保育教育费" not in fee(dt.date(2025, 8, 31))
    assert "免除保育教育费" in fee(dt.date(2025, 9, 1))


def test_vaccination_check_cites_article_48(knowledge) -> None:
    check = item(knowledge, "school_enrollment", "school_vaccination_check", dt.date(2026, 3, 1))
    assert check["legal_basis"][0]["article"].startswith("第四十八条")
    newborn = item(knowledge, "newborn", "newborn_vaccination_certificate", dt.date(2026, 3, 1))
    assert newborn["applicant_deadline"]["sources"][0]["article"] == "第四十七条"


def test_early_retirement_ages_are_stated_with_their_status_after_the_reform(knowledge) -> None:
    day = dt.date(2026, 3, 1)
    special = " ".join(
        n["text"] for n in item(knowledge, "retirement", "special_work_early_retirement", day)["notes"]
    )
    illness = " ".join(
        n["text"] for n in item(knowledge, "retirement", "illness_early_retirement", day)["notes"]
    )
    assert "男年满55周岁、女年满45周岁" in special and "未核实" in special
    assert "男年满50周岁、女年满45周岁" in illness and "未核实" in illness
