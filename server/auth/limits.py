"""Counters in the kv role that stop floods and guessing: 429 with Retry-After when exceeded."""

from __future__ import annotations

import math

from server.errors import ApiError
from server.kv import KV


async def _too_many(kv: KV, key: str, message: str) -> ApiError:
    remaining = await kv.ttl(key)
    retry_after = max(1, math.ceil(remaining if remaining is not None else 1))
    return ApiError(429, "rate_limited", message, {"Retry-After": str(retry_after)})


async def take(kv: KV, key: str, limit: int, window_seconds: int, message: str) -> None:
    """Count one use of `key` in its window; raise 429 once more than `limit` were used."""
    if await kv.incr(key, window_seconds) > limit:
        raise await _too_many(kv, key, message)


async def ensure_below(kv: KV, key: str, limit: int, message: str) -> None:
    """Raise 429 when `key` already counted `limit` failures (checked before trying again)."""
    count = await kv.get(key)
    if count is not None and int(count) >= limit:
        raise await _too_many(kv, key, message)


async def count_failure(kv: KV, key: str, window_seconds: int) -> int:
    return await kv.incr(key, window_seconds)
