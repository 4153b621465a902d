"""Behaviour of the guide's matcher: colloquial speech, typos, pinyin, negation, ambiguity, out of scope."""

from __future__ import annotations

import pytest

from server.guide.eval import build_matcher
from server.guide.knowledge import load_knowledge
from server.guide.matcher import Matcher


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    """One matcher for the module: building it loads jieba's dictionary (about a second)."""
    return build_matcher()


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("我们下周去领证", "marriage"),
        ("我今年到点了，单位让我准备材料", "retirement"),
        ("明年就退了要准备啥", "retirement"),
        ("老人走了，后面要跑哪些地方", "after_death"),
        ("过户水表要带什么", "housing_transfer"),
        ("娃出生了咋上户口", "newborn"),
        ("开个小饭馆得办啥证", "business_operation"),
        ("从部队回来了要办什么", "veteran"),
    ],
)
def test_colloquial_phrasings_commit(matcher: Matcher, text: str, slug: str) -> None:
    assert matcher.match(text).slug == slug


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("企业注消要多久", "company_deregistration"),
        ("办退修手续", "retirement"),
        ("二首房怎么过户", "housing_transfer"),
        ("营业执招怎么申请", "company_opening"),
    ],
)
def test_homophone_typos_commit(matcher: Matcher, text: str, slug: str) -> None:
    assert matcher.match(text).slug == slug


@pytest.mark.parametrize(
    ("text", "slug"),
    [("tuixiu", "retirement"), ("jiehun dengji", "marriage"), ("zhuxiao gongsi", "company_deregistration")],
)
def test_pinyin_input_commits(matcher: Matcher, text: str, slug: str) -> None:
    assert matcher.match(text).slug == slug


def test_negated_new_home_is_a_resale(matcher: Matcher) -> None:
    assert matcher.match("不是新房，是二手的，过户要准备啥").slug == "housing_transfer"


def test_negated_marriage_is_divorce_out_of_scope(matcher: Matcher) -> None:
    result = matcher.match("不是结婚是离婚")
    assert result.decision == "none"
    assert result.out_of_scope == "离婚"


def test_negated_divorce_leaves_marriage(matcher: Matcher) -> None:
    result = matcher.match("不是离婚，是结婚登记")
    assert result.slug == "marriage"
    assert result.out_of_scope is None


def test_close_bundles_ask_rather_than_commit(matcher: Matcher) -> None:
    result = matcher.match("退休了还想找个工作")
    assert result.decision == "clarify"
    assert result.slug is None
    assert {c.slug for c in result.candidates} == {"retirement", "employment"}


def test_a_bare_shared_term_commits_to_nothing(matcher: Matcher) -> None:
    assert matcher.match("不动产登记").slug is None


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("护照怎么办", "护照"),
        ("驾照到期了换证", "驾照"),
        ("办个居住证", "居住证"),
        ("个税汇算怎么弄", "个税汇算"),
    ],
)
def test_single_items_are_out_of_scope(matcher: Matcher, text: str, item: str) -> None:
    result = matcher.match(text)
    assert result.decision == "none"
    assert result.slug is None
    assert result.out_of_scope == item


