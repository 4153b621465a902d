"""The accounts routes answer what mobile_api_spec/openapi.yaml documents (status and body schema)."""

from __future__ import annotations

import uuid

from server.auth.operators import Operators
from server.kv import MemoryKV
from tests.fakes.auth import bearer, client, make_client, new_phone, sms, wechat
from tests.spec import assert_matches_spec

USES_FIXTURES = (client, make_client, sms, wechat)
PASSWORD = "correct horse battery staple"


async def test_citizen_and_operator_responses_match_the_spec(client, sms, settings) -> None:
    async def call(method: str, path: str, template: str | None = None, **kwargs) -> dict | None:
        response = await client.request(method, path, **kwargs)
        body = response.json() if response.content else None
        assert_matches_spec(response.status_code, body, method, template or path)
        return body

    phone = new_phone()
    await call("POST", "/api/v1/auth/sms-codes", json={"phone": phone})
    await call("POST", "/api/v1/auth/sms-codes", json={"phone": phone})  # 429
    await call("POST", "/api/v1/auth/sms-login", json={"phone": phone, "code": "000000"})  # 400
    pair = await call(
        "POST", "/api/v1/auth/sms-login", json={"phone": phone, "code": sms[1].last_code_for(phone)}
    )
    auth = bearer(pair["access_token"])
    await call("GET", "/api/v1/me", headers=auth)
    await call("PUT", "/api/v1/me", json={"name": "王五", "id_number": "11010519491231002X"}, headers=auth)
    await call("PUT", "/api/v1/me", json={"id_number": "110105194912310021"}, headers=auth)  # 422
    await call("POST", "/api/v1/me/conversations/claim", json={"conversation_ids": ["a" * 32]}, headers=auth)
    await call("POST", "/api/v1/auth/wechat", json={"code": "ok:o-spec"})
    await call("POST", "/api/v1/auth/wechat", json={"code": "busy"})  # 503
    pair = await call("POST", "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    await call("POST", "/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    await call("GET", "/api/v1/me", headers=bearer(pair["access_token"]))  # 401

    username = "spec-" + uuid.uuid4().hex[:8]
    await Operators(MemoryKV(), settings).create(username, PASSWORD, "supervisor")
    boss = await call("POST", "/api/v1/operators/login", json={"username": username, "password": PASSWORD})
    auth = bearer(boss["access_token"])
    created = await call(
        "POST", "/api/v1/operators", json={"username": username + "-op", "password": PASSWORD}, headers=auth
    )
    await call("GET", "/api/v1/operators", headers=auth)
    await call("GET", "/api/v1/operators/me", headers=auth)
    path = f"/api/v1/operators/{created['id']}"
    await call("PATCH", path, "/api/v1/operators/{operator_id}", json={"role": "supervisor"}, headers=auth)
    await call("GET", "/api/v1/audit-log", headers=auth)
    await call("POST", "/api/v1/operators/refresh", json={"refresh_token": boss["refresh_token"]})
    await call("GET", "/api/v1/departments/me", headers=auth)  # 403: an operator is no department
