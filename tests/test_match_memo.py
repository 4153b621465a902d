"""The match memo in front of the served matcher: same answers, bounded, counted, and new per knowledge."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import httpx

from server.guide.match_memo import MatchMemo
from server.knowledge_service import KnowledgeService

REPO = Path(__file__).resolve().parent.parent
MESSAGES = "/api/v1/guide/messages"


def corpus(limit: int = 300) -> list[str]:
    lines = (REPO / "tests" / "data" / "guide_unseen.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()][:limit]


def written_otherwise(text: str) -> list[str]:
    """The same question as people also type it: spaces, full-width latin, upper case, other punctuation."""
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    return [f"  {text} ", full_width, text.upper(), text.replace("，", ",") + "？？", text + "~~"]


def test_the_memo_answers_what_the_matcher_answers_for_every_way_of_writing_a_text(
    served_knowledge: KnowledgeService,
) -> None:
    """The memo keys on canonical characters: that is sound only while the matcher reads nothing else."""
    matcher = served_knowledge.current.matcher
    memo = MatchMemo(matcher, "test", 10_000)
    for text in corpus():
        for form in [text, *written_otherwise(text)]:
            assert memo.match(form) == matcher.match(form), form
    assert memo.hits > memo.misses  # each text's other forms were answered from the memo


def test_the_memo_is_bounded_and_forgets_the_least_recently_used(served_knowledge: KnowledgeService) -> None:
    memo = MatchMemo(served_knowledge.current.matcher, "test", 3)
    for text in ("结婚登记", "开公司", "退休", "结婚登记", "孩子上学", "注销公司"):
        memo.match(text)
    assert len(memo) == 3 and (memo.hits, memo.misses) == (1, 5)
    memo.match("结婚登记")  # used again just before 孩子上学 and 注销公司 came: still there
    memo.match("开公司")  # the least recently used: forgotten
    assert (memo.hits, memo.misses) == (2, 6)


def test_a_memo_of_size_zero_remembers_nothing(served_knowledge: KnowledgeService) -> None:
    memo = MatchMemo(served_knowledge.current.matcher, "test", 0)
    memo.match("结婚登记")
    memo.match("结婚登记")
    assert len(memo) == 0 and (memo.hits, memo.misses) == (0, 2)


def test_a_knowledge_reload_starts_an_empty_memo_and_serves_the_new_knowledge(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", root)
    service = KnowledgeService(root)
    text = "我想办个星际旅行许可"
    before = service.current.memo.match(text)
    assert before.slug != "marriage" and service.current.memo.match(text) is before  # remembered
    lexicon = root / "lexicon" / "marriage.yaml"
    lexicon.write_text(
        lexicon.read_text(encoding="utf-8").replace("keywords:\n", "keywords:\n  - 星际旅行许可\n", 1),
        encoding="utf-8",
    )
    old = service.current.memo
    service.reload()
    memo = service.current.memo
    assert memo is not old and memo.version != old.version and len(memo) == 0
    assert memo.match(text).slug == "marriage"


_FORMS = itertools.count(1)


def memo_hits(metrics_text: str, memo: str = "match") -> float:
    found = re.search(rf'^guide_{memo}_memo_lookups_total\{{outcome="hit"\}} (\S+)$', metrics_text, re.M)
    return float(found.group(1)) if found else 0.0


async def test_a_repeated_question_is_answered_from_the_memos_and_counted(api: httpx.AsyncClient) -> None:
    """The same opening again comes from the opening memo; written otherwise, the dialogue runs again and
    its match comes from the match memo."""
    text = "我们俩下个月想去领结婚证，要带点啥"
    metrics = (await api.get("/metrics")).text
    before = memo_hits(metrics), memo_hits(metrics, "opening")
    first = await api.post(MESSAGES, json={"text": text})
    again = await api.post(MESSAGES, json={"text": text})
    # a form not sent before in this session (both backends share the served knowledge and its memos)
    spaces = next(_FORMS)
    otherwise = await api.post(MESSAGES, json={"text": f"{' ' * spaces}{text}？？"})
    assert first.status_code == again.status_code == otherwise.status_code == 200
    assert first.json()["reply"] == again.json()["reply"]
    assert first.json()["bundle"] == otherwise.json()["bundle"] == "marriage"
    assert len({r.json()["conversation_id"] for r in (first, again, otherwise)}) == 3
    metrics = (await api.get("/metrics")).text
    assert memo_hits(metrics) >= before[0] + 1
    assert memo_hits(metrics, "opening") >= before[1] + 1
