"""Counters in the kv role that stop floods and guessing: 429 with Retry-After when exceeded.

Every limit is reserved before the work it guards (one atomic increment, then a comparison), so
concurrent requests cannot all read "below the limit" and then all go ahead.
"""

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


async def give_back(kv: KV, key: str) -> None:
    """Return a use taken with `take` that turned out not to count (a success, or refused elsewhere)."""
    await kv.decr(key)
