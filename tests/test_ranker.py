"""The learned ranker: reproducible from the data in the repo, calibrated, two errands offered as both."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from server.guide.eval import build_matcher
from server.guide.knowledge import DEFAULT_ROOT, load_knowledge
from server.guide.matcher import Matcher
from server.guide.matcher.ranker import MODEL_PATH, Model, Ranker
from server.guide.matcher.training import corpus_examples, fingerprint, train


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return build_matcher()


def test_the_committed_ranker_is_what_the_data_in_the_repo_trains(matcher: Matcher) -> None:
    """Retrain (final fit) from the corpus and the knowledge: the committed artefact decides alike.

    Decisions, not weights, are compared: an edit elsewhere in the knowledge (an option label feeding the
    knowledge-word layer) moves weights a little; `python -m server.guide.matcher train --check` is strict.
    The final fit alone is not calibrated: the fresh weights decide at the committed temperature.
    """
    knowledge = load_knowledge()
    committed = Model.load(DEFAULT_ROOT / MODEL_PATH)
    assert committed.meta["fingerprint"] == fingerprint(DEFAULT_ROOT), (
        "run `python -m server.guide.matcher train`"
    )
    fresh = dataclasses.replace(
        train(knowledge, cross_validate=False).model, temperature=committed.temperature
    )
    assert fresh.classes == committed.classes
    rules, half = knowledge.matcher_rules.ranker, knowledge.matcher_rules.thresholds.half_confidence
    assert rules is not None
    ours, theirs = (Ranker(m, rules, matcher.slugs, half) for m in (committed, fresh))
    texts = [e.text for e in corpus_examples(DEFAULT_ROOT)]
    agree = sum(ours.decide(t).slug == theirs.decide(t).slug for t in map(matcher.trace, texts))
    assert agree / len(texts) >= 0.99


def test_the_served_matcher_decides_with_calibrated_probabilities(matcher: Matcher) -> None:
    trace = matcher.trace("我们下个月领证要带啥")
    assert trace.probabilities and abs(sum(trace.probabilities.values()) - 1) < 1e-6
    assert trace.result is not None and trace.result.slug == "marriage"
    assert trace.result.candidates[0].score >= round(trace.probabilities["marriage"], 3) > 0.5


@pytest.mark.parametrize(
    ("text", "both"),
    [
        ("我爸的退休手续要办，另外我妈去世了丧葬费怎么领", {"retirement", "after_death"}),
        ("孩子刚出生要上户口，我们俩的结婚证也还没领", {"newborn", "marriage"}),
        ("公司注销与员工招聘登记", {"company_deregistration", "employee_hiring"}),  # joined by a coordinator
        ("领结婚证和办退休", {"marriage", "retirement"}),
    ],
)
def test_two_errands_are_offered_both_and_committed_to_neither(
    matcher: Matcher, text: str, both: set[str]
) -> None:
    result = matcher.match(text)
    assert result.decision == "clarify" and result.slug is None
    assert result.two_errands
    assert {c.slug for c in result.candidates} == both


@pytest.mark.parametrize("text", ["毕业档案和户口怎么迁", "孩子出生了，上户口和办医保怎么弄"])
def test_one_bundles_two_parts_joined_by_a_coordinator_stay_one_errand(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert result.decision == "commit" and not result.two_errands


def test_a_knowledge_tree_without_a_ranker_trains_one_at_start(tmp_path: Path) -> None:
    """A new bundle or a missing artefact never serves a stale model: the matcher trains one."""
    root = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_ROOT, root, ignore=shutil.ignore_patterns("model"))
    matcher = Matcher.from_knowledge(load_knowledge(root))
    assert matcher.ranker is not None
    assert matcher.match("孩子出生了怎么上户口").slug == "newborn"


def test_the_guide_says_it_heard_two_errands_and_offers_both(matcher: Matcher) -> None:
    import datetime as dt

    from server.guide.dialogue import Message, new_state, step

    knowledge = load_knowledge()
    state, reply = step(
        new_state(),
        Message(text="孩子刚出生要上户口，我们俩的结婚证也还没领"),
        knowledge,
        matcher,
        dt.date.today(),
    )
    assert state["bundle"] is None
    assert reply["type"] == "clarify" and reply["two_errands"] is True
    assert "两件事" in reply["text"]
    assert {o["id"] for o in reply["options"]} == {"newborn", "marriage"}


def test_no_evaluation_sentence_is_in_the_training_corpus() -> None:
    """The corpus is kept apart from every evaluation set in the repo."""
    import json

    def texts(paths: list[Path]) -> set[str]:
        return {
            json.loads(line)["text"].strip()
            for path in paths
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        }

    evaluation = texts(sorted((Path(__file__).parent / "data").glob("*.jsonl")))
    training = texts(sorted((DEFAULT_ROOT / "training").glob("*.jsonl")))
    assert len(training) > 2000
    assert not training & evaluation
