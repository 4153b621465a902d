"""The guide is limited per client address (both backends): messages and new conversations a minute,
answered 429 with Retry-After; another address is not affected."""

from __future__ import annotations

import uuid

from tests.fakes.auth import client, make_client, sms, wechat
from tests.spec import assert_matches_spec

USES_FIXTURES = (client, make_client, sms, wechat)
MESSAGES = "/api/v1/guide/messages"


def address() -> dict[str, str]:
    """A client address of its own (the test app trusts one proxy), so runs never share counters."""
    return {
        "X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    }


def assert_limited(response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert_matches_spec(429, response.json(), "POST", MESSAGES)


async def test_new_conversations_per_address_are_limited(make_client) -> None:
    api = await make_client(guide_ip_conversations_per_minute=3, guide_ip_messages_per_minute=100)
    mine, other = address(), address()
    started = [await api.post(MESSAGES, json={"text": "我想领结婚证"}, headers=mine) for _ in range(3)]
    assert [r.status_code for r in started] == [200, 200, 200]
    assert_limited(await api.post(MESSAGES, json={"text": "我想领结婚证"}, headers=mine))
    # Continuing a conversation is still fine, and so is another address.
    conversation_id = started[0].json()["conversation_id"]
    going_on = await api.post(
        MESSAGES, json={"conversation_id": conversation_id, "text": "要钱吗"}, headers=mine
    )
    assert going_on.status_code == 200
    assert (await api.post(MESSAGES, json={"text": "我想领结婚证"}, headers=other)).status_code == 200


async def test_messages_per_address_are_limited(make_client) -> None:
    api = await make_client(guide_ip_messages_per_minute=4)
    mine = address()
    first = await api.post(MESSAGES, json={"text": "我想领结婚证"}, headers=mine)
    conversation_id = first.json()["conversation_id"]
    for _ in range(3):
        body = {"conversation_id": conversation_id, "text": "要钱吗"}
        assert (await api.post(MESSAGES, json=body, headers=mine)).status_code == 200
    assert_limited(
        await api.post(MESSAGES, json={"conversation_id": conversation_id, "text": "要钱吗"}, headers=mine)
    )
    transcript = await api.get(f"/api/v1/guide/conversations/{conversation_id}")
    assert transcript.json()["turn_count"] == 4  # the refused message wrote nothing
