"""Bad input found by attacking the running server answers a clear 4xx (both backends), never a 500:
ids longer than their column, malformed signature headers, text the database cannot store, blank
query values; and a body shorter than its Content-Length gets a prompt 408 over a real socket."""

from __future__ import annotations

import json
import socket
import time
import uuid

import pytest

from server.auth.operators import Operators
from server.kv import MemoryKV
from tests.fakes.auth import bearer, client, make_client, new_phone, sms, sms_login, wechat
from tests.spec import assert_matches_spec

USES_FIXTURES = (client, make_client, sms, wechat)
LONG = "a" * 33


def assert_error(response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["message"]
    if code is not None:
        assert response.json()["error"]["code"] == code, response.text


async def supervisor(client, settings) -> str:
    username = "boss-" + uuid.uuid4().hex[:8]
    await Operators(MemoryKV(), settings).create(username, "correct horse battery staple", "supervisor")
    login = await client.post(
        "/api/v1/operators/login", json={"username": username, "password": "correct horse battery staple"}
    )
    return login.json()["access_token"]


@pytest.mark.parametrize("conversation_id", [LONG, "x" * 5000, "g" * 32, "%00" * 3])
async def test_a_conversation_id_no_one_was_given_is_a_404(client, conversation_id: str) -> None:
    response = await client.get(f"/api/v1/guide/conversations/{conversation_id}")
    assert_error(response, 404, "conversation_not_found")
    message = await client.post(
        "/api/v1/guide/messages", json={"conversation_id": conversation_id[:64], "text": "结婚"}
    )
    assert_error(message, 404, "conversation_not_found")


async def test_claiming_ids_of_any_length_is_a_4xx(client, sms) -> None:
    tokens = await sms_login(client, sms[1], new_phone())
    response = await client.post(
        "/api/v1/me/conversations/claim",
        json={"conversation_ids": [LONG]},
        headers=bearer(tokens["access_token"]),
    )
    assert_error(response, 422, "validation_error")
    assert_matches_spec(422, response.json(), "POST", "/api/v1/me/conversations/claim")


async def test_operator_ids_and_audit_filters_of_any_length_are_a_4xx(client, settings) -> None:
    boss = await supervisor(client, settings)
    patched = await client.patch(f"/api/v1/operators/{LONG}", json={"active": False}, headers=bearer(boss))
    assert_error(patched, 404, "operator_not_found")
    for name in ("actor_id", "conversation_id", "application_id"):
        response = await client.get("/api/v1/audit-log", params={name: "x" * 65}, headers=bearer(boss))
        assert_error(response, 422, "validation_error")
        assert_matches_spec(422, response.json(), "GET", "/api/v1/audit-log")
        fine = await client.get("/api/v1/audit-log", params={name: "x" * 32}, headers=bearer(boss))
        assert fine.status_code == 200 and fine.json()["entries"] == []


@pytest.mark.parametrize("timestamp", ["9" * 5000, "²", "١٢٣", " 1", "-1"])
async def test_a_malformed_x_timestamp_is_a_401(client, timestamp: str) -> None:
    headers = {
        "X-Api-Key": "dk_x",
        "X-Timestamp": timestamp.encode(),  # UTF-8 on the wire, as an attacker sends it
        "X-Nonce": "n" * 16,
        "X-Signature": "00",
    }
    response = await client.get("/api/v1/departments/me", headers=headers)
    assert_error(response, 401, "invalid_signature")


@pytest.mark.parametrize("text", ["\ud800", "领证\udfff", "a\x00b"])
async def test_text_the_database_cannot_store_is_refused_with_a_400(client, text: str) -> None:
    def escaped(body: dict) -> bytes:  # \u escapes, as a client sends what UTF-8 cannot carry
        return json.dumps(body).encode()

    json_type = {"Content-Type": "application/json"}
    response = await client.post("/api/v1/guide/messages", content=escaped({"text": text}), headers=json_type)
    assert_error(response, 400, "unsupported_character")
    assert_matches_spec(400, response.json(), "POST", "/api/v1/guide/messages")
    checklist = await client.post(
        "/api/v1/bundles/marriage/checklist", content=escaped({"answers": {text: "x"}}), headers=json_type
    )
    assert_error(checklist, 400, "unsupported_character")
    after = await client.post("/api/v1/guide/messages", json={"text": "我们想领结婚证"})
    saved = await client.get(f"/api/v1/guide/conversations/{after.json()['conversation_id']}")
    assert saved.status_code == 200 and saved.json()["turn_count"] == 1


@pytest.mark.parametrize(
    "path", ["/api/v1/bundles?date=", "/api/v1/bundles/marriage?date=", "/api/v1/bundles?kind="]
)
async def test_a_blank_query_value_is_a_422(client, path: str) -> None:
    response = await client.get(path)
    assert_error(response, 422, "validation_error")
    assert_matches_spec(422, response.json(), "GET", path.split("?")[0].replace("marriage", "{slug}"))


def test_a_body_shorter_than_its_content_length_gets_a_prompt_408(live_server) -> None:
    server = live_server(REQUEST_TIMEOUT_SECONDS="1")
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
        conn.sendall(
            b"POST /api/v1/guide/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"text":'
        )
        started = time.monotonic()
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 20


async def test_a_date_the_retirement_rules_do_not_cover_is_a_422(client) -> None:
    query = {"sex": "male", "birth": "1970-01", "date": "1970-01-01"}
    response = await client.get("/api/v1/retirement-date", params=query)
    assert_error(response, 422, "rules_not_in_force")
    assert_matches_spec(422, response.json(), "GET", "/api/v1/retirement-date")


async def test_an_offset_past_any_page_is_a_422(client, settings) -> None:
    """A 27-digit offset overflowed the database's integer: 500 (found by schemathesis)."""
    boss = await supervisor(client, settings)
    for path in ("/api/v1/labels", "/api/v1/cases", "/api/v1/conversations"):
        response = await client.get(path, params={"offset": 10**26}, headers=bearer(boss))
        assert_error(response, 422, "validation_error")
        assert_matches_spec(422, response.json(), "GET", path)


async def test_notification_ids_past_64_bits_are_a_422(client, sms) -> None:
    """A 20-digit id overflowed the database's integer: 500 (found by schemathesis)."""
    tokens = await sms_login(client, sms[1], new_phone())
    body = {"ids": [-(2**70), 2**64]}
    response = await client.post(
        "/api/v1/me/notifications/read", json=body, headers=bearer(tokens["access_token"])
    )
    assert_error(response, 422, "validation_error")
    assert_matches_spec(422, response.json(), "POST", "/api/v1/me/notifications/read")
