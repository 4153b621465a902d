"""个推 (Getui) RestAPI V2: app push to one client id, the outbox idempotency key as `request_id`.

`POST {base}/auth` gives a token (valid a day) shared through the kv role; a 10001 answer refreshes it
once. 个推 drops a push whose `request_id` it has seen, which makes our retries safe.
Base URL: `https://restapi.getui.com/v2/{appId}`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx

from server.kv import KV
from server.privacy import mask_text
from server.vendors.outcome import Outcome, VendorUnavailable, http_failure
from server.vendors.tokens import SharedToken

log = logging.getLogger("server.vendors.getui")

TOKEN_INVALID = 10001
_TEMPORARY = {2: "vendor_starting", 10003: "rate_limited", 10005: "rate_limited"}
OFFLINE_TTL_MS = 3 * 24 * 3600 * 1000  # 个推's maximum: keep it for a phone that is off for a weekend


class GetuiClient:
    def __init__(
        self, http: httpx.AsyncClient, kv: KV, base_url: str, app_key: str, master_secret: str
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.app_key = app_key
        self.master_secret = master_secret
        self.token = SharedToken(kv, f"getui:token:{self.base_url}", self._fetch_token)

    async def _fetch_token(self) -> tuple[str, float]:
        timestamp = str(int(time.time() * 1000))
        sign = hashlib.sha256((self.app_key + timestamp + self.master_secret).encode()).hexdigest()
        try:
            response = await self.http.post(
                self.base_url + "/auth", json={"sign": sign, "timestamp": timestamp, "appkey": self.app_key}
            )
            answer = response.json()
            data = answer.get("data") or {}
            token, expire_ms = data.get("token"), int(data.get("expire_time", 0))
        except (httpx.HTTPError, ValueError, AttributeError, TypeError) as exc:
            raise VendorUnavailable("token_unreachable", type(exc).__name__) from exc
        if answer.get("code") != 0 or not isinstance(token, str) or not token:
            raise VendorUnavailable("token_refused", f"auth code {answer.get('code')}")
        return token, max(60.0, expire_ms / 1000 - time.time())

    async def push(
        self, client_id: str, request_id: str, title: str, body: str, payload: Mapping[str, Any]
    ) -> Outcome:
        """`POST {base}/push/single/cid` as a notification, through vendor channels when offline."""
        payload_text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        message = {
            "request_id": request_id,
            "settings": {"ttl": OFFLINE_TTL_MS},
            "audience": {"cid": [client_id]},
            "push_message": {
                "notification": {
                    "title": title,
                    "body": body,
                    "click_type": "payload",
                    "payload": payload_text,
                }
            },
            "push_channel": {
                "ios": {
                    "type": "notify",
                    "payload": payload_text,
                    "aps": {"alert": {"title": title, "body": body}, "content-available": 0},
                },
                "android": {
                    "ups": {
                        "notification": {
                            "title": title,
                            "body": body,
                            "click_type": "payload",
                            "payload": payload_text,
                        }
                    }
                },
            },
        }
        for first_try in (True, False):
            try:
                token = await self.token.get()
            except VendorUnavailable as exc:
                return Outcome.retry(exc.code, exc.detail)
            try:
                response = await self.http.post(
                    self.base_url + "/push/single/cid", headers={"token": token}, json=message
                )
            except httpx.HTTPError as exc:
                return http_failure(exc)
            if response.status_code >= 500:
                return Outcome.retry(f"http_{response.status_code}")
            try:
                answer = response.json()
                code = int(answer.get("code"))
            except (ValueError, AttributeError, TypeError):
                return Outcome.retry("bad_response", f"http {response.status_code}")
            if code == TOKEN_INVALID and first_try:
                await self.token.invalidate(token)
                continue
            return _outcome(code, answer, response.status_code)
        return Outcome.retry("token_refused")


def _outcome(code: int, answer: dict, http_status: int) -> Outcome:
    msg = mask_text(str(answer.get("msg", "")))[:300]
    if code == 0:
        data = answer.get("data") or {}
        task_id = next(iter(data), None) if isinstance(data, dict) else None
        return Outcome.sent(str(task_id) if task_id else None)
    if code == TOKEN_INVALID:
        return Outcome.retry("token_refused", msg)
    if code in _TEMPORARY:
        return Outcome.retry(_TEMPORARY[code], f"{code} {msg}")
    if code == 20001 and "target user is invalid" in msg:
        return Outcome.failed("invalid_client_id", msg)
    if http_status in (400, 401, 403, 404, 405) or code in (1, 20001):
        return Outcome.failed("push_refused", f"{code} {msg}")
    return Outcome.retry(f"code_{code}", msg)
