"""The checklist memo: the same 一次告知 as a build, a copy for every caller, one memo per knowledge."""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import MappingProxyType

import pytest

from server.guide import checklist as checklist_module
from server.guide.checklist import build_checklist
from server.guide.knowledge import Knowledge, load_knowledge

DAY = dt.date(2026, 3, 2)
ANSWERS = {"party_identity": "both_mainland", "want_hukou_update": "update_no"}


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge()


def test_a_remembered_checklist_is_the_built_one_and_each_caller_gets_its_own(knowledge) -> None:
    built = checklist_module._build(knowledge, "marriage", ANSWERS, None, DAY)
    first = build_checklist(knowledge, "marriage", ANSWERS, None, DAY)
    first["materials"].clear()  # a caller changing its copy changes nobody else's
    again = build_checklist(knowledge, "marriage", dict(reversed(ANSWERS.items())), None, DAY)
    assert again == built and again is not first


def test_each_question_is_remembered_apart(knowledge) -> None:
    default = build_checklist(knowledge, "marriage", ANSWERS, None, DAY)
    chosen = build_checklist(knowledge, "marriage", ANSWERS, ["premarital_medical_exam"], DAY)
    assert chosen == checklist_module._build(knowledge, "marriage", ANSWERS, ["premarital_medical_exam"], DAY)
    assert chosen != default
    other_day = build_checklist(knowledge, "marriage", ANSWERS, None, dt.date(2025, 1, 2))
    assert other_day["as_of"] == "2025-01-02"


def test_a_reloaded_knowledge_gets_its_own_memo(knowledge) -> None:
    build_checklist(knowledge, "marriage", ANSWERS, None, DAY)
    renamed = knowledge.bundles["marriage"].model_copy(update={"name": "结婚登记一件事(新版)"})
    reloaded = dataclasses.replace(
        knowledge, bundles=MappingProxyType({**knowledge.bundles, "marriage": renamed})
    )
    assert build_checklist(reloaded, "marriage", ANSWERS, None, DAY)["name"] == "结婚登记一件事(新版)"
    assert build_checklist(knowledge, "marriage", ANSWERS, None, DAY)["name"] != "结婚登记一件事(新版)"


def test_the_memo_is_bounded(knowledge, monkeypatch) -> None:
    monkeypatch.setattr(checklist_module, "CHECKLIST_MEMO_SIZE", 2)
    for day in (1, 2, 3, 4):
        build_checklist(knowledge, "marriage", {}, None, dt.date(2026, 3, day))
    assert len(checklist_module._memo_of(knowledge)) == 2
