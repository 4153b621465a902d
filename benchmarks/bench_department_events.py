"""Department events applied per second against the bare signed route, in the same run.

Prepares applications with open tasks and one department key in a fresh database, starts
`python -m server` on a free loopback port, then drives it from this process with `--connections`
concurrent signed clients: first `GET /api/v1/departments/me` (signature check only: the baseline),
then `POST /api/v1/departments/events` (signature + one transaction: locks, event row, task update,
timeline row). Each client owns one task and alternates in_review / needs_correction, so every event
is a legal, applied transition. Prints both rates, the ratio and p99 latencies.

    python benchmarks/bench_department_events.py [--seconds 10] [--connections 16]

DATABASE_URL / REDIS_URL in the environment bench the production backends instead of the embedded one.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import hmac
import json
import os
import sys
import tempfile
import time
import uuid

import httpx
from harness import REPO, served

sys.path.insert(0, str(REPO))

from server.auth.crypto import DataProtector
from server.auth.departments import DepartmentKeys
from server.config import Settings
from server.db import apply_migrations, close_db, init_db
from server.kv import MemoryKV
from server.models import Application, Task

DEPARTMENT = "civil_affairs"


async def prepare(settings: Settings, tasks: int) -> tuple[str, str, list[str]]:
    """A department key and `tasks` accepted tasks of that department, written straight to the database."""
    await apply_migrations(settings)
    await init_db(settings)
    try:
        protector = DataProtector(settings.data_encryption_key)
        key_id, secret = await DepartmentKeys(MemoryKV(), protector, 300).issue(DEPARTMENT)
        ids = []
        now = dt.datetime.now(dt.UTC)
        for n in range(tasks):
            application = await Application.create(
                id=uuid.uuid4().hex,
                receipt_no=f"9{n:015d}",
                query_code_hash="0" * 64,
                query_code_encrypted=protector.encrypt("000000", "bench"),
                user_id="bench",
                bundle="marriage",
                items=["marriage_registration"],
                form_encrypted=protector.encrypt("{}", "bench"),
                knowledge_version="bench",
                submitted_at=now,
            )
            task = await Task.create(
                id=uuid.uuid4().hex,
                application=application,
                item="marriage_registration",
                item_name="内地居民结婚登记",
                department=DEPARTMENT,
                status="accepted",
                time_limit_days=0,
                accepted_at=now,
                last_event_at=now,
            )
            ids.append(task.id)
        return key_id, secret, ids
    finally:
        await close_db()


def headers(key_id: str, secret: str, method: str, target: str, body: bytes) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    message = f"{method}\n{target}\n{timestamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}"
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return {
        "X-Api-Key": key_id,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": signature,
        "Content-Type": "application/json",
    }


async def drive(base: str, seconds: float, key: tuple[str, str], tasks: list[str] | None, clients: int):
    """(requests per second, p99 ms, applied count) of `clients` concurrent loops for `seconds`."""
    latencies: list[float] = []
    applied = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def loop(index: int) -> None:
            nonlocal applied
            step = 0
            moment = dt.datetime.now(dt.UTC)
            while time.perf_counter() < deadline:
                if tasks is None:
                    target, body, method = "/api/v1/departments/me", b"", "GET"
                else:
                    step += 1
                    status = "in_review" if step % 2 else "needs_correction"
                    event: dict[str, object] = {
                        "event_id": uuid.uuid4().hex,
                        "task_id": tasks[index],
                        "status": status,
                        "occurred_at": (moment + dt.timedelta(milliseconds=step)).isoformat(),
                    }
                    if status == "needs_correction":
                        event["correction"] = {"materials": ["marriage_photo"], "deadline": "2026-12-31"}
                    target, method = "/api/v1/departments/events", "POST"
                    body = json.dumps(event).encode()
                started = time.perf_counter()
                response = await client.request(
                    method, target, content=body, headers=headers(*key, method, target, body)
                )
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text}")
                if tasks is not None and response.json()["applied"]:
                    applied += 1

        started = time.perf_counter()
        await asyncio.gather(*(loop(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0
    return len(latencies) / elapsed, p99, applied / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = os.environ.get("DATABASE_URL") or f"sqlite://{tmp}/bench.sqlite3"
        settings = Settings(database_url=database, redis_url=os.environ.get("REDIS_URL"), log_level="WARNING")
        key_id, secret, tasks = asyncio.run(prepare(settings, args.connections))
        env = {"WORKERS": str(args.workers), "DATABASE_URL": database}
        if settings.redis_url:
            env["REDIS_URL"] = settings.redis_url
        with served(env) as (base, _):
            key = (key_id, secret)
            bare_rps, bare_p99, _ = asyncio.run(drive(base, args.seconds, key, None, args.connections))
            event_rps, event_p99, applied = asyncio.run(
                drive(base, args.seconds, key, tasks, args.connections)
            )
    backend = "postgres" if database.startswith("postgres") else "sqlite"
    print(
        f"backend {backend}, {args.workers} worker(s), {args.connections} concurrent signed clients, "
        f"{args.seconds:g}s each"
    )
    print(f"bare signed GET /api/v1/departments/me : {bare_rps:8.1f} req/s  p99 {bare_p99:6.1f} ms")
    print(f"POST /api/v1/departments/events        : {event_rps:8.1f} req/s  p99 {event_p99:6.1f} ms")
    print(f"events applied                         : {applied:8.1f} /s")
    print(f"ratio applied events / bare signed     : {applied / bare_rps:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
