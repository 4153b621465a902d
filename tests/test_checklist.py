"""The 一次告知 checklist built from the real knowledge: merged materials, stages, dates, groups."""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import MappingProxyType

import pytest

from server.guide.checklist import ChecklistError, build_checklist, critical_path, stages
from server.guide.knowledge import Knowledge, load_knowledge

AFTER_2025_REFORM = dt.date(2026, 1, 15)
BEFORE_2025_REFORM = dt.date(2025, 3, 1)
MAINLAND_NO_EXTRAS = {"party_identity": "both_mainland", "want_hukou_update": "update_no"}


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge()


def names(checklist: dict) -> list[str]:
    return [m["name"] for m in checklist["materials"]]


def material(checklist: dict, material_id: str) -> dict:
    return next(m for m in checklist["materials"] if m["id"] == material_id)


def test_marriage_for_two_mainland_residents_needs_id_card_and_declaration_but_no_hukou_book(knowledge):
    checklist = build_checklist(knowledge, "marriage", MAINLAND_NO_EXTRAS, None, AFTER_2025_REFORM)
    ids = [m["id"] for m in checklist["materials"]]
    assert "id_card" in ids and "marriage_declaration" in ids
    assert "household_register" not in ids
    assert any("居民身份证" in name for name in names(checklist))
    assert material(checklist, "marriage_declaration")["form"] == "signed_on_site"
    assert checklist["fees"]["all_free"] is True
    assert checklist["time_limit"]["total_working_days"] == 0


def test_before_the_2025_reform_the_hukou_book_was_needed_for_registration_itself(knowledge):
    checklist = build_checklist(knowledge, "marriage", MAINLAND_NO_EXTRAS, None, BEFORE_2025_REFORM)
    book = material(checklist, "household_register")
    assert [n["item"] for n in book["needed_by"]] == ["marriage_registration"]
    assert all("全国通办" not in note["text"] for note in checklist["notes"])


def test_hukou_update_brings_the_hukou_book_for_that_item_only_and_runs_after_registration(knowledge):
    answers = {"party_identity": "both_mainland", "want_hukou_update": "update_yes"}
    checklist = build_checklist(knowledge, "marriage", answers, None, AFTER_2025_REFORM)
    book = material(checklist, "household_register")
    assert [n["item"] for n in book["needed_by"]] == ["hukou_marital_status_update"]
    id_card = material(checklist, "id_card")
    assert {n["item"] for n in id_card["needed_by"]} == {
        "marriage_registration",
        "hukou_marital_status_update",
    }
    assert names(checklist).count(id_card["name"]) == 1
    certificate = material(checklist, "marriage_certificate")
    assert certificate["can_skip"] is True and certificate["skip_reason"]
    stage_items = [[i["item"] for i in stage["items"]] for stage in checklist["steps"]]
    assert stage_items == [["marriage_registration"], ["hukou_marital_status_update"]]


def test_follow_up_items_chosen_together_run_in_parallel_after_registration(knowledge):
    chosen = ["hukou_marital_status_update", "birth_registration", "spouse_hukou_migration"]
    checklist = build_checklist(knowledge, "marriage", {}, chosen, AFTER_2025_REFORM)
    assert [[i["item"] for i in s["items"]] for s in checklist["steps"]] == [
        ["marriage_registration"],
        chosen,
    ]
    assert checklist["steps"][1]["parallel"] is True
    assert {d["name"] for d in checklist["departments"]} >= {
        knowledge.items[i].department for i in ["marriage_registration", *chosen]
    }


def test_an_answer_adds_materials_to_the_item_it_names(knowledge):
    answers = {"party_identity": "foreigner", "want_hukou_update": "update_no"}
    checklist = build_checklist(knowledge, "marriage", answers, None, AFTER_2025_REFORM)
    passport = material(checklist, "foreign_passport")
    assert [n["item"] for n in passport["needed_by"]] == ["marriage_registration"]
    assert any(note["about"] == "answer" and note["ref"] == "foreigner" for note in checklist["notes"])


def test_an_answer_swaps_a_material(knowledge):
    answers = {**MAINLAND_NO_EXTRAS, "id_card_status": "lost_or_expired"}
    checklist = build_checklist(knowledge, "marriage", answers, None, AFTER_2025_REFORM)
    ids = [m["id"] for m in checklist["materials"]]
    assert "temporary_id_card" in ids and "id_card" not in ids


def test_answers_to_questions_that_do_not_apply_change_nothing(knowledge):
    base = {"party_identity": "foreigner", "want_hukou_update": "update_no"}
    with_migration = {**base, "want_spouse_migration": "migrate_yes"}
    plain = build_checklist(knowledge, "marriage", base, None, AFTER_2025_REFORM)
    assert (
        build_checklist(knowledge, "marriage", with_migration, None, AFTER_2025_REFORM)["items"]
        == plain["items"]
    )


def test_unanswered_questions_that_apply_are_listed(knowledge):
    checklist = build_checklist(
        knowledge, "marriage", {"party_identity": "foreigner"}, None, AFTER_2025_REFORM
    )
    assert "want_spouse_migration" not in checklist["unanswered"]
    assert "military" in checklist["unanswered"]
    assert "hukou_location" not in checklist["unanswered"]  # no longer in force


def test_questions_out_of_force_on_the_day_are_unknown(knowledge):
    with pytest.raises(ChecklistError) as caught:
        build_checklist(knowledge, "marriage", {"hukou_location": "one_local"}, None, AFTER_2025_REFORM)
    assert caught.value.code == "unknown_question"


