"""The dispatcher: claim due deliveries, send each on its channel, record the outcomes.

It runs inside every server worker by default (`PUSH_DISPATCHER=embedded`) or as its own process
(`python -m server.push`). It wakes on the kv channel `push:wake` (published after each commit that
wrote deliveries) and polls every `poll_seconds` as well, so a lost wake-up only delays.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from server.kv import KV
from server.models import Delivery
from server.push import queue
from server.push.channels import BatchChannel, Channel
from server.push.hub import cancel
from server.push.outbox import WAKE_CHANNEL
from server.push.queue import RetryPolicy
from server.vendors.outcome import Outcome

log = logging.getLogger("server.push.dispatcher")


@dataclass(frozen=True)
class DispatchSettings:
    batch_size: int = 100
    concurrency: int = 32
    lease_seconds: float = 60.0
    poll_seconds: float = 1.0
    retry: RetryPolicy = RetryPolicy()


class Dispatcher:
    def __init__(self, channels: Mapping[str, Channel], kv: KV, settings: DispatchSettings) -> None:
        self.channels = dict(channels)
        # Repeat-safe channels that take a whole batch at once (looked up once: a Protocol check is slow).
        self._batched = {
            name: channel
            for name, channel in self.channels.items()
            if isinstance(channel, BatchChannel) and channel.repeat_safe
        }
        self.kv = kv
        self.settings = settings
        self._wake = asyncio.Event()
        self._limit = asyncio.Semaphore(settings.concurrency)
        self.sent = 0

    async def _send(self, token: str, delivery: Delivery) -> tuple[Delivery, Outcome, bool]:
        """Send one row; (row, outcome, already recorded)."""
        channel = self.channels.get(delivery.channel)
        if channel is None:
            return delivery, Outcome.failed("channel_not_configured", delivery.channel), False
        async with self._limit:
            try:
                outcome = await channel.send(delivery, delivery.notification)
            except Exception as exc:  # one bad row must not stop the batch
                log.exception("push channel raised", extra={"delivery_id": delivery.id})
                outcome = Outcome.retry("internal_error", type(exc).__name__)
        if channel.repeat_safe:
            return delivery, outcome, False
        await queue.record(token, [(delivery, outcome)], self.settings.retry)
        return delivery, outcome, True

    async def _send_many(self, channel: BatchChannel, deliveries: list[Delivery]) -> list[Outcome]:
        """Send a batch channel's rows of one claim together (recorded with the batch)."""
        try:
            outcomes = await channel.send_many(deliveries)
        except Exception as exc:
            log.exception("push channel raised", extra={"deliveries": len(deliveries)})
            return [Outcome.retry("internal_error", type(exc).__name__)] * len(deliveries)
        return outcomes

    async def run_once(self) -> int:
        """Claim one batch, send it, record it; how many rows were claimed."""
        token, deliveries = await queue.claim(self.settings.batch_size, self.settings.lease_seconds)
        if not deliveries:
            return 0
        batches: dict[BatchChannel, list[Delivery]] = {}
        one_by_one = []
        for delivery in deliveries:
            channel = self._batched.get(delivery.channel)
            if channel is not None:
                batches.setdefault(channel, []).append(delivery)
            else:
                one_by_one.append(delivery)
        singles, grouped = await asyncio.gather(
            asyncio.gather(*(self._send(token, d) for d in one_by_one)),
            asyncio.gather(*(self._send_many(channel, rows) for channel, rows in batches.items())),
        )
        sent = list(singles)
        for rows, outcomes in zip(batches.values(), grouped, strict=True):
            sent += [(delivery, outcome, False) for delivery, outcome in zip(rows, outcomes, strict=True)]
        results = [(delivery, outcome) for delivery, outcome, _ in sent]
        # Repeat-safe rows are recorded together: one commit for the batch.
        await queue.record(token, [(d, o) for d, o, recorded in sent if not recorded], self.settings.retry)
        self.sent += sum(1 for _, outcome in results if outcome.kind == "sent")
        for delivery, outcome in results:
            if outcome.kind != "sent":
                log.info(
                    "push delivery not sent",
                    extra={
                        "delivery_id": delivery.id,
                        "channel": delivery.channel,
                        "outcome": outcome.kind,
                        "code": outcome.code,
                        "attempts": delivery.attempts,
                    },
                )
        return len(deliveries)

    async def _listen(self) -> None:
        while True:
            try:
                async for _ in self.kv.subscribe(WAKE_CHANNEL):
                    self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("push wake-up channel lost; polling until it is back", exc_info=True)
                await asyncio.sleep(1)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: drain what is due, then wait for a wake-up or the next poll."""
        listener = asyncio.create_task(self._listen())
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    claimed = await self.run_once()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("push dispatch failed; trying again at the next poll")
                    claimed = 0
                if claimed >= self.settings.batch_size:
                    continue
                stopping = asyncio.create_task(stop.wait())
                woken = asyncio.create_task(self._wake.wait())
                await asyncio.wait(
                    {stopping, woken},
                    timeout=self.settings.poll_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                stopping.cancel()
                woken.cancel()
        finally:
            await cancel(listener)
