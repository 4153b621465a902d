"""Citizens over the running app (both backends): WeChat and SMS login against the fake vendors,
rotating refresh tokens, logout, profile with masked personal data, claiming guest conversations."""

from __future__ import annotations

import pytest

from server.models import User
from tests.fakes.auth import bearer, captured_logs, client, make_client, new_phone, sms, sms_login, wechat
from tests.fakes.vendors import SESSION_KEY

USES_FIXTURES = (client, make_client, sms, wechat)

# A checksum-valid test ID number (GB 11643) and the same with its last character wrong.
ID_NUMBER = "11010519491231002X"
BAD_ID_NUMBER = "110105194912310021"


async def test_wechat_login_keeps_unionid_and_never_leaks_the_session_key(client, wechat) -> None:
    with captured_logs() as logs:
        first = await client.post("/api/v1/auth/wechat", json={"code": "ok:o-alice:u-alice"})
        again = await client.post("/api/v1/auth/wechat", json={"code": "ok:o-alice"})
    assert first.status_code == again.status_code == 200
    assert first.json()["token_type"] == "Bearer" and first.headers["cache-control"] == "no-store"
    assert wechat[1].requests[-1]["grant_type"] == "authorization_code"
    me = await client.get("/api/v1/me", headers=bearer(again.json()["access_token"]))
    assert me.json()["wechat_linked"] is True
    first_me = await client.get("/api/v1/me", headers=bearer(first.json()["access_token"]))
    assert me.json()["id"] == first_me.json()["id"]  # same openid, same account
    user = await User.get(id=me.json()["id"])
    assert user.unionid == "u-alice"
    for text in (first.text, again.text, me.text, logs.getvalue()):
        assert SESSION_KEY not in text and "session_key" not in text


@pytest.mark.parametrize(
    ("code", "status", "error", "retry_after"),
    [
        ("busy", 503, "wechat_busy", True),
        ("invalid", 400, "invalid_wechat_code", False),
        ("used", 400, "invalid_wechat_code", False),
        ("limit", 429, "rate_limited", True),
        ("risky", 403, "wechat_user_blocked", False),
    ],
)
async def test_wechat_documented_errors(
    client, code: str, status: int, error: str, retry_after: bool
) -> None:
    response = await client.post("/api/v1/auth/wechat", json={"code": code})
    assert response.status_code == status
    assert response.json()["error"]["code"] == error
    assert ("retry-after" in response.headers) is retry_after


async def test_wechat_misconfigured_or_unreachable_is_503(make_client) -> None:
    wrong_secret = await make_client(wechat_secret="not-the-secret")
    response = await wrong_secret.post("/api/v1/auth/wechat", json={"code": "ok:o-bob"})
    assert response.status_code == 503 and response.json()["error"]["code"] == "wechat_unavailable"
    unreachable = await make_client(wechat_base_url="http://127.0.0.1:9")
    response = await unreachable.post("/api/v1/auth/wechat", json={"code": "ok:o-bob"})
    assert response.status_code == 503 and response.json()["error"]["code"] == "wechat_unavailable"


async def test_sms_login_and_one_code_a_minute(client, sms) -> None:
    phone = new_phone()
    pair = await sms_login(client, sms[1], phone)
    assert sms[1].requests[-1]["TemplateParamSet"][1] == "5"  # minutes the code lives
    again = await client.post("/api/v1/auth/sms-codes", json={"phone": phone})
    assert again.status_code == 429
    assert 1 <= int(again.headers["retry-after"]) <= 60
    me = await client.get("/api/v1/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200 and me.json()["phone"] == phone[:3] + "****" + phone[-4:]


async def test_sms_daily_limit_per_phone_and_limit_per_ip(make_client) -> None:
    client = await make_client(sms_phone_per_minute=100, sms_phone_per_day=3)
    phone = new_phone()
    statuses = [
        (await client.post("/api/v1/auth/sms-codes", json={"phone": phone})).status_code for _ in range(4)
    ]
    assert statuses == [202, 202, 202, 429]
    by_ip = await make_client(sms_ip_per_minute=2)
    ip = {"X-Forwarded-For": f"10.{new_phone()[-6:-4]}.{new_phone()[-3:-1]}.7"}
    statuses = [
        (await by_ip.post("/api/v1/auth/sms-codes", json={"phone": new_phone()}, headers=ip)).status_code
        for _ in range(3)
    ]
    assert statuses == [202, 202, 429]


async def test_sms_vendor_refusals_and_bad_numbers(client) -> None:
    limited = await client.post("/api/v1/auth/sms-codes", json={"phone": new_phone()[:7] + "0000"})
    assert limited.status_code == 429 and "retry-after" in limited.headers
    broke = await client.post("/api/v1/auth/sms-codes", json={"phone": new_phone()[:7] + "9999"})
    assert broke.status_code == 503 and broke.json()["error"]["code"] == "sms_unavailable"
    invalid = await client.post("/api/v1/auth/sms-codes", json={"phone": "12345678901"})
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "invalid_phone"


async def test_guessing_an_sms_code_is_stopped(client, sms) -> None:
    phone = new_phone()
    assert (await client.post("/api/v1/auth/sms-codes", json={"phone": phone})).status_code == 202
    real = sms[1].last_code_for(phone)
    wrong = [f"{(int(real) + n) % 10**6:06d}" for n in range(1, 7)]
    statuses = [
        (await client.post("/api/v1/auth/sms-login", json={"phone": phone, "code": c})).status_code
        for c in wrong
    ]
    assert statuses == [400, 400, 400, 400, 400, 429]
    late = await client.post("/api/v1/auth/sms-login", json={"phone": phone, "code": real})
    assert late.status_code == 400  # the code was discarded; the right guess comes too late


async def test_refresh_rotates_and_reuse_revokes_the_family(client, sms) -> None:
    first = await sms_login(client, sms[1], new_phone())
    second = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/v1/me", headers=bearer(second["access_token"]))).status_code == 200
    stolen = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert stolen.status_code == 401
    # The legitimate holder's newer tokens died with the family.
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    ).status_code == 401
    assert (await client.get("/api/v1/me", headers=bearer(second["access_token"]))).status_code == 401


