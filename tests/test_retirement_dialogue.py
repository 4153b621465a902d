"""The guide answers "when can I retire?" in conversation, asking only for what is missing."""

from __future__ import annotations

import datetime as dt

import pytest

from server.guide.dialogue import ITEMS_PENDING, DialogueError
from tests import talking
from tests.talking import Guide, build_guide

DAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def guide() -> Guide:
    return build_guide()


def talk(guide: Guide, state: dict, text: str | None = None, **structured) -> tuple[dict, dict]:
    return talking.talk(guide, DAY, state, text, **structured)


def test_everything_said_at_once_is_answered_at_once(guide) -> None:
    state, reply = talk(guide, {}, "我是1975年6月出生的男职工,什么时候能退休")
    assert state["bundle"] == "retirement"
    assert reply["type"] == "answer" and reply["topic"] == "retirement_date"
    assert reply["retirement_date"]["retirement_month"] == "2038-02"
    assert "62岁8个月" in reply["text"] and "19年6个月" in reply["text"]


def test_asks_only_what_is_missing_in_order(guide) -> None:
    state, reply = talk(guide, {}, "延迟退休以后,我具体什么时候能退?")
    assert state["bundle"] == "retirement"
    assert reply["question_id"] == "retirement_date.sex"
    state, reply = talk(guide, state, "女的")
    assert reply["question_id"] == "retirement_date.birth" and not reply["options"]
    state, reply = talk(guide, state, "七八年三月")
    assert reply["question_id"] == "retirement_date.track"
    assert {o["id"] for o in reply["options"]} == {"female_worker_50", "female_worker_55"}
    state, reply = talk(guide, state, "干部")
    assert reply["type"] == "answer"
    assert reply["retirement_date"]["statutory_age"]["label"] == "57岁1个月"
    assert reply["retirement_date"]["retirement_month"] == "2035-04"


def test_buttons_answer_its_questions(guide) -> None:
    state, reply = talk(guide, {}, "我1984年11月出生,几岁退休")
    assert reply["question_id"] == "retirement_date.sex"
    state, reply = talk(guide, state, answer=("retirement_date.sex", "female"))
    assert reply["question_id"] == "retirement_date.track"
    state, reply = talk(guide, state, answer=("retirement_date.track", "female_worker_50"))
    assert reply["retirement_date"]["statutory_age"]["label"] == "55岁"
    with pytest.raises(DialogueError):
        talk(guide, state, answer=("retirement_date.track", "female_worker_50"))


def test_a_year_alone_asks_for_the_month(guide) -> None:
    state, reply = talk(guide, {}, "我是男的,什么时候能退休,我是75年的")
    assert reply["question_id"] == "retirement_date.birth" and "1975年几月" in reply["text"]
    state, reply = talk(guide, state, "6月")
    assert reply["retirement_date"]["retirement_month"] == "2038-02"


def test_a_what_if_after_the_answer_recomputes(guide) -> None:
    state, _ = talk(guide, {}, "1978年3月出生的女干部什么时候退休")
    state, reply = talk(guide, state, "那女工人呢")
    assert reply["retirement_date"]["track"] == "female_worker_50"


def test_the_errand_itself_still_goes_through_the_bundle(guide) -> None:
    state, reply = talk(guide, {}, "我快到退休年龄了,社保交满15年了,接下来咋整")
    assert state["bundle"] == "retirement" and not reply["question_id"].startswith("retirement_date.")
    state, reply = talk(guide, state, "我1970年5月出生的女工人,几岁退休")
    assert reply["type"] == "answer" and reply["retirement_date"]["retirement_month"] == "2020-05"
    # 女工人 also answers the pending 参保类型 (an employee's insurance), so what is asked next is the
    # optional items' choice, carried beside the answer as a question would be
    assert state["answers"]["insured_type"] == "employee" and state["pending"] == ITEMS_PENDING
    assert reply["choice"]["type"] == "items"


def test_a_relative_named_gives_the_sex(guide) -> None:
    state, reply = talk(guide, {}, "我妈1972年3月出生,什么时候能退休")
    assert reply["question_id"] == "retirement_date.track"


def test_birth_month_and_sex_with_retirement_are_answered_unasked(guide) -> None:
    state, reply = talk(guide, {}, "我是1975年6月出生的男职工,要办退休")
    assert state["bundle"] == "retirement" and reply["type"] == "answer"
    assert reply["retirement_date"]["retirement_month"] == "2038-02"


@pytest.mark.parametrize(
    ("text", "birth"),
    [("一九七〇年十二月出生", "1970-12"), ("我是七五年六月的", "1975-06"), ("1982.3", "1982-03")],
)
def test_a_birth_month_in_chinese_numerals_or_digits_is_read(guide, text: str, birth: str) -> None:
    state, reply = talk(guide, {}, "我是男的,什么时候能退休")
    assert reply["question_id"] == "retirement_date.birth"
    state, reply = talk(guide, state, text)
    assert reply["type"] == "answer" and reply["retirement_date"]["birth"] == birth, reply


def test_the_original_age_alone_answers_the_track_in_words_or_digits(guide) -> None:
    for said, track in [("五十五", "female_worker_55"), ("原来是50岁", "female_worker_50")]:
        state, reply = talk(guide, {}, "我是女的,1980年5月出生,什么时候能退休")
        assert reply["question_id"] == "retirement_date.track"
        state, reply = talk(guide, state, said)
        assert state["retirement_date"]["track"] == track, said
