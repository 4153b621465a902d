"""Train the ranker from data in the repo: `knowledge/training/*.jsonl` plus the knowledge's own phrasings.

Corpus lines are `{"text", "bundle": slug | null, "two_errands": [slug, slug]?}`, written by people who
never saw an evaluation set. Bracketed hints a citizen would not type ("（个人）") are also trained without.
The knowledge adds each bundle's name, plain keywords and example phrases, and every single item as null.
The temperature that calibrates the confidences is fitted on out-of-fold predictions (5-fold CV).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.sparse import csr_matrix, hstack
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from server.guide.knowledge import Knowledge
from server.guide.matcher.features import FEATURES_VERSION, dense_features, text_features
from server.guide.matcher.pipeline import Matcher
from server.guide.matcher.ranker import NULL, TWO_ERRANDS, Model, decide_on
from server.guide.vocabulary import Ranker as RankerRules
from server.guide.vocabulary import is_compound

TRAINING_DIR = "training"
C = 8.0  # regularisation of the linear SVMs (out-of-fold accuracy 0.911 at 1, 0.917 at 8, 0.916 at 16)
KNOWLEDGE_WEIGHT = 0.5  # a knowledge phrasing counts half a corpus line
FOLDS = 5
UNCALIBRATED_TEMPERATURE = 0.34  # what the cross-validation fits on this corpus (SVM margins are narrow)
SEED = 13
_RETRAIN = "run `python -m server.guide.matcher train`"
_HINT = re.compile(r"（[^（）]*）|\([^()]*\)")


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # a slug, NULL or TWO_ERRANDS
    weight: float


def corpus_files(root: Path) -> list[Path]:
    """The training corpus files, sorted."""
    return sorted((root / TRAINING_DIR).glob("*.jsonl"))


def fingerprint(root: Path) -> str:
    """A hash of the training corpus: the committed ranker records the corpus it was trained on."""
    sha = hashlib.sha256(f"features v{FEATURES_VERSION}\0".encode())
    for path in corpus_files(root):
        sha.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()[:16]


def corpus_examples(root: Path) -> list[Example]:
    """Every corpus line, and again without its bracketed hints when it has any."""
    examples: list[Example] = []
    for path in corpus_files(root):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            label = TWO_ERRANDS if row.get("two_errands") else (row.get("bundle") or NULL)
            examples.append(Example(row["text"], label, 1.0))
            bare = _HINT.sub("", row["text"]).strip()
            if bare and bare != row["text"]:
                examples.append(Example(bare, label, 1.0))
    return examples


def knowledge_examples(knowledge: Knowledge) -> list[Example]:
    """The knowledge's own phrasings per bundle: name, plain keywords, phrases, FAQ questions and the names
    of items no other bundle has; every single item as null."""
    users: dict[str, set[str]] = {}
    for slug, bundle in knowledge.bundles.items():
        for entry in bundle.items:
            users.setdefault(knowledge.items[entry.item].name, set()).add(slug)
    examples: list[Example] = []
    for slug, bundle in knowledge.bundles.items():
        lexicon = knowledge.lexicons[slug]
        own_items = [
            knowledge.items[e.item].name
            for e in bundle.items
            if len(users[knowledge.items[e.item].name]) == 1
        ]
        texts = [
            bundle.name,
            *(k for k in lexicon.keywords if not is_compound(k)),
            *lexicon.phrases,
            *(entry.question for entry in bundle.faq),
            *own_items,
        ]
        examples += [Example(text, slug, KNOWLEDGE_WEIGHT) for text in dict.fromkeys(texts)]
    examples += [Example(term, NULL, KNOWLEDGE_WEIGHT) for term in knowledge.global_lexicon.out_of_scope]
    return examples


class _Design:
    """The feature matrix of a list of traces: tf-idf of the text features, then the dense rule features."""

    def __init__(self, matcher: Matcher, texts: Sequence[str]) -> None:
        half = matcher.rules.thresholds.half_confidence
        traces = [matcher.trace(text) for text in texts]
        self.counts = [text_features(trace) for trace in traces]
        self.out_of_scope = [trace.out_of_scope for trace in traces]
        self.errands = [trace.errands for trace in traces]
        self.small_talk = [trace.small_talk for trace in traces]
        self.dense = np.array([dense_features(trace, matcher.slugs, half) for trace in traces])

    def fit_vocabulary(self, rows: Iterable[int]) -> tuple[dict[str, int], np.ndarray]:
        """Features of the given rows (seen at least once) and their smoothed idf."""
        df: dict[str, int] = {}
        n = 0
        for row in rows:
            n += 1
            for feature in self.counts[row]:
                df[feature] = df.get(feature, 0) + 1
        vocabulary = {feature: i for i, feature in enumerate(sorted(df))}
        idf = np.array([math.log((1 + n) / (1 + df[f])) + 1 for f in sorted(df)])
        return vocabulary, idf

    def matrix(self, rows: Sequence[int], vocabulary: dict[str, int], idf: np.ndarray) -> csr_matrix:
        """Rows of the design: l2-normalised sublinear tf-idf, then the dense features."""
        data: list[float] = []
        indices: list[int] = []
        indptr = [0]
        for row in rows:
            cells = [
                (vocabulary[f], (1 + math.log(c)) * idf[vocabulary[f]])
                for f, c in self.counts[row].items()
                if f in vocabulary
            ]
            norm = math.sqrt(sum(v * v for _, v in cells)) or 1.0
            for i, v in sorted(cells):
                indices.append(i)
                data.append(v / norm)
            indptr.append(len(indices))
        text = csr_matrix((data, indices, indptr), shape=(len(rows), len(vocabulary)))
        return hstack([text, csr_matrix(self.dense[list(rows)])], format="csr")


def _fit(x: csr_matrix, y: np.ndarray, weights: np.ndarray) -> LinearSVC:
    """One linear SVM per class (one against the rest); its margins, temperature-scaled, are the logits."""
    model = LinearSVC(C=C, max_iter=20000, tol=1e-4, random_state=SEED)
    model.fit(x, y, sample_weight=weights)
    return model


def _temperature(logits: np.ndarray, y: np.ndarray, classes: Sequence[str]) -> float:
    """The temperature minimising the out-of-fold negative log-likelihood."""
    target = np.array([list(classes).index(label) for label in y])

    def nll(t: float) -> float:
        scaled = logits / t
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        log_p = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        return float(-log_p[np.arange(len(target)), target].mean())

    return float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)


OutOfFold = tuple[str, str, str | None, tuple[str, ...], bool, dict[str, float]]  # …, errands, small talk, p


@dataclass(frozen=True)
class Trained:
    model: Model
    out_of_fold: list[OutOfFold]


def train(knowledge: Knowledge, cross_validate: bool = True) -> Trained:
    """Fit the ranker on the corpus and the knowledge's phrasings; calibrate on out-of-fold predictions.

    Without cross-validation the temperature is `UNCALIBRATED_TEMPERATURE`: what a server does when it must
    train.
    """
    root = knowledge.root
    matcher = Matcher.rules_only(knowledge)
    examples = corpus_examples(root) + knowledge_examples(knowledge)
    design = _Design(matcher, [e.text for e in examples])
    y = np.array([e.label for e in examples])
    weights = np.array([e.weight for e in examples])
    everything = list(range(len(examples)))
    vocabulary, idf = design.fit_vocabulary(everything)
    final = _fit(design.matrix(everything, vocabulary, idf), y, weights)
    classes = tuple(str(c) for c in final.classes_)
    temperature = UNCALIBRATED_TEMPERATURE
    out_of_fold: list[OutOfFold] = []
    if cross_validate:
        logits = np.zeros((len(examples), len(classes)))
        folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
        for fit_rows, test_rows in folds.split(np.zeros(len(y)), y):
            fold_vocabulary, fold_idf = design.fit_vocabulary(fit_rows)
            fold = _fit(design.matrix(fit_rows, fold_vocabulary, fold_idf), y[fit_rows], weights[fit_rows])
            scores = fold.decision_function(design.matrix(test_rows, fold_vocabulary, fold_idf))
            for j, label in enumerate(fold.classes_):
                logits[test_rows, classes.index(str(label))] = scores[:, j]
        temperature = _temperature(logits, y, classes)
        scaled = logits / temperature
        p = np.exp(scaled - scaled.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        out_of_fold = [
            (e.text, e.label, oos, errands, talk, dict(zip(classes, map(float, row), strict=True)))
            for e, oos, errands, talk, row in zip(
                examples, design.out_of_scope, design.errands, design.small_talk, p, strict=True
            )
            if e.weight == 1.0
        ]
    n_text = len(vocabulary)
    coef = final.coef_.T  # (features, classes)
    model = Model(
        features=tuple(sorted(vocabulary, key=vocabulary.__getitem__)),
        idf=idf.astype(np.float32),
        text_coef=coef[:n_text].astype(np.float32),
        dense_coef=coef[n_text:].astype(np.float32),
        intercept=final.intercept_.astype(np.float32),
        classes=classes,
        slugs=matcher.slugs,
        temperature=temperature,
        meta={
            "features_version": FEATURES_VERSION,
            "fingerprint": fingerprint(root),
            "examples": len(examples),
            "C": C,
        },
    )
    return Trained(model, out_of_fold)


def cross_validated_report(trained: Trained, rules: RankerRules) -> str:
    """Out-of-fold figures of the decision on the corpus: accuracy, null precision/recall, two errands."""
    rows = trained.out_of_fold
    got = [decide_on(p, oos, errands, rules, talk) for _, _, oos, errands, talk, p in rows]
    labels = [row[1] for row in rows]
    correct = sum(
        (r.slug == label) if label not in (NULL, TWO_ERRANDS) else r.slug is None
        for r, label in zip(got, labels, strict=True)
    )
    none_true = [label in (NULL, TWO_ERRANDS) for label in labels]
    none_got = [r.slug is None for r in got]
    both = sum(t and g for t, g in zip(none_true, none_got, strict=True))
    two = [r for r, label in zip(got, labels, strict=True) if label == TWO_ERRANDS]
    lines = [
        f"{len(rows)} corpus lines, {FOLDS}-fold out-of-fold, temperature {trained.model.temperature:.3f}",
        f"accuracy {correct / len(rows):.3f}  null precision {both / max(1, sum(none_got)):.3f}"
        f" recall {both / max(1, sum(none_true)):.3f}",
        f"two errands: {sum(r.slug is None for r in two)}/{len(two)} not committed,"
        f" {sum(r.two_errands for r in two)} offered both",
    ]
    return "\n".join(lines)


def same_model(committed: Model, fresh: Model, tolerance: float = 1e-3) -> str | None:
    """Why the committed artefact differs from a fresh training, or None when it matches."""
    if committed.meta.get("fingerprint") != fresh.meta.get("fingerprint"):
        return f"the training corpus changed since the artefact was written: {_RETRAIN}"
    if committed.features != fresh.features or committed.classes != fresh.classes:
        return f"the features or classes differ: {_RETRAIN}"
    for name in ("text_coef", "dense_coef", "intercept"):
        if not np.allclose(getattr(committed, name), getattr(fresh, name), atol=tolerance):
            return f"{name} differs by more than {tolerance}: {_RETRAIN}"
    if abs(committed.temperature - fresh.temperature) > tolerance * 10:
        return f"the temperature differs: {_RETRAIN}"
    return None
