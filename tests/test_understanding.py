"""The guide understands situations in citizens' own words: every message read for every question, few
questions, corrections, new errands kept apart, follow-ups in context (issue 12). Real knowledge, no mocks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest

from server.guide.answer_eval import read_one
from server.guide.checklist import build_checklist
from server.guide.dialogue import _Turn, new_state, reader_for
from server.guide.knowledge import check, load_knowledge
from server.guide.matcher import Candidate, Matcher
from server.guide.reading import chinese_number, stated_quantities
from tests import talking
from tests.talking import Guide, build_guide, edited_knowledge

DAY = dt.date(2026, 1, 15)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def guide() -> Guide:
    return build_guide()


def talk(guide: Guide, state: dict, text: str | None = None, **structured) -> tuple[dict, dict]:
    return talking.talk(guide, DAY, state, text, **structured)


def said(reply: dict) -> dict[str, str]:
    return {u["question_id"]: u["option_id"] for u in reply.get("understood", []) if u["source"] != "assumed"}


def test_a_whole_situation_in_one_message_leaves_only_the_extras(guide) -> None:
    state, reply = talk(guide, {}, "我们俩都是内地的,第一次结婚,下个月领证要带啥,不做婚检")
    assert said(reply) == {
        "party_identity": "both_mainland",
        "marital_history": "first_marriage",
        "want_premarital_exam": "exam_no",
    }
    assert reply["type"] == "checklist"


def test_a_situation_sent_while_a_question_is_pending_fills_the_questions(guide) -> None:
    state, reply = talk(guide, {}, "我们想领证")
    assert reply["question_id"] == "party_identity"
    state, reply = talk(guide, state, "男方是内地居民,女方是香港居民,都是初婚,其他都不需要")
    assert reply["type"] == "checklist"
    assert state["answers"]["party_identity"] == "hmt"
    assert state["answers"]["marital_history"] == "first_marriage"
    assert state["items_closed"] and "hukou_marital_status_update" not in state["chosen_items"]


def test_an_answer_that_names_another_bundles_words_stays_in_the_questionnaire(guide) -> None:
    state, reply = talk(guide, {}, "我要退休了,要办什么")
    assert state["bundle"] == "retirement" and reply["question_id"] == "insured_type"
    state, reply = talk(guide, state, "我是企业职工,单位交的社保")
    assert state["bundle"] == "retirement" and state["answers"]["insured_type"] == "employee"
    assert reply["type"] == "items"
    state, reply = talk(guide, state, "户籍在本省,出生日期和档案一致,公积金也要取")
    assert state["bundle"] == "retirement" and reply["type"] == "checklist"
    assert state["answers"]["hukou_check"] == "hukou_ok"
    assert state["answers"]["housing_fund"] == "fund_active"


def test_an_unknown_answer_moves_on_with_the_cautious_option(guide) -> None:
    state, reply = talk(guide, {}, "我要退休了,企业职工")
    assert reply["type"] == "items"
    ids = [i["id"] for i in reply["items"]]
    assert "hukou_info_confirmation" in ids  # hukou_check is asked with the items
    state, reply = talk(guide, state, "不清楚")
    assert reply["type"] == "checklist"


@pytest.mark.parametrize(
    ("text", "question", "option"),
    [
        ("买二手房,120平,首套", "buyer_home", "first_small"),
        ("卖二手房,房东说持有三年", "seller_holding", "two_to_five"),
        ("卖房,2015年买的,家里就这一套", "seller_holding", "five_only"),
        ("我要退休了,灵活就业,交了十二年", "contribution_years", "not_enough"),
        ("失业了,被裁员了,交了5年社保", "contribution_years", "one_year_or_more"),
    ],
)
def test_numbers_and_ranges_pick_options(guide, text: str, question: str, option: str) -> None:
    state, _ = talk(guide, {}, text)
    assert state["answers"].get(question) == option or state["narrowed"].get(question) == [option]


def test_numbers_are_read_in_words_and_digits(guide) -> None:
    words = guide[0].dialogue
    numerals, about = words.numerals, words.approximately
    assert chinese_number("十八", numerals, about) == 18
    assert chinese_number("三十多", numerals, about) == pytest.approx(33.3, abs=0.1)
    assert chinese_number("两", numerals, about) == 2
    assert chinese_number("多", numerals, about) is None
    found = stated_quantities("89平,2015年买的", guide[0].dialogue, DAY)
    assert ("floor_area", 89.0) in [(q, v) for q, v, _ in found]
    assert ("years_held", 11.0) in [(q, v) for q, v, _ in found]


def test_negation_and_its_scope(guide) -> None:
    state, _ = talk(guide, {}, "我要退休了,企业职工,不是独生子女,婚前的事不提")
    assert state["answers"]["one_child"] == "one_child_no"
    state, _ = talk(guide, {}, "我们想领证,婚检要不要做?")
    assert "want_premarital_exam" not in state["answers"]  # asked, not stated
    state, _ = talk(guide, {}, "失业了,合同到期公司不续了")
    assert state["answers"]["leave_reason"] == "involuntary"


def test_a_correction_in_words_replans_the_checklist(guide) -> None:
    state, reply = talk(guide, {}, "我们俩都是内地的,第一次结婚,不做婚检,其他都不需要")
    assert reply["type"] == "checklist"
    notes_before = {n["text"] for n in reply["checklist"]["notes"]}
    state, reply = talk(guide, state, "不对,我是二婚")
    assert reply["type"] == "checklist"
    assert said(reply) == {"marital_history": "remarriage"}
    assert reply["understood"][0]["source"] == "corrected" and reply["understood"][0]["words"] == "二婚"
    assert {n["text"] for n in reply["checklist"]["notes"]} - notes_before


def test_understood_says_which_question_which_option_and_from_which_words(guide) -> None:
    state, reply = talk(guide, {}, "我们想领证,我是二婚")
    entry = next(u for u in reply["understood"] if u["question_id"] == "marital_history")
    question = next(q for q in guide[0].bundles["marriage"].questions if q.id == "marital_history")
    option = next(o for o in question.options if o.id == "remarriage")
    assert entry == {
        "question_id": "marital_history",
        "question": question.text,
        "option_id": "remarriage",
        "label": option.label,
        "words": "二婚",
        "source": "said",
    }
    assumed = [u for u in reply["understood"] if u["source"] == "assumed"]
    assert assumed and all(u["words"] is None for u in assumed)


def test_an_assumed_answer_can_be_corrected_by_tap(guide) -> None:
    state, reply = talk(guide, {}, "我们俩都是内地的,第一次结婚,不做婚检,其他都不需要")
    state, reply = talk(guide, state, answer=("military", "military_party"))
    assert reply["type"] == "checklist" and "military" not in state["assumed"]
    assert "military_id" in [m["id"] for m in reply["checklist"]["materials"]]


def test_an_explicit_new_errand_switches_and_keeps_the_first_conversation(guide) -> None:
    state, reply = talk(guide, {}, "我们想领证")
    state, reply = talk(guide, state, "都是大陆的")
    assert state["answers"]["party_identity"] == "both_mainland"
    state, reply = talk(guide, state, "那我爸退休要办啥")
    assert state["bundle"] == "retirement" and reply["parked"] == "marriage"
    state, reply = talk(guide, state, "结婚登记要办什么")
    assert state["bundle"] == "marriage" and reply["resumed"] == "marriage"
    assert state["answers"]["party_identity"] == "both_mainland"


def test_an_faq_mid_questionnaire_is_answered_and_the_question_repeated(guide) -> None:
    state, reply = talk(guide, {}, "我们想领证")
    pending = reply["question_id"]
    state, reply = talk(guide, state, "要花钱吗")
    assert reply["type"] == "answer" and reply["question"]["question_id"] == pending
    assert state["pending"] == pending and state["bundle"] == "marriage"


def test_gibberish_mid_questionnaire_asks_the_question_again(guide) -> None:
    state, reply = talk(guide, {}, "我们想领证")
    state, reply = talk(guide, state, "今天天气不错")
    assert reply["type"] == "question" and reply["retry"] is True and state["bundle"] == "marriage"


def test_questions_whose_options_lead_to_the_same_notice_are_not_asked(guide) -> None:
    state, reply = talk(guide, {}, "出差去外地突发急病住院,自己垫钱了,怎么报销")
    assert "temporary_type" not in [reply.get("question_id")]
    assert reply["type"] in ("items", "checklist")


def test_follow_ups_in_context(guide) -> None:
    state, reply = talk(guide, {}, "我们俩都是内地的,第一次结婚,不做婚检,其他都不需要")
    for text, topic in [
        ("要多久", ("time", "faq")),
        ("要钱吗", ("fee", "faq")),
        ("去哪几个地方办", ("place",)),
        ("需要复印件吗", ("copies",)),
        ("要本人去吗", ("in_person", "faq")),
        ("能网上办吗", ("online",)),
    ]:
        state, reply = talk(guide, state, text)
        assert reply["type"] == "answer" and reply["topic"] in topic, text
    state, reply = talk(guide, state, "身份证呢")
    assert reply["type"] == "answer" and "居民身份证" in reply["text"]


def test_a_material_is_shown_and_asked_for_by_its_other_names(guide) -> None:
    state, reply = talk(guide, {}, "我被公司辞退了,想领失业金,要带什么")
    state, reply = talk(guide, state, "离职证明呢")
    assert reply["type"] == "answer" and "终止或者解除劳动关系的证明" in reply["text"]
    checklist = build_checklist(guide[0], "employment", {"situation": "unemployed"}, None, DAY)
    paper = next(m for m in checklist["materials"] if m["id"] == "termination_certificate")
    assert "解除劳动合同证明" in paper["also_known_as"]


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", root)
    return root


def test_the_validator_rejects_a_phrase_that_also_matches_a_sibling_option(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    path = root / "bundles" / "marriage.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("synonyms: [初婚, 头婚", "synonyms: [婚, 初婚, 头婚"), encoding="utf-8")
    problems = [str(p) for p in check(root)]
    assert any(
        "knowledge/bundles/marriage.yaml: questions[3].options[1].synonyms[0]" in p
        and "also matches '婚'" in p
        for p in problems
    ), problems


def test_the_validator_checks_dialogue_words_and_references(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    words = root / "dialogue.yaml"
    words.write_text(
        words.read_text(encoding="utf-8").replace('"yes": [是的,', '"yes": [没有, 是的,'), encoding="utf-8"
    )
    bundle = root / "bundles" / "retirement.yaml"
    bundle.write_text(
        bundle.read_text(encoding="utf-8").replace("assume: normal", "assume: nope"), encoding="utf-8"
    )
    problems = [str(p) for p in check(root)]
    assert any(p.startswith("knowledge/dialogue.yaml: yes[0]: ") for p in problems), problems
    assert any("retirement.yaml: questions[1].assume" in p for p in problems), problems


def test_a_narrowed_question_is_asked_in_its_narrower_form(tmp_path: Path) -> None:
    """A group without a usual case (`assume`) asks its narrower question."""
    root = edited_knowledge(tmp_path, "housing_transfer", "assume: repay_first", "")
    knowledge = load_knowledge(root)
    guide = (knowledge, Matcher.from_knowledge(knowledge))
    state, reply = talk(guide, {}, "卖二手房,还欠银行二十万,买家全款,房本就我一个人名字")
    assert state["narrowed"]["seller_mortgage"] == ["repay_first", "transfer_with_mortgage"]
    for _ in range(6):
        if reply.get("question_id") == "seller_mortgage":
            break
        state, reply = talk(guide, state, "不清楚")
    assert reply["question_id"] == "seller_mortgage"
    assert {o["id"] for o in reply["options"]} == {"repay_first", "transfer_with_mortgage"}
    assert "带押过户" in reply["text"]
    state, reply = talk(guide, state, "先还清再过户")
    assert state["answers"]["seller_mortgage"] == "repay_first"


def test_a_situation_decides_between_candidates_the_matcher_could_not(guide) -> None:
    text = "我有套房 还欠银行四十多万 买家也要贷款 流程怎么走"
    result = dataclasses.replace(
        guide[1].match(text),
        decision="none",
        candidates=(Candidate("business_operation", 0.34), Candidate("housing_transfer", 0.33)),
    )
    turn = _Turn(new_state(), guide[0], guide[1], DAY)
    picked = turn._situated(result, text)
    assert picked is not None and picked.slug == "housing_transfer"
    unsure = dataclasses.replace(result, decision="commit")
    assert turn._situated(unsure, text).slug == "housing_transfer"  # a commit the text's situation belies
    sure = dataclasses.replace(
        result,
        decision="commit",
        candidates=(Candidate("business_operation", 0.95), Candidate("housing_transfer", 0.03)),
    )
    assert turn._situated(sure, text) is None  # a sure commit stands


def test_an_unsure_commit_gives_way_to_the_bundle_whose_questions_the_text_tells_most(guide) -> None:
    """A death told as background of a remarriage: after_death hears its spouse, marriage hears two
    questions; a two-errand clarify still needs the other bundle untouched."""
    text = "老伴走了好几年了,我想和一位离过婚的台湾女士领证"
    turn = _Turn(new_state(), guide[0], guide[1], DAY)
    told = {slug: turn._questions_told(slug, text) for slug in ("after_death", "marriage")}
    assert told["after_death"] == 1 and told["marriage"] >= 2
    candidates = (Candidate("after_death", 0.6), Candidate("marriage", 0.3))
    unsure = dataclasses.replace(
        guide[1].match(text), decision="commit", candidates=candidates, two_errands=False
    )
    assert turn._situated(unsure, text).slug == "marriage"
    two = dataclasses.replace(unsure, decision="clarify", two_errands=True)
    assert turn._situated(two, text) is None


@pytest.mark.parametrize(
    ("text", "question", "option"),
    [
        ("卖房,房子不满两年", "seller_holding", "under_two"),
        ("卖房,去年买的", "seller_holding", "under_two"),
        ("我要退休了,灵活就业,交了不到十五年", "contribution_years", "not_enough"),
    ],
)
def test_less_than_and_relative_years(guide, text: str, question: str, option: str) -> None:
    state, _ = talk(guide, {}, text)
    assert state["answers"].get(question) == option


def test_optional_items_in_words_with_negation_and_closing(guide) -> None:
    state, reply = talk(guide, {}, "我们想领证")
    state, reply = talk(guide, state, "都是大陆的")
    assert reply["type"] == "items"
    state, reply = talk(guide, state, "想做婚检,生育登记暂时不办,其他不办")
    assert reply["type"] == "checklist"
    items = {i["id"] for i in reply["checklist"]["items"]}
    assert "premarital_medical_exam" in items
    assert not items & {"birth_registration", "spouse_hukou_migration", "hukou_marital_status_update"}
    closing = [u for u in reply["understood_items"] if u["item_id"] is None]
    assert closing and closing[0]["wanted"] is False


def test_item_phrases_choose_items_without_a_question(guide) -> None:
    state, reply = talk(guide, {}, "我哥车祸走了,要火化,医保也要停")
    wishes = {u["item_id"]: u["wanted"] for u in reply["understood_items"]}
    assert wishes.get("death_cremation_service") is True


def test_the_retirement_date_answer_carries_the_questionnaires_next_step(guide) -> None:
    state, reply = talk(guide, {}, "我是企业职工,1965年3月出生的男的,我啥时候能退休?要准备啥材料?")
    assert reply["type"] == "answer" and reply["topic"] == "retirement_date"
    following = reply.get("question") or reply.get("choice") or reply.get("next")
    assert following is not None and state["answers"]["insured_type"] == "employee"
    assert following["type"] in ("question", "items", "checklist")


def test_a_house_after_a_death_stays_with_the_death_errand(guide) -> None:
    state, reply = talk(guide, {}, "我爸上周在医院去世了,他是退休工人")
    state, reply = talk(guide, state, "有一套房子要过户给我妈,公积金早就取完了")
    assert state["bundle"] == "after_death"
    assert state["answers"]["estate"] == "has_real_estate" and state["answers"]["housing_fund"] == "no_fund"


def test_a_short_reply_that_is_part_of_one_options_label_answers_it(guide) -> None:
    state, reply = talk(guide, {}, "我要退休了,要办什么")
    assert reply["question_id"] == "insured_type"
    state, reply = talk(guide, state, "机关事业单位")
    assert state["answers"]["insured_type"] == "public_institution"


def test_the_follow_up_wording_is_knowledge_checked_by_field(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    words = root / "dialogue.yaml"
    text = words.read_text(encoding="utf-8")
    text = text.replace('working_days: "{days}个工作日"', 'working_days: "{count}个工作日"')
    words.write_text(text.replace("    mixed: 按各事项要求\n", ""), encoding="utf-8")
    problems = [str(p) for p in check(root)]
    assert any("dialogue.yaml: follow_up_texts.working_days: " in p and "count" in p for p in problems), (
        problems
    )
    assert any("dialogue.yaml: follow_up_texts.forms.mixed: " in p for p in problems), problems


def test_the_validator_rejects_a_phrase_cut_at_a_clause_break(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    path = root / "bundles" / "marriage.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("synonyms: [初婚, 头婚", "synonyms: [初婚但是, 初婚, 头婚"), encoding="utf-8"
    )
    words = root / "dialogue.yaml"
    words.write_text(
        words.read_text(encoding="utf-8").replace("unbroken: [", "unbroken: [过户, "), encoding="utf-8"
    )
    problems = [str(p) for p in check(root)]
    assert any("marriage.yaml" in p and "'初婚但是' is cut at a clause break" in p for p in problems), (
        problems
    )
    assert any(p.startswith("knowledge/dialogue.yaml: unbroken[0]: ") for p in problems), problems


def test_a_word_beginning_with_a_clause_break_is_no_break(guide) -> None:
    state, reply = talk(guide, {}, "卖二手房,房子买了七八年了,卖家名下还有别的房")
    assert state["answers"]["seller_holding"] == "five_not_only"
    state, reply = talk(guide, {}, "买二手房,水电燃气暂时都不过户")
    assert state["answers"]["utilities"] == "no_utilities"


def test_a_lone_digit_reads_as_its_word_and_slang_negations_negate(guide) -> None:
    state, reply = talk(guide, {}, "二手房过户,我是买房的,第2套,九十平")
    assert state["narrowed"].get("buyer_home") == ["second_small"] or state["answers"].get("buyer_home") == (
        "second_small"
    )
    state, reply = talk(guide, {}, "孩子刚出生要上户口")
    state, reply = talk(guide, state, "我俩木有结婚登记")
    assert state["answers"]["parents_marital_status"] == "unmarried"


def test_a_side_not_said_is_asked_first_since_it_decides_which_questions_apply(guide) -> None:
    state, reply = talk(guide, {}, "二手房过户要准备什么")
    assert reply["question_id"] == "role"
    state, reply = talk(guide, state, "不清楚")
    assert state["answers"]["role"] == "both_sides"


def test_one_sides_facts_tell_the_side_and_both_sides_facts_both(guide) -> None:
    state, reply = talk(guide, {}, "二手房过户要准备什么,首付已经凑齐了,剩下的办商贷")
    assert state["answers"]["role"] == "buyer" and "role" in state["assumed"]
    assert reply.get("question_id") not in ("role", "seller_mortgage", "seller_holding")
    state, reply = talk(guide, {}, "二手房过户,买家要办商贷,我这边房子还欠银行二十万")
    assert state["answers"]["role"] == "both_sides"


def test_a_bare_no_after_a_softener_and_a_declining_clause_in_dialect(guide) -> None:
    state, reply = talk(guide, {}, "我们想领证,俩都是内地的,都是初婚")
    assert reply["type"] == "items"
    state, reply = talk(guide, state, "暂时唔使")
    assert reply["type"] == "checklist" and not state["chosen_items"]


def test_an_approximate_number_with_ji_or_lai_is_read() -> None:
    words = load_knowledge().dialogue
    found = stated_quantities("一百三十几平", words, DAY, frozenset({"floor_area"}))
    assert [(q, round(v)) for q, v, _ in found] == [("floor_area", 133)]
    assert round(chinese_number("十来", words.numerals, words.approximately) or 0) == 13


def test_not_quite_sure_is_not_knowing(guide) -> None:
    state, reply = talk(guide, {}, "我要退休了")
    pending = reply["question_id"]
    state, reply = talk(guide, state, "这个不太清楚")
    assert reply.get("question_id") != pending


def test_a_clause_that_does_not_know_states_nothing_but_its_own_not_knowing(guide) -> None:
    knowledge = guide[0]
    reader = reader_for(knowledge, "retirement")
    assert not reader.read("搞不清楚啥叫视同缴费", DAY, "deemed_years").about("deemed_years")
    assert reader.read("有视同缴费", DAY, "deemed_years").about("deemed_years")
    after = reader_for(knowledge, "after_death").read("死因还不清楚", DAY, "death_place")
    assert [e.options for e in after.about("death_place")] == [frozenset({"unnatural"})]


def test_a_negation_stops_at_the_next_verb(guide) -> None:
    reader = reader_for(guide[0], "newborn")
    evidence = reader.read("救护车还没到就在家里生了", DAY, "birth_abroad").about("birth_abroad")
    assert [(e.options, e.negated) for e in evidence] == [(frozenset({"born_here"}), False)]


def test_a_commit_whose_own_situation_is_told_stands(guide) -> None:
    """ "老伴在医院走了" tells the deceased's place and the spouse: a flat's owner (老伴) and an inheritance
    (走了) told as well are no reason to leave after_death."""
    text = "我老伴前天在医院走了,接下来这些事不知道怎么办"
    turn = _Turn(new_state(), guide[0], guide[1], DAY)
    assert turn._questions_told("after_death", text) >= 2
    assert turn._questions_told("housing_transfer", text) > turn._questions_told("after_death", text)
    candidates = (Candidate("after_death", 0.8), Candidate("housing_transfer", 0.01))
    committed = dataclasses.replace(guide[1].match(text), decision="commit", candidates=candidates)
    assert turn._situated(committed, text) is None


def answered(guide: Guide, bundle: str, question: str, text: str) -> tuple[str, ...]:
    """The options understood for `question` from `text` sent with it pending (as the answer measure does)."""
    knowledge, matcher = guide
    read = read_one(
        {"bundle": bundle, "question": question, "option": "", "text": text}, knowledge, matcher, DAY
    )
    assert read is not None
    return read.understood


def test_an_answer_opening_with_yes_or_no_answers_the_question_asked(guide) -> None:
    # 没交过 is also the housing fund's words; opening the answer it still says no to the pension asked.
    assert answered(guide, "after_death", "pension", "没交过") == ("no_pension",)
    assert answered(guide, "business_operation", "has_business_license", "还没，想一块办") == ("license_no",)
    assert answered(guide, "company_deregistration", "procedure", "是的") == ("simple",)
    assert answered(guide, "company_deregistration", "procedure", "不确定") == ("general",)


def test_a_topic_picks_yes_negated_no_and_yields_to_an_options_own_words(guide) -> None:
    assert answered(guide, "business_operation", "has_business_license", "执照已经到手啦") == ("license_yes",)
    assert answered(guide, "business_operation", "has_business_license", "执照都还没得") == ("license_no",)
    assert answered(guide, "business_operation", "has_business_license", "没有执照，顺便把执照也办了") == (
        "license_no",
    )


def test_declining_after_a_no_options_words_confirms_it(guide) -> None:
    assert answered(guide, "marriage", "want_premarital_exam", "单位刚体检过，不用了") == ("exam_no",)
    assert answered(guide, "marriage", "want_birth_registration", "不办，打算2年后再要孩子") == ("birth_no",)


def test_a_negation_ending_inside_or_opening_a_phrase_reaches_it(guide) -> None:
    assert answered(guide, "housing_transfer", "seller_mortgage", "木有贷款 全款买的") == ("no_mortgage",)
    assert answered(guide, "after_death", "pension", "没交过啥养老保险") == ("no_pension",)
    assert answered(guide, "retirement", "social_card", "我还没有社保卡") == ("card_missing",)


def test_a_decade_is_no_count_of_years_and_months_are_counted(guide) -> None:
    words = guide[0].dialogue
    assert chinese_number("八几", words.numerals, words.approximately) is None
    assert answered(
        guide, "retirement", "contribution_years", "我从八几年参加工作，中间没断过，应该是够了"
    ) == ("enough",)
    assert answered(guide, "employment", "contribution_years", "才干了八个月") == ("under_one_year",)
    assert answered(guide, "employment", "contribution_years", "累计缴了26个月") == ("one_year_or_more",)