@pytest.mark.parametrize("text", ["", "   ", "😂😂", "？？？", "asdfqwer", "哈哈哈", "今天吃什么好呢"])
def test_gibberish_and_chit_chat_commit_to_nothing(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert result.decision == "none"
    assert result.slug is None


def test_result_shape(matcher: Matcher) -> None:
    result = matcher.match("我想开个公司，营业执照和公章怎么办")
    assert result.decision == "commit"
    assert result.slug == "company_opening"
    assert 1 <= len(result.candidates) <= 3
    assert all(0.0 <= c.score <= 1.0 for c in result.candidates)
    assert [c.score for c in result.candidates] == sorted((c.score for c in result.candidates), reverse=True)


def test_normalize_folds_width_fillers_and_synonyms(matcher: Matcher) -> None:
    assert matcher.normalize("请问，娃咋办？") == "孩子怎么办"
    assert matcher.normalize("老人走了，咋弄") == "去世,怎么办"
    assert matcher.normalize("ＡＢＣ１２３") == "abc123"


def test_every_bundle_is_reachable_by_its_official_name(matcher: Matcher) -> None:
    from server.guide.contract import CONTRACT_BUNDLES

    for slug, name, _ in CONTRACT_BUNDLES:
        assert matcher.match(name.split("(")[0]).slug == slug, name


@pytest.mark.parametrize(
    ("text", "slug"),
    [("要准备接收安置通知书吗", "veteran"), ("海关报关单位备案注销怎么办", "company_deregistration")],
)
def test_a_bundles_own_materials_and_items_tip_the_text_towards_it(
    matcher: Matcher, text: str, slug: str
) -> None:
    assert matcher.match(text).slug == slug


def test_knowledge_words_alone_never_commit_the_rule_layers(matcher: Matcher) -> None:
    """The rule decision alone; the ranker may commit on them, having seen such words in its corpus."""
    result = Matcher.rules_only(load_knowledge()).match("户外招牌设置怎么办")
    assert result.decision != "commit"
    assert result.candidates[0].slug == "business_operation"


def test_knowledge_words_never_lift_a_bundle_over_a_named_single_item(matcher: Matcher) -> None:
    """The rule decision; the ranker weighs the single item against the keyword as its corpus taught it."""
    result = Matcher.rules_only(load_knowledge()).match("新生儿办护照")
    assert result.decision == "none"
    assert result.out_of_scope == "办护照"


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("公司不想开了", "company_deregistration"),
        ("厂子倒闭了我没工作了", "employment"),
        ("退休后去外地过冬,医保要备案吗", "medical"),
        ("离过婚,现在再婚要带什么", "marriage"),
    ],
)
def test_the_speakers_situation_decides_between_close_bundles(matcher: Matcher, text: str, slug: str) -> None:
    assert matcher.match(text).slug == slug


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("闺女嫁给了外省人，户口怎么迁", "marriage"),  # 嫁 with 户口: marriage, not a newborn's household
        ("娃娃刚出生，出生证在哪开", "newborn"),  # "娃" as written inside 娃娃, though it normalises to 孩子
        ("tuiwu anzhi shouxu", "veteran"),  # pinyin words, one term each
        ("biye dangan zai na", "graduate"),  # pinyin words spelling a compound's parts
        ("毕业了档按转到哪里", "graduate"),  # a compound part heard by sound
    ],
)
def test_compound_parts_match_as_written_spelled_or_heard(matcher: Matcher, text: str, slug: str) -> None:
    """Compound parts are found whether written, normalised, spelled in pinyin or typed as homophones."""
    assert matcher.match(text).slug == slug


def test_a_single_item_must_start_a_word(matcher: Matcher) -> None:
    """ "房贷" inside "厂房贷款" is no mortgage question: the factory's mortgage release is real estate."""
    result = matcher.match("工厂的厂房贷款还完了，抵押怎么注销")
    assert result.out_of_scope is None
    assert result.slug == "enterprise_real_estate"


@pytest.mark.parametrize("text", ["婚假能休几天", "想起诉装修公司", "身份证上名字写错了"])
def test_labour_leave_lawsuits_and_name_fixes_are_single_items(matcher: Matcher, text: str) -> None:
    """Leave, lawsuits and name corrections belong to no bundle."""
    assert matcher.match(text).slug is None


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("我們要辦理結婚登記", "marriage"),
        ("公司結束營業 怎麼註銷", "company_deregistration"),
        ("小朋友上幼稚園 報名要什麼", "school_enrollment"),
        ("在外地住院 醫保怎麼報銷", "medical"),
    ],
)
def test_traditional_characters_read_as_simplified(matcher: Matcher, text: str, slug: str) -> None:
    assert matcher.match(text).slug == slug


@pytest.mark.parametrize(
    "text",
    [
        "开个奶茶店能赚钱吗",
        "退休以后好无聊",
        "开饭店的话哪家灶台便宜",
        "买二手房划算吗",
        "我妈走了好几年了,很想念她",
    ],
)
def test_small_talk_around_a_bundle_commits_to_nothing(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).slug is None


