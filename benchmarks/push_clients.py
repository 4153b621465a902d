"""One process of bench_push.py's WebSocket clients: its own event loop holds a share of the sockets.

Started by bench_push.py (multiprocessing, spawn) with a list of access tokens and one end of a pipe.
It opens its sockets gradually, tells the driver when all of them are synced, records when each
notification arrives (`time.time()`: on one host the wall clock is the same for every process, so
arrival times compare with the driver's send times), and answers the server's pings meanwhile
(the websockets library does so while the loop is free). Only the standard library and websockets
are imported, so a process starts quickly and stays small.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

import websockets


def raise_open_files(wanted: int) -> None:
    """Lift the soft limit on open files towards `wanted` (never above the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, wanted), hard))


class Clients:
    def __init__(self, base: str, tokens: list[str]) -> None:
        self.base = base
        self.tokens = tokens
        self.synced = 0
        self.failed: list[str] = []  # why a socket could not open, or closed before the end
        # "application_id category" -> (first arrival, the notification's created_at as a timestamp)
        self.received: dict[str, tuple[float, float]] = {}
        self.frames = 0
        self.retried = 0  # openings tried again
        self.stopping = False

    async def client(self, token: str) -> None:
        """One citizen's socket; a refused opening is tried again after a pause, as an app would."""
        for attempt in range(5):
            try:
                await self._hold(token)
                return
            except asyncio.CancelledError:
                raise
            except (OSError, websockets.InvalidHandshake, TimeoutError) as exc:
                if self.stopping or attempt == 4:
                    self.failed.append(f"{type(exc).__name__}: {exc}"[:200])
                    return
                self.retried += 1
                await asyncio.sleep(1 + attempt)
            except Exception as exc:
                if not self.stopping:
                    self.failed.append(f"{type(exc).__name__}: {exc}"[:200])
                return

    async def _hold(self, token: str) -> None:
        async with websockets.connect(
            f"{self.base}/api/v1/ws?token={token}",
            ping_interval=None,  # the server pings; the library answers
            open_timeout=120,
            max_queue=64,
            compression=None,
        ) as ws:
            async for message in ws:
                arrived = time.time()
                frame = json.loads(message)
                kind = frame["type"]
                if kind == "notification":
                    self.frames += 1
                    note = frame["notification"]
                    created = datetime.fromisoformat(note["created_at"]).timestamp()
                    key = f"{note['application_id']} {note['category']}"
                    self.received.setdefault(key, (arrived, created))
                elif kind == "synced":
                    self.synced += 1
            if not self.stopping:
                self.failed.append(f"closed {ws.close_code}")

    async def open_all(self, per_second: float) -> list[asyncio.Task[None]]:
        """Open the sockets at about `per_second`; return once every one is synced (or failed)."""
        tasks = []
        started = time.perf_counter()
        for n, token in enumerate(self.tokens):
            tasks.append(asyncio.create_task(self.client(token)))
            delay = started + (n + 1) / per_second - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        while self.synced + len(self.failed) < len(self.tokens):
            await asyncio.sleep(0.05)
        return tasks


async def _run(base: str, tokens: list[str], per_second: float, pipe: Connection) -> None:
    loop = asyncio.get_running_loop()
    clients = Clients(base, tokens)
    tasks = await clients.open_all(per_second)
    pipe.send({"synced": clients.synced, "failed": list(clients.failed), "retried": clients.retried})
    command = await loop.run_in_executor(None, pipe.recv)  # "report" once the events are in
    assert command == "report", command
    report: dict[str, Any] = {
        "received": clients.received,
        "frames": clients.frames,
        "failed": list(clients.failed),
        "open": sum(1 for t in tasks if not t.done()),
    }
    clients.stopping = True
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send(report)


def run(base: str, tokens: list[str], per_second: float, pipe: Connection) -> None:
    """The process's entry point."""
    raise_open_files(len(tokens) + 256)
    asyncio.run(_run(base, tokens, per_second, pipe))
