"""POST /api/v1/guide/messages under load (wrk, 64 connections) against the bare GET /livez.

Starts `python -m server` (one worker, embedded default) on a free loopback port, runs wrk from a
separate process against both routes in the same run, prints req/s, the ratio (aim >= 0.5) and p99.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
UTTERANCES = (
    REPO.parent / "shared" / "eval" / "guide_dev.jsonl",
    REPO / "tests" / "data" / "guide_unseen.jsonl",
)
POST_SCRIPT = """
local bodies = {%s}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
"""


def post_script() -> str:
    """A wrk script cycling through every available utterance (more than the tokenizer's memo holds),
    each a new conversation, so the figure is not a cache's."""
    texts = [
        json.loads(line)["text"]
        for path in UTTERANCES
        if path.exists()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    bodies = ", ".join(lua_string(json.dumps({"text": text}, ensure_ascii=False)) for text in texts)
    return POST_SCRIPT % bodies


def lua_string(value: str) -> str:
    return "[==[" + value + "]==]"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(base: str, timeout: float = 60) -> None:
    """Wait (without hammering the starting server) until /healthz answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            continue
    raise TimeoutError("server did not become healthy")


def wrk(url: str, seconds: int, script: Path | None) -> tuple[float, str]:
    """Requests per second and p99 latency of one wrk run."""
    command = ["wrk", "-t4", "-c64", f"-d{seconds}s", "--latency", "--timeout", "5s", url]
    if script:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"99%\s+(\S+)", output)
    if rps is None or p99 is None:
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    return float(rps.group(1)), p99.group(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WORKERS": "1",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": f"sqlite://{tmp}/bench.sqlite3",
            # Every connection comes from 127.0.0.1: lift the guide's per-address limits.
            "GUIDE_IP_MESSAGES_PER_MINUTE": str(10**9),
            "GUIDE_IP_CONVERSATIONS_PER_MINUTE": str(10**9),
        }
        env.pop("REDIS_URL", None)
        server = subprocess.Popen(
            [sys.executable, "-m", "server"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(base)
            script = Path(tmp) / "post.lua"
            script.write_text(post_script(), encoding="utf-8")
            bare_rps, bare_p99 = wrk(base + "/livez", args.seconds, None)
            guide_rps, guide_p99 = wrk(base + "/api/v1/guide/messages", args.seconds, script)
        finally:
            server.terminate()  # a clean shutdown writes every queued turn first
            server.wait(timeout=120)
    print(f"GET  /livez                 {bare_rps:10.0f} req/s  p99 {bare_p99}")
    print(f"POST /api/v1/guide/messages {guide_rps:10.0f} req/s  p99 {guide_p99}")
    print(f"ratio guide/bare            {guide_rps / bare_rps:10.2f}  (aim >= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