def test_small_talk_beside_an_errand_still_commits(matcher: Matcher) -> None:
    assert matcher.match("开奶茶店赚钱吗,要办什么证").slug == "business_operation"


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("我叔以前当过兵,现在回老家了", "veteran"),
        ("当兵退下来,要去哪报到", "veteran"),
        ("娃智力有问题,能申请啥", "disability_assistance"),
        ("想open a company,要啥手续", "company_opening"),
    ],
)
def test_situations_and_mixed_english_commit(matcher: Matcher, text: str, slug: str) -> None:
    assert matcher.match(text).slug == slug


@pytest.mark.parametrize("text", ["社保卡丢了怎么补", "户口本过期了吗", "补办医保卡"])
def test_replacing_a_card_or_register_is_a_single_item(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).slug is None


@pytest.mark.parametrize(
    "text, slug",
    [
        ("请问一下,我想跟朋友合伙办一家公司,名称都起好了,下一步去哪申报?", "company_opening"),
        ("新开的公司对公户是不是要等执照下来才能开?", "company_opening"),
        ("我们老厂房打算翻建,需要走哪些审批?", "construction_permit"),
        ("药店想顺便卖医疗器械,备案要准备什么?", "business_operation"),
        ("我老公是本地人,我嫁过来以后户口怎么迁?", "marriage"),
        ("家里遭了水灾,生活没着落,能申请补助吗?", "disability_assistance"),
        ("人事说我下个月退休,让我先准备手续资料", "retirement"),
        ("父亲病故了,名下的存款怎么处理?", "after_death"),
    ],
)
def test_roundabout_hotline_requests_commit(matcher: Matcher, text: str, slug: str) -> None:
    assert matcher.match(text).slug == slug


def test_a_veteran_asking_for_job_training_is_never_sent_to_employment_alone(matcher: Matcher) -> None:
    """Two bundles in two clauses: the ranker offers both (it used to commit to veteran)."""
    result = matcher.match("我是退伍回来的,想参加就业培训,在哪报名?")
    assert result.slug in (None, "veteran")
    assert "veteran" in {c.slug for c in result.candidates}


@pytest.mark.parametrize(
    "text",
    [
        "孩子打算出国留学,要办什么手续?",
        "申请助学贷款要去哪里?",
        "公司股东想把股权转让出去,怎么办?",
        "公司要开增值税专用发票,找谁?",
        "现役军人探亲假有几天?",
        "从开发商手里买的新房,网签合同在哪里查?",
    ],
)
def test_changes_tax_study_abroad_and_active_duty_are_no_bundle(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).slug is None


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("结婚的先不问，孩子出生了怎么上户口", "newborn"),
        ("个人的不用说了，我问的是公司注销", "company_deregistration"),
        ("不是注册，是注销公司", "company_deregistration"),
    ],
)
def test_contrast_and_correction_shift_weight_to_the_clause_with_the_need(
    matcher: Matcher, text: str, slug: str
) -> None:
    assert matcher.match(text).slug == slug


def test_the_trace_names_each_layer_its_span_and_the_vetoes(matcher: Matcher) -> None:
    trace = matcher.trace("结婚的先不问，孩子出生了怎么上户口")
    assert {"literal", "compound"} <= {e.layer for e in trace.evidence}
    assert all(e.bundle != "marriage" for e in trace.evidence if e.layer == "literal")
    assert any(v.startswith("set_aside '先不问'") for v in trace.vetoes)
    assert trace.result == matcher.match("结婚的先不问，孩子出生了怎么上户口")
    spelled = [e for e in matcher.trace("zhuxiao gongsi").evidence if e.layer == "spelled"]
    assert [(e.bundle, e.term) for e in spelled] == [("company_deregistration", "注销公司")]


def test_explain_command_prints_evidence_and_decision() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "server.guide.matcher", "explain", "不是结婚是离婚", "tuixiu"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    out = done.stdout
    assert "veto: negation '不是' mutes '结婚'" in out
    assert "single item" in out and "decision:   none" in out
    assert "spelled" in out and "retirement" in out
    assert out.count("decision:") == 2
