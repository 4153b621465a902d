"""The answer-reading measure (`server.guide.answer_eval`): free-text answers sent with their question
pending. `tests/data/answers/phrasings_*.jsonl` were written blind to the code from the questions' text and
options (training data, tuned on: regression floors, not blind figures)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from server.guide import answer_eval
from server.guide.eval import build_guide

DAY = dt.date(2026, 12, 1)
DATA = Path(__file__).resolve().parent / "data" / "answers"
# (file, floor): first measured 0.53, 0.58 and 0.70 before the phrasings work, 0.873, 0.969 and 0.804 after;
# phrasings_4 (all 18 bundles, written blind this session, given to tune on) first 0.614, then 0.871 with word
# families for its misses, softened yes/no, unsure clauses and negation stops (0.894, 0.977, 0.835 for 1-3);
# 0.98 with every bundle's word families, an opening yes/no for the question asked, topics yielding to an
# option's words, negations ending inside a phrase, decades and months (0.904, 0.977, 0.864 for 1-3); then
# years held from a year and month, the seller's only home, and more families: 0.933 and 0.926 for 1 and 3
FLOORS = [
    ("phrasings_1.jsonl", 0.92),
    ("phrasings_2.jsonl", 0.97),
    ("phrasings_3.jsonl", 0.91),
    ("phrasings_4.jsonl", 0.97),
    # Written 2026-12-02 from the questions' text and options, blind to the code and never tuned on: 0.58 on
    # 1f60e54 at the session's start, 0.723 after the freeze (d9e8ee0); a floor from now on.
    ("fresh6.jsonl", 0.72),
    # Written after the freeze by a new writer (same brief): first seen at 0.738 on d9e8ee0.
    ("fresh7.jsonl", 0.73),
]


@pytest.mark.parametrize(("name", "floor"), FLOORS)
def test_answers_written_from_the_questions_are_read_right(name: str, floor: float) -> None:
    lines = sum(1 for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip())
    summary = answer_eval.summarize(answer_eval.run(DATA / name, DAY))
    assert summary["answers"] >= 0.85 * lines  # few skipped: questions not in force, optional items
    assert summary["read_right"] >= floor, summary


def test_a_wrong_label_is_read_wrong_and_skipped_lines_are_left_out(tmp_path: Path) -> None:
    cases = [
        {"bundle": "marriage", "question": "marital_history", "option": "remarriage", "text": "头婚"},
        {"bundle": "marriage", "question": "marital_history", "option": "first_marriage", "text": "头婚"},
        {"bundle": "marriage", "question": "optional_items", "option": "", "text": "都不用"},
    ]
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases), encoding="utf-8")
    reads = answer_eval.run(path, DAY)
    assert [r.right for r in reads] == [False, True]
    assert reads[0].understood == ("first_marriage",)


def test_a_question_answered_with_the_optional_items_counts_its_items() -> None:
    knowledge, matcher = build_guide()
    case = {
        "bundle": "housing_transfer",
        "question": "network",
        "option": "broadband_only",
        "text": "只过户宽带,有线电视不用",
    }
    read = answer_eval.read_one(case, knowledge, matcher, DAY)
    assert read is not None and read.right
