"""Operators and department systems over the running app (both backends): password login with
brute-force limits, supervisors' management and audit log, roles, and HMAC-signed department requests."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import time
import uuid

from server.auth.crypto import DataProtector
from server.auth.departments import DepartmentKeys
from server.auth.operators import Operators
from server.kv import MemoryKV
from tests.fakes.auth import bearer, captured_logs, client, make_client, new_phone, sms, sms_login, wechat

USES_FIXTURES = (client, make_client, sms, wechat)
PASSWORD = "correct horse battery staple"


async def supervisor_token(client, settings) -> tuple[str, str]:
    """Create a supervisor the way the CLI does, log in over HTTP; (username, access token)."""
    username = "boss-" + uuid.uuid4().hex[:8]
    await Operators(MemoryKV(), settings).create(username, PASSWORD, "supervisor")
    response = await client.post("/api/v1/operators/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return username, response.json()["access_token"]


async def test_supervisor_manages_operators_and_reads_the_audit_log(client, settings) -> None:
    _, boss = await supervisor_token(client, settings)
    name = "op-" + uuid.uuid4().hex[:8]
    weak = await client.post(
        "/api/v1/operators", json={"username": name, "password": "short"}, headers=bearer(boss)
    )
    assert weak.status_code == 422 and weak.json()["error"]["code"] == "weak_password"
    with captured_logs() as logs:
        created = await client.post(
            "/api/v1/operators", json={"username": name, "password": PASSWORD}, headers=bearer(boss)
        )
    assert created.status_code == 201 and created.json()["role"] == "operator"
    assert PASSWORD not in created.text and PASSWORD not in logs.getvalue()
    login = await client.post("/api/v1/operators/login", json={"username": name, "password": PASSWORD})
    operator = login.json()["access_token"]
    assert (await client.get("/api/v1/operators/me", headers=bearer(operator))).json()["username"] == name
    # An operator is not a supervisor.
    assert (await client.get("/api/v1/operators", headers=bearer(operator))).status_code == 403
    assert (await client.get("/api/v1/audit-log", headers=bearer(operator))).status_code == 403
    # Deactivation ends the operator's sessions at once.
    op_id = created.json()["id"]
    patched = await client.patch(f"/api/v1/operators/{op_id}", json={"active": False}, headers=bearer(boss))
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert (await client.get("/api/v1/operators/me", headers=bearer(operator))).status_code == 401
    refresh = await client.post(
        "/api/v1/operators/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    assert refresh.status_code == 401
    again = await client.post("/api/v1/operators/login", json={"username": name, "password": PASSWORD})
    assert again.status_code == 401
    audit = await client.get("/api/v1/audit-log", params={"limit": 200}, headers=bearer(boss))
    actions = [(e["action"], e["detail"].get("status")) for e in audit.json()["entries"]]
    assert ("operators.create_operator", 201) in actions
    assert ("operators.create_operator", 422) in actions  # refused actions are logged too
    assert ("operators.update_operator", 200) in actions
    assert ("operators.me", 200) in actions and ("operators.login", None) in actions


async def test_audit_log_pages_by_time_in_any_zone(client, settings) -> None:
    """`before` means the same instant whether written in UTC or +08:00 (SQLite compares stored text)."""
    _, boss = await supervisor_token(client, settings)
    for _ in range(3):
        await client.get("/api/v1/operators", headers=bearer(boss))
    newest = (await client.get("/api/v1/audit-log", params={"limit": 1}, headers=bearer(boss))).json()
    instant = dt.datetime.fromisoformat(newest["entries"][0]["created_at"])
    pages = []
    for offset in (0, 8, -5):
        before = instant.astimezone(dt.timezone(dt.timedelta(hours=offset))).isoformat()
        page = await client.get(
            "/api/v1/audit-log", params={"limit": 200, "before": before}, headers=bearer(boss)
        )
        assert page.status_code == 200, page.text
        pages.append([entry["id"] for entry in page.json()["entries"]])
    assert pages[0] and pages[0] == pages[1] == pages[2]  # every view is logged too, but after `instant`
    assert newest["entries"][0]["id"] not in pages[0]


async def test_operator_refresh_rotates(client, settings) -> None:
    username = "rot-" + uuid.uuid4().hex[:8]
    await Operators(MemoryKV(), settings).create(username, PASSWORD, "operator")
    pair = (
        await client.post("/api/v1/operators/login", json={"username": username, "password": PASSWORD})
    ).json()
    new = await client.post("/api/v1/operators/refresh", json={"refresh_token": pair["refresh_token"]})
    assert new.status_code == 200
    assert (
        await client.get("/api/v1/operators/me", headers=bearer(new.json()["access_token"]))
    ).status_code == 200
    reused = await client.post("/api/v1/operators/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reused.status_code == 401


async def test_guessing_a_password_is_stopped(client, settings) -> None:
    username, _ = await supervisor_token(client, settings)

    async def attempt(user: str, password: str, ip: str) -> int:
        body = {"username": user, "password": password}
        response = await client.post("/api/v1/operators/login", json=body, headers={"X-Forwarded-For": ip})
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) > 0
        return response.status_code

    ip = f"10.77.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    assert [await attempt(username, f"guess-{n}", ip) for n in range(6)] == [401] * 5 + [429]
    assert await attempt(username, PASSWORD, "10.1.1.1") == 429  # the account waits, from anywhere
    # Parallel guesses are counted atomically: exactly the allowed number get a verdict.
    target, _ = await supervisor_token(client, settings)
    parallel = await asyncio.gather(*(attempt(target, f"p-{n}", f"10.66.0.{n}") for n in range(20)))
    assert sorted(parallel) == [401] * 5 + [429] * 15
    # One address trying many accounts is stopped too; an unknown name answers like a wrong password.
    names = [f"nobody-{uuid.uuid4().hex[:6]}" for _ in range(16)]
    assert [await attempt(name, PASSWORD, ip) for name in names] == [401] * 15 + [429]


async def test_citizen_tokens_do_not_open_operator_routes(client, sms, settings) -> None:
    citizen = await sms_login(client, sms[1], new_phone())
    for method, path in (
        ("GET", "/api/v1/operators/me"),
        ("GET", "/api/v1/operators"),
        ("GET", "/api/v1/audit-log"),
    ):
        response = await client.request(method, path, headers=bearer(citizen["access_token"]))
        assert response.status_code == 403, path
    _, boss = await supervisor_token(client, settings)
    assert (await client.get("/api/v1/me", headers=bearer(boss))).status_code == 403
    # An operator's refresh token is no citizen's refresh token.
    username = "x-" + uuid.uuid4().hex[:8]
    await Operators(MemoryKV(), settings).create(username, PASSWORD, "operator")
    pair = (
        await client.post("/api/v1/operators/login", json={"username": username, "password": PASSWORD})
    ).json()
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    ).status_code == 401


def signed(key_id: str, secret: str, method: str, target: str, body: bytes = b"", **changes: str) -> dict:
    """Headers for a department request, computed from the documented scheme (not the server's code)."""
    timestamp, nonce = changes.get("timestamp", str(int(time.time()))), changes.get("nonce", uuid.uuid4().hex)
    message = f"{method}\n{target}\n{timestamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}"
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return {"X-Api-Key": key_id, "X-Timestamp": timestamp, "X-Nonce": nonce, "X-Signature": signature}


async def test_department_signatures(client, settings) -> None:
    keys = DepartmentKeys(MemoryKV(), DataProtector(settings.data_encryption_key), 300)
    key_id, secret = await keys.issue("civil-affairs")
    other_id, other_secret = await keys.issue("public-security")
    good = signed(key_id, secret, "GET", "/api/v1/departments/me")
    response = await client.get("/api/v1/departments/me", headers=good)
    assert response.status_code == 200
    assert response.json() == {"department": "civil-affairs", "key_id": key_id}
    other = await client.get(
        "/api/v1/departments/me", headers=signed(other_id, other_secret, "GET", "/api/v1/departments/me")
    )
    assert other.json()["department"] == "public-security"  # each key speaks for its own department only
    bad_cases = {
        "replayed": good,
        "stale": signed(
            key_id, secret, "GET", "/api/v1/departments/me", timestamp=str(int(time.time()) - 3600)
        ),
        "future": signed(
            key_id, secret, "GET", "/api/v1/departments/me", timestamp=str(int(time.time()) + 3600)
        ),
        "wrong_secret": signed(key_id, "not-the-secret", "GET", "/api/v1/departments/me"),
        "other_keys_secret": signed(key_id, other_secret, "GET", "/api/v1/departments/me"),
        "wrong_path": signed(key_id, secret, "GET", "/api/v1/departments/other"),
        "wrong_method": signed(key_id, secret, "POST", "/api/v1/departments/me"),
        "unknown_key": signed("dk_000000000000000000000000", secret, "GET", "/api/v1/departments/me"),
        "short_nonce": signed(key_id, secret, "GET", "/api/v1/departments/me", nonce="abc"),
        "missing_signature": {
            k: v
            for k, v in signed(key_id, secret, "GET", "/api/v1/departments/me").items()
            if k != "X-Signature"
        },
    }
    for case, headers in bad_cases.items():
        response = await client.get("/api/v1/departments/me", headers=headers)
        assert response.status_code == 401, case
        assert response.json()["error"]["code"] == "invalid_signature", case
    query = signed(key_id, secret, "GET", "/api/v1/departments/me?page=1")
    assert (await client.get("/api/v1/departments/me?page=1", headers=query)).status_code == 200
    assert (
        await client.get(
            "/api/v1/departments/me?page=2",
            headers=signed(key_id, secret, "GET", "/api/v1/departments/me?page=1"),
        )
    ).status_code == 401
    # Nobody else gets in: guests 401, citizens 403.
    assert (await client.get("/api/v1/departments/me")).status_code == 401


async def test_department_key_is_encrypted_at_rest(client, settings) -> None:
    from server.models import DepartmentKey

    key_id, secret = await DepartmentKeys(MemoryKV(), DataProtector(settings.data_encryption_key), 300).issue(
        "tax"
    )
    row = await DepartmentKey.get(key_id=key_id)
    assert secret not in row.secret_encrypted and row.secret_encrypted.startswith("v1:")
