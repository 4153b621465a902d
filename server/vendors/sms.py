"""Sending login codes by SMS: one interface, a development sender that logs, and Tencent Cloud SMS.

Tencent Cloud SMS API 3.0 `SendSms` (version 2021-01-11), signed with TC3-HMAC-SHA256; the base URL is
configurable so tests and private endpoints can stand in for `https://sms.tencentcloudapi.com`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from server.config import Settings
from server.errors import ApiError
from server.privacy import mask_phone

log = logging.getLogger("server.vendors.sms")


class SmsSender(Protocol):
    """Delivers a login code to a mainland mobile number; raises ApiError when it cannot."""

    async def send_code(self, phone: str, code: str, ttl_minutes: int) -> None: ...


class DevelopmentSms:
    """Logs the code (with the phone masked) instead of sending; refused in production."""

    async def send_code(self, phone: str, code: str, ttl_minutes: int) -> None:
        log.warning("development SMS: login code for %s is %s", mask_phone(phone), code)


_SERVICE = "sms"
_ACTION = "SendSms"
_VERSION = "2021-01-11"
_CONTENT_TYPE = "application/json; charset=utf-8"


def tc3_authorization(
    secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int, service: str = _SERVICE
) -> str:
    """The `Authorization` header of Tencent Cloud API 3.0 (TC3-HMAC-SHA256) for a POST to `/`."""
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{_CONTENT_TYPE}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = ("TC3" + secret_key).encode()
    for part in (date, service, "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


def _refusal(code: str) -> ApiError:
    """Our answer to one of Tencent's documented error codes (request-level or per-number)."""
    if code.startswith("LimitExceeded.PhoneNumber"):
        return ApiError(
            429, "rate_limited", "Too many codes were sent to this number; try later.", {"Retry-After": "60"}
        )
    if code in (
        "InvalidParameterValue.IncorrectPhoneNumber",
        "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
    ):
        return ApiError(422, "invalid_phone", "The SMS provider rejected this phone number.")
    if code in ("RequestLimitExceeded", "InternalError", "LimitExceeded.DeliveryFrequencyLimit"):
        return ApiError(
            503, "sms_busy", "The SMS provider is busy; please try again shortly.", {"Retry-After": "5"}
        )
    return ApiError(503, "sms_unavailable", "SMS codes cannot be sent right now.")


class TencentSms:
    """Sends the code through template `sms_template_id` with parameters [code, minutes]."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self.http = http
        self.url = settings.sms_base_url.rstrip("/") + "/"
        self.host = urlsplit(self.url).netloc
        self.settings = settings

    async def send_code(self, phone: str, code: str, ttl_minutes: int) -> None:
        s = self.settings
        payload = json.dumps(
            {
                "PhoneNumberSet": [f"+86{phone}"],
                "SmsSdkAppId": s.sms_app_id,
                "SignName": s.sms_sign_name,
                "TemplateId": s.sms_template_id,
                "TemplateParamSet": [code, str(ttl_minutes)],
            },
            ensure_ascii=False,
        ).encode()
        timestamp = int(time.time())
        headers = {
            "Authorization": tc3_authorization(
                s.sms_secret_id, s.sms_secret_key, self.host, payload, timestamp
            ),
            "Content-Type": _CONTENT_TYPE,
            "Host": self.host,
            "X-TC-Action": _ACTION,
            "X-TC-Version": _VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": s.sms_region,
        }
        try:
            response = await self.http.post(self.url, content=payload, headers=headers)
            body = response.json()["Response"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.error("SMS provider unreachable", extra={"error": type(exc).__name__})
            raise ApiError(503, "sms_unavailable", "SMS codes cannot be sent right now.") from exc
        error = body.get("Error")
        statuses = body.get("SendStatusSet") or [{}]
        code_ = error["Code"] if error else statuses[0].get("Code", "Missing")
        if code_ == "Ok":
            return
        log.error("SMS provider refused", extra={"sms_code": code_, "request_id": body.get("RequestId")})
        raise _refusal(code_)


def create_sms_sender(settings: Settings, http: httpx.AsyncClient) -> SmsSender:
    return TencentSms(http, settings) if settings.sms_provider == "tencent" else DevelopmentSms()
