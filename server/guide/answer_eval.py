"""`python -m server.guide.answer_eval FILE.jsonl [--json] [-v]`: how well free-text answers are read.

Each line is `{"bundle", "question", "option", "text"}`: a citizen's answer to one question of the bundle,
labelled with the option a clerk would pick. The answer is sent while its question is pending (for a
question asked with the optional items, while that choice is pending), with the questions it depends on
(`ask_if`) answered by their first allowed option; it is *read right* when the reply's `understood` names
the labelled option, or, for an items question, when the wishes it leaves add and drop that option's
items. Lines for questions not in force on the day, and `optional_items` lines, are skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.guide.dialogue import ITEMS_PENDING, Message, new_state, step
from server.guide.eval import build_guide
from server.guide.knowledge import Knowledge
from server.guide.matcher import Matcher
from server.guide.schema import Bundle, Option, Question


@dataclass(frozen=True)
class Read:
    """One answer and what the guide understood from it."""

    bundle: str
    question: str
    option: str
    text: str
    understood: tuple[str, ...]
    right: bool


def _question(bundle: Bundle, question_id: str) -> Question:
    return next(q for q in bundle.questions if q.id == question_id)


def _prerequisites(bundle: Bundle, question: Question, answers: dict[str, str]) -> dict[str, str]:
    """Answer what `question` depends on with the first option that lets it be asked."""
    for condition in question.ask_if:
        if condition.question not in answers:
            answers[condition.question] = condition.options[0]
            _prerequisites(bundle, _question(bundle, condition.question), answers)
    return answers


def _wishes_fit(option: Option, wishes: Mapping[str, bool]) -> bool:
    """The wishes left add the option's items and drop the ones it drops."""
    return (
        bool(option.add_items or option.drop_items)
        and all(wishes.get(i) is True for i in option.add_items)
        and all(wishes.get(i) is not True for i in option.drop_items)
        and (bool(option.add_items) or any(wishes.get(i) is False for i in option.drop_items))
    )


def read_one(case: Mapping[str, str], knowledge: Knowledge, matcher: Matcher, today: dt.date) -> Read | None:
    """Send one answer with its question pending; None when the line is skipped."""
    bundle = knowledge.bundles[case["bundle"]]
    if case["question"] == "optional_items":
        return None
    question = _question(bundle, case["question"])
    if not question.in_force(today):
        return None
    state = {**new_state(), "bundle": bundle.slug, "confidence": 1.0}
    state["answers"] = _prerequisites(bundle, question, {})
    state["pending"] = ITEMS_PENDING if question.ask_with_items else question.id
    state, reply = step(state, Message(text=case["text"]), knowledge, matcher, today)
    understood = tuple(u["option_id"] for u in reply.get("understood", []) if u["question_id"] == question.id)
    right = state.get("bundle") == bundle.slug and (
        case["option"] in understood
        or (
            question.ask_with_items
            and _wishes_fit(next(o for o in question.options if o.id == case["option"]), state["wishes"])
        )
    )
    return Read(bundle.slug, question.id, case["option"], case["text"], understood or (reply["type"],), right)


def run(path: Path, today: dt.date) -> list[Read]:
    knowledge, matcher = build_guide()
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in (read_one(c, knowledge, matcher, today) for c in cases) if r is not None]


def summarize(reads: Sequence[Read]) -> dict[str, Any]:
    right: Counter[str] = Counter(r.bundle for r in reads if r.right)
    total: Counter[str] = Counter(r.bundle for r in reads)
    return {
        "answers": len(reads),
        "read_right": round(sum(right.values()) / len(reads), 3) if reads else 0.0,
        "by_bundle": {b: f"{right[b]}/{total[b]}" for b in sorted(total)},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true", help="the figures as one JSON object")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every answer read wrong")
    args = parser.parse_args(argv)
    reads = run(args.file, dt.date.today())
    if args.verbose:
        for r in reads:
            if not r.right:
                print(f"MISS {r.bundle}.{r.question}={r.option}  {r.text}  -> {', '.join(r.understood)}")
    print(json.dumps(summarize(reads), ensure_ascii=False, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
