"""After the review's bad inputs, a live server (both backends) still saves turns, still serves the
transcripts saved before, and stops on SIGTERM within 10 s."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import httpx
import pytest

from server.config import Settings
from server.db import apply_migrations
from tests.conftest import BACKENDS, fresh_postgres_url, real_url

MESSAGES = "/api/v1/guide/messages"


def _bad_inputs(api: httpx.Client, port: int) -> list[int]:
    """Send each bad input; the statuses they got."""
    raw = {"Content-Type": "application/json"}
    statuses = [
        api.post(MESSAGES, content=json.dumps({"text": "领证\ud800"}).encode(), headers=raw).status_code,
        api.post(MESSAGES, content=json.dumps({"text": "领证\x00"}).encode(), headers=raw).status_code,
        api.get("/api/v1/guide/conversations/" + "a" * 33).status_code,
        api.get("/api/v1/bundles?date=").status_code,
        api.get(
            "/api/v1/departments/me",
            headers={"X-Api-Key": "dk_x", "X-Timestamp": "9" * 5000, "X-Nonce": "n" * 16, "X-Signature": "0"},
        ).status_code,
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        head = f"POST {MESSAGES} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        conn.sendall((head + "Content-Length: 100\r\n\r\n{").encode())
        statuses.append(int(conn.recv(4096).split(b" ", 2)[1]))
    return statuses


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_server_still_saves_serves_and_stops_after_bad_input(live_server, backend: str) -> None:
    env = {"REQUEST_TIMEOUT_SECONDS": "1"}
    if backend == "real":
        env |= {"DATABASE_URL": asyncio.run(fresh_postgres_url()), "REDIS_URL": real_url("TEST_REDIS_URL")}
        settings = Settings(database_url=env["DATABASE_URL"])
        asyncio.run(
            apply_migrations(settings)
        )  # `python -m server migrate`: PostgreSQL is not migrated on start
    server = live_server(**env)
    with httpx.Client(base_url=server.base_url, timeout=30) as api:
        before = api.post(MESSAGES, json={"text": "我们想领结婚证"}).json()["conversation_id"]
        assert api.get(f"/api/v1/guide/conversations/{before}").status_code == 200
        statuses = _bad_inputs(api, server.port)
        assert statuses == [400, 400, 404, 422, 401, 408]
        after = api.post(MESSAGES, json={"text": "我们想领结婚证"})
        assert after.status_code == 200
        saved = api.get(f"/api/v1/guide/conversations/{after.json()['conversation_id']}")
        assert saved.status_code == 200 and saved.json()["turn_count"] == 1
        assert api.get(f"/api/v1/guide/conversations/{before}").json()["turn_count"] == 1
    stopping = time.monotonic()
    server.process.terminate()
    server.process.wait(timeout=10)
    assert time.monotonic() - stopping < 10
