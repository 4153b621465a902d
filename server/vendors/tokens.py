"""A vendor access token cached in the kv role, so every worker and host uses one token.

One process refreshes at a time (a kv lock); the others wait for the new value. A token a vendor
refused is dropped only if it is still the cached one, so a late refusal cannot drop a fresh token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from server.kv import KV
from server.vendors.outcome import VendorUnavailable

# (token, seconds it stays valid)
Fetch = Callable[[], Awaitable[tuple[str, float]]]


class SharedToken:
    def __init__(self, kv: KV, key: str, fetch: Fetch, lock_seconds: float = 10.0) -> None:
        self.kv = kv
        self.key = key
        self.fetch = fetch
        self.lock_seconds = lock_seconds

    async def get(self) -> str:
        """The cached token, or a fresh one."""
        token = await self.kv.get(self.key)
        return token if token else await self._refresh()

    async def invalidate(self, token: str) -> None:
        """Forget `token` (the vendor refused it) unless another process already replaced it."""
        if await self.kv.get(self.key) == token:
            await self.kv.delete(self.key)

    async def _refresh(self) -> str:
        lock = self.key + ":refreshing"
        if await self.kv.set_if_absent(lock, "1", self.lock_seconds):
            try:
                token, valid_seconds = await self.fetch()
                # Renew well before the vendor's expiry; WeChat's stable_token overlaps old and new.
                await self.kv.set(self.key, token, ttl=max(30.0, valid_seconds - 120))
                return token
            finally:
                await self.kv.delete(lock)
        deadline = asyncio.get_running_loop().time() + self.lock_seconds
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
            fresh = await self.kv.get(self.key)
            if fresh:
                return fresh
        raise VendorUnavailable("token_unavailable", f"no {self.key} after waiting for the refresher")
