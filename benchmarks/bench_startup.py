"""Start-up time of `python -m server` (embedded default, fresh SQLite) until /healthz answers,
against a bare Sanic app with one route started the same way in the same run.

    .venv/bin/python benchmarks/bench_startup.py [--runs 3] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from harness import REPO, free_port

BARE_APP = """
from sanic import Sanic
from sanic.response import json
app = Sanic("bare")
@app.get("/healthz")
async def ok(request):
    return json({"status": "ok"})
if __name__ == "__main__":
    import os
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]), workers=int(os.environ["WORKERS"]),
            access_log=False)
"""


def time_to_healthy(command: list[str], env: dict[str, str], timeout: float = 60) -> float:
    """Seconds from spawning `command` until GET /healthz answers 200; the process is then stopped."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env={**os.environ, **env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < timeout:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                    elapsed = time.perf_counter() - started
                    time.sleep(1)  # Sanic's supervisor ignores a SIGTERM that arrives before it saw the ack
                    return elapsed
            except httpx.HTTPError:
                time.sleep(0.02)
        raise TimeoutError(" ".join(command))
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    ours, bare = [], []
    with tempfile.TemporaryDirectory() as tmp:
        bare_path = Path(tmp) / "bare_app.py"
        bare_path.write_text(BARE_APP)
        for run in range(args.runs):
            env = {"WORKERS": str(args.workers), "DATABASE_URL": f"sqlite://{tmp}/run{run}.sqlite3"}
            ours.append(time_to_healthy([sys.executable, "-m", "server"], env))
            bare.append(time_to_healthy([sys.executable, str(bare_path)], env))
    ours_s, bare_s = statistics.median(ours), statistics.median(bare)
    print(f"python -m server   median {ours_s:.2f} s  runs {[round(x, 2) for x in ours]}")
    print(f"bare Sanic app     median {bare_s:.2f} s  runs {[round(x, 2) for x in bare]}")
    print(f"ratio ours/bare    {ours_s / bare_s:.2f}  (workers={args.workers}, fresh SQLite)")


if __name__ == "__main__":
    main()
