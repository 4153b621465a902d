"""转人工 over the running app (both backends): request, queue, claim, chat with the guide silent,
hand back; and the queue's rules on the domain with a controlled clock: apologies, round robin, cap."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest

from server.auth.operators import Operators
from server.config import Settings
from server.db import close_db, init_db
from server.kv import MemoryKV
from server.models import Handoff, Turn
from server.operators import assignment
from server.operators.errors import OperatorsError
from server.operators.takeover import Takeover, TakeoverPolicy
from server.operators.texts import load_operators_knowledge
from tests.conftest import real_url
from tests.fakes.auth import client, make_client, sms, wechat
from tests.fakes.operators import PASSWORD, operator_login, say
from tests.spec import assert_matches_spec

USES_FIXTURES = (client, make_client, sms, wechat)
TEXTS = load_operators_knowledge(__import__("server.config").config.REPO_ROOT / "knowledge")


async def test_citizen_asks_operator_claims_chats_and_hands_back(client, settings) -> None:
    op = await operator_login(client, settings)
    other = await operator_login(client, settings)
    started = await say(client, "我要退休了,要办什么")
    cid = started["conversation_id"]
    asked = await say(client, "转人工", cid)
    assert asked["reply"]["type"] == "handoff"
    assert asked["reply"]["handoff"]["status"] == "waiting" and asked["reply"]["handoff"]["ahead"] == 0

    queue = (await client.get("/api/v1/handoffs", headers=op)).json()
    assert_matches_spec(200, queue, "GET", "/api/v1/handoffs")
    assert_matches_spec(200, asked, "POST", "/api/v1/guide/messages")
    waiting = next(h for h in queue["waiting"] if h["conversation_id"] == cid)
    assert waiting["waited_seconds"] >= 0 and waiting["position"] >= 1
    handed = await client.get("/api/v1/conversations", params={"handed_over": "true"}, headers=op)
    assert cid in [c["id"] for c in handed.json()["conversations"]]

    # While waiting the guide still answers, and says where the request stands.
    meanwhile = await say(client, "退休要带什么材料", cid)
    assert meanwhile["reply"]["type"] != "operator" and meanwhile["reply"]["handoff"]["status"] == "waiting"

    claimed = await client.post(f"/api/v1/handoffs/{waiting['id']}/claim", headers=op)
    assert claimed.status_code == 200 and claimed.json()["handoff"]["status"] == "active"
    late = await client.post(f"/api/v1/handoffs/{waiting['id']}/claim", headers=other)
    assert late.status_code == 409 and late.json()["error"]["code"] == "already_claimed"
    intruder = await client.post(
        f"/api/v1/handoffs/{waiting['id']}/messages", json={"text": "hi"}, headers=other
    )
    assert intruder.status_code == 409 and intruder.json()["error"]["code"] == "held_by_other"

    turns_before = await Turn.filter(conversation_id=cid).count()
    held = await say(client, "我身份证号110101199003071234,能帮我查下吗", cid)
    assert held["reply"]["type"] == "operator"  # the guide stays silent
    assert [m["sender"] for m in held["reply"]["operator_messages"]] == ["system"]  # 已接入
    assert await Turn.filter(conversation_id=cid).count() == turns_before

    sent = await client.post(
        f"/api/v1/handoffs/{waiting['id']}/messages", json={"text": "您好,我来帮您查"}, headers=op
    )
    assert sent.status_code == 201
    chat_body = (await client.get(f"/api/v1/handoffs/{waiting['id']}/messages", headers=op)).json()
    assert_matches_spec(200, chat_body, "GET", "/api/v1/handoffs/{handoff_id}/messages")
    assert_matches_spec(200, held, "POST", "/api/v1/guide/messages")
    chat = chat_body["messages"]
    assert [m["sender"] for m in chat] == ["system", "citizen", "operator"]
    assert "110101********1234" in chat[1]["text"] and "1990030712" not in str(chat)
    after = chat[0]["id"]
    newer = (
        await client.get(f"/api/v1/handoffs/{waiting['id']}/messages", params={"after": after}, headers=op)
    ).json()
    assert [m["sender"] for m in newer["messages"]] == ["citizen", "operator"]

    polled = (await client.get(f"/api/v1/guide/conversations/{cid}/handoff")).json()
    assert_matches_spec(200, polled, "GET", "/api/v1/guide/conversations/{conversation_id}/handoff")
    assert [m["text"] for m in polled["operator_messages"]][-1] == "您好,我来帮您查"
    next_reply = await say(client, "好的谢谢", cid)
    assert [m["text"] for m in next_reply["reply"]["operator_messages"]] == ["您好,我来帮您查"]
    again = await say(client, "还在吗", cid)
    assert again["reply"]["operator_messages"] == []  # each message is handed over once

    released = await client.post(f"/api/v1/handoffs/{waiting['id']}/release", headers=op)
    assert released.status_code == 200 and released.json()["handoff"]["status"] == "returned"
    back = await say(client, "退休要带什么材料", cid)
    assert back["reply"]["type"] not in ("operator", "handoff")
    assert (await client.post(f"/api/v1/handoffs/{waiting['id']}/close", headers=op)).status_code == 409

    canned = (await client.get("/api/v1/canned-replies", headers=op)).json()["canned_replies"]
    assert canned and {"id", "title", "text"} <= set(canned[0])


async def test_handoff_button_cap_and_repeated_fallbacks(make_client, settings) -> None:
    client = await make_client(handoff_operator_cap=1)
    op = await operator_login(client, settings)
    first = await say(client, "天上的星星为什么会眨眼")
    assert not first["reply"].get("operator", {}).get("offered")
    second = await say(client, "月亮为什么是圆的", first["conversation_id"])
    assert second["reply"]["operator"]["offered"] is True  # offered after two misses in a row
    accepted = await say(client, "好的,转人工吧", first["conversation_id"])
    assert accepted["reply"]["type"] == "handoff"
    assert (await Handoff.get(id=accepted["reply"]["handoff"]["id"])).reason == "fallbacks"

    ids = []
    for _ in range(2):
        started = await say(client, "我要退休了")
        pressed = await client.post(f"/api/v1/guide/conversations/{started['conversation_id']}/handoff")
        assert pressed.status_code == 200 and pressed.json()["reply"]["handoff"]["status"] == "waiting"
        ids.append(pressed.json()["reply"]["handoff"]["id"])
    twice = await client.post(f"/api/v1/guide/conversations/{started['conversation_id']}/handoff")
    assert twice.json()["reply"]["handoff"]["id"] == ids[-1]  # one request per conversation
    assert (await client.post("/api/v1/guide/conversations/nope/handoff")).status_code == 404
    assert (await client.post(f"/api/v1/handoffs/{ids[0]}/claim", headers=op)).status_code == 200
    capped = await client.post(f"/api/v1/handoffs/{ids[1]}/claim", headers=op)
    assert capped.status_code == 409 and capped.json()["error"]["code"] == "operator_at_cap"
    closed = await client.post(f"/api/v1/handoffs/{ids[0]}/close", headers=op)
    assert closed.json()["handoff"]["status"] == "closed"
    assert (await client.post(f"/api/v1/handoffs/{ids[1]}/claim", headers=op)).status_code == 200


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
async def database(migrated):
    await init_db(migrated)
    yield migrated
    await close_db()


async def test_long_wait_gets_one_polite_message_and_stays_queued(database) -> None:
    clock, pushed = Clock(), []

    async def deliver(user_id: str | None, conversation_id: str, message: dict[str, Any]) -> None:
        pushed.append((user_id, conversation_id, message["text"]))

    desk = Takeover(MemoryKV(), TakeoverPolicy(polite_after_seconds=120), TEXTS, deliver, clock)
    await desk.request("c1", "u1")
    clock.advance(119)
    await desk.sweep()
    assert pushed == []
    clock.advance(2)
    await desk.sweep()
    await desk.sweep()
    assert pushed == [("u1", "c1", TEXTS.handoff.texts.still_waiting)]
    assert (await Handoff.get(conversation_id="c1")).status == "waiting"


async def test_round_robin_spreads_requests_within_the_cap(database) -> None:
    clock = Clock()
    desk = Takeover(MemoryKV(), TakeoverPolicy(assignment="round_robin", operator_cap=2), TEXTS, None, clock)
    await assignment.touch("alice", clock())
    clock.advance(1)
    await assignment.touch("bob", clock())
    for n in range(5):
        clock.advance(1)
        await desk.request(f"c{n}", None)
    rows = await Handoff.all().order_by("requested_at")
    assert [h.operator_id for h in rows] == ["alice", "bob", "alice", "bob", None]
    assert rows[4].status == "waiting"
    await desk.end(rows[0].id, "alice", "closed")
    await desk.sweep()
    assert (await Handoff.get(id=rows[4].id)).operator_id == "alice"
    # Someone who closed the console long ago gets nothing.
    clock.advance(3600)
    await desk.request("late", None)
    assert (await Handoff.get(conversation_id="late")).status == "waiting"
    with pytest.raises(OperatorsError):
        await desk.claim("no-such-id", "alice")


def test_takeover_holds_on_every_worker_through_redis(live_server, tmp_path) -> None:
    """Two workers share the takeover marker through Redis: whichever worker gets the citizen's
    message, the guide stays silent and the message reaches the operator."""
    database = f"sqlite://{tmp_path / 'workers.sqlite3'}"
    server = live_server(WORKERS="2", REDIS_URL=real_url("TEST_REDIS_URL"), DATABASE_URL=database)
    settings = Settings(database_url=database)

    async def make_operator() -> None:
        await init_db(settings)
        try:
            await Operators(MemoryKV(), settings).create("duo-op", PASSWORD, "operator")
        finally:
            await close_db()

    asyncio.run(make_operator())
    with httpx.Client(base_url=server.base_url, timeout=10) as api:
        login = api.post("/api/v1/operators/login", json={"username": "duo-op", "password": PASSWORD})
        op = {"Authorization": f"Bearer {login.json()['access_token']}"}
        cid = api.post("/api/v1/guide/messages", json={"text": "转人工"}).json()["conversation_id"]
        waiting = api.get("/api/v1/handoffs", headers=op).json()["waiting"]
        assert api.post(f"/api/v1/handoffs/{waiting[0]['id']}/claim", headers=op).status_code == 200
        for n in range(8):  # new connections are spread over the workers
            with httpx.Client(base_url=server.base_url, timeout=10) as fresh:
                reply = fresh.post(
                    "/api/v1/guide/messages", json={"text": f"第{n}条", "conversation_id": cid}
                )
                assert reply.json()["reply"]["type"] == "operator"
        chat = api.get(f"/api/v1/handoffs/{waiting[0]['id']}/messages", headers=op).json()["messages"]
        assert [m["text"] for m in chat if m["sender"] == "citizen"] == [f"第{n}条" for n in range(8)]
