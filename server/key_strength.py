"""Whether a key is fit for production: not a published development value, long enough, not one
character repeated or a short pattern, and with enough estimated entropy.

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
