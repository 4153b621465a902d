"""The rule decision: evidence -> confidences -> commit when sure, clear and asked for; ask when close."""

from __future__ import annotations

from collections.abc import Mapping

from server.guide.matcher.evidence import Candidate, MatchResult
from server.guide.vocabulary import Thresholds


def confidence(evidence: float, half: float) -> float:
    """Map summed evidence (0..∞) onto 0..1; `half` evidence gives 0.5."""
    return evidence / (evidence + half)


def decide(
    evidence: Mapping[str, float], out_of_scope: str | None, small_talk: bool, thresholds: Thresholds
) -> MatchResult:
    """Candidates and a decision from the evidence left after the vetoes."""
    ranked = sorted(((e, slug) for slug, e in evidence.items() if e > 0), reverse=True)[:3]
    candidates = tuple(
        Candidate(slug, round(confidence(e, thresholds.half_confidence), 3)) for e, slug in ranked
    )
    if not candidates:
        return MatchResult("none", (), out_of_scope)
    top = ranked[0][0]
    close = tuple(
        c for c, (e, _) in zip(candidates, ranked, strict=True) if e >= thresholds.ambiguous_at * top
    )
    bar = thresholds.commit_at if out_of_scope is None else thresholds.commit_beside_out_of_scope_at
    if candidates[0].score >= bar and len(close) == 1 and not small_talk:
        return MatchResult("commit", candidates, out_of_scope)
    if candidates[0].score >= thresholds.suggest_at and out_of_scope is None:
        return MatchResult("clarify", close, out_of_scope)
    return MatchResult("none", candidates, out_of_scope)
