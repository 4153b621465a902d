"""The scenario runner plays whole blind-written conversations; the dev suite is a floor (tuned on)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from server.guide.scenarios import citizen_answer, run, same_material

DATA = Path(__file__).parent / "data" / "scenarios"


def test_the_harness_answers_with_the_best_fitting_fact_or_not_knowing() -> None:
    facts = [
        {"topic": "是否初婚", "value": "双方都是初婚", "answer": "都是初婚"},
        {"topic": "双方身份", "value": "均为内地居民", "answer": "都是大陆的"},
    ]
    question = {
        "type": "question",
        "text": "这是双方的第一次结婚吗?",
        "options": [{"label": "双方都是第一次结婚"}],
    }
    assert citizen_answer(question, facts, set()) == "都是初婚"
    unrelated = {"type": "question", "text": "你们当中有现役军人吗?", "options": [{"label": "没有"}]}
    assert citizen_answer(unrelated, facts, set()) == "不清楚"


def test_materials_match_by_everyday_name() -> None:
    assert same_material("双方居民身份证", "居民身份证")
    assert same_material("母亲户口簿", "居民户口簿")
    assert same_material("不动产权证书（房产证）", "不动产权证书(房屋所有权证)")
    assert not same_material("离婚证", "结婚证")
    assert not same_material("婚前医学检查证明", "出生医学证明")


def test_dev_suite_floor() -> None:
    summary, results = run(DATA / "dev.jsonl", dt.date(2026, 1, 15))
    assert summary["scenarios"] == 24
    # 17 with the rule matcher; 16 since the learned ranker (an answer naming a pension is read as a new
    # retirement errand in after_death-2); 19 after the issue-12 dialogue work (0.54 questions, all
    # answers understood); 21 since the never-employed graduate needs no termination paper and 失业登记
    # lists the 社会保障卡; 22 since "房子还在还贷款能卖吗" opens the flat's bundle instead of a fallback (its
    # four questions raise the mean: 0.75, 94 % understood); then three (0.71, 15 of 16 answers)
    assert summary["checklists_right"] >= 22, [r.id for r in results if not r.checklist_right]
    assert summary["questions_per_scenario"] <= 0.75
    assert summary["answers_understood"] >= 0.93


def test_heldout_suite_floor() -> None:
    """Blind scenarios, first run once after the work was frozen (2026-12-01: 20/32 checklists right,
    1.91 questions after the opening, 75.4 % of answers understood, no bundle switch).

    A floor, never tuned on. Moved when the learned ranker took over the first reply (2.28 questions,
    73.5 % understood, still 20/32 and no switch): five openings that name two bundles now get a
    clarify first (双胞胎出生+医保, 继承+房子过户, 毕业+失业登记 …), one question more each.

    Tuned on since the issue-12 dialogue work (official names of papers, the other parent of a newborn,
    the buyer's or seller's side, burial, declining clauses, planned days): 31/32, 1.5 questions, 78.7 %
    understood; the floor keeps most of that. 32/32, 1.56 questions, 81.6 % with this session's
    dialogue work (aliases, one permit per side, 结婚证 for spouses and married buyers)."""
    summary, results = run(DATA / "heldout.jsonl", dt.date(2026, 12, 1))
    assert summary["scenarios"] == 32
    assert summary["checklists_right"] >= 32, [r.id for r in results if not r.checklist_right]
    assert summary["questions_per_scenario"] <= 1.35
    assert summary["answers_understood"] >= 0.85
    assert summary["bundle_switches"] == 0


@pytest.mark.parametrize(
    ("name", "count", "right", "questions", "understood", "switches"),
    [("fresh", 36, 33, 1.2, 0.83, 1), ("fresh2", 42, 37, 1.7, 0.80, 2)],
)
def test_fresh_suites_floor(
    name: str, count: int, right: int, questions: float, understood: float, switches: int
) -> None:
    """Written this session by writers who read only the public bundle list; measured once at the
    session's start and first seen after the freeze (2026-12-02, main bacea71):
    fresh 20/36 right, 1.22 questions, 72.1 % understood, 2 switches (19/36, 1.69, 65.0 %, 2 at the
    start); fresh2 24/42, 1.79, 64.9 %, 2 (24/42, 2.19, 65.2 %, 2 at the start). The seen suites' gains
    did not carry over: most misses are 终止/解除劳动合同证明 named 劳动关系, 结婚证 for married sellers and
    spouses of the deceased, one HK/Taiwan permit shown for the other, and remarriage after a death
    read as after_death. Floors now, not blind any more; the materials' other names (`aliases`) made it
    25/36 and 26/42; one permit per side (港澳 or 台湾) 26/36 and 29/42; 结婚证 for a spouse of the
    deceased 28/36; for a married buyer 29/36 (fresh2 1.69 questions, 70.0 %). Fresh's questions and
    understood floors moved down once (1.22 -> 1.44, 72.1 % -> 69.2 %): housing_transfer-6 (a couple
    selling, 老两口) no longer switches to enterprise_real_estate at the opening, and the seven
    questions of its conversation now count where the switch counted none; then any mention of the
    parents' marriage (结婚三年了), 职工养老 and a child born abroad brought fresh to 31/36, 1.25
    questions, 77.8 % and fresh2 to 30/42, 1.67, 71.0 %; the 社会保障卡 beside the ID for 失业登记 and a
    remarriage told by one side (她是头一回 beside 我离过婚) 32/36 and 32/42; a group's usual case taken
    and shown (还有贷款 → 先还清再过户, 出不了门 → 委托代办) 34/42; the side of a sale asked when not said, or
    told by one side's facts (首付凑齐了 → 买方), 35/42, 1.52 questions, 74.6 %; fresh 32/36, 1.17,
    78.6 %; a buyer taken to buy a first home, the holding question asked in everyday words, "两年不到":
    fresh 32/36, 1.11, 82.5 %, fresh2 35/42, 1.40, 81.0 %. The ranker trained on the pending hard cases
    (corpus_9, 11, 12, 13) opens more of them on the right bundle: fresh 33/36, none unfinished or switched
    (marriage-5 was taken for after_death), 1.19 questions, 83.7 %; fresh2 37/42, one unfinished and
    one switch, 1.69 questions, 80.0 % (conversations that now finish ask their
    questions where none were counted)."""
    _holds_floor(name, count, right, questions, understood, switches)


def test_train3_floor() -> None:
    """60 scenarios written blind this session and given to tune on (train3): first 23/60, 1.98 questions,
    68.4 % understood, 4 switches; 27/60, 1.88, 71.0 %, 3 after the openings, the side of a sale asked or
    told, and word families for the answers; 29/60, 1.75, 75.8 % once a buyer is taken to buy a first home
    (家庭住房情况查询 with its 户口簿) and 满五唯一 has the 户口簿 at hand; 30/60, 2 switches once a commit
    whose own situation is told stands; 31/60, 3 switches with the hard cases trained on (marriage-4 opens
    on marriage; retirement-7, unfinished before, now switches to employment); 1.58 questions, 81.5 % with
    工人/矿上/买社保 and a bare 有 to the seller's loan; 33/60 once a business starter registers without a
    labour contract."""
    _holds_floor("train3", 60, 33, 1.6, 0.81, 3)


@pytest.mark.parametrize(
    ("name", "right", "questions", "understood", "switches"),
    [("fresh6_a", 31, 1.95, 0.78, 0), ("fresh6_b", 24, 1.4, 0.74, 4)],
)
def test_fresh6_suites_floor(
    name: str, right: int, questions: float, understood: float, switches: int
) -> None:
    """40 scenarios each, written 2026-12-02 by writers who read only the public bundle list, never tuned on.
    Measured once on 1f60e54 at the session's start: fresh6_a 26/40 right, 1.68 questions, 76.9 % understood,
    0 switches; fresh6_b 20/40, 1.68, 65.1 %, 2. After the freeze (d9e8ee0): 31/40, 1.90, 78.4 %, 0 and
    24/40, 1.38, 74.1 %, 4 (openings committed to another errand: 老伴走了 … 想去扯个证 to housing, a
    deceased's 城乡居民养老金 and a retiree's 异地就医备案 to retirement, a retiree's 当过兵 to veteran).
    Floors from now on."""
    _holds_floor(name, 40, right, questions, understood, switches)


def test_fresh7_suite_floor() -> None:
    """36 scenarios written after the 2026-12-02 freeze by a new writer (same brief), never tuned on; first
    seen on d9e8ee0: 26/36 right, 1.56 questions, 78.6 % understood, 1 switch. A floor from now on."""
    _holds_floor("fresh7", 36, 26, 1.6, 0.78, 1)


def _holds_floor(
    name: str, count: int, right: int, questions: float, understood: float, switches: int
) -> None:
    """The suite's figures on 2026-12-02 are at or above its floor."""
    summary, results = run(DATA / f"{name}.jsonl", dt.date(2026, 12, 2))
    assert summary["scenarios"] == count
    assert summary["checklists_right"] >= right, [r.id for r in results if not r.checklist_right]
    assert summary["questions_per_scenario"] <= questions
    assert summary["answers_understood"] >= understood
    assert summary["bundle_switches"] <= switches
