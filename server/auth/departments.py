"""Department systems: API keys scoped to one department, each request signed with HMAC-SHA256.

String to sign (UTF-8, lines joined by "\\n"): the upper-case method, the path with its query string
exactly as sent, the Unix timestamp in seconds, the nonce, and the lower-case hex SHA-256 of the body.
The signature is the lower-case hex HMAC-SHA256 of that string under the key's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping

from server.auth.crypto import DataProtector
from server.auth.principal import Principal
from server.errors import ApiError
from server.kv import KV
from server.models import DepartmentKey

KEY_HEADER = "x-api-key"
TIMESTAMP_HEADER = "x-timestamp"
NONCE_HEADER = "x-nonce"
SIGNATURE_HEADER = "x-signature"
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")  # ASCII digits only: str.isdigit() also takes "²"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_DEPARTMENT = re.compile(r"^[a-z0-9_-]{2,64}$")


def string_to_sign(method: str, path_and_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join([method.upper(), path_and_query, timestamp, nonce, hashlib.sha256(body).hexdigest()])


def _refused(message: str) -> ApiError:
    return ApiError(401, "invalid_signature", message)


class DepartmentKeys:
    """Issues keys (secret shown once, stored encrypted) and authenticates signed requests."""

    def __init__(self, kv: KV, protector: DataProtector, max_skew_seconds: int) -> None:
        self.kv = kv
        self.protector = protector
        self.max_skew = max_skew_seconds

    async def issue(self, department: str) -> tuple[str, str]:
        """A new (key id, secret) for `department`; the secret cannot be read back later."""
        if not _DEPARTMENT.match(department):
            raise ValueError("department codes are 2-64 of a-z, 0-9, _ and -")
        key_id, secret = "dk_" + secrets.token_hex(12), secrets.token_urlsafe(32)
        await DepartmentKey.create(
            key_id=key_id, secret_encrypted=self.protector.encrypt(secret, key_id), department=department
        )
        return key_id, secret

    async def authenticate(
        self, method: str, path_and_query: str, headers: Mapping[str, str], body: bytes
    ) -> Principal:
        """The department behind a correctly signed, fresh, first-seen request; 401 otherwise."""
        key_id, timestamp, nonce, signature = (
            headers.get(name, "") for name in (KEY_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)
        )
        if not (key_id and _TIMESTAMP.match(timestamp) and _NONCE.match(nonce) and signature):
            raise _refused("X-Api-Key, X-Timestamp, X-Nonce and X-Signature are all required.")
        if abs(time.time() - int(timestamp)) > self.max_skew:
            raise _refused("X-Timestamp is too far from the server's clock.")
        key = await DepartmentKey.get_or_none(key_id=key_id, active=True)
        if key is None:
            raise _refused("Unknown or disabled API key.")
        secret = self.protector.decrypt(key.secret_encrypted, key.key_id)
        expected = hmac.new(
            secret.encode(),
            string_to_sign(method, path_and_query, timestamp, nonce, body).encode(),
            hashlib.sha256,
        ).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            raise _refused("The signature does not match.")
        if not await self.kv.set_if_absent(f"dept:nonce:{key_id}:{nonce}", "1", ttl=2 * self.max_skew):
            raise _refused("This nonce was already used.")
        return Principal(kind="department", id=key.key_id, department=key.department)
