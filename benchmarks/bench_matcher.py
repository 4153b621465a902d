"""Matcher alone: per-utterance p50/p99 over a jsonl file, beside a bare jieba cut of the same texts.

Also times the rule layers without the ranker, the character normalisation alone (OpenCC's t2s and width
folding, which every message goes through), and loading the ranker's artefact (what start-up adds).

Usage: `python benchmarks/bench_matcher.py [FILE.jsonl] [--rounds N]` (default: the shared dev set).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from pathlib import Path

import jieba

from server.guide.eval import build_matcher, read_cases
from server.guide.knowledge import DEFAULT_ROOT
from server.guide.matcher.ranker import MODEL_PATH, Model
from server.guide.normalize import canonical_chars

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval" / "guide_dev.jsonl"


def timings(texts: list[str], call: Callable[[str], object], rounds: int) -> tuple[list[float], list[float]]:
    """Milliseconds of every call, and each text's best of `rounds` (free of preemption by others)."""
    for text in texts:
        call(text)
    every: list[float] = []
    best = [float("inf")] * len(texts)
    for _ in range(rounds):
        for index, text in enumerate(texts):
            start = time.perf_counter()
            call(text)
            every.append(ms := (time.perf_counter() - start) * 1000)
            best[index] = min(best[index], ms)
    return sorted(every), sorted(best)


def pct(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(p / 100 * len(sorted_ms)) - 1))]


def main() -> None:
    """Time the matcher and the baseline in the same run and print both with their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    texts = [text for text, _ in read_cases(args.file)]
    matcher = build_matcher()
    ranker = matcher.ranker
    start = time.perf_counter()
    model = Model.load(DEFAULT_ROOT / MODEL_PATH)
    load_ms = (time.perf_counter() - start) * 1000
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    gc.freeze()  # as a worker should after start-up: the dictionaries live forever, stop rescanning them
    matched, matched_best = timings(texts, matcher.match, args.rounds)
    bare, bare_best = timings(texts, lambda text: tokenizer.lcut(text, HMM=False), args.rounds)
    matcher.ranker = None
    rules, rules_best = timings(texts, matcher.match, args.rounds)
    matcher.ranker = ranker
    chars, chars_best = timings(texts, canonical_chars, args.rounds)
    print(f"{len(texts)} utterances x {args.rounds} rounds from {args.file.name}")
    print(f"{'':<34}{'p50 ms':>10}{'p99 ms':>10}")
    rows = [
        ("matcher.match, every call", matched),
        ("bare jieba cut, every call", bare),
        ("matcher.match, best per text", matched_best),
        ("bare jieba cut, best per text", bare_best),
        ("rule layers alone, every call", rules),
        ("rule layers alone, best per text", rules_best),
        ("canonical_chars, every call", chars),
        ("canonical_chars, best per text", chars_best),
    ]
    for label, values in rows:
        print(f"{label:<34}{pct(values, 50):>10.3f}{pct(values, 99):>10.3f}")
    ratio_50, ratio_99 = pct(matched, 50) / pct(bare, 50), pct(matched, 99) / pct(bare, 99)
    print(f"ratio matcher/baseline (every call): p50 x{ratio_50:.1f}, p99 x{ratio_99:.1f}")
    print(f"ratio canonical_chars/baseline (every call): p50 x{pct(chars, 50) / pct(bare, 50):.2f}")
    print(f"loading the ranker artefact: {load_ms:.0f} ms ({len(model.features)} text features)")


if __name__ == "__main__":
    main()
