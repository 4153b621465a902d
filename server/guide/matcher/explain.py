"""Render a `Trace` for people: the normalised text, each layer's evidence, the vetoes and the decision."""

from __future__ import annotations

from server.guide.matcher.evidence import MatchResult, Trace
from server.guide.vocabulary import OUT_OF_SCOPE


def _result(result: MatchResult | None) -> str:
    if result is None:
        return "-"
    candidates = ", ".join(f"{c.slug} {c.score:.2f}" for c in result.candidates) or "no candidates"
    extra = f"; out of scope {result.out_of_scope!r}" if result.out_of_scope else ""
    extra += "; two errands" if result.two_errands else ""
    return f"{result.decision} ({candidates}{extra})"


def explain_lines(trace: Trace, indent: str = "") -> list[str]:
    """The trace as lines: one per evidence item, then the vetoes, the rule and the final decision."""
    lines = [f"normalised: {trace.normal}", f"masked:     {trace.masked}"]
    for item in trace.evidence:
        span = f" @{item.start}-{item.end}" if item.start >= 0 else ""
        owner = "single item" if item.bundle == OUT_OF_SCOPE else item.bundle
        lines.append(f"  {item.layer:<9} {owner:<24} {item.weight:>5.2f}  {item.term}{span}")
    lines += [f"  veto: {veto}" for veto in trace.vetoes]
    lines.append(f"rules:      {_result(trace.rule)}")
    if trace.probabilities:
        top = sorted(trace.probabilities.items(), key=lambda kv: kv[1], reverse=True)[:4]
        lines.append("ranker:     " + ", ".join(f"{label} {p:.2f}" for label, p in top))
    lines.append(f"decision:   {_result(trace.result)}")
    return [indent + line for line in lines]
