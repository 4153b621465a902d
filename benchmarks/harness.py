"""What the HTTP benchmarks share: a free port, `python -m server` started and stopped, and wrk.

`wrk_run` drives one URL with wrk, one connection per wrk thread, and a Lua script that times every
request on the client (LuaJIT's FFI clock), so a run is judged only from the moment every connection
has had its first answer: the first requests of connections opened late are a start-up artefact and
are reported apart.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
WRK_SCRIPT = Path(__file__).with_name("wrk_timed.lua")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(base: str, timeout: float = 60, interval: float = 0.5) -> None:
    """Wait (without hammering the starting server) until /healthz answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(interval)
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            continue
    raise TimeoutError(f"{base} did not become healthy")


@contextmanager
def served(env: Mapping[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m server` on a free loopback port with `env` over the defaults (one worker, a fresh
    SQLite file and the in-process kv, warnings only); yields the base URL and the process, stops it
    cleanly after. DATABASE_URL and REDIS_URL come from `env` only, never from this process's."""
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    with tempfile.TemporaryDirectory() as tmp:
        full = {
            **inherited,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WORKERS": "1",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": f"sqlite://{tmp}/bench.sqlite3",
            "UPLOAD_DIR": f"{tmp}/uploads",
            **env,
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "server"],
            cwd=REPO,
            env=full,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base)
            yield base, server
        finally:
            server.terminate()  # a clean shutdown writes every queued turn first
            server.wait(timeout=120)


@dataclass(frozen=True)
class WrkRun:
    """One wrk run, judged from the moment every connection had its first answer."""

    rps: float  # answers per second after that moment
    median_ms: float
    p99_ms: float
    answers: int
    errors: int  # non-2xx answers
    timeouts: int  # requests wrk gave up on (10 s): a starved connection shows here
    opening_ms: float  # how long until every connection had its first answer
    opening_max_ms: float  # the slowest of the requests sent before that moment (reported apart)
    fairness: float  # answers of the least served connection / of the most served, after that moment

    def describe(self) -> str:
        return (
            f"{self.rps:8.0f} req/s  median {self.median_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms "
            f"(p99/median {self.p99_ms / self.median_ms:4.1f})  {self.answers} answers"
            + (f", {self.errors} errors" if self.errors else "")
            + (f", {self.timeouts} TIMEOUTS" if self.timeouts else "")
            + f"; connections open after {self.opening_ms:.0f} ms, slowest opening request "
            f"{self.opening_max_ms:.0f} ms; least/most served connection {self.fairness:.2f}"
        )


def wrk_run(url: str, seconds: float, connections: int, bodies: list[list[str]] | None = None) -> WrkRun:
    """GET `url` (or POST it the JSON `bodies`, one list per connection, each cycled) for `seconds`."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "WRK_OUT": f"{tmp}/timings"}
        if bodies is not None:
            for n, own in enumerate(bodies, start=1):
                Path(tmp, f"bodies.{n}").write_text("\n".join(own) + "\n", encoding="utf-8")
            env["WRK_BODIES"] = f"{tmp}/bodies"
        command = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s"]
        command += ["-s", str(WRK_SCRIPT), url]
        output = subprocess.run(command, capture_output=True, text=True, env=env, timeout=seconds + 60)
        if output.returncode != 0 or not Path(tmp, "timings").exists():
            raise RuntimeError(f"wrk failed:\n{output.stdout}\n{output.stderr}")
        rows = [line.split() for line in Path(tmp, "timings").read_text().splitlines() if line.strip()]
    timeouts = re.search(r"timeout (\d+)", output.stdout)
    return judged(
        [(int(c), float(sent), float(done), int(status)) for c, sent, done, status in rows],
        int(timeouts.group(1)) if timeouts else 0,
    )


def judged(rows: list[tuple[int, float, float, int]], timeouts: int = 0) -> WrkRun:
    """(connection, sent µs, answered µs, status) rows -> the run after every connection was open."""
    first: dict[int, float] = {}
    for connection, _, done, _ in rows:
        first[connection] = min(first.get(connection, done), done)
    start = min(sent for _, sent, _, _ in rows)
    opened = max(first.values())
    end = max(done for _, _, done, _ in rows)
    steady = [(done - sent) / 1000 for _, sent, done, _ in rows if sent >= opened]
    opening = [(done - sent) / 1000 for _, sent, done, _ in rows if sent < opened]
    served = Counter(dict.fromkeys(first, 0))
    served.update(connection for connection, sent, _, _ in rows if sent >= opened)
    cuts = statistics.quantiles(steady, n=100)
    return WrkRun(
        rps=len(steady) / ((end - opened) / 1e6),
        median_ms=statistics.median(steady),
        p99_ms=cuts[98],
        answers=len(rows),
        errors=sum(1 for *_, status in rows if not 200 <= status < 300),
        timeouts=timeouts,
        opening_ms=(opened - start) / 1000,
        opening_max_ms=max(opening, default=0.0),
        fairness=min(served.values()) / max(served.values()),
    )
