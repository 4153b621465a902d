"""The learned ranker: a linear model over n-grams and rule evidence, with temperature-calibrated confidence.

Trained by `python -m server.guide.matcher train` (see `training.py`) into `knowledge/model/ranker.npz`;
loading it is reading a few arrays. Inference is done here by hand (sparse dot product, softmax) so no
scikit-learn object is built per request, and the decision reads its thresholds from `matcher.yaml`.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from server.guide.matcher.evidence import Candidate, MatchResult, Trace
from server.guide.matcher.features import FEATURES_VERSION, dense_features, text_grams
from server.guide.vocabulary import Ranker as RankerRules

if TYPE_CHECKING:
    from server.guide.knowledge import Knowledge
    from server.guide.matcher.pipeline import Matcher

log = logging.getLogger("server.guide.matcher")
MODEL_PATH = "model/ranker.npz"  # under the knowledge root
NULL = "null"
TWO_ERRANDS = "two_errands"


class RankerError(Exception):
    """The artefact cannot be used with this code or this knowledge (other features, other bundles)."""


@dataclass(frozen=True)
class Model:
    """The trained arrays; `text_coef[i]` are the class weights of text feature `features[i]`."""

    features: tuple[str, ...]
    idf: np.ndarray
    text_coef: np.ndarray
    dense_coef: np.ndarray
    intercept: np.ndarray
    classes: tuple[str, ...]
    slugs: tuple[str, ...]  # bundle order of the dense features
    temperature: float
    meta: dict[str, Any]

    def save(self, path: Path) -> None:
        """Write the arrays and the metadata as one compressed npz (no pickles)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.meta, "slugs": list(self.slugs), "temperature": self.temperature}
        with path.open("wb") as out:
            np.savez_compressed(
                out,
                features=np.array(self.features),
                idf=self.idf.astype(np.float32),
                text_coef=self.text_coef.astype(np.float32),
                dense_coef=self.dense_coef.astype(np.float32),
                intercept=self.intercept.astype(np.float32),
                classes=np.array(self.classes),
                meta=np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True)),
            )

    @classmethod
    def load(cls, path: Path) -> Model:
        """Read an artefact written by `save`."""
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            return cls(
                features=tuple(data["features"].tolist()),
                idf=data["idf"],
                text_coef=data["text_coef"],
                dense_coef=data["dense_coef"],
                intercept=data["intercept"],
                classes=tuple(data["classes"].tolist()),
                slugs=tuple(meta["slugs"]),
                temperature=float(meta["temperature"]),
                meta=meta,
            )


class Ranker:
    """Scores a trace with the model and decides commit, clarify (two errands included) or none."""

    def __init__(self, model: Model, rules: RankerRules, slugs: tuple[str, ...], half_confidence: float):
        if model.meta.get("features_version") != FEATURES_VERSION:
            raise RankerError(f"the ranker was trained on features v{model.meta.get('features_version')}")
        if set(model.slugs) != set(slugs):
            missing = sorted(set(slugs) ^ set(model.slugs))
            raise RankerError(f"the ranker was trained on other bundles (differing: {', '.join(missing)})")
        self.model = model
        self._rules = rules
        self._half = half_confidence
        self._index = {feature: i for i, feature in enumerate(model.features)}
        self._weighted = model.text_coef * model.idf[:, None]  # idf folded into the weights
        # the dense features are float64: numpy would cast these to float64 on every call (exactly)
        self._dense_coef = model.dense_coef.astype(np.float64)
        self._intercept = model.intercept.astype(np.float64)

    def probabilities(self, trace: Trace) -> dict[str, float]:
        """Calibrated probability of every class (bundles, null, two_errands) for one trace."""
        model = self.model
        get = self._index.get
        # the known n-grams' counts, in first-seen order (as the trained vectoriser summed them)
        counts = Counter([i for gram in text_grams(trace) if (i := get(gram)) is not None])
        logits = (
            self._intercept + np.asarray(dense_features(trace, model.slugs, self._half)) @ self._dense_coef
        )
        if counts:
            rows = np.fromiter(counts, np.intp, len(counts))
            values = np.asarray([1.0 + math.log(c) if c > 1 else 1.0 for c in counts.values()], np.float32)
            weighted = values * model.idf[rows]
            norm = float(np.sqrt(weighted.dot(weighted)))  # what np.linalg.norm computes, without its checks
            logits = logits + (values @ self._weighted[rows]) / norm
        scaled = logits / model.temperature
        exp = np.exp(scaled - scaled.max())
        p = exp / exp.sum()
        return dict(zip(model.classes, p.tolist(), strict=True))

    def decide(self, trace: Trace) -> MatchResult:
        """The calibrated decision on this trace (its probabilities are kept in the trace)."""
        trace.probabilities = self.probabilities(trace)
        return decide_on(
            trace.probabilities, trace.out_of_scope, trace.errands, self._rules, trace.small_talk, trace.rule
        )


