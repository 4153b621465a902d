"""Matcher alone: per-utterance p50/p99 over a jsonl file, beside a bare jieba cut of the same texts.

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

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval" / "guide_dev.jsonl"


def timings(texts: list[str], call: Callable[[str], object], rounds: int) -> list[float]:
    """Milliseconds per call, every text `rounds` times (after one warm-up pass)."""
    for text in texts:
        call(text)
    out = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            call(text)
            out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


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
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    gc.freeze()  # as a worker should after start-up: the dictionaries live forever, stop rescanning them
    matched = timings(texts, matcher.match, args.rounds)
    bare = timings(texts, lambda text: tokenizer.lcut(text, HMM=False), args.rounds)
    print(f"{len(texts)} utterances x {args.rounds} rounds from {args.file.name}")
    print(f"{'':<22}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'matcher.match':<22}{pct(matched, 50):>10.3f}{pct(matched, 99):>10.3f}")
    print(f"{'bare jieba cut':<22}{pct(bare, 50):>10.3f}{pct(bare, 99):>10.3f}")
    ratio_50, ratio_99 = pct(matched, 50) / pct(bare, 50), pct(matched, 99) / pct(bare, 99)
    print(f"ratio matcher/baseline: p50 x{ratio_50:.1f}, p99 x{ratio_99:.1f}")


if __name__ == "__main__":
    main()