async def test_access_token_is_not_a_refresh_token(client, sms) -> None:
    pair = await sms_login(client, sms[1], new_phone())
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["access_token"]})
    assert response.status_code == 401


async def test_logout_revokes(client, sms) -> None:
    pair = await sms_login(client, sms[1], new_phone())
    assert (await client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))).status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer(pair["access_token"]))).status_code == 401
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401


async def test_profile_encrypts_and_masks_personal_data(client, sms) -> None:
    phone = new_phone()
    pair = await sms_login(client, sms[1], phone)
    auth = bearer(pair["access_token"])
    with captured_logs() as logs:
        bad = await client.put("/api/v1/me", json={"id_number": BAD_ID_NUMBER}, headers=auth)
        good = await client.put(
            "/api/v1/me", json={"name": "张三", "id_number": ID_NUMBER.lower()}, headers=auth
        )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_id_number"
    assert good.status_code == 200
    assert good.json()["name"] == "张三" and good.json()["id_number"] == "110105********002X"
    stored = await User.get(id=good.json()["id"])
    row = " ".join(str(v) for v in stored.__dict__.values())
    assert ID_NUMBER not in row and phone not in row  # a database dump does not reveal them
    assert stored.id_number_hash and stored.phone_hash
    for text in (bad.text, good.text, logs.getvalue()):
        assert ID_NUMBER not in text and phone not in text and pair["access_token"] not in text


async def test_changing_phone_needs_that_phones_code_and_is_unique(make_client, sms) -> None:
    client = await make_client(sms_phone_per_minute=100)
    owner_phone, other_phone, new = new_phone(), new_phone(), new_phone()
    await sms_login(client, sms[1], owner_phone)
    pair = await sms_login(client, sms[1], other_phone)
    auth = bearer(pair["access_token"])

    async def change_to(phone: str, code: str | None = None) -> int:
        if code is None:
            assert (await client.post("/api/v1/auth/sms-codes", json={"phone": phone})).status_code == 202
            code = sms[1].last_code_for(phone)
        response = await client.put("/api/v1/me", json={"phone": phone, "sms_code": code}, headers=auth)
        return response.status_code

    assert await change_to(new, "000000") == 400  # no code was sent to that phone
    assert await change_to(owner_phone) == 409  # proven, but another account's number
    assert await change_to(new) == 200
    me = await client.get("/api/v1/me", headers=auth)
    assert me.json()["phone"] == new[:3] + "****" + new[-4:]


async def test_claiming_guest_conversations_and_privacy_between_citizens(client, sms) -> None:
    started = await client.post("/api/v1/guide/messages", json={"text": "我要开饭店"})
    assert started.status_code == 200
    conversation = started.json()["conversation_id"]
    alice = await sms_login(client, sms[1], new_phone())
    bob = await sms_login(client, sms[1], new_phone())
    claim = await client.post(
        "/api/v1/me/conversations/claim",
        json={"conversation_ids": [conversation, "f" * 32]},
        headers=bearer(alice["access_token"]),
    )
    assert claim.status_code == 200 and claim.json() == {"claimed": [conversation]}
    mine = await client.get(
        f"/api/v1/guide/conversations/{conversation}", headers=bearer(alice["access_token"])
    )
    assert mine.status_code == 200
    for headers in (bearer(bob["access_token"]), {}):
        theirs = await client.get(f"/api/v1/guide/conversations/{conversation}", headers=headers)
        assert theirs.status_code == 404
        missing = await client.get(f"/api/v1/guide/conversations/{'e' * 32}", headers=headers)
        assert theirs.json() == missing.json()  # no hint that it exists
    stolen = await client.post(
        "/api/v1/me/conversations/claim",
        json={"conversation_ids": [conversation]},
        headers=bearer(bob["access_token"]),
    )
    assert stolen.json() == {"claimed": []}
    # Alice continues it; a guest holding the id can no longer.
    own_turn = {"conversation_id": conversation, "text": "需要什么材料"}
    assert (
        await client.post("/api/v1/guide/messages", json=own_turn, headers=bearer(alice["access_token"]))
    ).status_code == 200
    assert (await client.post("/api/v1/guide/messages", json=own_turn)).status_code == 404
