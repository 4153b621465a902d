"""Login codes by SMS: 6 digits, stored only as a keyed hash for a few minutes, few tries, limited sends."""

from __future__ import annotations

import hmac
import secrets

from server.auth import limits
from server.auth.crypto import DataProtector
from server.config import Settings
from server.errors import ApiError
from server.kv import KV
from server.vendors.sms import SmsSender

_MINUTE = 60
_DAY = 24 * 3600


class SmsCodes:
    """Sends codes within per-phone and per-IP limits and checks them at most `sms_max_attempts` times."""

    def __init__(self, kv: KV, sender: SmsSender, protector: DataProtector, settings: Settings) -> None:
        self.kv = kv
        self.sender = sender
        self.protector = protector
        self.settings = settings

    def _phone_key(self, phone: str) -> str:
        return self.protector.lookup_hash(phone, "sms_phone")

    def _code_hash(self, phone: str, code: str) -> str:
        return self.protector.lookup_hash(f"{phone}:{code}", "sms_code")

    async def send(self, phone: str, ip: str) -> None:
        """Issue a new code for `phone` (replacing any earlier one); 429 with Retry-After over the limits."""
        s = self.settings
        ident = self._phone_key(phone)
        message = "Too many codes requested; please wait before asking again."
        for key, limit, window in (
            (f"sms:sent:phone:m:{ident}", s.sms_phone_per_minute, _MINUTE),
            (f"sms:sent:ip:m:{ip}", s.sms_ip_per_minute, _MINUTE),
            (f"sms:sent:phone:d:{ident}", s.sms_phone_per_day, _DAY),
            (f"sms:sent:ip:d:{ip}", s.sms_ip_per_day, _DAY),
        ):
            await limits.take(self.kv, key, limit, window, message)
        code = f"{secrets.randbelow(10**6):06d}"
        await self.kv.delete(f"sms:tries:{ident}")
        await self.kv.set(f"sms:code:{ident}", self._code_hash(phone, code), ttl=s.sms_code_ttl_seconds)
        try:
            await self.sender.send_code(phone, code, max(1, s.sms_code_ttl_seconds // 60))
        except ApiError:
            await self.kv.delete(f"sms:code:{ident}")
            raise

    async def verify(self, phone: str, code: str) -> None:
        """Accept the code once; 400 when wrong or expired, 429 (code discarded) after too many tries."""
        ident = self._phone_key(phone)
        code_key, tries_key = f"sms:code:{ident}", f"sms:tries:{ident}"
        expected = await self.kv.get(code_key)
        wrong = ApiError(400, "invalid_sms_code", "The code is wrong or has expired.")
        if expected is None:
            raise wrong
        try:
            await limits.take(
                self.kv,
                tries_key,
                self.settings.sms_max_attempts,
                self.settings.sms_code_ttl_seconds,
                "Too many wrong codes; request a new code.",
            )
        except ApiError:
            await self.kv.delete(code_key)
            raise
        if not hmac.compare_digest(expected, self._code_hash(phone, code)):
            raise wrong
        await self.kv.delete(code_key)
        await self.kv.delete(tries_key)


def describe_send(settings: Settings) -> dict:
    """What the client is told after a code was sent: how long it lives, when to offer a resend."""
    return {
        "expires_in": settings.sms_code_ttl_seconds,
        "resend_after": _MINUTE // settings.sms_phone_per_minute,
    }