def decide_on(
    p: dict[str, float],
    out_of_scope: str | None,
    errands: tuple[str, ...],
    rules: RankerRules,
    small_talk: bool = False,
    rule: MatchResult | None = None,
) -> MatchResult:
    """Two errands -> clarify with both; commit above the calibrated bar; a close call -> clarify; else none.

    Two errands the rules found both of (`errands`) are offered when the model gives "two errands" its
    best reading (at least `two_errands_share` of the likeliest other class), `two_errands_at` or a
    second bundle at `second_errand_at`; when "two errands" is the model's best reading so counted though
    the rules found fewer (a second errand in words no keyword has), its two most likely bundles are
    offered. Otherwise the "two errands" probability is set aside and the rest
    renormalised: the model's best single reading. The small-talk veto holds: talk around a topic
    without an errand word is never committed to. Where the model finds no errand the rule layers
    committed to (`rule`), the reply asks about the rules' candidates rather than giving up: it commits
    to nothing either way.
    """
    two = p.get(TWO_ERRANDS, 0.0)
    others = {c: q for c, q in p.items() if c != TWO_ERRANDS}
    total = sum(others.values()) or 1.0
    single = {c: q / total for c, q in others.items()}
    bundles = sorted(((q, c) for c, q in single.items() if c != NULL), reverse=True)
    (first, slug), (second, runner_up) = bundles[0], bundles[1]
    two_best = two >= rules.two_errands_share * max(others.values())
    if errands and (two_best or two >= rules.two_errands_at or second >= rules.second_errand_at):
        paired = sorted(errands, key=lambda s: single.get(s, 0.0), reverse=True)[:2]
        both = tuple(Candidate(s, round(single.get(s, 0.0), 3)) for s in paired)
        return MatchResult("clarify", both, out_of_scope, True)
    if two_best:
        both = (Candidate(slug, round(first, 3)), Candidate(runner_up, round(second, 3)))
        return MatchResult("clarify", both, out_of_scope, True)
    candidates = tuple(Candidate(s, round(q, 3)) for q, s in bundles[:3])
    top = slug if first >= single.get(NULL, 0.0) else NULL
    bar = rules.commit_at if out_of_scope is None else rules.commit_beside_out_of_scope_at
    if top == slug and first >= bar and not small_talk:
        return MatchResult("commit", candidates, out_of_scope)
    close = tuple(c for c in candidates if c.score >= rules.suggest_at)
    guessed = rule is not None and not rule.candidates  # no layer found anything: no question worth asking
    if top != NULL and close and out_of_scope is None and not guessed:
        return MatchResult("clarify", close, out_of_scope)
    if rule is not None and rule.decision == "commit" and out_of_scope is None and not small_talk:
        return MatchResult("clarify", rule.candidates, out_of_scope)
    return MatchResult("none", close, out_of_scope)


def load_or_train(knowledge: Knowledge, matcher: Matcher) -> Ranker:
    """The committed ranker of this knowledge; trained now (and logged) when missing or incompatible."""
    rules = knowledge.matcher_rules.ranker
    if rules is None:
        raise RankerError("knowledge/matcher.yaml has no ranker section")
    half = knowledge.matcher_rules.thresholds.half_confidence
    path = knowledge.root / MODEL_PATH
    try:
        return Ranker(Model.load(path), rules, matcher.slugs, half)
    except (OSError, KeyError, ValueError, RankerError) as exc:
        log.warning("ranker at %s unusable (%s): training one from the corpus", path, exc)
    from server.guide.matcher.training import train  # scikit-learn is only imported to train

    return Ranker(train(knowledge, cross_validate=False).model, rules, matcher.slugs, half)
