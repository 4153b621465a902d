"""The dialogue state machine on the real knowledge and matcher, without HTTP."""

from __future__ import annotations

import datetime as dt

import pytest

from server.guide.dialogue import DialogueError
from tests import talking
from tests.talking import Guide, build_guide

DAY = dt.date(2026, 1, 15)


@pytest.fixture(scope="module")
def guide() -> Guide:
    return build_guide()


def talk(guide: Guide, state: dict, text: str | None = None, **structured) -> tuple[dict, dict]:
    return talking.talk(guide, DAY, state, text, **structured)


def test_words_already_said_skip_their_questions(guide) -> None:
    state, reply = talk(guide, {}, "我们都是大陆的,准备领证,不做婚检")
    assert state["bundle"] == "marriage" and reply["type"] == "checklist"
    said = {u["question_id"]: u["option_id"] for u in reply["understood"] if u["source"] == "said"}
    assert said == {"party_identity": "both_mainland", "want_premarital_exam": "exam_no"}
    words = {u["question_id"]: u["words"] for u in reply["understood"] if u["source"] == "said"}
    assert words == {"party_identity": "都是大陆的", "want_premarital_exam": "婚检"}
    assumed = {u["question_id"] for u in reply["assumed"]}
    assert assumed == {"id_card_status", "marital_history", "military"}


def test_free_text_answers_yes_no_and_synonyms(guide) -> None:
    state, reply = talk(guide, {}, "我们想领证")
    assert reply["question_id"] == "party_identity"
    state, reply = talk(guide, state, "对,我们都是大陆的")
    assert state["answers"]["party_identity"] == "both_mainland"
    assert reply["type"] == "items"
    state, reply = talk(guide, state, "二婚,婚检不做")
    assert state["answers"]["marital_history"] == "remarriage" and "marital_history" not in state["assumed"]
    assert reply["type"] == "checklist"


def test_a_bare_yes_or_no_answers_the_pending_question(guide) -> None:
    state, reply = talk(guide, {}, "孩子出生了要办什么")
    assert reply["type"] == "question" and reply["question_id"] == "parents_marital_status"
    state, reply = talk(guide, state, "是的")
    assert state["answers"]["parents_marital_status"] == "married"
    assert reply["understood"][0]["words"] == "是的"
    state, reply = talk(guide, {}, "我爸去世了,要办什么")
    state, reply = talk(guide, state, "在医院")
    assert reply["type"] == "items"
    state, reply = talk(guide, state, "没有")
    assert reply["type"] == "checklist"
    assert not {i["id"] for i in reply["checklist"]["items"]} & {"death_housing_fund_withdrawal"}


def test_whole_conversation_ends_with_the_checklist_and_answers_follow_ups(guide) -> None:
    state, reply = talk(guide, {}, "我们都是大陆的,准备领证,不做婚检,户口先不动")
    assert reply["type"] == "checklist"
    ids = [m["id"] for m in reply["checklist"]["materials"]]
    assert "id_card" in ids and "marriage_declaration" in ids and "household_register" not in ids
    for text, topic in [
        ("要钱吗", "fee"),
        ("在哪办", "place"),
        ("能网上办吗", "online"),
        ("需要本人去吗", "in_person"),
    ]:
        state, reply = talk(guide, state, text)
        assert reply["type"] == "answer" and reply["topic"] in (topic, "faq"), text
    state, reply = talk(guide, state, "那户口呢")
    assert reply["type"] == "answer" and "户口" in reply["text"]


def test_changing_the_subject_starts_a_new_topic_and_reset_forgets(guide) -> None:
    state, _ = talk(guide, {}, "我们想领证")
    state, reply = talk(guide, state, "老人走了要办什么")
    assert state["bundle"] == "after_death" and "party_identity" not in state["answers"]
    state, reply = talk(guide, state, "重新开始")
    assert reply["type"] == "reset" and state["bundle"] is None


@pytest.mark.parametrize("text", ["😀", "???", "asdfgh"])
def test_nonsense_is_a_fallback_that_commits_to_nothing(guide, text: str) -> None:
    state, reply = talk(guide, {}, text)
    assert reply["type"] == "fallback" and state["bundle"] is None
    assert reply["operator"]["available"] is True


def test_structured_answers_must_fit_the_pending_question(guide) -> None:
    state, reply = talk(guide, {}, "我们想领证")
    with pytest.raises(DialogueError) as caught:
        talk(guide, state, answer=("want_premarital_exam", "exam_yes"))
    assert caught.value.code == "question_not_asked"
    with pytest.raises(DialogueError) as caught:
        talk(guide, state, answer=(reply["question_id"], "nope"))
    assert caught.value.code == "unknown_option"
    state, reply = talk(guide, state, answer=("party_identity", "foreigner"))
    assert state["answers"]["party_identity"] == "foreigner"


def test_optional_items_are_offered_and_chosen(guide) -> None:
    state, reply = talk(guide, {}, "孩子刚出生要办什么")
    for _ in range(10):
        if reply["type"] != "question":
            break
        state, reply = talk(guide, state, answer=(reply["question_id"], reply["options"][0]["id"]))
    assert reply["type"] == "items"
    offered = [i["id"] for i in reply["items"]]
    state, reply = talk(guide, state, "不用了")
    assert reply["type"] == "checklist"
    assert not set(offered) & {i["id"] for i in reply["checklist"]["items"]}
