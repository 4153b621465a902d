"""POST /api/v1/guide/messages under load against two bare routes of the same server, same run.

One worker (embedded default: SQLite, in-process kv), wrk with 64 connections (one per thread, every
request timed on the client). Each round starts a fresh server and runs, for `--seconds` each:

    bare, mix, bare, distinct, bare

where each "bare" is `GET /livez` (no body, a constant answer) then `POST /bench/echo` (the
benchmarks-only route `BENCH_ECHO_ROUTE` turns on: the mix's JSON bodies parsed into a pydantic model
and the text sent back, through the same middleware as a guide message and nothing of the guide).

- **mix**, a realistic repeating mix: every message opens a conversation; 80 % are drawn from 500
  common questions with Zipf weights (the k-th most common asked 1/k as often as the first), 20 % are
  phrasings sent once. The questions are the repo's own phrasings (ranker corpus, unseen test set).
- **distinct**: every message is a text no earlier message had (a phrasing with an opener and a
  closer, all different after canonicalisation), so nothing can come from the memos.

Ratios are against the mean of the bare runs either side, for each baseline; the hit rates of the
opening memo (a repeated first turn) and of the match memo (a repeated text, written alike after
canonicalisation, whose turn was not remembered) come from the server's `/metrics`
(`GUIDE_OPENING_MEMO_SIZE=0` in the environment runs the server without the opening memo); median
and p99 count only requests sent once every connection had its first answer (the opening requests
are reported apart). `--profile DIR` also records the worker with py-spy (raw stacks) during each
guide run of the first round; `benchmarks/profile_breakdown.py` buckets them.
Each run also reports the worker's CPU time per answer (user and system, every thread, from `/proc`)
and the ratios of those: what a request costs the server, whatever share of the two cores the client
and other work took.
Only files in this repo are read.

    .venv/bin/python benchmarks/bench_guide_http.py [--seconds 10] [--rounds 2] [--connections 64]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from harness import REPO, WrkRun, served, wrk_run

sys.path.insert(0, str(REPO))

from server.guide.normalize import canonical_chars

SOURCES = [
    *sorted((REPO / "knowledge" / "training").glob("*.jsonl")),
    REPO / "tests" / "data" / "guide_unseen.jsonl",
]
COMMON = 500
NOVEL_SHARE = 0.2
OPENERS = (
    "",
    "您好，",
    "请问",
    "你好，请问一下",
    "麻烦问下，",
    "我想咨询一下，",
    "打扰一下，",
    "老师好，",
    "问一下，",
    "在吗，",
)
CLOSERS = (
    "",
    "，谢谢",
    "，急",
    "，谢谢了",
    "，怎么弄",
    "，在线等",
    "，麻烦告诉我",
    "，多谢",
    "，求解答",
    "，辛苦了",
)
MOST_RPS = 4000  # bodies are prepared for this rate, so no connection repeats its list within a run
ENV = {  # every connection comes from 127.0.0.1: lift the guide's per-address limits
    "GUIDE_IP_MESSAGES_PER_MINUTE": str(10**9),
    "GUIDE_IP_CONVERSATIONS_PER_MINUTE": str(10**9),
    "BENCH_ECHO_ROUTE": "1",
}


def phrasings() -> list[str]:
    """The repo's phrasings, one per canonical form, in a fixed random order."""
    seen: dict[str, str] = {}
    for path in SOURCES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line)["text"]
                seen.setdefault(canonical_chars(text), text)
    texts = list(seen.values())
    random.Random(13).shuffle(texts)
    return texts


def variants(texts: list[str], taken: set[str]) -> Iterator[str]:
    """Texts whose canonical form is in neither `taken` nor any earlier variant (adds to `taken`)."""
    for opener in OPENERS:
        for closer in CLOSERS:
            for text in texts:
                form = opener + text.rstrip("？?。!！") + closer
                key = canonical_chars(form)
                if key not in taken:
                    taken.add(key)
                    yield form


