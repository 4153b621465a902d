"""`python -m server.guide.eval FILE.jsonl [--json]`: how often the first reply commits to the right bundle.

Each line is `{"text": ..., "bundle": slug | null}`; every text is judged alone, as a fresh conversation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.guide.dialogue import Message, new_state, step
from server.guide.knowledge import Knowledge, load_knowledge
from server.guide.matcher import Matcher
from server.guide.matcher.explain import explain_lines

NONE = "null"


def build_guide() -> tuple[Knowledge, Matcher]:
    """The validated knowledge and the matcher the server builds from it."""
    knowledge = load_knowledge()
    return knowledge, Matcher.from_knowledge(knowledge)


def build_matcher() -> Matcher:
    """The matcher the server uses, built from the validated knowledge."""
    return build_guide()[1]


def first_reply_bundle(knowledge: Knowledge, matcher: Matcher, text: str) -> str | None:
    """The bundle the dialogue's first reply to `text` commits to; None for a clarify or a fallback."""
    state, _ = step(new_state(), Message(text=text), knowledge, matcher, dt.date.today())
    return state["bundle"]


@dataclass(frozen=True)
class Outcome:
    text: str
    expected: str | None
    got: str | None
    ms: float


def read_cases(path: Path) -> list[tuple[str, str | None]]:
    """(text, expected bundle) pairs of a jsonl file; blank lines skipped, other fields ignored."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            cases.append((row["text"], row.get("bundle")))
    return cases


def run(cases: Iterable[tuple[str, str | None]], reply: Callable[[str], str | None]) -> list[Outcome]:
    """Judge every text alone and time each first reply."""
    outcomes = []
    for text, expected in cases:
        start = time.perf_counter()
        got = reply(text)
        outcomes.append(Outcome(text, expected, got, (time.perf_counter() - start) * 1000))
    return outcomes


def _ratio(numerator: int, denominator: int) -> float:
    """numerator / denominator, or 1.0 when there is nothing to measure (no prediction, no case)."""
    return numerator / denominator if denominator else 1.0


def _percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))] if ordered else 0.0


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    """Accuracy, per-label precision/recall (null included), frequent confusions and latency."""
    labels = sorted({o.expected or NONE for o in outcomes} | {o.got or NONE for o in outcomes})
    per_label = {}
    for label in labels:
        predicted = [o for o in outcomes if (o.got or NONE) == label]
        actual = [o for o in outcomes if (o.expected or NONE) == label]
        hits = sum(1 for o in predicted if (o.expected or NONE) == label)
        per_label[label] = {
            "precision": _ratio(hits, len(predicted)),
            "recall": _ratio(hits, len(actual)),
            "n": len(actual),
        }
    confusions = Counter((o.expected or NONE, o.got or NONE) for o in outcomes if o.expected != o.got)
    matrix = {
        label: {
            got: n
            for got in labels
            if (n := sum(1 for o in outcomes if (o.expected or NONE, o.got or NONE) == (label, got)))
        }
        for label in labels
    }
    ms = [o.ms for o in outcomes]
    none = per_label.get(NONE, {"precision": 1.0, "recall": 1.0})
    return {
        "n": len(outcomes),
        "accuracy": _ratio(sum(1 for o in outcomes if o.expected == o.got), len(outcomes)),
        "none_precision": none["precision"],
        "none_recall": none["recall"],
        "p50_ms": _percentile(ms, 50),
        "p99_ms": _percentile(ms, 99),
        "per_bundle": per_label,
        "confusions": [{"expected": e, "got": g, "count": c} for (e, g), c in confusions.most_common(10)],
        "confusion_matrix": matrix,
    }


def matrix_lines(matrix: dict[str, dict[str, int]]) -> list[str]:
    """The confusion matrix as a table: one row per expected label, columns numbered like the rows."""
    labels = list(matrix)
    lines = ["confusion matrix (rows expected, columns got, same numbering):"]
    lines.append(" " * 30 + "".join(f"{i:>4}" for i in range(len(labels))))
    for i, label in enumerate(labels):
        cells = "".join(f"{matrix[label].get(got, 0) or '.':>4}" for got in labels)
        lines.append(f"{i:>3} {label:<26}{cells}")
    return lines


def report(
    summary: dict[str, Any], outcomes: list[Outcome], explain: Callable[[str], list[str]] | None = None
) -> str:
    """The readable report: headline figures, a per-bundle table, confusions, the matrix and the misses.

    With `explain`, each miss is followed by the matcher's evidence and decision for its text.
    """
    lines = [
        f"n={summary['n']}  accuracy={summary['accuracy']:.3f}  "
        f"null precision={summary['none_precision']:.3f} recall={summary['none_recall']:.3f}  "
        f"latency p50={summary['p50_ms']:.3f} ms p99={summary['p99_ms']:.3f} ms",
        "",
        f"{'bundle':<26}{'n':>4}{'precision':>11}{'recall':>8}",
    ]
    for label, row in summary["per_bundle"].items():
        lines.append(f"{label:<26}{row['n']:>4}{row['precision']:>11.3f}{row['recall']:>8.3f}")
    lines += ["", "most frequent confusions (expected -> got):"]
    lines += [f"  {c['expected']} -> {c['got']}: {c['count']}" for c in summary["confusions"]] or ["  none"]
    lines += ["", *matrix_lines(summary["confusion_matrix"])]
    misses = [o for o in outcomes if o.expected != o.got]
    lines += ["", f"misses ({len(misses)}):"]
    for o in misses:
        lines.append(f"  [{o.expected or NONE} -> {o.got or NONE}] {o.text}")
        lines += explain(o.text) if explain else []
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m server.guide.eval`."""
    parser = argparse.ArgumentParser(prog="python -m server.guide.eval", description=__doc__)
    parser.add_argument("file", type=Path, help="jsonl with text and bundle (slug or null) per line")
    parser.add_argument("--json", action="store_true", help="end with one JSON object on the last line")
    args = parser.parse_args(argv)
    knowledge, matcher = build_guide()
    gc.freeze()  # as a worker does after start-up: jieba's large dictionary would slow every full collection
    outcomes = run(read_cases(args.file), lambda text: first_reply_bundle(knowledge, matcher, text))
    summary = summarise(outcomes)
    print(report(summary, outcomes, lambda text: explain_lines(matcher.trace(text), indent="      ")))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
