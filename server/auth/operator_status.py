"""Operators' current role and active flag, read from the database and cached briefly.

A token only says who an operator is; what they may do comes from here on every request, so a
demoted or deactivated operator, or a token naming no operator at all, is refused at once. A change
drops the entry on this worker at once and on every other worker through the kv channel (Redis
pub/sub when configured); the short TTL bounds staleness should a message be lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from server.kv import KV
from server.models import Operator

log = logging.getLogger("server.auth.operator_status")

CHANNEL = "operators:changed"
_MAX_ENTRIES = 10_000  # forged tokens naming random ids must not grow the cache without bound
_ID_LENGTH = Operator._meta.fields_map["id"].max_length  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OperatorStatus:
    role: str
    active: bool


class OperatorDirectory:
    """`status(id)` for the guards; `changed(id)` after every write to an operator."""

    def __init__(self, kv: KV, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.kv = kv
        self.ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, tuple[OperatorStatus | None, float]] = {}
        self._generation = 0  # bumped by every invalidation, so a read in flight cannot store stale data

    async def status(self, operator_id: str) -> OperatorStatus | None:
        """The operator's role and active flag, or None when no such operator exists."""
        now = self._clock()
        hit = self._cache.get(operator_id)
        if hit is not None and hit[1] > now:
            return hit[0]
        generation = self._generation
        row = None
        if len(operator_id) <= _ID_LENGTH:
            row = await Operator.get_or_none(id=operator_id).only("id", "role", "active")
        status = OperatorStatus(row.role, row.active) if row is not None else None
        if generation == self._generation and self.ttl > 0:
            if len(self._cache) >= _MAX_ENTRIES:
                self._cache.clear()
            self._cache[operator_id] = (status, now + self.ttl)
        return status

    def forget(self, operator_id: str | None = None) -> None:
        """Drop one entry (or all): the next request reads the database."""
        self._generation += 1
        if operator_id is None:
            self._cache.clear()
        else:
            self._cache.pop(operator_id, None)

    async def changed(self, operator_id: str) -> None:
        """An operator's role, active flag or password changed: forget it here and on every worker."""
        self.forget(operator_id)
        await self.kv.publish(CHANNEL, operator_id)

    async def watch(self) -> None:
        """Forget what other workers changed; resubscribe (forgetting everything) if the channel drops."""
        while True:
            try:
                async for operator_id in self.kv.subscribe(CHANNEL):
                    self.forget(operator_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("operator change channel lost; resubscribing", exc_info=True)
            self.forget()
            await asyncio.sleep(1)
