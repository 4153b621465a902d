"""Push under load: N WebSocket clients on one worker, signed department events at M per second.

Reports event → socket latency p50/p99, memory per open connection, and the dispatcher's throughput
(deliveries/s, claimed, sent and recorded) against a bare INSERT of the same rows in the same run.
Starts its own redis-server (the server and this driver share the kv role) and a SQLite file, or
uses `--database-url postgres://…`.

    .venv/bin/python benchmarks/bench_push.py [--clients 5000] [--rate 200] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import hmac
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

from server.auth.crypto import DataProtector  # noqa: E402
from server.auth.departments import DepartmentKeys, string_to_sign  # noqa: E402
from server.auth.tokens import TokenService  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import apply_migrations, close_db, init_db  # noqa: E402
from server.kv import MemoryKV, create_kv  # noqa: E402
from server.models import Application, Delivery, Notification, Task  # noqa: E402
from server.push import NewNotification, notify  # noqa: E402
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


async def connect_all(
    base: str, tokens: list[str], received: dict[tuple[str, str], float]
) -> list[asyncio.Task[None]]:
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
                    note = frame["notification"]
                    received.setdefault((note["application_id"], note["category"]), time.time())

    tasks = []
    for start in range(0, len(tokens), 250):
        tasks += [asyncio.create_task(client(t)) for t in tokens[start : start + 250]]
        while ready < len(tasks):
            await asyncio.sleep(0.05)
            if any(t.done() and t.exception() for t in tasks):
                raise RuntimeError(next(t.exception() for t in tasks if t.done() and t.exception()))
    await done.wait()
    return tasks


def signed(key_id: str, secret: str, method: str, target: str, body: bytes) -> dict[str, str]:
    """The department signature headers (README "Department keys")."""
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    message = string_to_sign(method, target, timestamp, nonce, body)
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return {"X-Api-Key": key_id, "X-Timestamp": timestamp, "X-Nonce": nonce, "X-Signature": signature}


STEPS = [
    ("accepted", {}),
    ("in_review", {}),
    ("approved", {}),
    ("result_issued", {"result": {"method": "window", "pickup_place": "区政务服务中心3号窗口"}}),
    ("done", {}),
]


async def make_tasks(users: list[str]) -> list[str]:
    """One application with one civil-affairs task per citizen, written as the applications domain does."""
    now = dt.datetime.now(dt.UTC)
    tasks = []
    for n, user in enumerate(users):
        app_id, task_id = uuid.uuid4().hex, uuid.uuid4().hex
        await Application.create(
            id=app_id,
            receipt_no=f"B{n:015d}",
            query_code_hash="-",
            query_code_encrypted="-",
            user_id=user,
            bundle="marriage",
            items=["marriage_registration"],
            form_encrypted="-",
            knowledge_version="bench",
            submitted_at=now,
        )
        await Task.create(
            id=task_id,
            application_id=app_id,
            item="marriage_registration",
            item_name="结婚登记",
            department="civil_affairs",
            status="submitted",
        )
        tasks.append(task_id)
    return tasks


async def post_events(
    base: str, key: tuple[str, str], tasks: list[str], rate: float, seconds: float
) -> dict[tuple[str, int], float]:
    """Signed department events at `rate` per second over HTTP, each task walked through STEPS."""
    sent_at: dict[tuple[str, int], float] = {}
    interval = 1 / rate
    started = time.perf_counter()
    n = 0
    pending: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:

        async def post(task_id: str, step: int) -> None:
            status, extra = STEPS[step]
            body = {
                "event_id": f"{task_id}-{step}",
                "task_id": task_id,
                "status": status,
                "occurred_at": (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=step)).isoformat(),
                **extra,
            }
            raw = json.dumps(body, ensure_ascii=False).encode()
            headers = signed(key[0], key[1], "POST", "/api/v1/departments/events", raw)
            sent_at[(task_id, step)] = time.time()
            response = await http.post(
                "/api/v1/departments/events",
                content=raw,
                headers={**headers, "Content-Type": "application/json"},
            )
            assert response.status_code == 200, response.text

        while time.perf_counter() - started < seconds:
            task_id, step = tasks[n % len(tasks)], (n // len(tasks)) % len(STEPS)
            job = asyncio.create_task(post(task_id, step))
            pending.add(job)
            job.add_done_callback(pending.discard)
            n += 1
            delay = started + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await asyncio.gather(*pending)
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
    kv = create_kv(settings.redis_url, prefix=settings.redis_key_prefix)
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
        tasks = await make_tasks(users)
        owner = dict(await Task.all().values_list("id", "application_id"))
        key = await DepartmentKeys(MemoryKV(), DataProtector(settings.data_encryption_key), 300).issue(
            "civil_affairs"
        )
        before = group_rss_kib(server_pgid)
        received: dict[tuple[str, str], float] = {}
        opened = time.perf_counter()
        clients = await connect_all(base, tokens, received)
        opened = time.perf_counter() - opened
        await asyncio.sleep(2)
        after = group_rss_kib(server_pgid)
        http_base = base.replace("ws://", "http://")
        sent_at = await post_events(http_base, key, tasks, args.rate, args.seconds)
        wanted = {(owner[t], STEPS[step][0]): at for (t, step), at in sent_at.items()}
        deadline = time.monotonic() + 30
        while len(set(wanted) & set(received)) < len(wanted) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        latencies = [(received[k] - wanted[k]) * 1000 for k in wanted if k in received]
        for task in clients:
            task.cancel()
        await asyncio.gather(*clients, return_exceptions=True)
        print(f"clients connected: {args.clients} in {opened:.1f} s (one worker)")
        print(
            f"server memory: {before / 1024:.0f} MiB idle -> {after / 1024:.0f} MiB with the clients: "
            f"{(after - before) / max(1, args.clients):.1f} KiB per open connection"
        )
        print(
            f"department events: {len(wanted)} signed POSTs at {args.rate}/s for {args.seconds:.0f} s; "
            f"notifications on the socket: {len(latencies)}"
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
    server_log = (work / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "server"],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=server_log,
        stderr=subprocess.STDOUT,
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
    except Exception:
        print((work / "server.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
