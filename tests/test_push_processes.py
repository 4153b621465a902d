"""Push across real processes on PostgreSQL + Redis: a dispatcher killed with SIGKILL in the middle of a
batch and restarted delivers everything, nothing twice where the vendor honours our key; an event on
one server reaches a socket held by another."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets
from tortoise.transactions import in_transaction

from server.auth.tokens import TokenService
from server.config import REPO_ROOT, Settings
from server.db import apply_migrations, close_db, init_db
from server.models import Delivery, Device, Notification, User, WeChatSubscription
from server.push import NewNotification, notify
from server.push.service import push_config
from tests.conftest import fresh_postgres_url, real_url
from tests.fakes.applications import Department
from tests.fakes.auth import sms, vendor_settings, wechat
from tests.fakes.push import LONG_TERM_TEMPLATE_ID, getui, push_settings, wechat_push
from tests.test_applications import marriage_application
from tests.test_push_api import frame

USES_FIXTURES = (getui, sms, wechat, wechat_push)
PASSWORD = "correct horse battery staple"


def env_of(settings: Settings, **extra: str) -> dict[str, str]:
    """A child process's environment for `settings` (upper-case names, JSON for structured values)."""
    env = {}
    for key in (
        "database_url",
        "redis_url",
        "redis_key_prefix",
        "wechat_base_url",
        "wechat_appid",
        "wechat_secret",
        "app_push_provider",
        "getui_base_url",
        "getui_app_key",
        "getui_master_secret",
        "vendor_timeout_seconds",
        "push_backoff_base_seconds",
        "push_backoff_max_seconds",
        "push_poll_seconds",
    ):
        env[key.upper()] = str(getattr(settings, key))
    env["WECHAT_TEMPLATES"] = json.dumps(settings.wechat_templates)
    env["PUSH_MAX_ATTEMPTS"] = "8"
    env["LOG_LEVEL"] = "WARNING"
    env.update(extra)
    return env


