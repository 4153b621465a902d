"""Personal data at rest: AES-GCM encryption and keyed lookup hashes, from one configured key."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"


class DataKeyError(ValueError):
    """DATA_ENCRYPTION_KEY is not base64 of 32 bytes, or a value was encrypted under another key."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class DataProtector:
    """Encrypts fields (bound to their column name) and computes HMAC lookup hashes with separate subkeys."""

    def __init__(self, master_key_b64: str) -> None:
        try:
            master = base64.b64decode(master_key_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DataKeyError("DATA_ENCRYPTION_KEY must be base64") from exc
        if len(master) != 32:
            raise DataKeyError("DATA_ENCRYPTION_KEY must decode to exactly 32 bytes")
        self._aead = AESGCM(_derive(master, b"yijianshi field encryption"))
        self._index_key = _derive(master, b"yijianshi lookup hash")

    def encrypt(self, plaintext: str, field: str) -> str:
        """`v1:<base64 nonce|ciphertext>`; the field name is authenticated so values cannot swap columns."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), field.encode())
        return f"{_VERSION}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, field: str) -> str:
        version, _, payload = token.partition(":")
        if version != _VERSION:
            raise DataKeyError(f"unknown encryption version {version!r}")
        raw = base64.b64decode(payload)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], field.encode()).decode()
        except InvalidTag as exc:
            raise DataKeyError(f"{field} was not encrypted under this key") from exc

    def lookup_hash(self, value: str, field: str) -> str:
        """Deterministic keyed hash, so equal values can be found without storing them readable."""
        return hmac.new(self._index_key, f"{field}\x00{value}".encode(), hashlib.sha256).hexdigest()
