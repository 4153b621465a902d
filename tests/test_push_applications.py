"""Application changes reach the citizen: the notification is written in the transaction of the change
(a repeated or illegal event writes none), worded with what the department said, and pushed live."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import websockets
from sanic import Sanic

from server.config import Settings
from server.db import apply_migrations
from server.models import Delivery, Notification, Task
from server.push import overdue
from tests.fakes.applications import Department, citizen
from tests.fakes.auth import sms, vendor_settings, wechat
from tests.fakes.operators import operator_login, say
from tests.fakes.push import getui, push_settings, wechat_push
from tests.test_applications import by_item, marriage_application
from tests.test_push_api import frame, listening

USES_FIXTURES = (getui, sms, wechat, wechat_push)


@pytest.fixture
async def served(settings: Settings, served_knowledge, wechat, sms, wechat_push, getui) -> AsyncIterator:
    """The app on a real socket (both backends), wired to every fake vendor; (app, http client, ws base)."""
    from server.app import create_app

    configured = settings.model_copy(
        update={
            **vendor_settings(wechat[0], sms[0]),
            **push_settings(wechat_push[0], getui[0]),
            "sms_ip_per_minute": 1000,
            "sms_ip_per_day": 10**5,
        }
    )
    await apply_migrations(configured)
    app = create_app(configured, name="n" + uuid.uuid4().hex[:12], knowledge=served_knowledge)
    try:
        async with listening(app) as ws_base:
            base = ws_base.replace("ws://", "http://")
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                yield app, client, ws_base
    finally:
        Sanic._app_registry.pop(app.name, None)


async def inbox(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict]:
    return (await client.get("/api/v1/me/notifications?limit=100", headers=headers)).json()["notifications"]


async def test_each_department_step_is_told_once_in_the_changes_transaction(served, settings, sms) -> None:
    _, client, ws_base = served
    application, headers = await marriage_application(client, sms)
    token = headers["Authorization"].split(" ", 1)[1]
    first = await inbox(client, headers)
    assert [n["category"] for n in first] == ["submitted"]
    assert application["receipt_no"] in first[0]["body"]

    civil = await Department.issue(client, settings, "civil_affairs")
    task_id = by_item(application)["marriage_registration"]["id"]
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    async with websockets.connect(f"{ws_base}/api/v1/ws?token={token}&since={first[0]['seq']}") as ws:
        await frame(ws, "synced")
        accepted = await civil.event(task_id, "accepted", event_id="e-accept", at=start)
        assert accepted.json()["applied"] is True
        live = (await frame(ws, "notification"))["notification"]
        assert live["category"] == "accepted" and live["application_id"] == application["id"]
        assert "结婚登记" in live["title"] and "民政" in live["body"]

    # The same event again, and an illegal one: 200 not applied / 409, and no notification either way.
    again = await civil.event(task_id, "accepted", event_id="e-accept", at=start)
    assert again.json()["applied"] is False
    backwards = await civil.event(task_id, "submitted", at=start + dt.timedelta(minutes=1))
    assert backwards.status_code == 409
    assert len(await inbox(client, headers)) == 2

    correction = {"materials": ["marriage_photo"], "deadline": "2026-12-31", "note": "照片需为近期合影"}
    await civil.event(task_id, "needs_correction", at=start + dt.timedelta(minutes=2), correction=correction)
    asked = (await inbox(client, headers))[0]
    assert asked["category"] == "needs_correction" and "2026-12-31" in asked["body"]
    assert "照片" in asked["data"]["missing"] and asked["data"]["missing_materials"] != ["marriage_photo"]

    rejected_reason = "当事人户籍信息与登记信息不一致"
    await civil.event(task_id, "in_review", at=start + dt.timedelta(minutes=3))
    await civil.event(task_id, "rejected", at=start + dt.timedelta(minutes=4), reason=rejected_reason)
    told = await inbox(client, headers)
    rejected = next(n for n in told if n["category"] == "rejected")
    assert rejected_reason in rejected["body"]
    # Tasks that waited on the registration are cancelled, each told with the reason.
    own = (await client.get(f"/api/v1/applications/{application['id']}", headers=headers)).json()
    cancelled = [e for e in own["application"]["timeline"] if e["kind"] == "task_cancelled"]
    assert cancelled and len([n for n in told if n["category"] == "cancelled"]) == len(cancelled)
    # Every notification has exactly its outbox rows (socket here: this citizen has no WeChat or phone).
    for note in told:
        assert await Delivery.filter(notification_id=note["id"]).count() == 1
    assert await Notification.filter(application_id=application["id"]).count() == len(told)


async def test_a_result_says_how_to_collect_it(served, settings, sms) -> None:
    _, client, _ = served
    application, headers = await marriage_application(client, sms)
    civil = await Department.issue(client, settings, "civil_affairs")
    task_id = by_item(application)["marriage_registration"]["id"]
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    for minutes, status, extra in [
        (1, "accepted", {}),
        (2, "approved", {}),
        (3, "result_issued", {"result": {"method": "window", "pickup_place": "西城区婚姻登记处"}}),
    ]:
        response = await civil.event(task_id, status, at=start + dt.timedelta(minutes=minutes), **extra)
        assert response.json()["applied"], response.text
    issued = (await inbox(client, headers))[0]
    assert issued["category"] == "result_issued" and "请到西城区婚姻登记处领取" in issued["body"]
    assert issued["data"]["result"]["method"] == "window"

    # The dispatcher in the server sends it once woken after the commit.
    async def sent() -> bool:
        return await Delivery.filter(notification_id=issued["id"], status="sent").exists()

    for _ in range(200):
        if await sent():
            break
        await asyncio.sleep(0.05)
    assert await sent()


async def test_an_operators_chat_reply_reaches_the_citizens_socket(served, settings, sms) -> None:
    _, client, ws_base = served
    headers = await citizen(client, sms)
    token = headers["Authorization"].split(" ", 1)[1]
    cid = (await say(client, "退休要办什么", headers=headers))["conversation_id"]
    await say(client, "转人工", cid, headers=headers)
    op = await operator_login(client, settings)
    waiting = next(h for h in (await client.get("/api/v1/handoffs", headers=op)).json()["waiting"])
    assert (await client.post(f"/api/v1/handoffs/{waiting['id']}/claim", headers=op)).status_code == 200
    async with websockets.connect(f"{ws_base}/api/v1/ws?token={token}") as ws:
        await frame(ws, "synced")
        text = "您好,我来帮您查,身份证号110101199003071234先不用发"
        sent = await client.post(
            f"/api/v1/handoffs/{waiting['id']}/messages", json={"text": text}, headers=op
        )
        assert sent.status_code == 201
        while True:
            live = (await frame(ws, "notification"))["notification"]
            if live["data"].get("text", "").startswith("您好"):
                break
    assert live["category"] == "message" and live["data"]["conversation_id"] == cid
    assert "110101********1234" in live["body"] and "1990030712" not in str(live)


async def test_an_overdue_task_is_told_once_per_due_day(served, settings, sms) -> None:
    app, client, _ = served
    application, headers = await marriage_application(client, sms)
    civil = await Department.issue(client, settings, "civil_affairs")
    task_id = by_item(application)["marriage_registration"]["id"]
    await civil.event(task_id, "accepted", at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    await Task.filter(id=task_id).update(due_on=dt.date.today() - dt.timedelta(days=3))
    observer = app.ctx.applications.on_change
    told = await asyncio.gather(*(overdue.sweep(observer, dt.date.today()) for _ in range(3)))
    assert sum(told) == 1  # three workers sweeping at once tell it once
    assert await overdue.sweep(observer, dt.date.today()) == 0
    late = (await inbox(client, headers))[0]
    assert late["category"] == "overdue" and "结婚登记" in late["title"]
    assert "已超过承诺办理时限" in late["body"] and "民政" in late["body"]
