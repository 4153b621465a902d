"""The opening memo in front of the dialogue: the same first turns, copies of their own, bounded, counted."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from server.guide.dialogue import Message, step
from server.guide.opening_memo import OpeningMemo
from server.knowledge_service import KnowledgeService

REPO = Path(__file__).resolve().parent.parent
DAY = dt.date(2026, 3, 2)


def corpus(limit: int = 200) -> list[str]:
    lines = (REPO / "tests" / "data" / "guide_unseen.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()][:limit]


def memo_of(service: KnowledgeService, size: int = 1000) -> OpeningMemo:
    served = service.current
    return OpeningMemo(served.knowledge, served.memoised_matcher, size)


def test_a_remembered_first_turn_is_the_one_the_dialogue_gives(served_knowledge: KnowledgeService) -> None:
    served = served_knowledge.current
    memo = memo_of(served_knowledge)
    for text in corpus():
        expected = step({}, Message(text=text), served.knowledge, served.matcher, DAY)
        assert memo.step({}, Message(text=text), DAY) == expected, text
        assert memo.step({}, Message(text=text), DAY) == expected, text
    assert memo.hits == memo.misses == len(corpus())


def test_every_hit_gets_dicts_of_its_own(served_knowledge: KnowledgeService) -> None:
    memo = memo_of(served_knowledge)
    state, reply = memo.step({}, Message(text="结婚登记要带什么"), DAY)
    reply["type"], state["bundle"] = "changed", "changed"
    again_state, again_reply = memo.step({}, Message(text="结婚登记要带什么"), DAY)
    assert again_reply["type"] != "changed" and again_state["bundle"] == "marriage"
    assert memo.hits == 1


def test_only_first_turns_of_text_on_the_same_day_are_remembered(served_knowledge: KnowledgeService) -> None:
    memo = memo_of(served_knowledge)
    state, _ = memo.step({}, Message(text="结婚登记要带什么"), DAY)
    memo.step(state, Message(text="结婚登记要带什么"), DAY)  # a later turn of that conversation
    memo.step({}, Message(text="结婚登记要带什么"), DAY + dt.timedelta(days=1))  # another day
    memo.step({}, Message(text="结婚登记要带什么？"), DAY)  # other words as received
    assert (memo.hits, memo.misses, len(memo)) == (0, 3, 3)


def test_the_memo_is_bounded_and_forgets_the_least_recently_used(served_knowledge: KnowledgeService) -> None:
    memo = memo_of(served_knowledge, size=2)
    for text in ("结婚登记", "开公司", "结婚登记", "退休"):
        memo.step({}, Message(text=text), DAY)
    assert len(memo) == 2 and (memo.hits, memo.misses) == (1, 3)
    memo.step({}, Message(text="开公司"), DAY)  # the least recently used: forgotten
    assert (memo.hits, memo.misses) == (1, 4)
    none = memo_of(served_knowledge, size=0)
    none.step({}, Message(text="结婚登记"), DAY)
    none.step({}, Message(text="结婚登记"), DAY)
    assert len(none) == 0 and (none.hits, none.misses) == (0, 2)
