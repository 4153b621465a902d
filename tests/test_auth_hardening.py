"""Issue 7's attacks on accounts, replayed against the running app (both backends): forged operator
tokens, limits raced by concurrency, the audit trail of refusals, account rules, argon2 off the loop."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import jwt
import pytest
from argon2 import PasswordHasher

from server.auth.operators import Operators
from server.auth.tokens import TokenService
from server.kv import MemoryKV
from tests.fakes.auth import bearer, client, make_client, new_id_number, new_phone, sms, sms_login, wechat
from tests.test_auth_operators import PASSWORD, signed, supervisor_token

USES_FIXTURES = (client, make_client, sms, wechat)
OPERATORS = "/api/v1/operators"


def forged(settings, subject: str, role: str = "supervisor") -> str:
    """An operator access token signed with the configured key but issued by no login (a new family)."""
    token, _ = TokenService(settings).issue("operator", "access", subject, uuid.uuid4().hex, role)
    return token


async def new_operator(settings, role: str = "operator") -> tuple[str, str]:
    """(id, username) of a fresh account, made the way the CLI makes one."""
    username = f"{role[:3]}-{uuid.uuid4().hex[:8]}"
    operator = await Operators(MemoryKV(), settings).create(username, PASSWORD, role)  # type: ignore[arg-type]
    return operator.id, username


async def login(client, username: str, password: str = PASSWORD, ip: str = "10.9.9.9"):
    body = {"username": username, "password": password}
    return await client.post("/api/v1/operators/login", json=body, headers={"X-Forwarded-For": ip})


async def audit_entries(client, boss: str, **filters) -> list[dict]:
    response = await client.get("/api/v1/audit-log", params={"limit": 200, **filters}, headers=bearer(boss))
    assert response.status_code == 200, response.text
    return response.json()["entries"]


# --- 1. the operator's role and state come from the database -------------------------------------


async def test_a_token_for_no_operator_or_an_inactive_one_is_refused(client, settings) -> None:
    assert (
        await client.get(OPERATORS, headers=bearer(forged(settings, uuid.uuid4().hex)))
    ).status_code == 401
    assert (await client.get(OPERATORS, headers=bearer(forged(settings, "x" * 200)))).status_code == 401
    operator_id, _ = await new_operator(settings)
    # The token says supervisor; the database says operator: the database wins.
    as_supervisor = bearer(forged(settings, operator_id, "supervisor"))
    assert (await client.get(OPERATORS, headers=as_supervisor)).status_code == 403
    assert (await client.get("/api/v1/operators/me", headers=as_supervisor)).json()["role"] == "operator"
    _, boss = await supervisor_token(client, settings)
    patched = await client.patch(f"{OPERATORS}/{operator_id}", json={"active": False}, headers=bearer(boss))
    assert patched.status_code == 200
    # A token of a family never revoked (forged, or issued before) stops working too.
    assert (await client.get("/api/v1/operators/me", headers=as_supervisor)).status_code == 401


async def test_a_role_change_reaches_the_other_workers_at_once(make_client, settings) -> None:
    """Two apps on one database and kv are two workers; the cache would keep the old role for a minute."""
    if settings.redis_url is None:
        pytest.skip("the embedded default runs one worker: nothing to share")
    first, second = await make_client(operator_cache_seconds=60), await make_client(operator_cache_seconds=60)
    operator_id, _ = await new_operator(settings, "supervisor")
    token = bearer(forged(settings, operator_id, "supervisor"))
    assert (await second.get(OPERATORS, headers=token)).status_code == 200  # now cached on `second`
    _, boss = await supervisor_token(first, settings)
    demoted = await first.patch(f"{OPERATORS}/{operator_id}", json={"role": "operator"}, headers=bearer(boss))
    assert demoted.status_code == 200
    deadline = time.monotonic() + 20  # the message travels through Redis: wait for it, well inside 60 s
    while (status := (await second.get(OPERATORS, headers=token)).status_code) == 200:
        assert time.monotonic() < deadline, "the other worker still serves the old role"
        await asyncio.sleep(0.05)
    assert status == 403


# --- 2. limits are reserved before the password is checked ---------------------------------------


async def test_one_address_racing_many_usernames_gets_only_its_share(client, settings) -> None:
    """80 parallel guesses, each at a different account: the address allows 4 × 5 failed passwords."""
    ip = f"10.88.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    names = [f"nobody-{uuid.uuid4().hex[:8]}" for _ in range(80)]
    statuses = [r.status_code for r in await asyncio.gather(*(login(client, n, "guess", ip) for n in names))]
    assert sorted(statuses) == [401] * 20 + [429] * 60
    # A success gives its reservation back: a real operator behind that address is not locked out later.
    other_ip = f"10.89.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    _, username = await new_operator(settings)
    assert [(await login(client, username, ip=other_ip)).status_code for _ in range(25)] == [200] * 25


async def test_parallel_sms_requests_send_one_code(client, sms) -> None:
    phone = new_phone()
    responses = await asyncio.gather(
        *(client.post("/api/v1/auth/sms-codes", json={"phone": phone}) for _ in range(10))
    )
    assert sorted(r.status_code for r in responses) == [202] + [429] * 9


# --- 5. refusals are audited, and updates say what changed ---------------------------------------


async def test_refused_operator_calls_and_failed_logins_are_audited(client, settings) -> None:
    boss_name, boss = await supervisor_token(client, settings)
    operator_id, username = await new_operator(settings)
    operator = (await login(client, username)).json()["access_token"]
    # An operator trying to make itself supervisor.
    promoted = await client.patch(
        f"{OPERATORS}/{operator_id}", json={"role": "supervisor"}, headers=bearer(operator)
    )
    assert promoted.status_code == 403
    assert (await client.get(OPERATORS)).status_code == 401
    assert (await client.get(OPERATORS, headers=bearer("not-a-token"))).status_code == 401
    assert (await login(client, username, "wrong password")).status_code == 401
    assert (await login(client, "no-such-" + uuid.uuid4().hex[:6], "wrong password")).status_code == 401
    entries = await audit_entries(client, boss)

    def found(action: str, **detail) -> list[dict]:
        return [e for e in entries if e["action"] == action and detail.items() <= e["detail"].items()]

    [attempt] = found("operators.update_operator", status=403, requested_role="supervisor")
    assert attempt["actor_id"] == operator_id and attempt["detail"]["target"] == operator_id
    refused = found("operators.list_operators", status=401)
    assert {e["detail"].get("reason") for e in refused} >= {"invalid_token", None}
    assert all(e["actor_kind"] == "anonymous" for e in refused)
    wrong = found("operators.login_failed", username=username, reason="invalid_credentials")
    assert wrong and wrong[0]["actor_id"] == operator_id
    assert found("operators.login_failed", status=401)[0]["ip"]
    assert "wrong password" not in str(entries)  # a typed password is never written down
    # An update says what changed.
    done = await client.patch(
        f"{OPERATORS}/{operator_id}", json={"role": "supervisor", "active": True}, headers=bearer(boss)
    )
    assert done.status_code == 200
    [update] = found_in(await audit_entries(client, boss), "operators.update_operator", status=200)
    assert update["detail"]["changed"] == "role" and update["detail"]["role"] == "supervisor"
    assert update["detail"]["target"] == operator_id and boss_name


def found_in(entries: list[dict], action: str, **detail) -> list[dict]:
    return [e for e in entries if e["action"] == action and detail.items() <= e["detail"].items()]


async def test_refused_department_signatures_are_audited(client, settings) -> None:
    from server.auth.crypto import DataProtector
    from server.auth.departments import DepartmentKeys

    key_id, secret = await DepartmentKeys(MemoryKV(), DataProtector(settings.data_encryption_key), 300).issue(
        "tax"
    )
    headers = signed(key_id, "not-the-secret", "GET", "/api/v1/departments/me")
    assert (await client.get("/api/v1/departments/me", headers=headers)).status_code == 401
    _, boss = await supervisor_token(client, settings)
    [entry] = found_in(await audit_entries(client, boss, actor_id=key_id), "departments.signature_refused")
    assert entry["actor_kind"] == "department" and entry["detail"]["status"] == 401
    assert entry["detail"]["reason"] == "The signature does not match." and secret not in str(entry)


# --- 6. accounts ----------------------------------------------------------------------------------


async def test_usernames_are_one_account_whatever_their_case(client, settings) -> None:
    _, boss = await supervisor_token(client, settings)
    name = "Wang.Fang-" + uuid.uuid4().hex[:6]
    created = await client.post(
        OPERATORS, json={"username": name, "password": PASSWORD}, headers=bearer(boss)
    )
    assert created.status_code == 201 and created.json()["username"] == name.casefold()
    for variant in (name.upper(), name.lower(), name.swapcase()):
        again = await client.post(
            OPERATORS, json={"username": variant, "password": PASSWORD}, headers=bearer(boss)
        )
        assert again.status_code == 409 and again.json()["error"]["code"] == "username_taken", variant
    assert (await login(client, name.upper())).status_code == 200


async def test_the_last_supervisor_stays_and_none_deactivates_itself(client, settings) -> None:
    from server.models import Operator

    await Operator.filter(role="supervisor").update(active=False)  # this test's database: start with none
    boss_id, boss_name = await new_operator(settings, "supervisor")
    boss = bearer((await login(client, boss_name)).json()["access_token"])
    own = f"{OPERATORS}/{boss_id}"
    refused = await client.patch(own, json={"active": False}, headers=boss)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "cannot_deactivate_self"
    last = await client.patch(own, json={"role": "operator"}, headers=boss)
    assert last.status_code == 409 and last.json()["error"]["code"] == "last_supervisor"
    # With a second supervisor, one may step down; then the other is the last one.
    other_id, other_name = await new_operator(settings, "supervisor")
    other = bearer((await login(client, other_name)).json()["access_token"])
    both = await asyncio.gather(
        client.patch(own, json={"role": "operator"}, headers=other),
        client.patch(f"{OPERATORS}/{other_id}", json={"role": "operator"}, headers=boss),
    )
    assert sorted(r.status_code for r in both) in ([200, 401], [200, 403], [200, 409]), [r.text for r in both]
    assert await Operator.filter(role="supervisor", active=True).count() == 1


async def test_one_id_number_binds_one_account(client, sms) -> None:
    number = new_id_number()
    first = await sms_login(client, sms[1], new_phone())
    second = await sms_login(client, sms[1], new_phone())
    ok = await client.put("/api/v1/me", json={"id_number": number}, headers=bearer(first["access_token"]))
    assert ok.status_code == 200
    again = await client.put("/api/v1/me", json={"id_number": number}, headers=bearer(second["access_token"]))
    assert again.status_code == 409 and again.json()["error"]["code"] == "id_number_taken"
    same = await client.put("/api/v1/me", json={"id_number": number}, headers=bearer(first["access_token"]))
    assert same.status_code == 200  # binding it again to its own account is fine


async def test_operators_refresh_tokens_live_a_shift_not_a_month(client, sms, settings) -> None:
    _, username = await new_operator(settings)
    operator = (await login(client, username)).json()["refresh_token"]
    citizen = (await sms_login(client, sms[1], new_phone()))["refresh_token"]

    def lifetime(token: str) -> int:
        payload = jwt.decode(token, options={"verify_signature": False})
        return payload["exp"] - payload["iat"]

    assert lifetime(operator) == settings.operator_refresh_token_ttl_seconds == 8 * 3600
    assert lifetime(citizen) == settings.refresh_token_ttl_seconds == 30 * 24 * 3600


# --- 11. argon2 runs off the event loop -----------------------------------------------------------


async def test_the_loop_answers_while_a_password_is_hashed(client, settings, monkeypatch) -> None:
    """The hash waits until /livez was answered: on the loop, it would wait in vain (and block it)."""
    _, boss = await supervisor_token(client, settings)
    hashing, answered, order = threading.Event(), threading.Event(), []
    original = PasswordHasher.hash

    def held_hash(self, password, *, salt=None):
        hashing.set()
        answered.wait(timeout=10)
        order.append("hashed")
        return original(self, password, salt=salt)

    monkeypatch.setattr(PasswordHasher, "hash", held_hash)
    body = {"username": "slow-" + uuid.uuid4().hex[:6], "password": PASSWORD}
    create = asyncio.create_task(client.post(OPERATORS, json=body, headers=bearer(boss)))
    await asyncio.to_thread(hashing.wait, 10)
    assert (await client.get("/livez")).status_code == 200
    order.append("livez")
    answered.set()
    assert (await create).status_code == 201
    assert order == ["livez", "hashed"]
