"""Push under load: N WebSocket clients on one worker, notifications at M per second.

Reports event → socket latency p50/p99, memory per open connection, and the dispatcher's throughput
(deliveries/s, claimed, sent and recorded) against a bare INSERT of the same rows in the same run.
Starts its own redis-server (the server and this driver share the kv role) and a SQLite file, or
uses `--database-url postgres://…`.

    .venv/bin/python benchmarks/bench_push.py [--clients 5000] [--rate 200] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import websockets
from tortoise.transactions import in_transaction

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.auth.tokens import TokenService  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import apply_migrations, close_db, init_db  # noqa: E402
from server.kv import create_kv  # noqa: E402
from server.models import Delivery, Notification  # noqa: E402
from server.push import NewNotification, notify, wake  # noqa: E402
from server.push import sql as push_sql  # noqa: E402
from server.push.service import PushServices, push_config  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def group_rss_kib(pgid: int) -> int:
    """Resident memory of every process in a process group (the Sanic supervisor and its worker)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[2]) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def connect_all(base: str, tokens: list[str], received: dict[int, float]) -> list[asyncio.Task[None]]:
    """Open one socket per token (in waves, so the accept queue keeps up); record arrival times."""
    ready = 0
    done = asyncio.Event()

    async def client(token: str) -> None:
        nonlocal ready
        async with websockets.connect(
            f"{base}/api/v1/ws?token={token}", ping_interval=None, open_timeout=60, max_queue=64
        ) as ws:
            async for message in ws:
                frame = json.loads(message)
                if frame["type"] == "synced":
                    ready += 1
                    if ready == len(tokens):
                        done.set()
                elif frame["type"] == "notification":
                    received.setdefault(frame["notification"]["id"], time.time())

    tasks = []
    for start in range(0, len(tokens), 250):
        tasks += [asyncio.create_task(client(t)) for t in tokens[start : start + 250]]
        while ready < len(tasks):
            await asyncio.sleep(0.05)
            if any(t.done() and t.exception() for t in tasks):
                raise RuntimeError(next(t.exception() for t in tasks if t.done() and t.exception()))
    await done.wait()
    return tasks


async def publish_events(
    settings: Settings, users: list[str], rate: float, seconds: float
) -> dict[int, float]:
    """Write notifications as a state change would (transaction, then wake), `rate` per second."""
    config = push_config(settings)
    kv = create_kv(settings.redis_url)
    sent_at: dict[int, float] = {}
    interval = 1 / rate
    started = time.perf_counter()
    n = 0
    try:
        while time.perf_counter() - started < seconds:
            user = users[n % len(users)]
            at = time.time()
            async with in_transaction() as conn:
                note = await notify(
                    conn, config, NewNotification(user, "accepted", f"事项{n}已受理", "已受理")
                )
            await wake(kv)
            assert note is not None
            sent_at[note.id] = at
            n += 1
            delay = started + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
    finally:
        await kv.close()
    return sent_at


async def dispatcher_throughput(settings: Settings, rows: int) -> tuple[float, float]:
    """(bare INSERT rows/s, dispatcher deliveries/s) for the same `rows` websocket deliveries."""
    config = push_config(settings)
    users = [uuid.uuid4().hex for _ in range(200)]
    for n in range(rows):
        async with in_transaction() as conn:
            await notify(conn, config, NewNotification(users[n % 200], "accepted", f"t{n}", "b"))
    notes = await Notification.all().order_by("id").limit(rows).values_list("id", "user_id")
    started = time.perf_counter()
    async with in_transaction() as conn:
        for chunk in range(0, len(notes), 500):
            values = []
            params: list[object] = []
            for note_id, user_id in notes[chunk : chunk + 500]:
                values.append("(?, ?, 'websocket', ?, 'sent', 0, 0, 0, ?)")
                params += [note_id, user_id, uuid.uuid4().hex, time.time()]
            await push_sql.execute(
                conn,
                "INSERT INTO push_delivery (notification_id, user_id, channel, idempotency_key, status, "
                "attempts, due_ms, lease_until_ms, created_at) VALUES " + ", ".join(values),
                params,
            )
    bare = len(notes) / (time.perf_counter() - started)
    kv = create_kv(settings.redis_url)
    services = PushServices.build(settings, kv)
    started = time.perf_counter()
    drained = 0
    while True:
        claimed = await services.dispatcher.run_once()
        if not claimed:
            break
        drained += claimed
    throughput = drained / (time.perf_counter() - started)
    await services.http.aclose()
    await kv.close()
    return bare, throughput


async def main_async(args: argparse.Namespace, settings: Settings, server_pgid: int, base: str) -> None:
    await init_db(settings)
    try:
        tokens_service = TokenService(settings)
        users = [uuid.uuid4().hex for _ in range(args.clients)]
        tokens = [tokens_service.issue("user", "access", u, uuid.uuid4().hex)[0] for u in users]
        before = group_rss_kib(server_pgid)
        received: dict[int, float] = {}
        opened = time.perf_counter()
        clients = await connect_all(base, tokens, received)
        opened = time.perf_counter() - opened
        await asyncio.sleep(2)
        after = group_rss_kib(server_pgid)
        sent_at = await publish_events(settings, users, args.rate, args.seconds)
        deadline = time.monotonic() + 30
        while len(set(sent_at) & set(received)) < len(sent_at) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        latencies = [(received[i] - sent_at[i]) * 1000 for i in sent_at if i in received]
        for task in clients:
            task.cancel()
        await asyncio.gather(*clients, return_exceptions=True)
        print(f"clients connected: {args.clients} in {opened:.1f} s (one worker)")
        print(
            f"server memory: {before / 1024:.0f} MiB idle -> {after / 1024:.0f} MiB with the clients: "
            f"{(after - before) / max(1, args.clients):.1f} KiB per open connection"
        )
        print(
            f"events: {len(sent_at)} at {args.rate}/s for {args.seconds:.0f} s; "
            f"delivered to the socket: {len(latencies)}"
        )
        print(
            f"event -> socket latency: p50 {percentile(latencies, 0.5):.1f} ms, "
            f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies, default=float('nan')):.1f} ms"
        )
        await Delivery.all().delete()
        await Notification.all().delete()
        bare, throughput = await dispatcher_throughput(settings, args.rows)
        print(
            f"dispatcher: {throughput:.0f} deliveries/s (claim + send + record) vs bare INSERT of the same "
            f"rows {bare:.0f} rows/s: ratio {throughput / bare:.2f}"
        )
    finally:
        await close_db()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200, help="notifications per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rows", type=int, default=5000, help="rows for the throughput comparison")
    parser.add_argument("--database-url", default=None, help="postgres://… (default: a fresh SQLite file)")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.clients * 2 + 1000)), hard))
    work = Path(tempfile.mkdtemp(prefix="bench-push-"))
    redis_port = free_port()
    redis = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(redis_port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    database_url = args.database_url or f"sqlite://{work / 'bench.sqlite3'}"
    settings = Settings(
        database_url=database_url, redis_url=f"redis://127.0.0.1:{redis_port}/0", log_level="WARNING"
    )
    asyncio.run(apply_migrations(settings))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.redis_url or "",
        "PORT": str(port),
        "WORKERS": "1",
        "LOG_LEVEL": "WARNING",
        "WS_HEARTBEAT_SECONDS": "60",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "server"],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)),
    )
    try:
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        asyncio.run(main_async(args, settings, server.pid, f"ws://127.0.0.1:{port}"))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