def bodies(texts: Iterator[str] | list[str], per_connection: int, connections: int) -> list[list[str]]:
    source = iter(texts)
    return [
        [json.dumps({"text": next(source)}, ensure_ascii=False) for _ in range(per_connection)]
        for _ in range(connections)
    ]


def mix(common: list[str], novel: Iterator[str], count: int, rng: random.Random) -> Iterator[str]:
    weights = [1 / rank for rank in range(1, len(common) + 1)]
    for _ in range(count):
        yield next(novel) if rng.random() < NOVEL_SHARE else rng.choices(common, weights)[0]


MEMOS = ("match", "opening")


def memo_lookups(base: str) -> dict[str, tuple[float, float]]:
    """(hits, misses) so far of the match memo and of the opening memo."""
    text = httpx.get(base + "/metrics", timeout=10).text
    lookups = {}
    for memo in MEMOS:
        pattern = rf'^guide_{memo}_memo_lookups_total\{{outcome="(\w+)"\}} (\S+)$'
        found = dict(re.findall(pattern, text, re.M))
        lookups[memo] = float(found.get("hit", 0)), float(found.get("miss", 0))
    return lookups


def hit_rates(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]) -> str:
    """Each memo's hit rate between two readings of `memo_lookups`."""
    rates = []
    for memo in MEMOS:
        hits, misses = (a - b for a, b in zip(after[memo], before[memo], strict=True))
        rates.append(f"{memo} memo hits {hits / (hits + misses) if hits + misses else 0.0:.1%}")
    return ", ".join(rates)


def worker_pid(server: subprocess.Popen[bytes]) -> int:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return int(children[-1])


