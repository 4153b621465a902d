"""Push over HTTP and WebSocket (both backends): inbox, read marks, preferences, subscriptions, devices,
the supervisor's view, and the live socket with resume, heartbeats and logout."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import websockets
from sanic import Sanic
from tortoise.transactions import in_transaction

from server.auth.tokens import TokenService
from server.config import Settings
from server.push import NewNotification, notify, wake
from tests.conftest import free_port, serving
from tests.fakes.push import TEMPLATE_ID, getui, new_user, push_settings, wechat_push
from tests.test_auth_operators import supervisor_token

USES_FIXTURES = (getui, wechat_push)


@pytest.fixture
async def push_app(migrated: Settings, served_knowledge, wechat_push, getui) -> AsyncIterator[Sanic]:
    from server.app import create_app

    configured = migrated.model_copy(
        update={**push_settings(wechat_push[0], getui[0]), "ws_heartbeat_seconds": 0.3}
    )
    app = create_app(configured, name="p" + uuid.uuid4().hex[:12], knowledge=served_knowledge)
    yield app
    Sanic._app_registry.pop(app.name, None)


@pytest.fixture
async def client(push_app: Sanic) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(push_app) as http:
        yield http


@asynccontextmanager
async def listening(app: Sanic) -> AsyncIterator[str]:
    """The app on a real loopback socket inside this event loop; yields ws://host:port."""
    port = free_port()
    app.config.TOUCHUP = False  # the code rewrite runs once per process, not once per app
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.start_serving()
    await server.after_start()
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


