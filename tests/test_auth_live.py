"""`python -m server` over real sockets: login -> token -> profile, and its log output holds no secrets."""

from __future__ import annotations

import re

import httpx

from tests.fakes.auth import sms, vendor_settings, wechat
from tests.fakes.vendors import APPSECRET, SESSION_KEY, SMS_SECRET_KEY

USES_FIXTURES = (sms, wechat)
ID_NUMBER = "11010519491231002X"


def test_login_token_profile_over_sockets_without_leaking(live_server, wechat, sms) -> None:
    env = {key.upper(): value for key, value in vendor_settings(wechat[0], sms[0]).items()}
    server = live_server(**env, LOG_LEVEL="INFO")
    phone = "13712345678"
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        assert client.post("/api/v1/auth/sms-codes", json={"phone": phone}).status_code == 202
        code = sms[1].last_code_for(phone)
        pair = client.post("/api/v1/auth/sms-login", json={"phone": phone, "code": code}).json()
        auth = {"Authorization": f"Bearer {pair['access_token']}"}
        profile = client.put("/api/v1/me", json={"name": "李四", "id_number": ID_NUMBER}, headers=auth)
        assert profile.status_code == 200 and profile.json()["phone"] == "137****5678"
        assert client.get("/api/v1/me", headers=auth).json()["id_number"] == "110105********002X"
        wx = client.post("/api/v1/auth/wechat", json={"code": "ok:o-live:u-live"})
        assert wx.status_code == 200
        rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json()
        assert (
            client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code
            == 401
        )
        assert client.post("/api/v1/auth/logout", headers=auth).status_code == 401  # family already revoked
        responses = [profile.text, wx.text]
    output = server.stop()
    assert "refresh token reused" in output  # the logs were captured and speak about this flow
    secrets = [
        phone,
        ID_NUMBER,
        SESSION_KEY,
        APPSECRET,
        SMS_SECRET_KEY,
        "o-live",  # the openid
        pair["access_token"],
        pair["refresh_token"],
        rotated["access_token"],
    ]
    # Six random digits may turn up inside a request id or timestamp; as a number of its own they must not.
    assert not re.search(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])", output + "".join(responses))
    for secret in secrets:
        assert secret not in output
        for text in responses:
            assert secret not in text
