"""What the learned ranker sees of one text: character and word n-grams, and the rule layers' evidence.

The n-grams come from the focused text (negated and set-aside stretches muted), so discourse shifts the
model's weight as it shifts the rules'. The dense part is the rule pipeline's verdict: each bundle's
confidence, the rule decision, the vetoes that fired and whether two bundles are named in two clauses.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from server.guide.matcher.decide import confidence
from server.guide.matcher.evidence import STRONG_LAYERS, Trace
from server.guide.normalize import SEPARATOR
from server.guide.vocabulary import MASK, OUT_OF_SCOPE

FEATURES_VERSION = 4  # bump when the features change: a ranker trained on other features is refused
CHAR_NGRAMS = (1, 2, 3)
LONG = 30  # characters: a story rather than a request
MANY_CLAUSES = 4
_LATIN = re.compile("[a-z]")
GLOBAL_FEATURES = (
    "out_of_scope",
    "small_talk",
    "negated",
    "set_aside_or_focus",
    "rule_clarify",
    "rule_none",
    "two_strong_bundles",
    "two_bundles_two_clauses",
    "two_errands",
    "two_errands_linked",
    "latin",
    "short",
    "long",
    "many_clauses",
    "talk_word",
    "errand_word",
)


def text_grams(trace: Trace) -> list[str]:
    """Character n-grams of each unmuted stretch, then the visible words ("w:" + token), in text order with
    repeats, then which layer found which bundle ("e:literal:marriage", one per evidence item): the ranker
    counts the ones it knows straight from this list and learns how far each layer is to be trusted."""
    focused = trace.focused
    grams = [
        segment[start : start + n]
        for segment in focused.replace(MASK, SEPARATOR).split(SEPARATOR)
        for n in CHAR_NGRAMS
        for start in range(len(segment) - n + 1)
    ]
    at = 0
    for token in trace.tokens:
        if token != SEPARATOR and focused.startswith(token, at):
            grams.append("w:" + token)
        at += len(token)
    grams += ["e:" + item.layer + ":" + item.bundle for item in trace.evidence]
    return grams


def text_features(trace: Trace) -> Counter[str]:
    """`text_grams` with counts: what the ranker is trained on."""
    return Counter(text_grams(trace))


def _clauses_with_strong_evidence(trace: Trace) -> dict[str, set[int]]:
    """For each bundle, the clauses (by separator count before the span) where a strong layer found it."""
    found: dict[str, set[int]] = {}
    for item in trace.evidence:
        if item.layer in STRONG_LAYERS and item.bundle != OUT_OF_SCOPE and item.start >= 0:
            found.setdefault(item.bundle, set()).add(trace.normal.count(SEPARATOR, 0, item.start))
    return found


def dense_features(trace: Trace, slugs: Sequence[str], half_confidence: float) -> list[float]:
    """Per bundle: rule confidence, rule commitment and a strong layer's find in the last of several
    clauses (where the need usually is: "我们厂一直没裁员…, 稳岗补贴怎么领"); the global flags of
    `GLOBAL_FEATURES`; the share of the second errand's evidence."""
    evidence = trace.bundle_evidence
    rule = trace.rule
    committed = rule.slug if rule else None
    strong = [slug for slug, e in evidence.items() if e >= 1.0]
    clauses = _clauses_with_strong_evidence(trace)
    distinct = {min(c) for slug, c in clauses.items() if slug in strong}
    last = trace.normal.rstrip(SEPARATOR).count(SEPARATOR)  # the last clause's index (0: one clause)
    muted = " ".join(trace.vetoes)
    flags = {
        "out_of_scope": trace.out_of_scope is not None,
        "small_talk": trace.small_talk,
        "negated": "negation " in muted,
        "set_aside_or_focus": "set_aside " in muted or "focus " in muted,
        "rule_clarify": rule is not None and rule.decision == "clarify",
        "rule_none": rule is not None and rule.decision == "none",
        "two_strong_bundles": len(strong) >= 2,
        "two_bundles_two_clauses": len(strong) >= 2 and len(distinct) >= 2,
        "two_errands": bool(trace.errands),
        "two_errands_linked": trace.linked,
        "latin": _LATIN.search(trace.normal) is not None,
        "short": len(trace.normal) <= 4,
        "long": len(trace.normal) > LONG,
        "many_clauses": trace.normal.count(SEPARATOR) >= MANY_CLAUSES - 1,
        "talk_word": trace.talk_word,
        "errand_word": trace.errand_word,
    }
    return (
        [confidence(evidence.get(slug, 0.0), half_confidence) for slug in slugs]
        + [1.0 if committed == slug else 0.0 for slug in slugs]
        + [1.0 if last and last in clauses.get(slug, ()) else 0.0 for slug in slugs]
        + [1.0 if flags[name] else 0.0 for name in GLOBAL_FEATURES]
        + [_errand_share(trace)]
    )


def _errand_share(trace: Trace) -> float:
    """How much strong evidence the second of two errands has beside the first (0 without two errands):
    a story about one errand names another bundle's word in passing; two errands name both alike."""
    if not trace.errands:
        return 0.0
    strong = {slug: 0.0 for slug in trace.errands}
    for item in trace.evidence:
        if item.layer in STRONG_LAYERS and item.bundle in strong:
            strong[item.bundle] += item.weight
    first, second = (strong[slug] for slug in trace.errands)
    return min(first, second) / max(first, second)
