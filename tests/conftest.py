"""Fixtures: settings per backend, real PostgreSQL / redis-server when the test script started them,
the app in-process (ASGI) and as a real server over sockets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import asyncpg
import httpx
import pytest
from sanic import Sanic
from tortoise.backends.base.executor import EXECUTOR_CACHE

from server.config import REPO_ROOT, Settings
from server.db import apply_migrations, close_db
from server.knowledge_service import KnowledgeService
from server.kv import KV, create_kv

BACKENDS = ["embedded", "real"]
# Every test talks from 127.0.0.1 and the real backend shares one Redis: the guide's per-address
# limits are lifted except where a test sets them (tests/test_throttle.py).
UNTHROTTLED = {"guide_ip_messages_per_minute": 10**6, "guide_ip_conversations_per_minute": 10**6}


def real_url(name: str) -> str:
    """A real server's URL from the environment, or skip (fail when CI requires real backends)."""
    url = os.environ.get(name)
    if not url:
        message = f"{name} is not set: no real server for this test"
        if os.environ.get("REQUIRE_REAL_BACKENDS"):
            pytest.fail(message)
        pytest.skip(message)
    return url


async def fresh_postgres_url() -> str:
    """A new, empty database on the test PostgreSQL server, so tests never share rows."""
    base = real_url("TEST_DATABASE_URL")
    name = "t_" + uuid.uuid4().hex[:16]
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(autouse=True)
def _forget_cached_sql() -> None:
    """tortoise caches SQL per connection *name*; tests switch SQLite/PostgreSQL under one name."""
    EXECUTOR_CACHE.clear()


@pytest.fixture
def redis_prefix() -> str:
    """This test's own Redis key space: counters (per-address limits above all) never leak between tests."""
    return f"t{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def make_settings(tmp_path: Path, redis_prefix: str):
    """Settings for tests: a private SQLite file unless overridden."""

    def make(**overrides) -> Settings:
        values = {
            "database_url": f"sqlite://{tmp_path / 'test.sqlite3'}",
            "log_level": "WARNING",
            "upload_dir": tmp_path / "uploads",
            "redis_key_prefix": redis_prefix,
            **UNTHROTTLED,
        }
        values.update(overrides)
        return Settings(**values)

    return make


async def fresh_s3_bucket() -> dict[str, str]:
    """Settings for a new, empty bucket on the test S3-compatible server (moto_server)."""
    import aioboto3

    url, bucket = real_url("TEST_S3_URL"), "t-" + uuid.uuid4().hex[:20]
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}
    async with aioboto3.Session(**credentials).client("s3", endpoint_url=url) as s3:
        await s3.create_bucket(Bucket=bucket)
    return {
        "s3_endpoint_url": url,
        "s3_bucket": bucket,
        "s3_access_key_id": "test",
        "s3_secret_access_key": "test",
    }


@pytest.fixture(params=BACKENDS)
async def settings(request, make_settings) -> Settings:
    """Each test using this runs twice: embedded (SQLite, in-process kv, local disk) and real
    (PostgreSQL, Redis, S3-compatible storage)."""
    if request.param == "embedded":
        return make_settings()
    return make_settings(
        database_url=await fresh_postgres_url(),
        redis_url=real_url("TEST_REDIS_URL"),
        **await fresh_s3_bucket(),
    )


@pytest.fixture
async def migrated(settings: Settings) -> Settings:
    await apply_migrations(settings)
    return settings


@pytest.fixture(params=BACKENDS)
async def kv(request, redis_prefix: str) -> AsyncIterator[KV]:
    store = create_kv(
        None if request.param == "embedded" else real_url("TEST_REDIS_URL"), prefix=redis_prefix
    )
    yield store
    await store.close()


@pytest.fixture(scope="session")
def served_knowledge() -> KnowledgeService:
    """The knowledge and matcher, built once: every app of the session serves them."""
    return KnowledgeService(REPO_ROOT / "knowledge")


@pytest.fixture
async def app(migrated: Settings, served_knowledge: KnowledgeService) -> AsyncIterator[Sanic]:
    """The app on both backends (not started; `api` serves it)."""
    from server.app import create_app  # imported late: it loads the guide

    application = create_app(migrated, name="t" + uuid.uuid4().hex[:12], knowledge=served_knowledge)
    yield application
    Sanic._app_registry.pop(application.name, None)
    await close_db()


@asynccontextmanager
async def serving(app: Sanic) -> AsyncIterator[httpx.AsyncClient]:
    """Start `app` once (its listeners, hence one kv store) and talk to it in-process through ASGI.

    (`app.asgi_client` runs the start-up and shut-down listeners around every request, which would
    give the in-process kv a fresh, empty store and reload the knowledge each time.)
    """
    app.asgi = True
    app.config.TOUCHUP = False  # the code rewrite runs once per process, not once per app
    await app._startup()
    await app._server_event("init", "before")
    await app._server_event("init", "after")
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await app._server_event("shutdown", "before")
        await app._server_event("shutdown", "after")


@pytest.fixture
async def api(app: Sanic) -> AsyncIterator[httpx.AsyncClient]:
    """The app on both backends, started once for the test, over ASGI."""
    async with serving(app) as client:
        yield client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`python -m server` in a subprocess on a free loopback port, talked to over real sockets.

    It runs in its own process group, so nothing it spawned outlives the test, and it logs to a
    file, so a chatty server never blocks on a full pipe.
    """

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        unthrottled = {name.upper(): str(value) for name, value in UNTHROTTLED.items()}
        full_env = {**os.environ, **unthrottled, **env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server"],
                cwd=REPO_ROOT,
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60) -> float:
        """Seconds until /healthz answers 200."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError("server exited:\n" + self.output())
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError("server did not become healthy:\n" + self.output())

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> str:
        """SIGTERM the supervisor (a clean shutdown of every worker), then SIGKILL any leftover."""
        with suppress(ProcessLookupError):
            self.process.terminate()
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=5)
        return self.output()


@pytest.fixture
def live_server(tmp_path: Path, redis_prefix: str) -> Iterator[callable]:
    """Start real servers with extra environment; all are stopped after the test."""
    servers: list[LiveServer] = []

    def start(**env: str) -> LiveServer:
        env.setdefault("DATABASE_URL", f"sqlite://{tmp_path / 'live.sqlite3'}")
        env.setdefault("REDIS_KEY_PREFIX", redis_prefix)
        server = LiveServer(env, tmp_path / f"server{len(servers)}.log")
        servers.append(server)
        server.wait_ready()
        return server

    yield start
    for server in servers:
        server.stop()
