"""Where a worker's CPU went, from py-spy raw stacks (`bench_guide_http.py --profile DIR`).

Each sample goes to the first bucket whose pattern any of its frames matches, so work done inside
another bucket's code lands where it is done (jieba inside the matcher is segmentation; JSON inside
the state store is state). The opening memo counts only its own work (the lookup and the copy of a
remembered turn: its innermost frame of ours), not the dialogue it runs on a miss. Matcher samples
are also split by the innermost matcher module.

    .venv/bin/python benchmarks/profile_breakdown.py DIR/mix.txt
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

INNERMOST = "innermost:"  # a pattern with this prefix is matched against the innermost frame of ours only
BUCKETS = [
    ("turn recording", r"server/turns\.py|aiosqlite|tortoise|sqlite3"),
    ("state load/save", r"server/conversations\.py|server/kv\.py"),
    ("segmentation (jieba)", r"jieba"),
    ("matcher", r"server/guide/matcher/|server/guide/normalize\.py|server/guide/pinyin\.py|pypinyin|numpy"),
    ("match memo", r"server/guide/match_memo\.py"),
    ("opening memo (lookup, copy)", INNERMOST + r"server/guide/opening_memo\.py"),
    ("checklist", r"server/guide/checklist"),
    ("dialogue (reading, selection …)", r"server/guide/"),
    ("masking", r"server/privacy\.py"),
    ("body parse (pydantic)", r"server/bodies\.py|pydantic"),
    ("throttle", r"server/auth/limits\.py"),
    ("JSON response", r"json|JSONResponse"),
    ("metrics", r"prometheus_client|server/metrics\.py"),
    ("logging", r"logging/|server/logs\.py"),
    (
        "middleware (ours)",
        r"server/app\.py|server/auth/|server/operators|server/push|server/response_headers|server/requests\.py",
    ),
    ("HTTP (sanic, uvloop, asyncio)", r"."),
]
_MATCHER_MODULE = re.compile(r"server/guide/matcher/(\w+)\.py|server/guide/(normalize|pinyin|automaton)\.py")


def _matches(pattern: str, frames: list[str], ours: list[str]) -> bool:
    if pattern.startswith(INNERMOST):
        return bool(ours) and re.search(pattern.removeprefix(INNERMOST), ours[-1]) is not None
    return any(re.search(pattern, f) for f in frames)


def breakdown(path: Path) -> tuple[int, Counter[str], Counter[str]]:
    """(samples, samples per bucket, matcher samples per innermost module)."""
    buckets: Counter[str] = Counter()
    modules: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples, frames = int(count), stack.split(";")
        total += samples
        ours = [f for f in frames if "(server/" in f]
        bucket = next(name for name, pattern in BUCKETS if _matches(pattern, frames, ours))
        buckets[bucket] += samples
        if bucket == "matcher":
            found = [m for f in frames if (m := _MATCHER_MODULE.search(f))]
            modules[next(g for g in found[-1].groups() if g) if found else "numpy"] += samples
    return total, buckets, modules


def main() -> int:
    for name in sys.argv[1:]:
        total, buckets, modules = breakdown(Path(name))
        print(f"{name}: {total} samples")
        for bucket, samples in buckets.most_common():
            print(f"  {bucket:34s} {100 * samples / total:5.1f} %")
        if modules:
            print(
                "  matcher by module: "
                + ", ".join(f"{m} {100 * s / total:.1f} %" for m, s in modules.most_common())
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