@pytest.mark.parametrize(
    ("answers", "chosen", "code"),
    [
        ({"nope": "x"}, None, "unknown_question"),
        ({"party_identity": "martian"}, None, "unknown_option"),
        ({}, ["marriage_registration"], "unknown_item"),
        ({}, ["no_such_item"], "unknown_item"),
    ],
)
def test_unknown_ids_are_refused(knowledge, answers, chosen, code):
    with pytest.raises(ChecklistError) as caught:
        build_checklist(knowledge, "marriage", answers, chosen, AFTER_2025_REFORM)
    assert caught.value.code == code


def test_unknown_bundle_is_refused(knowledge):
    with pytest.raises(ChecklistError) as caught:
        build_checklist(knowledge, "passport", {}, None, AFTER_2025_REFORM)
    assert caught.value.code == "unknown_bundle"


def with_group(knowledge: Knowledge, slug: str, group: tuple[str, ...]) -> Knowledge:
    """The knowledge with one more required_together group on a bundle (real data, one extra rule)."""
    bundle = knowledge.bundles[slug].model_copy(update={"required_together": (group,)})
    return dataclasses.replace(knowledge, bundles=MappingProxyType({**knowledge.bundles, slug: bundle}))


def test_items_required_together_are_all_or_none(knowledge):
    grouped = with_group(knowledge, "marriage", ("birth_registration", "spouse_hukou_migration"))
    with pytest.raises(ChecklistError) as caught:
        build_checklist(grouped, "marriage", {}, ["birth_registration"], AFTER_2025_REFORM)
    assert caught.value.code == "partial_group"
    both = build_checklist(
        grouped, "marriage", {}, ["birth_registration", "spouse_hukou_migration"], AFTER_2025_REFORM
    )
    assert {"birth_registration", "spouse_hukou_migration"} <= {i["id"] for i in both["items"]}
    by_answer = build_checklist(
        grouped, "marriage", {"want_birth_registration": "birth_yes"}, None, AFTER_2025_REFORM
    )
    assert "spouse_hukou_migration" in {i["id"] for i in by_answer["items"]}


def test_stages_are_topological_layers_and_the_critical_path_is_the_longest_chain(knowledge):
    bundle = knowledge.bundles["company_opening"]
    items = [e.item for e in bundle.items]
    layers = stages(knowledge, items)
    position = {i: n for n, layer in enumerate(layers) for i in layer}
    for item_id in items:
        for required in knowledge.items[item_id].requires:
            if required in position:
                assert position[required] < position[item_id]
    total, chain = critical_path(knowledge, layers)
    assert total == sum(knowledge.items[i].time_limit.working_days() for i in chain)
    for item_id in items:
        finish_alone = knowledge.items[item_id].time_limit.working_days()
        assert total >= finish_alone


def test_every_bundle_builds_with_defaults_and_each_material_appears_once(knowledge):
    for slug in knowledge.bundles:
        checklist = build_checklist(knowledge, slug, {}, None, AFTER_2025_REFORM)
        ids = [m["id"] for m in checklist["materials"]]
        assert len(ids) == len(set(ids)), slug
        assert checklist["steps"], slug
        steps = [i["item"] for s in checklist["steps"] for i in s["items"]]
        assert sorted(steps) == sorted(i["id"] for i in checklist["items"]), slug


def step(checklist: dict, item_id: str) -> dict:
    return next(i for s in checklist["steps"] for i in s["items"] if i["item"] == item_id)


def test_a_calendar_day_limit_shows_as_natural_days_and_counts_as_fewer_working_days_on_the_path(knowledge):
    checklist = build_checklist(
        knowledge, "construction_permit", {}, ["construction_work_permit"], AFTER_2025_REFORM
    )
    permit = step(checklist, "construction_work_permit")["time_limit"]
    assert (permit["days"], permit["unit"], permit["calendar_days"]) == (7, "自然日", True)
    assert permit["working_days"] == 5 and permit["approximate"] is True  # ceil(7 × 5 / 7)
    total = checklist["time_limit"]
    assert "construction_work_permit" in total["critical_path"]
    assert total["total_working_days"] == 5 and total["unit"] == "工作日"
    assert total["approximate"] is True and "约" in total["note"]


def test_a_path_of_working_day_limits_is_exact(knowledge):
    checklist = build_checklist(knowledge, "marriage", MAINLAND_NO_EXTRAS, None, AFTER_2025_REFORM)
    assert checklist["time_limit"]["approximate"] is False and "note" not in checklist["time_limit"]
    assert all(i["time_limit"]["unit"] == "工作日" for s in checklist["steps"] for i in s["items"])


def test_the_newborn_checklist_reminds_of_the_one_month_birth_registration_deadline(knowledge):
    checklist = build_checklist(knowledge, "newborn", {}, None, AFTER_2025_REFORM)
    deadline = next(d for d in checklist["deadlines"] if d["item"] == "newborn_hukou_registration")
    assert "一个月" in deadline["text"] and "出生登记" in deadline["text"]
    assert deadline["sources"][0]["article"] == "第七条"
    assert step(checklist, "newborn_hukou_registration")["applicant_deadline"] == {
        k: v for k, v in deadline.items() if k not in ("item", "item_name")
    }


def test_an_applicant_deadline_in_days_carries_its_unit(knowledge):
    checklist = build_checklist(knowledge, "employee_hiring", {}, None, AFTER_2025_REFORM)
    by_item = {d["item"]: d for d in checklist["deadlines"]}
    insurance = by_item["employee_social_insurance_enrollment"]
    assert (insurance["days"], insurance["unit"]) == (30, "自然日")
    assert [d["item"] for d in checklist["deadlines"]] == [
        i["id"] for i in checklist["items"] if i["id"] in by_item
    ]