def citizen_token(app: Sanic, user_id: str, family: str | None = None) -> str:
    return TokenService(app.ctx.settings).issue("user", "access", user_id, family or uuid.uuid4().hex)[0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def tell(app: Sanic, user_id: str, title: str, category: str = "accepted") -> int:
    """A state change's transaction writing a notification, then the wake-up after commit."""
    async with in_transaction() as conn:
        note = await notify(
            conn,
            app.ctx.push.config,
            NewNotification(user_id, category, title, f"{title}。", application_id="app-7"),
        )
    await wake(app.ctx.kv)
    assert note is not None
    return note.id


async def frame(ws, kind: str | None = None, timeout: float = 10) -> dict:
    """The next frame (of `kind`, skipping the greeting and heartbeats) the server sent."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if kind is None or message["type"] == kind:
            return message
        assert message["type"] in ("hello", "heartbeat"), message


async def test_inbox_read_marks_and_unread_count(push_app, client) -> None:
    user = await new_user()
    auth = bearer(citizen_token(push_app, user.id))
    ids = [await tell(push_app, user.id, f"第{n}件事已受理") for n in range(1, 4)]
    other = await new_user()
    foreign = await tell(push_app, other.id, "别人的通知")
    page = (await client.get("/api/v1/me/notifications?limit=2", headers=auth)).json()
    assert [n["id"] for n in page["notifications"]] == [ids[2], ids[1]]  # newest first
    assert page["unread_count"] == 3 and page["next_before"] == ids[1]
    rest = (await client.get(f"/api/v1/me/notifications?before={ids[1]}", headers=auth)).json()
    assert [n["id"] for n in rest["notifications"]] == [ids[0]] and rest["next_before"] is None
    read = await client.post("/api/v1/me/notifications/read", json={"ids": [ids[0], foreign]}, headers=auth)
    assert read.json() == {"updated": 1, "unread_count": 2}  # another citizen's id changes nothing
    unread = (await client.get("/api/v1/me/notifications?unread=true", headers=auth)).json()
    assert [n["id"] for n in unread["notifications"]] == [ids[2], ids[1]]
    assert (await client.post("/api/v1/me/notifications/read-all", headers=auth)).json()["updated"] == 2
    count = await client.get("/api/v1/me/notifications/unread-count", headers=auth)
    assert count.json() == {"unread_count": 0}
    bad = await client.post("/api/v1/me/notifications/read", json={"ids": "all"}, headers=auth)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"


async def test_preferences_and_critical_categories(push_app, client) -> None:
    user = await new_user()
    auth = bearer(citizen_token(push_app, user.id))
    off = {"preferences": [{"category": "approved", "channel": "wechat", "enabled": False}]}
    changed = await client.put("/api/v1/me/notification-preferences", json=off, headers=auth)
    rows = {row["category"]: row for row in changed.json()["preferences"]}
    assert rows["approved"]["channels"]["wechat"] is False and rows["approved"]["channels"]["websocket"]
    critical = {"preferences": [{"category": "needs_correction", "channel": "app_push", "enabled": False}]}
    refused = await client.put("/api/v1/me/notification-preferences", json=critical, headers=auth)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "critical_category"
    unknown = {"preferences": [{"category": "approved", "channel": "carrier_pigeon", "enabled": False}]}
    assert (
        await client.put("/api/v1/me/notification-preferences", json=unknown, headers=auth)
    ).status_code == 422


async def test_subscriptions_count_what_the_user_accepted(push_app, client) -> None:
    sms_user = await new_user()
    refused = await client.post(
        "/api/v1/me/subscriptions",
        json={"results": {TEMPLATE_ID: "accept"}},
        headers=bearer(citizen_token(push_app, sms_user.id)),
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "wechat_not_linked"
    user = await new_user(openid="o-" + uuid.uuid4().hex[:10])
    auth = bearer(citizen_token(push_app, user.id))
    for _ in range(2):
        answer = await client.post(
            "/api/v1/me/subscriptions", json={"results": {TEMPLATE_ID: "accept"}}, headers=auth
        )
        assert answer.status_code == 200, answer.text
    listed = {s["template_id"]: s for s in answer.json()["subscriptions"]}
    assert listed[TEMPLATE_ID]["credits"] == 2 and listed[TEMPLATE_ID]["kind"] == "one_time"
    unknown = await client.post(
        "/api/v1/me/subscriptions", json={"results": {"nope": "accept"}}, headers=auth
    )
    assert unknown.status_code == 422


async def test_devices_register_move_and_remove(push_app, client) -> None:
    alice, bob = await new_user(), await new_user()
    client_id = "cid" + uuid.uuid4().hex
    body = {"provider": "getui", "client_id": client_id, "platform": "android"}
    first = await client.post(
        "/api/v1/me/devices", json=body, headers=bearer(citizen_token(push_app, alice.id))
    )
    assert first.status_code == 201
    moved = await client.post(
        "/api/v1/me/devices", json=body, headers=bearer(citizen_token(push_app, bob.id))
    )
    assert moved.json()["device"]["id"] == first.json()["device"]["id"]  # the phone changed hands
    alice_devices = await client.get("/api/v1/me/devices", headers=bearer(citizen_token(push_app, alice.id)))
    assert alice_devices.json()["devices"] == []
    device_id = moved.json()["device"]["id"]
    bob_auth = bearer(citizen_token(push_app, bob.id))
    assert (await client.delete(f"/api/v1/me/devices/{device_id}", headers=bob_auth)).status_code == 204
    assert (await client.delete(f"/api/v1/me/devices/{device_id}", headers=bob_auth)).status_code == 404
    bad = await client.post("/api/v1/me/devices", json={**body, "platform": "symbian"}, headers=bob_auth)
    assert bad.status_code == 422


async def test_supervisor_sees_a_citizens_deliveries_and_retries_dead_letters(
    push_app, client, migrated
) -> None:
    user = await new_user(openid="o-unsub-" + uuid.uuid4().hex[:8])
    citizen = bearer(citizen_token(push_app, user.id))
    await client.post("/api/v1/me/subscriptions", json={"results": {TEMPLATE_ID: "accept"}}, headers=citizen)
    await tell(push_app, user.id, "结婚登记已受理")
    _, boss = await supervisor_token(client, migrated)
    auth = bearer(boss)
    for _ in range(200):
        view = (await client.get(f"/api/v1/users/{user.id}/deliveries", headers=auth)).json()
        if view["summary"].get("wechat") == {"failed": 1} and view["summary"].get("websocket") == {"sent": 1}:
            break
        await asyncio.sleep(0.05)
    assert view["summary"] == {"wechat": {"failed": 1}, "websocket": {"sent": 1}}
    failed = next(d for d in view["deliveries"] if d["channel"] == "wechat")
    assert failed["error_code"] == "not_subscribed" and failed["attempts"] == 1
    letters = (await client.get(f"/api/v1/push/dead-letters?user_id={user.id}", headers=auth)).json()
    assert [d["id"] for d in letters["dead_letters"]] == [failed["id"]]
    retried = await client.post("/api/v1/push/dead-letters/retry", json={"ids": [failed["id"]]}, headers=auth)
    assert retried.json() == {"queued": 1}
    assert (await client.get(f"/api/v1/users/{user.id}/deliveries", headers=citizen)).status_code == 403
    both = await client.post("/api/v1/push/dead-letters/retry", json={"ids": [1], "all": True}, headers=auth)
    assert both.status_code == 422


async def test_socket_live_resume_heartbeat_and_logout(push_app) -> None:
    async with listening(push_app) as base:
        refused = websockets.connect(f"{base}/api/v1/ws?token=not-a-token")
        with pytest.raises(websockets.InvalidStatus) as info:
            await refused.__aenter__()
        assert info.value.response.status_code == 401
        user = await new_user()
        family = uuid.uuid4().hex
        token = citizen_token(push_app, user.id, family)
        async with websockets.connect(f"{base}/api/v1/ws?token={token}") as ws:
            hello = await frame(ws, "hello")
            assert hello["last_seq"] == 0 and (await frame(ws, "synced"))["last_seq"] == 0
            first = await tell(push_app, user.id, "结婚登记已受理")
            live = await frame(ws, "notification")
            assert live["notification"]["id"] == first and live["notification"]["seq"] == 1
            assert live["notification"]["title"] == "结婚登记已受理" and live["notification"]["read"] is False
            await ws.send(json.dumps({"type": "ping"}))
            assert (await frame(ws, "pong"))["type"] == "pong"
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "heartbeat"
        # Offline: two more arrive; reconnecting with the last seq seen replays exactly those.
        missed = [await tell(push_app, user.id, f"事项{n}审核通过", "approved") for n in (2, 3)]
        async with websockets.connect(f"{base}/api/v1/ws?token={token}&since=1") as ws:
            assert (await frame(ws, "hello"))["last_seq"] == 3
            replayed = [(await frame(ws, "notification"))["notification"]["id"] for _ in missed]
            assert replayed == missed
            assert (await frame(ws, "synced"))["last_seq"] == 3
            await push_app.ctx.auth.sessions.revoke_family(family)  # logout elsewhere
            assert (await frame(ws, "token_expired"))["type"] == "token_expired"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd.code == 4001


async def test_socket_closes_when_its_token_runs_out_heartbeats_meanwhile(push_app) -> None:
    async with listening(push_app) as base:
        user = await new_user()
        ttl = push_app.ctx.settings.access_token_ttl_seconds
        issued_earlier = TokenService(push_app.ctx.settings, clock=lambda: time.time() - ttl + 2)
        token, claims = issued_earlier.issue("user", "access", user.id, uuid.uuid4().hex)
        async with websockets.connect(f"{base}/api/v1/ws?token={token}") as ws:
            assert (await frame(ws, "hello"))["expires_at"] == claims.expires_at
            await frame(ws, "synced")
            kinds = []
            while not kinds or kinds[-1] != "token_expired":
                kinds.append(json.loads(await asyncio.wait_for(ws.recv(), 10))["type"])
            assert time.time() >= claims.expires_at and "heartbeat" in kinds
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd.code == 4001
