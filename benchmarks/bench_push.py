"""Push under load: N WebSocket clients on one worker, signed department events at M per second.

Reports event → socket latency p50/p99, memory per open connection, and the dispatcher's throughput
(deliveries/s, claimed, sent and recorded) against a bare INSERT of the same rows in the same run.
Starts its own redis-server (the server and this driver share the kv role) and a SQLite file, or
uses `--database-url postgres://…`.

    .venv/bin/python benchmarks/bench_push.py [--clients 5000] [--processes 5] [--rate 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import hmac
import json
import multiprocessing
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import httpx
from harness import REPO, free_port
from tortoise.transactions import in_transaction

sys.path.insert(0, str(REPO))

import push_clients

from server.auth.crypto import DataProtector
from server.auth.departments import DepartmentKeys, string_to_sign
from server.auth.tokens import TokenService
from server.config import Settings
from server.db import apply_migrations, close_db, init_db
from server.kv import MemoryKV, create_kv
from server.models import Application, Delivery, Notification, Task
from server.push import NewNotification, notify
from server.push import sql as push_sql
from server.push.service import PushServices, push_config


def group_processes(pgid: int) -> list[Path]:
    """/proc entries of every process in a process group (the Sanic supervisor and its worker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                found.append(entry)
        except (OSError, IndexError, ValueError):
            continue
    return found


def group_rss_kib(pgid: int) -> int:
    """Resident memory of a process group, KiB."""
    total = 0
    for entry in group_processes(pgid):
        try:
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return total


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) a process group has used so far: a figure a loaded machine does not
    stretch the way it stretches wall-clock latency."""
    ticks = 0
    for entry in group_processes(pgid):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


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
    apps, tasks = [], []
    for n, user in enumerate(users):
        app_id = uuid.uuid4().hex
        apps.append(
            Application(
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
        )
        tasks.append(
            Task(
                id=uuid.uuid4().hex,
                application_id=app_id,
                item="marriage_registration",
                item_name="结婚登记",
                department="civil_affairs",
                status="submitted",
            )
        )
    await Application.bulk_create(apps, batch_size=500)
    await Task.bulk_create(tasks, batch_size=500)
    return [task.id for task in tasks]


async def post_events(
    base: str, key: tuple[str, str], tasks: list[str], rate: float, seconds: float
) -> tuple[dict[tuple[str, int], float], list[float]]:
    """Signed department events at `rate` per second over HTTP (open loop: a slow server is not given
    fewer), each task walked through STEPS; (send time of each event, each POST's response time, ms)."""
    sent_at: dict[tuple[str, int], float] = {}
    answered: list[float] = []
    refused: list[str] = []
    interval = 1 / rate
    started = time.perf_counter()
    n = 0
    pending: set[asyncio.Task[None]] = set()
    timeout = httpx.Timeout(120, pool=None)  # waiting for a connection counts in the latency, never fails
    limits = httpx.Limits(max_connections=256)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as http:

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
            if response.status_code != 200:
                refused.append(f"{response.status_code} {response.text[:200]}")
                del sent_at[(task_id, step)]  # no notification is owed for it
                return
            answered.append((time.time() - sent_at[(task_id, step)]) * 1000)

        while time.perf_counter() - started < seconds and n < len(tasks) * len(STEPS):
            task_id, step = tasks[n % len(tasks)], (n // len(tasks)) % len(STEPS)
            job = asyncio.create_task(post(task_id, step))
            pending.add(job)
            job.add_done_callback(pending.discard)
            n += 1
            delay = started + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await asyncio.gather(*pending)
    if refused:
        print(f"  events refused: {len(refused)}, e.g. {refused[0]}")
    return sent_at, answered


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


def start_clients(
    base: str, tokens: list[str], processes: int, per_second: float
) -> list[tuple[BaseProcess, Connection]]:
    """Client processes, each with its own loop and an even share of the tokens, opening together."""
    context = multiprocessing.get_context("spawn")
    started: list[tuple[BaseProcess, Connection]] = []
    for n in range(processes):
        share = tokens[n::processes]
        ours, theirs = context.Pipe()
        process = context.Process(
            target=push_clients.run, args=(base, share, per_second / processes, theirs), daemon=True
        )
        process.start()
        started.append((process, ours))
    return started


async def drained(timeout: float) -> None:
    """Wait until the server's dispatcher has sent every delivery (or `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not await Delivery.filter(status__in=("pending", "sending")).exists():
            return
        await asyncio.sleep(0.2)


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


async def sockets_phase(args: argparse.Namespace, settings: Settings, server_pgid: int, base: str) -> None:
    """Open the sockets, post the events, report latency and memory per connection."""
    tokens_service = TokenService(settings)
    users = [uuid.uuid4().hex for _ in range(args.clients)]
    tokens = [tokens_service.issue("user", "access", u, uuid.uuid4().hex)[0] for u in users]
    tasks = await make_tasks(users)
    owner = dict(await Task.all().values_list("id", "application_id"))
    key = await DepartmentKeys(MemoryKV(), DataProtector(settings.data_encryption_key), 300).issue(
        "civil_affairs"
    )
    await asyncio.sleep(2)
    before = group_rss_kib(server_pgid)
    print(f"before the sockets: {load()}")
    opened = time.perf_counter()
    clients = start_clients(base, tokens, args.processes, args.open_rate)
    replies = await asyncio.gather(*(asyncio.to_thread(pipe.recv) for _, pipe in clients))
    opened = time.perf_counter() - opened
    synced = sum(r["synced"] for r in replies)
    failures = [f for r in replies for f in r["failed"]]
    print(
        f"sockets synced: {synced} of {args.clients} in {opened:.1f} s "
        f"({args.processes} client processes, one server worker); failed: {len(failures)} {failures[:3]}"
    )
    retried = sum(r["retried"] for r in replies)
    if retried:
        print(f"  openings tried again after a refusal: {retried}")
    cpu, clock = group_cpu_seconds(server_pgid), time.perf_counter()
    await asyncio.sleep(args.settle)
    idle_cpu = (group_cpu_seconds(server_pgid) - cpu) / (time.perf_counter() - clock)
    after = group_rss_kib(server_pgid)
    print(
        f"server memory: {before / 1024:.0f} MiB idle -> {after / 1024:.0f} MiB with {synced} open: "
        f"{(after - before) / max(1, synced):.1f} KiB per open connection; "
        f"CPU with the sockets idle: {idle_cpu * 100:.1f}% of a core"
    )
    print(f"before the events: {load()}")
    http_base = base.replace("ws://", "http://")
    cpu, clock = group_cpu_seconds(server_pgid), time.perf_counter()
    sent_at, answered = await post_events(http_base, key, tasks, args.rate, args.seconds)
    await drained(60)
    busy = group_cpu_seconds(server_pgid) - cpu - idle_cpu * (time.perf_counter() - clock)
    print(f"server CPU per event beyond the idle sockets: {busy * 1000 / max(1, len(sent_at)):.1f} ms")
    await asyncio.sleep(2)  # the last frames on their way from Redis to the sockets
    print(f"after the events: {load()}")
    for _, pipe in clients:
        pipe.send("report")
    reports = await asyncio.gather(*(asyncio.to_thread(pipe.recv) for _, pipe in clients))
    for process, _ in clients:
        process.join(timeout=30)
    received: dict[str, tuple[float, float]] = {}
    for report in reports:
        received.update(report["received"])
    wanted = {f"{owner[t]} {STEPS[step][0]}": at for (t, step), at in sent_at.items()}
    arrived = {k: received[k] for k in wanted if k in received}
    latencies = [(received_at - wanted[k]) * 1000 for k, (received_at, _) in arrived.items()]
    # The notification row's created_at splits the path: POST -> committed row, row -> socket.
    written = [(created - wanted[k]) * 1000 for k, (_, created) in arrived.items()]
    pushed = [(received_at - created) * 1000 for received_at, created in arrived.values()]
    still_open = sum(r["open"] for r in reports)
    dropped = [f for r in reports for f in r["failed"]]
    print(
        f"department events: {len(wanted)} signed POSTs at {args.rate:g}/s for {args.seconds:g} s; "
        f"notifications on the sockets: {len(latencies)}; sockets still open: {still_open}, "
        f"dropped: {len(dropped) - len(failures)}"
    )
    print(
        f"event -> socket latency (wall clock of one host, driver -> client process): "
        f"p50 {percentile(latencies, 0.5):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, "
        f"max {max(latencies, default=float('nan')):.1f} ms"
    )
    print(
        f"  the department's POST answered in: p50 {percentile(answered, 0.5):.1f} ms, "
        f"p99 {percentile(answered, 0.99):.1f} ms"
    )
    print(
        f"  of which POST -> notification row: p50 {percentile(written, 0.5):.1f} ms, "
        f"p99 {percentile(written, 0.99):.1f} ms; row -> socket: p50 {percentile(pushed, 0.5):.1f} ms, "
        f"p99 {percentile(pushed, 0.99):.1f} ms"
    )


async def with_db(settings: Settings, work: Coroutine[Any, Any, None]) -> None:
    await init_db(settings)
    try:
        await work
    finally:
        await close_db()


async def throughput_phase(args: argparse.Namespace, settings: Settings) -> None:
    await Delivery.all().delete()
    await Notification.all().delete()
    bare, throughput = await dispatcher_throughput(settings, args.rows)
    print(
        f"dispatcher: {throughput:.0f} deliveries/s (claim + send + record) vs bare INSERT of the same "
        f"rows {bare:.0f} rows/s: ratio {throughput / bare:.3f} ({load()})"
    )


def start_server(settings: Settings, work: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "PORT": str(port),
        "WORKERS": "1",
        "LOG_LEVEL": "WARNING",
    }
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "server"],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=(work / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)),
    )
    for _ in range(1200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=0, help="client processes (default: 1 per 1,000)")
    parser.add_argument("--open-rate", type=float, default=250, help="sockets opened per second")
    parser.add_argument("--settle", type=float, default=5, help="seconds from the last open to the events")
    parser.add_argument("--rate", type=float, default=50, help="department events per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rows", type=int, default=5000, help="rows for the throughput comparison")
    parser.add_argument("--database-url", default=None, help="postgres://… (default: a fresh SQLite file)")
    args = parser.parse_args()
    args.processes = args.processes or max(1, -(-args.clients // 1000))
    push_clients.raise_open_files(args.clients + 1024)
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
    server: subprocess.Popen[bytes] | None = None
    try:
        server = start_server(settings, work, port)
        asyncio.run(with_db(settings, sockets_phase(args, settings, server.pid, f"ws://127.0.0.1:{port}")))
        stop_server(server)  # the throughput phase runs the only dispatcher
        asyncio.run(with_db(settings, throughput_phase(args, settings)))
    except Exception:
        print((work / "server.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        if server is not None and server.poll() is None:
            stop_server(server)
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
