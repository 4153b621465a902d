"""The Redis roles behind one small interface: TTL keys, counters, pub/sub.

`RedisKV` (redis.asyncio) when REDIS_URL is set, so every worker and host shares the state;
`MemoryKV` otherwise, for the embedded single-host default. Both pass the same tests.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Protocol

import redis.asyncio as aioredis

from server import metrics


class KV(Protocol):
    """What the service needs from Redis. Values are str; TTLs are seconds."""

    async def get(self, key: str) -> str | None: ...
    async def get_many(self, keys: Sequence[str]) -> list[str | None]: ...
    async def set(self, key: str, value: str, ttl: float | None = None) -> None: ...
    async def set_if_absent(self, key: str, value: str, ttl: float) -> bool: ...
    async def delete(self, key: str) -> None: ...
    async def incr(self, key: str, ttl: float) -> int: ...
    async def decr(self, key: str) -> None: ...
    async def ttl(self, key: str) -> float | None: ...
    async def publish(self, channel: str, message: str) -> None: ...
    def subscribe(self, channel: str) -> AsyncIterator[str]: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class MemoryKV:
    """In-process stand-in: one dict with expiry times and asyncio queues for subscribers.

    Bounded like a Redis with `maxmemory-policy allkeys-lru`: every write first drops the keys that
    have expired (a heap ordered by expiry, so idle keys do not stay for their whole TTL), and past
    `max_keys` the least recently used key is evicted.
    """

    def __init__(self, max_keys: int = 50_000) -> None:
        self.max_keys = max_keys
        self.evicted = 0
        self._data: OrderedDict[str, tuple[str, float | None]] = OrderedDict()
        self._expiries: list[tuple[float, str]] = []
        self._subscribers: dict[str, set[asyncio.Queue[str]]] = {}

    def __len__(self) -> int:
        return len(self._data)

    def _live(self, key: str) -> tuple[str, float | None] | None:
        entry = self._data.get(key)
        if entry and entry[1] is not None and entry[1] <= time.monotonic():
            del self._data[key]
            return None
        if entry:
            self._data.move_to_end(key)
        return entry

    def _expire(self) -> None:
        """Drop every expired key; rebuild the heap when stale entries (renewed TTLs) pile up."""
        now = time.monotonic()
        while self._expiries and self._expiries[0][0] <= now:
            _, key = heapq.heappop(self._expiries)
            entry = self._data.get(key)
            if entry is not None and entry[1] is not None and entry[1] <= now:
                del self._data[key]
        if len(self._expiries) > 2 * len(self._data) + 1024:
            self._expiries = [(e[1], k) for k, e in self._data.items() if e[1] is not None]
            heapq.heapify(self._expiries)

    def _store(self, key: str, value: str, expires_at: float | None) -> None:
        self._expire()
        self._data[key] = (value, expires_at)
        self._data.move_to_end(key)
        if expires_at is not None:
            heapq.heappush(self._expiries, (expires_at, key))
        while len(self._data) > self.max_keys:
            self._data.popitem(last=False)
            self.evicted += 1
        metrics.MEMORY_KV_KEYS.set(len(self._data))

    @staticmethod
    def _expiry(ttl: float | None) -> float | None:
        return None if ttl is None else time.monotonic() + ttl

    async def get(self, key: str) -> str | None:
        entry = self._live(key)
        return entry[0] if entry else None

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        return [await self.get(key) for key in keys]

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._store(key, value, self._expiry(ttl))

    async def set_if_absent(self, key: str, value: str, ttl: float) -> bool:
        if self._live(key):
            return False
        self._store(key, value, self._expiry(ttl))
        return True

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def incr(self, key: str, ttl: float) -> int:
        entry = self._live(key)
        if entry is None:
            self._store(key, "1", self._expiry(ttl))
            return 1
        value = int(entry[0]) + 1
        self._data[key] = (str(value), entry[1])
        return value

    async def decr(self, key: str) -> None:
        entry = self._live(key)
        if entry is not None:
            self._data[key] = (str(int(entry[0]) - 1), entry[1])

    async def ttl(self, key: str) -> float | None:
        entry = self._live(key)
        if entry is None or entry[1] is None:
            return None
        return max(0.0, entry[1] - time.monotonic())

    async def publish(self, channel: str, message: str) -> None:
        for queue in self._subscribers.get(channel, ()):
            queue.put_nowait(message)

    async def subscribe(self, channel: str) -> AsyncIterator[str]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._subscribers.setdefault(channel, set()).add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers[channel].discard(queue)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._data.clear()


class RedisKV:
    """redis.asyncio: shared by every worker and host."""

    # Set only when absent; if it was set, increment and keep the TTL.
    _INCR = (
        "local v = redis.call('INCR', KEYS[1]) "
        "if v == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return v"
    )

    # Give back one count, only while the counter lives: a DECR on an expired key would create
    # a counter without a TTL that never goes away.
    _DECR = "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECR', KEYS[1]) end return 0"

    def __init__(self, url: str, prefix: str = "", max_connections: int = 100) -> None:
        # Every key and channel starts with `prefix`, so deployments (or tests) can share one Redis.
        self.prefix = prefix
        # A burst (thousands of sockets connecting at once) waits for a free connection instead of
        # failing with "Too many connections"; each pub/sub subscription holds one for its lifetime.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, decode_responses=True, health_check_interval=30, max_connections=max_connections, timeout=10
        )
        self._redis = aioredis.Redis.from_pool(pool)
        self._incr = self._redis.register_script(self._INCR)
        self._decr = self._redis.register_script(self._DECR)

    async def get(self, key: str) -> str | None:
        value = await self._redis.get(self.prefix + key)
        return None if value is None else str(value)

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        values = await self._redis.mget([self.prefix + key for key in keys])
        return [None if value is None else str(value) for value in values]

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        await self._redis.set(self.prefix + key, value, px=None if ttl is None else int(ttl * 1000))

    async def set_if_absent(self, key: str, value: str, ttl: float) -> bool:
        return bool(await self._redis.set(self.prefix + key, value, px=int(ttl * 1000), nx=True))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self.prefix + key)

    async def incr(self, key: str, ttl: float) -> int:
        return int(await self._incr(keys=[self.prefix + key], args=[int(ttl * 1000)]))

    async def decr(self, key: str) -> None:
        await self._decr(keys=[self.prefix + key])

    async def ttl(self, key: str) -> float | None:
        millis = await self._redis.pttl(self.prefix + key)
        return None if millis < 0 else millis / 1000

    async def publish(self, channel: str, message: str) -> None:
        await self._redis.publish(self.prefix + channel, message)

    async def subscribe(self, channel: str) -> AsyncIterator[str]:
        async with self._pubsub(self.prefix + channel) as pubsub:
            async for message in pubsub.listen():
                if message["type"] == "message":
                    yield message["data"]

    @asynccontextmanager
    async def _pubsub(self, channel: str) -> AsyncIterator[aioredis.client.PubSub]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(channel)
        try:
            yield pubsub
        finally:
            with suppress(Exception):
                await pubsub.unsubscribe(channel)
            await pubsub.aclose()

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()


def create_kv(redis_url: str | None, memory_max_keys: int = 50_000, prefix: str = "") -> KV:
    """Redis (keys under `prefix`) when configured, else the in-process stand-in holding at most
    `memory_max_keys` keys."""
    return RedisKV(redis_url, prefix) if redis_url else MemoryKV(memory_max_keys)
