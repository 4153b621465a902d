"""Whether a key is fit for production: not a published development value, long enough, not one
character repeated or a short pattern, and with enough estimated entropy; RS256/ES256 keys of the
right type and strength.

The estimate (length times the Shannon entropy of the key's own characters) is a floor check, not
a proof of randomness: it stops "aaaa…", "0000…", "abcabc…", "abcdef…" and short hex keys,
while any key from a random generator (`secrets.token_urlsafe(48)`, `openssl rand -base64 32`)
passes.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections import Counter
from collections.abc import Iterable, Sequence

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

MIN_SECRET_LENGTH = 32
MIN_ENTROPY_BITS = 128
HOW_TO = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"


def entropy_bits(symbols: Sequence[object]) -> float:
    """Length × Shannon entropy of the symbol frequencies: what the key reveals about its own randomness."""
    counts = Counter(symbols)
    total = len(symbols)
    return -total * sum(n / total * math.log2(n / total) for n in counts.values())


def _code(symbol: object) -> int:
    return symbol if isinstance(symbol, int) else ord(str(symbol))


def _shape_problem(symbols: Sequence[object]) -> str | None:
    if len(set(symbols)) <= 1:
        return "is one character repeated"
    for period in range(1, len(symbols) // 2 + 1):
        if all(symbols[i] == symbols[i % period] for i in range(len(symbols))):
            return f"repeats a pattern of {period} characters"
    steps = [_code(b) - _code(a) for a, b in zip(symbols, symbols[1:], strict=False)]
    if sum(abs(step) == 1 for step in steps) * 2 > len(steps):
        return "is mostly a run of consecutive characters"
    bits = entropy_bits(symbols)
    if bits < MIN_ENTROPY_BITS:
        return f"has too little entropy (about {bits:.0f} bits, at least {MIN_ENTROPY_BITS} needed)"
    return None


def secret_problem(secret: str, development_values: Iterable[str]) -> str | None:
    """Why an HMAC secret (SECRET_KEY, an HS256 entry of JWT_PREVIOUS_KEYS) is refused, or None."""
    if secret in set(development_values):
        return "is a development value published with the source"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    return _shape_problem(secret)


def data_key_problem(key_b64: str, development_values: Iterable[str]) -> str | None:
    """Why DATA_ENCRYPTION_KEY (base64 of 32 bytes) is refused, or None."""
    if key_b64 in set(development_values):
        return "is a development value published with the source"
    try:
        raw = base64.b64decode(key_b64, validate=True)
    except (binascii.Error, ValueError):
        return "is not base64"
    if len(raw) != 32:
        return "does not decode to exactly 32 bytes"
    return _shape_problem(raw)


def key_problems(
    secret_key: str,
    previous_hs_secrets: dict[str, str],
    data_encryption_key: str,
    development_values: Iterable[str],
) -> list[str]:
    """Every reason the configured keys are unfit, each naming the variable (and kid) to change."""
    known = list(development_values)
    found = []
    if problem := secret_problem(secret_key, known):
        found.append(f"SECRET_KEY {problem}")
    for kid, secret in previous_hs_secrets.items():
        if problem := secret_problem(secret, known):
            found.append(f"JWT_PREVIOUS_KEYS[{kid!r}] {problem}")
    if problem := data_key_problem(data_encryption_key, known):
        found.append(f"DATA_ENCRYPTION_KEY {problem}")
    if data_encryption_key in {secret_key, *previous_hs_secrets.values()}:
        found.append("DATA_ENCRYPTION_KEY must not also be a token signing secret")
    if found:
        found.append(HOW_TO)
    return found


MIN_RSA_BITS = 2048
_CURVE_FOR = {"ES256": "secp256r1"}  # RFC 7518 §3.4: ES256 is ECDSA on P-256 only


def _asymmetric_problem(algorithm: str, key: object) -> str | None:
    """Why a parsed RS256/ES256 key does not fit its algorithm or is too weak, or None."""
    if algorithm == "RS256":
        if not isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
            return "is not an RSA key (JWT_ALGORITHM=RS256)"
        if key.key_size < MIN_RSA_BITS:
            return f"is a {key.key_size}-bit RSA key; at least {MIN_RSA_BITS} bits are needed"
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"is not an elliptic-curve key (JWT_ALGORITHM={algorithm})"
    if key.curve.name != _CURVE_FOR[algorithm]:
        return f"is on curve {key.curve.name}; {algorithm} needs P-256 ({_CURVE_FOR[algorithm]})"
    return None


def asymmetric_key_problems(
    algorithm: str, private_pem: str | None, previous_public_pems: dict[str, str]
) -> list[str]:
    """Every reason the RS256/ES256 keys are unfit: no or bad PEM, wrong type or curve, short RSA."""
    if algorithm == "HS256":
        return []
    found = []
    if not private_pem:
        found.append(f"JWT_PRIVATE_KEY (PEM) is required for JWT_ALGORITHM={algorithm}")
    else:
        try:
            private = serialization.load_pem_private_key(private_pem.encode(), None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            found.append("JWT_PRIVATE_KEY is not an unencrypted PEM private key")
        else:
            if problem := _asymmetric_problem(algorithm, private):
                found.append(f"JWT_PRIVATE_KEY {problem}")
    for kid, pem in previous_public_pems.items():
        try:
            public = serialization.load_pem_public_key(pem.encode())
        except (ValueError, TypeError, UnsupportedAlgorithm):
            found.append(f"JWT_PREVIOUS_KEYS[{kid!r}] is not a PEM public key")
            continue
        if problem := _asymmetric_problem(algorithm, public):
            found.append(f"JWT_PREVIOUS_KEYS[{kid!r}] {problem}")
    return found
