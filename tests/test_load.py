"""Sustained load on one worker (embedded default): the turn writer keeps up while the load runs (its
queue never passes TURN_QUEUE_MAX and the rows trail the answers by at most that many, whatever the
flush interval), the in-process kv stays under its cap, and SIGTERM right after the load stops the
server promptly, losing nothing."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from pathlib import Path

import httpx

QUEUE_MAX = 50
KV_MAX = 500
CONNECTIONS = 32
SECONDS = 12


def _gauge(metrics: str, name: str) -> float:
    found = re.search(rf"^{name} ([0-9.e+]+)$", metrics, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def _rows(database: Path) -> int:
    with sqlite3.connect(database, timeout=30) as db:
        return db.execute("SELECT count(*) FROM turn").fetchone()[0]


async def _load(base_url: str, deadline: float) -> tuple[int, list[float], list[float]]:
    """CONNECTIONS clients, each starting conversations and following up; (answered, queue, kv samples)."""
    answered = 0
    queued: list[float] = []
    kv_keys: list[float] = []
    limits = httpx.Limits(max_connections=CONNECTIONS + 1)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as api:

        async def client() -> None:
            nonlocal answered
            while time.monotonic() < deadline:
                first = await api.post("/api/v1/guide/messages", json={"text": "我们想领结婚证"})
                assert first.status_code == 200, first.text
                answered += 1
                body = {"conversation_id": first.json()["conversation_id"], "text": "要钱吗"}
                for _ in range(3):
                    follow_up = await api.post("/api/v1/guide/messages", json=body)
                    assert follow_up.status_code == 200, follow_up.text
                    answered += 1

        async def watch() -> None:
            while time.monotonic() < deadline:
                metrics = (await api.get("/metrics")).text
                queued.append(_gauge(metrics, "guide_turns_queued"))
                kv_keys.append(_gauge(metrics, "memory_kv_keys"))
                await asyncio.sleep(0.5)

        await asyncio.gather(watch(), *(client() for _ in range(CONNECTIONS)))
    return answered, queued, kv_keys


def test_the_writer_keeps_up_under_load_and_shutdown_is_prompt(live_server, tmp_path: Path) -> None:
    database = tmp_path / "load.sqlite3"
    server = live_server(
        DATABASE_URL=f"sqlite://{database}",
        TURN_QUEUE_MAX=str(QUEUE_MAX),
        TURN_FLUSH_SECONDS="3600",  # only a full queue wakes the writer: the bound alone must hold
        MEMORY_KV_MAX_KEYS=str(KV_MAX),
        LOG_LEVEL="WARNING",
    )
    answered, queued, kv_keys = asyncio.run(_load(server.base_url, time.monotonic() + SECONDS))
    written_when_load_ended = _rows(database)
    assert answered > QUEUE_MAX * 2, "the load was too light to say anything"
    assert max(queued) <= QUEUE_MAX, queued
    assert max(kv_keys) <= KV_MAX, kv_keys
    assert written_when_load_ended >= answered - QUEUE_MAX, (written_when_load_ended, answered)

    stopping = time.monotonic()
    server.process.terminate()
    server.process.wait(timeout=10)
    assert time.monotonic() - stopping < 10
    assert _rows(database) == answered  # nothing lost on the way down
    assert "Traceback" not in server.output(), server.output()[-3000:]