class Dispatcher:
    """`python -m server.push` in its own process group, logging to a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.push"],
                cwd=REPO_ROOT,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
async def pg_push(make_settings, wechat_push, getui) -> AsyncIterator[Settings]:
    settings = make_settings(
        database_url=await fresh_postgres_url(),
        redis_url=real_url("TEST_REDIS_URL"),
        **push_settings(wechat_push[0], getui[0]),
    )
    await apply_migrations(settings)
    await init_db(settings)
    yield settings
    await close_db()


async def until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def listen(url: str, received: list[int]) -> None:
    """Collect the notification ids one socket receives (raw, before any de-duplication)."""
    async with websockets.connect(url) as ws:
        async for message in ws:
            frame = json.loads(message)
            if frame["type"] == "notification":
                received.append(frame["notification"]["id"])


async def test_sigkill_mid_batch_then_restart_delivers_all_and_none_twice(
    pg_push, getui, wechat_push, live_server, tmp_path
) -> None:
    config = push_config(pg_push)
    users = []
    for _ in range(6):
        user = await User.create(id=uuid.uuid4().hex, openid=f"o-kill-{uuid.uuid4().hex[:8]}")
        await WeChatSubscription.create(
            user_id=user.id, template_id=LONG_TERM_TEMPLATE_ID, kind="long_term", accepted=True
        )
        await Device.create(
            id=uuid.uuid4().hex,
            user_id=user.id,
            provider="getui",
            client_id=f"cid-kill-{uuid.uuid4().hex}",
            platform="android",
        )
        users.append(user)
    env = env_of(pg_push, PUSH_LEASE_SECONDS="2", PUSH_BATCH_SIZE="30", PUSH_CONCURRENCY="6")
    server = live_server(**env, PUSH_DISPATCHER="external")  # holds the sockets, sends nothing itself
    tokens = TokenService(pg_push)
    received: dict[str, list[int]] = {user.id: [] for user in users}
    ws_base = server.base_url.replace("http://", "ws://")

    def url(user: User) -> str:
        token = tokens.issue("user", "access", user.id, uuid.uuid4().hex)[0]
        return f"{ws_base}/api/v1/ws?since=0&token={token}"

    listeners = [asyncio.create_task(listen(url(u), received[u.id])) for u in users]
    for n in range(40):
        for user in users:
            async with in_transaction() as conn:
                item = f"事项{n}"
                note = NewNotification(
                    user.id, "approved", f"{item}审核通过", "审核通过", data={"item": item}
                )
                await notify(conn, config, note)
    total = await Delivery.all().count()
    assert total == 6 * 40 * 3
    app_keys = {d.idempotency_key for d in await Delivery.filter(channel="app_push")}
    getui[1].delay_seconds = 0.02  # each push takes a while, so a batch is in flight when we kill
    dispatchers = [Dispatcher(env, tmp_path / "dispatcher.log")]
    try:

        async def some_sent() -> bool:
            return len(app_keys & set(getui[1].delivered)) >= 60

        await until(some_sent, 60, "the first pushes")
        dispatchers[0].kill()
        in_flight = await Delivery.filter(status="sending").count()
        sent_before = await Delivery.filter(status="sent").count()
        assert in_flight > 0, "the kill did not land in the middle of a batch"
        dispatchers.append(Dispatcher(env, tmp_path / "dispatcher.log"))

        async def all_sent() -> bool:
            return not await Delivery.exclude(status="sent").exists()

        await until(all_sent, 120, "every delivery after the restart")
        expected = {
            u.id: set(await Notification.filter(user_id=u.id).values_list("id", flat=True)) for u in users
        }

        async def sockets_complete() -> bool:
            return all(set(received[uid]) == ids for uid, ids in expected.items())

        await until(sockets_complete, 30, "every notification on its socket")
    finally:
        getui[1].delay_seconds = 0.0
        for dispatcher in dispatchers:
            dispatcher.stop()
        for task in listeners:
            task.cancel()
    # App push: every key reached the phone exactly once (个推 drops a repeated request_id).
    assert all(getui[1].delivered_count[key] == 1 for key in app_keys)
    resent = sum(1 for key in app_keys if getui[1].requests[key] > 1)
    # The socket: every id arrived; a raw repeat (which the client drops by id) only for rows in flight.
    socket_repeats = sum(sum(Counter(ids).values()) - len(set(ids)) for ids in received.values())
    assert socket_repeats <= in_flight
    # WeChat has no idempotency key: every message arrived; a repeat only for rows in flight at the kill.
    openid = {u.id: u.openid for u in users}
    wechat_keys = [f"{openid[uid]}:{nid}" for uid, ids in expected.items() for nid in ids]
    assert all(wechat_push[1].delivered_count[key] == 1 for key in wechat_keys)
    wechat_repeats = sum(1 for key in wechat_keys if wechat_push[1].requests[key] > 1)
    assert wechat_repeats <= in_flight
    print(
        f"\nSIGKILL with {in_flight} deliveries in flight ({sent_before}/{total} sent): re-sent after the "
        f"lease {resent} app pushes (each delivered once), {socket_repeats} socket frames (dropped by id), "
        f"{wechat_repeats} WeChat messages"
    )


async def test_an_event_on_one_server_reaches_a_socket_held_by_another(
    pg_push, live_server, sms, wechat
) -> None:
    """A department event posted to server A; the citizen's socket is held by server B."""
    vendors = {key.upper(): str(value) for key, value in vendor_settings(wechat[0], sms[0]).items()}
    env = {**env_of(pg_push), **vendors, "SMS_IP_PER_MINUTE": "1000"}
    server_a = live_server(**env)
    server_b = live_server(**env, PUSH_DISPATCHER="external")  # only A dispatches: B just holds the socket
    async with httpx.AsyncClient(base_url=server_a.base_url, timeout=30) as on_a:
        application, headers = await marriage_application(on_a, sms)
        token = headers["Authorization"].split(" ", 1)[1]
        civil = await Department.issue(on_a, pg_push, "civil_affairs")
        task_id = next(t["id"] for t in application["tasks"] if t["item"] == "marriage_registration")
        ws_b = server_b.base_url.replace("http://", "ws://")
        async with websockets.connect(f"{ws_b}/api/v1/ws?token={token}") as ws:
            synced = await frame(ws, "synced")
            posted = await civil.event(task_id, "accepted", at=dt.datetime.now(dt.UTC))
            assert posted.json()["applied"] is True
            live = await frame(ws, "notification", timeout=20)
    assert live["notification"]["category"] == "accepted"
    assert live["notification"]["seq"] == synced["last_seq"] + 1
    assert live["notification"]["application_id"] == application["id"]
    assert server_a.process.pid != server_b.process.pid