def worker_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """CPU time (user + system, every thread) the worker has used so far."""
    fields = Path(f"/proc/{worker_pid(server)}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Measured:
    """A wrk run and the worker's CPU time per answer during it (µs): what a request costs the server,
    however the machine's cores were shared with the client and other work."""

    run: WrkRun
    cpu_us: float

    def describe(self) -> str:
        return f"{self.run.describe()}; worker CPU {self.cpu_us:.0f} µs/request"


def measured(
    server: subprocess.Popen[bytes],
    url: str,
    seconds: float,
    connections: int,
    load: list[list[str]] | None = None,
) -> Measured:
    """`wrk_run` with the worker's CPU time per answer."""
    before = worker_cpu_seconds(server)
    run = wrk_run(url, seconds, connections, load)
    return Measured(run, (worker_cpu_seconds(server) - before) * 1e6 / max(run.answers, 1))


def guide_run(
    base: str, seconds: float, load: list[list[str]], profile: Path | None, server: subprocess.Popen[bytes]
) -> tuple[Measured, str]:
    """One wrk run of the guide route; returns it with the memos' hit rates during it."""
    before = memo_lookups(base)
    spy = None
    if profile is not None:
        spy_binary = shutil.which("py-spy", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
        command = [
            spy_binary or "py-spy",
            "record",
            "--nonblocking",
            "-r",
            "200",
            "-f",
            "raw",
            "-d",
            str(int(seconds)),
        ]
        spy = subprocess.Popen([*command, "-o", str(profile), "-p", str(worker_pid(server))])
    run = measured(server, base + "/api/v1/guide/messages", seconds, len(load), load)
    if spy is not None:
        spy.wait(timeout=60)
    return run, hit_rates(before, memo_lookups(base))


def bare_pair(
    server: subprocess.Popen[bytes], base: str, seconds: float, connections: int, load: list[list[str]]
) -> tuple[Measured, Measured]:
    """One run of each bare route: GET /livez, then POST /bench/echo with the guide's `load`."""
    get = measured(server, base + "/livez", seconds, connections)
    return get, measured(server, base + "/bench/echo", seconds, connections, load)


def ratio(run: Measured, before: Measured, after: Measured) -> float:
    """`run`'s requests per second against the mean of a baseline's runs either side."""
    return run.run.rps / ((before.run.rps + after.run.rps) / 2)


def cpu_ratio(run: Measured, before: Measured, after: Measured) -> float:
    """The baseline's worker CPU per request over `run`'s (what the ratio would be on idle cores)."""
    return ((before.cpu_us + after.cpu_us) / 2) / run.cpu_us


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--profile", type=Path, default=None, help="directory for py-spy raw stacks")
    args = parser.parse_args()
    texts = phrasings()
    common, rest = texts[:COMMON], texts[COMMON:]
    taken = {canonical_chars(t) for t in texts}
    fresh = variants(rest + common, taken)
    per_connection = int(MOST_RPS * args.seconds / args.connections) + 1
    rng = random.Random(7)
    results = []
    for round_no in range(1, args.rounds + 1):
        count = per_connection * args.connections
        mixed = bodies(mix(common, fresh, count, rng), per_connection, args.connections)
        distinct = bodies(fresh, per_connection, args.connections)
        profile = args.profile if round_no == 1 else None
        if profile:
            profile.mkdir(parents=True, exist_ok=True)
        with served(ENV) as (base, server):
            bare = [bare_pair(server, base, args.seconds, args.connections, mixed)]
            mixed_run, mixed_hits = guide_run(
                base, args.seconds, mixed, profile and profile / "mix.txt", server
            )
            bare.append(bare_pair(server, base, args.seconds, args.connections, mixed))
            distinct_run, distinct_hits = guide_run(
                base, args.seconds, distinct, profile and profile / "distinct.txt", server
            )
            bare.append(bare_pair(server, base, args.seconds, args.connections, mixed))
        mix_ratio, mix_post = (ratio(mixed_run, bare[0][k], bare[1][k]) for k in (0, 1))
        distinct_ratio, distinct_post = (ratio(distinct_run, bare[1][k], bare[2][k]) for k in (0, 1))
        mix_cpu = [cpu_ratio(mixed_run, bare[0][k], bare[1][k]) for k in (0, 1)]
        distinct_cpu = [cpu_ratio(distinct_run, bare[1][k], bare[2][k]) for k in (0, 1)]
        print(f"round {round_no}")
        for n, (get, post) in enumerate(bare, start=1):
            print(f"  bare GET /livez #{n}       {get.describe()}")
            print(f"  bare POST /bench/echo #{n} {post.describe()}")
        print(f"  guide, repeating mix      {mixed_run.describe()}")
        print(f"  guide, all different      {distinct_run.describe()}")
        print(
            f"  ratio mix / bare          {mix_ratio:5.2f} GET, {mix_post:5.2f} POST"
            f"  (target >= 0.40), {mixed_hits}"
        )
        print(
            f"  ratio distinct / bare     {distinct_ratio:5.2f} GET, {distinct_post:5.2f} POST"
            f"  (target >= 0.30), {distinct_hits}"
        )
        print(f"  worker CPU ratio mix      {mix_cpu[0]:5.2f} GET, {mix_cpu[1]:5.2f} POST")
        print(f"  worker CPU ratio distinct {distinct_cpu[0]:5.2f} GET, {distinct_cpu[1]:5.2f} POST")
        results.append((mix_ratio, distinct_ratio, mixed_run.run, distinct_run.run, mix_post, distinct_post))
        sys.stdout.flush()
    if len(results) > 1:

        def span(values: list[float]) -> str:
            return f"{min(values):.2f}–{max(values):.2f}"

        print("over the rounds")
        print(f"  ratio mix / bare GET        {span([r[0] for r in results])}")
        print(f"  ratio mix / bare POST       {span([r[4] for r in results])}")
        print(f"  ratio distinct / bare GET   {span([r[1] for r in results])}")
        print(f"  ratio distinct / bare POST  {span([r[5] for r in results])}")
        print(f"  p99/median mix              {span([r[2].p99_ms / r[2].median_ms for r in results])}")
        print(f"  p99/median distinct         {span([r[3].p99_ms / r[3].median_ms for r in results])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
