"""Situations stated in citizens' words reach the right 一次告知 (issue 12): the opening kept through a
clarify, a declining clause, two options named at once, the other parent of a newborn, the buyer's or the
seller's side of a flat, burial, and the catalogue's official names. Real knowledge, no mocks."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from server.guide.checklist import build_checklist
from server.guide.knowledge import check
from tests import talking
from tests.talking import Guide, build_guide, edited_knowledge

DAY = dt.date(2026, 12, 1)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def guide() -> Guide:
    return build_guide()


def talk(guide: Guide, state: dict, text: str | None = None, **structured) -> tuple[dict, dict]:
    return talking.talk(guide, DAY, state, text, **structured)


def finish(guide: Guide, state: dict, reply: dict) -> dict:
    """Answer every further question with 不清楚 until the checklist."""
    for _ in range(10):
        if reply["type"] == "checklist":
            return reply
        state, reply = talk(guide, state, "不清楚")
    raise AssertionError(reply)


def names(reply: dict) -> list[str]:
    return [m["name"] for m in reply["checklist"]["materials"]]


def test_the_opening_is_read_for_the_bundle_picked_after_a_clarify(guide) -> None:
    state, reply = talk(guide, {}, "没工作,想找个见习")
    assert reply["type"] == "clarify" and "employment" in [o["id"] for o in reply["options"]]
    state, reply = talk(guide, state, answer=("bundle", "employment"))
    assert state["bundle"] == "employment" and state["answers"]["situation"] == "unemployed"
    assert reply.get("question_id") != "situation"


def test_a_clause_that_only_declines_says_no_to_the_clause_before(guide) -> None:
    state, reply = talk(guide, {}, "我们俩都是内地的,头婚,想领证,生育登记想先了解下,暂时不办")
    assert state["answers"]["want_birth_registration"] == "birth_no"
    state, reply = talk(guide, {}, "我们俩都是内地的,头婚,想领证,户口不迁,暂时不办")
    assert state["answers"]["want_spouse_migration"] == "migrate_no"  # no double negation


def test_naming_two_options_at_once_picks_the_option_that_is_both(guide) -> None:
    state, reply = talk(guide, {}, "准备自己创业开个小饭馆,创业贷款和创业补贴都想申请")
    assert state["answers"]["startup_support"] == "both"
    reply = finish(guide, state, reply)
    items = {i["id"] for i in reply["checklist"]["items"]}
    assert {"startup_guarantee_loan", "one_time_startup_subsidy"} <= items


def test_not_having_found_work_is_unemployment(guide) -> None:
    state, reply = talk(guide, {}, "离职三个月了还没找到工作,想办失业登记")
    assert state["answers"]["situation"] == "unemployed"


@pytest.mark.parametrize(
    ("text", "option", "material"),
    [
        ("孩子刚出生要上户口,孩子爸爸是香港人", "hmt_parent", "港澳居民来往内地通行证"),
        ("孩子刚出生要上户口,我老公是美国人", "foreign_parent", "护照"),
    ],
)
def test_a_newborns_parent_from_outside_the_mainland_brings_their_papers(
    guide, text: str, option: str, material: str
) -> None:
    state, reply = talk(guide, {}, text)
    assert state["answers"]["parents_origin"] == option
    reply = finish(guide, state, reply)
    assert any(material in n for n in names(reply)), names(reply)


def test_a_child_born_abroad_brings_the_foreign_birth_certificate_and_passport(guide) -> None:
    state, reply = talk(guide, {}, "孩子在国外出生的,已经办了中国旅行证,现在想回国落户,我们已婚,要带什么")
    assert state["answers"]["birth_abroad"] == "born_abroad"
    materials = names(reply if reply["type"] == "checklist" else finish(guide, state, reply))
    assert any("境外出生证明" in n for n in materials) and any("旅行证" in n for n in materials)
    assert "出生医学证明" not in materials, materials


@pytest.mark.parametrize(("text", "option"), [("我们结婚五年了", "married"), ("我们还没结婚", "unmarried")])
def test_whether_the_parents_are_married_is_read_from_any_mention(guide, text: str, option: str) -> None:
    state, reply = talk(guide, {}, "孩子出生了要上户口")
    state, reply = talk(guide, state, text)
    assert state["answers"]["parents_marital_status"] == option


def test_by_default_both_parents_are_mainland_and_nothing_is_asked(guide) -> None:
    state, reply = talk(guide, {}, "孩子出生了要办啥")
    assert state["answers"]["parents_origin"] == "both_mainland" and "parents_origin" in state["assumed"]


@pytest.mark.parametrize(
    ("text", "side", "not_asked"),
    [
        ("我想卖掉自己的房子,房本是我一个人的,没有贷款", "seller", {"buyer_loan", "buyer_home"}),
        ("我准备买二手房,首套,90平,全款", "buyer", {"seller_mortgage", "seller_holding", "ownership"}),
    ],
)
def test_each_side_of_a_flat_is_asked_only_its_own_questions(
    guide, text: str, side: str, not_asked: set[str]
) -> None:
    state, reply = talk(guide, {}, text)
    assert state["answers"]["role"] == side
    asked = []
    for _ in range(10):
        if reply["type"] != "question":
            break
        asked.append(reply["question_id"])
        state, reply = talk(guide, state, "不清楚")
    assert not not_asked & set(asked), asked


def test_an_owner_abroad_narrows_to_the_overseas_power_of_attorney(guide) -> None:
    state, reply = talk(guide, {}, "我要卖房,房子是我和我老公的,他在加拿大回不来,只能委托")
    assert state["answers"]["agent"] == "by_agent_overseas"


def test_burial_is_no_cremation(guide) -> None:
    state, reply = talk(guide, {}, "我外公在家里去世了,按民族习俗土葬,要办哪些手续")
    assert state["answers"]["funeral_mode"] == "burial"
    reply = finish(guide, state, reply)
    assert "death_cremation_service" not in {i["id"] for i in reply["checklist"]["items"]}
    assert not any("火化证明" in n for n in names(reply))


def test_a_couple_with_a_hong_kong_party_gets_no_household_register(guide) -> None:
    state, reply = talk(guide, {}, "我是内地的,未婚夫是香港人,我们都是初婚,想领结婚证")
    assert state["answers"]["party_identity"] == "hmt"
    reply = finish(guide, state, reply)
    materials = names(reply)
    assert not any("户口簿" in n for n in materials), materials
    assert any("回乡证" in n for n in materials) and any("委托公证人" in n for n in materials)


@pytest.mark.parametrize(
    ("text", "own", "other"),
    [
        ("我是内地的,未婚夫是香港人,我们都是初婚,想领结婚证", "港澳居民来往内地通行证", "台湾居民"),
        ("我是大陆的,女朋友是台湾人,都是初婚,想登记结婚", "台湾居民来往大陆通行证", "港澳居民"),
        ("孩子刚出生要上户口,孩子妈妈是台湾人", "台湾居民来往大陆通行证", "港澳居民"),
    ],
)
def test_a_party_from_hong_kong_macau_or_taiwan_brings_only_their_sides_permit(
    guide, text: str, own: str, other: str
) -> None:
    state, reply = talk(guide, {}, text)
    materials = names(reply if reply["type"] == "checklist" else finish(guide, state, reply))
    assert any(own in n for n in materials), materials
    assert not any(other in n for n in materials), materials


@pytest.mark.parametrize(
    ("text", "spouse"),
    [
        ("我老公上个月在医院走了,他是企业退休的,丧葬费抚恤金怎么领", True),
        ("我爸上个月在医院走了,他是企业退休的,丧葬费抚恤金怎么领", False),
    ],
)
def test_a_spouse_of_the_deceased_proves_the_marriage_with_the_certificate(
    guide, text: str, spouse: bool
) -> None:
    state, reply = talk(guide, {}, text)
    assert state["answers"]["applicant_relation"] == ("spouse" if spouse else "other_family")
    materials = names(reply if reply["type"] == "checklist" else finish(guide, state, reply))
    assert ("结婚证" in materials) is spouse, materials


@pytest.mark.parametrize(
    ("text", "married"),
    [
        ("我是买方,和老婆一起买的二手房,首套,90平,全款", True),
        ("我是买方,还没结婚,首套,90平,全款", False),
    ],
)
def test_a_married_buyer_brings_the_marriage_certificate(guide, text: str, married: bool) -> None:
    state, reply = talk(guide, {}, text)
    assert state["answers"]["buyer_marital"] == ("buyer_married" if married else "buyer_single")
    materials = names(reply if reply["type"] == "checklist" else finish(guide, state, reply))
    assert ("结婚证" in materials) is married, materials


def test_one_side_marrying_for_the_first_time_beside_a_divorce_is_a_remarriage(guide) -> None:
    state, reply = talk(guide, {}, "我前几年离过婚,她是头一回结婚,我们都是内地的,想领证")
    assert state["answers"]["marital_history"] == "remarriage"
    reply = reply if reply["type"] == "checklist" else finish(guide, state, reply)
    proof = next(m for m in reply["checklist"]["materials"] if m["id"] == "previous_marriage_end_proof")
    assert proof["required"] is False and "离婚证" in proof["name"]


def test_a_fiance_is_no_negation(guide) -> None:
    state, reply = talk(guide, {}, "我未婚夫是美国人,我们想在国内登记结婚")
    assert state["answers"]["party_identity"] == "foreigner"


def test_a_foreign_party_brings_the_passport_and_the_authenticated_no_spouse_proof(guide) -> None:
    state, reply = talk(guide, {}, "男朋友是德国人,我们想在国内登记结婚,都是第一次结婚")
    assert state["answers"]["party_identity"] == "foreigner"
    materials = names(reply if reply["type"] == "checklist" else finish(guide, state, reply))
    assert any("有效护照" in n for n in materials) and any("无配偶证明" in n for n in materials)


def test_the_validator_accepts_a_phrase_that_negates_a_siblings_phrase(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", root)
    path = root / "bundles" / "employment.yaml"
    text = path.read_text(encoding="utf-8")
    assert "没找到工作" in text and "找到工作" in text
    assert not [p for p in check(root) if "employment.yaml" in str(p)]
    path.write_text(text.replace("没找到工作,", "刚找到工作,"), encoding="utf-8")
    assert any("employment.yaml" in str(p) and "刚找到工作" in str(p) for p in check(root))


def test_the_validator_checks_all_of(tmp_path: Path) -> None:
    root = edited_knowledge(tmp_path, "employment", "all_of: [loan, subsidy]", "all_of: [loan, grant]")
    assert any("all_of[1]" in str(p) and "grant" in str(p) for p in check(root))


def test_a_checklist_without_a_side_takes_both_and_a_buyers_omits_the_sellers_answers(guide) -> None:
    knowledge = guide[0]
    both = build_checklist(knowledge, "housing_transfer", {"seller_mortgage": "repay_first"}, None, DAY)
    assert "mortgage_discharge" in {i["id"] for i in both["items"]}
    answers = {"role": "buyer", "seller_mortgage": "repay_first"}
    buyer = build_checklist(knowledge, "housing_transfer", answers, None, DAY)
    assert "mortgage_discharge" not in {i["id"] for i in buyer["items"]}


def test_a_planned_day_is_the_day_the_rules_are_applied_on(guide) -> None:
    before_reform = dt.date(2025, 4, 20)  # the 2025 marriage rules start on 10 May
    text = "我们想领证,俩都是内地的,初婚,不做婚检,其他都不需要"
    state, now = talking.talk(guide, before_reform, {}, text + ",这周就去")
    while now["type"] != "checklist":  # before the reform, where the couple's households are is asked
        state, now = talking.talk(guide, before_reform, state, "至少一方户口在本地")
    state, later = talking.talk(guide, before_reform, {}, text + ",下个月去领")
    assert later["type"] == "checklist"  # the household question is not in force next month
    assert now["checklist"]["as_of"] == "2025-04-20" and now.get("planned") is None
    assert any("户口簿" in n for n in names(now))
    assert later["planned"] == {"date": "2025-05-20", "words": "下个月"}
    assert later["checklist"]["as_of"] == "2025-05-20" and not any("户口簿" in n for n in names(later))


def test_holding_years_are_counted_to_the_planned_sale(guide) -> None:
    state, _ = talk(guide, {}, "我要卖房,2025年买的")
    assert state["answers"]["seller_holding"] == "under_two"
    state, _ = talk(guide, {}, "我要卖房,2025年买的,明年三月卖")
    assert state["planned"]["date"] == "2027-03-01" and state["answers"]["seller_holding"] == "two_to_five"


def test_a_graduate_who_never_worked_registers_with_the_diploma_and_no_benefit(guide) -> None:
    state, reply = talk(guide, {}, "大学毕业两年了一直没有工作,想办失业登记")
    assert state["answers"]["leave_reason"] == "never_employed"
    reply = finish(guide, state, reply)
    items = {i["id"] for i in reply["checklist"]["items"]}
    assert "unemployment_insurance_benefit" not in items
    assert any("毕业证书" in n for n in names(reply))


def test_a_graduate_without_a_job_brings_no_labour_contract(guide) -> None:
    state, reply = talk(guide, {}, "今年毕业,暂时还没找到工作,档案和户口怎么办")
    if reply["type"] == "clarify":  # graduate or employment: the opening is read for the one picked
        state, reply = talk(guide, state, answer=("bundle", "graduate"))
    assert state["answers"]["destination"] == "not_yet"
    reply = finish(guide, state, reply)
    assert not any("劳动合同" in n for n in names(reply)), names(reply)


def ask_until(guide: Guide, text: str, question_id: str) -> tuple[dict, dict]:
    """Open with `text`, tap the first option of every other question until `question_id` is asked."""
    state, reply = talk(guide, {}, text)
    for _ in range(12):
        if reply.get("question_id") == question_id:
            return state, reply
        assert reply["type"] == "question", reply
        state, reply = talk(guide, state, answer=(reply["question_id"], reply["options"][0]["id"]))
    raise AssertionError(f"{question_id} never asked")


def test_a_bare_number_answers_the_question_asked_and_only_that_one(guide) -> None:
    state, reply = ask_until(guide, "我要卖房,房子是我一个人的", "seller_holding")
    state, reply = talk(guide, state, "三年多")
    assert state["answers"]["seller_holding"] == "two_to_five"
    state, reply = talk(guide, {}, "我要卖房,三年多")  # no question asked yet: a bare number says nothing
    assert "seller_holding" not in state["answers"]


@pytest.mark.parametrize(
    ("text", "question", "option"),
    [
        ("我是买房的", "role", "buyer"),
        ("我系卖楼嘅", "role", "seller"),
        ("我们两边都在,一起问问", "role", "both_sides"),
        ("钱都准备好了,一次性打给卖家,不贷款", "buyer_loan", "full_payment"),
        ("冇未成年嘅,都系大人", "minor_owner", "no_minor"),
    ],
)
def test_a_flats_situation_in_plain_words(guide, text: str, question: str, option: str) -> None:
    state, reply = talk(guide, {}, "二手房过户")
    state, reply = talk(guide, state, text)
    assert state["answers"][question] == option


def test_all_optional_items_declined_in_words(guide) -> None:
    state, reply = talk(guide, {}, "二手房过户,我是买房的")
    for _ in range(12):
        if reply["type"] != "question":
            break
        state, reply = talk(guide, state, answer=(reply["question_id"], reply["options"][0]["id"]))
    assert reply["type"] == "items"
    offered = [i["id"] for i in reply["items"]]
    state, reply = talk(guide, state, "都不用")
    assert [state["wishes"].get(i) for i in offered] == [False] * len(offered)


@pytest.mark.parametrize(
    ("opening", "text", "question", "option"),
    [
        ("我要办退休", "社保卡早就激活了,平时拿它取钱", "social_card", "card_active"),
        ("我要办退休", "我想跟单位协商推迟两年再退", "retirement_type", "flexible_late"),
        ("孩子刚出生要上户口", "还没扯证,先有的娃", "parents_marital_status", "unmarried"),
        ("我爸去世了要办哪些手续", "他住房公积金账户里有钱没取出来", "housing_fund", "has_fund"),
        ("失业了想领失业金", "我自己辞的", "leave_reason", "voluntary"),
    ],
)
def test_situations_in_everyday_words(guide, opening: str, text: str, question: str, option: str) -> None:
    state, reply = talk(guide, {}, opening)
    state, reply = talk(guide, state, text)
    assert state["answers"][question] == option


def test_two_errands_are_offered_both_even_when_one_situation_is_told(guide) -> None:
    state, reply = talk(guide, {}, "我老伴去世了，丧葬费要领，我自己这个月也到点退休了")
    assert state.get("bundle") is None and reply["type"] == "clarify"
    assert reply["two_errands"] and {o["id"] for o in reply["options"]} >= {"after_death", "retirement"}


def test_a_group_narrowed_to_takes_its_usual_case_shown_and_correctable(guide) -> None:
    state, reply = talk(guide, {}, "我要卖房,房子还有贷款没还完")
    assert state["answers"]["seller_mortgage"] == "repay_first" and "seller_mortgage" in state["assumed"]
    assert reply.get("question_id") != "seller_mortgage"
    state, reply = talk(guide, state, "不对,想带押过户")
    assert state["answers"]["seller_mortgage"] == "transfer_with_mortgage"
    assert "seller_mortgage" not in state["assumed"]


def test_an_owner_who_cannot_come_brings_a_power_of_attorney(guide) -> None:
    state, reply = talk(guide, {}, "我和老伴要卖房子,房本是我们俩的名字,老伴腿脚不好出不了门")
    assert state["answers"]["agent"] == "by_agent" and "agent" in state["assumed"]
    assert "授权委托书" in names(finish(guide, state, reply))


def test_the_validator_checks_a_groups_assumption(tmp_path: Path) -> None:
    root = edited_knowledge(tmp_path, "housing_transfer", "assume: repay_first", "assume: no_mortgage")
    assert any("assume" in str(p) and "no_mortgage" in str(p) for p in check(root))


@pytest.mark.parametrize(
    ("text", "bundle"),
    [
        ("那套房子还有贷款没还完,能直接卖吗", "housing_transfer"),
        ("合同到期了公司不跟我续签,接下来怎么弄", "employment"),
        ("我们打算月底把证扯了,要带什么", "marriage"),
        ("心脏不好干不动了,想办病退", "retirement"),
    ],
)
def test_a_life_event_told_indirectly_opens_its_bundle(guide, text: str, bundle: str) -> None:
    state, reply = talk(guide, {}, text)
    assert state["bundle"] == bundle, reply


def test_a_buyer_is_taken_to_buy_a_first_home_shown_and_correctable(guide) -> None:
    state, reply = talk(guide, {}, "我买二手房,全款,已婚")
    assert state["answers"]["buyer_home"] == "first_small" and "buyer_home" in state["assumed"]
    checklist = finish(guide, state, reply)
    assert {"居民户口簿", "结婚证"} <= set(names(checklist))
    state, reply = talk(guide, state, "不对,这是第二套,一百六十平")
    assert state["answers"]["buyer_home"] == "second_large"


def test_a_seller_claiming_the_only_home_held_five_years_has_the_household_register_at_hand(guide) -> None:
    state, reply = talk(guide, {}, "我要卖房,买了八年了,家里就这一套,没贷款,房本就我一个人名字")
    assert state["answers"]["seller_holding"] == "five_only"
    assert "居民户口簿" in names(finish(guide, state, reply))


def test_a_number_followed_by_less_than_is_just_under_it(guide) -> None:
    state, reply = talk(guide, {}, "我要卖房,才买了两年不到")
    assert state["answers"]["seller_holding"] == "under_two"


def test_a_bare_yes_to_the_sellers_loan_is_the_usual_way_and_a_worker_is_an_employee(guide) -> None:
    state, reply = talk(guide, {}, "我要卖房子")
    while reply.get("question_id") != "seller_mortgage":
        state, reply = talk(guide, state, "不清楚")
    state, reply = talk(guide, state, "有的")
    assert state["answers"]["seller_mortgage"] == "repay_first"
    state, reply = talk(guide, {}, "我要退休了")
    state, reply = talk(guide, state, "我是车间工人")
    assert state["answers"]["insured_type"] == "employee"


def test_someone_starting_a_business_registers_without_a_labour_contract(guide) -> None:
    state, reply = talk(guide, {}, "我想自己开个小店创业,听说有创业担保贷款和补贴,两样都想了解")
    checklist = finish(guide, state, reply)
    assert "营业执照" in names(checklist)
    assert not any("劳动合同" in n for n in names(checklist))


def test_a_flat_left_by_a_parent_who_died_is_inherited_first(guide) -> None:
    state, reply = talk(guide, {}, "我妈前年去世了,留下一套房子,我想卖掉")
    assert state["answers"]["inherited"] == "inherited_unregistered"


def test_a_written_number_with_duo_is_a_bit_more(guide) -> None:
    state, reply = talk(guide, {}, "买了套二手房当改善房,140多平,全款")
    assert state["answers"]["buyer_home"] == "second_large"
