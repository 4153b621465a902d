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


def test_the_decision_offers_two_errands_the_model_hears_and_asks_where_the_rules_would_commit() -> None:
    """`decide_on` on made-up probabilities: "two errands" the best reading (at its share of the likeliest
    other class) offers the two likeliest bundles though the rules found fewer; a null from the model
    where the rules committed asks about the rules' candidates; with nothing found at all it gives up."""
    from server.guide.matcher.evidence import Candidate, MatchResult
    from server.guide.matcher.ranker import decide_on

    rules = load_knowledge().matcher_rules.ranker
    assert rules is not None
    share = rules.two_errands_share
    p = {"marriage": 0.5, "newborn": 0.2, "null": 0.05, "two_errands": 0.5 * share + 0.01}
    result = decide_on(p, None, (), rules)
    assert result.two_errands and [c.slug for c in result.candidates] == ["marriage", "newborn"]
    assert decide_on({**p, "two_errands": 0.5 * share - 0.05}, None, (), rules).slug == "marriage"
    unsure = {"marriage": 0.05, "newborn": 0.02, "null": 0.9, "two_errands": 0.03}
    committed = MatchResult("commit", (Candidate("marriage", 0.8),), None)
    assert decide_on(unsure, None, (), rules, rule=committed).decision == "clarify"
    assert decide_on(unsure, None, (), rules, rule=MatchResult("none", (), None)).decision == "none"


def test_besides_a_joins_a_second_errand_rather_than_negating_the_first(matcher: Matcher) -> None:
    trace = matcher.trace("除了孩子上户口，我还想问结婚证怎么补领")
    assert not any(v.startswith("negation") for v in trace.vetoes)
    assert set(trace.errands) == {"newborn", "marriage"}
