"""Every guide turn recorded for operators, off the request's hot path.

Handlers call `TurnRecorder.record` (no I/O); a background task writes the queue in batches every
`flush_seconds` or as soon as `batch_size` turns wait, upserting each Conversation row. The task starts
with the first turn, inside a request, because tortoise keeps its connections in a contextvar and a
task started in a start-up listener broke the database for requests. `stop` lets a write under way
finish (cancelling it mid-transaction lost the batch) and writes what is left, so a clean shutdown
loses nothing. A failed write keeps the turns for the next try. Under a saturated event loop the
writer lags and catches up when the load eases; the queue is in memory until then.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from server.models import Conversation, Turn
from server.privacy import mask_text

log = logging.getLogger("server.turns")

# Turns per database write: building a thousand rows holds the event loop for ~50 ms, so a batch is
# written in chunks and requests are served between them.
WRITE_CHUNK = 100


@dataclass(frozen=True)
class TurnRecord:
    """One exchange as it happened; the text is masked when it is written."""

    conversation_id: str
    user_id: str | None
    seq: int
    text: str
    bundle: str | None
    confidence: float | None
    reply_type: str
    reply: dict[str, Any]
    latency_ms: float
    created_at: dt.datetime


class TurnRecorder:
    """A queue of turns and the task that writes it to the database in batches."""

    def __init__(self, flush_seconds: float, batch_size: int = 2000) -> None:
        self.flush_seconds = flush_seconds
        self.batch_size = batch_size
        self._pending: list[TurnRecord] = []
        self._full = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def record(self, turn: TurnRecord) -> None:
        """Queue one turn; never waits on the database. The writer starts with the first turn."""
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        self._pending.append(turn)
        if len(self._pending) >= self.batch_size:
            self._full.set()

    async def _run(self) -> None:
        while not self._stopping:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self.flush_seconds)
            self._full.clear()
            try:
                await self.flush()
            except Exception:  # the turns stay queued; the next round tries again
                log.exception("writing guide turns failed; will retry")

    async def flush(self) -> int:
        """Write every queued turn now; returns how many were written."""
        async with self._lock:
            batch, self._pending = self._pending, []
            for start in range(0, len(batch), WRITE_CHUNK):
                try:
                    await _write(batch[start : start + WRITE_CHUNK])
                except BaseException:
                    self._pending = batch[start:] + self._pending
                    raise
            return len(batch)

    async def stop(self) -> None:
        """Let the writer finish the write under way, then write what is left."""
        self._stopping = True
        if self._task is not None:
            self._full.set()
            await self._task
            self._task = None
        await self.flush()


async def _write(batch: list[TurnRecord]) -> None:
    """Upsert the conversations of the batch, then insert its turns (a turn written twice is ignored)."""
    latest: dict[str, TurnRecord] = {}
    for turn in batch:
        if turn.conversation_id not in latest or turn.seq > latest[turn.conversation_id].seq:
            latest[turn.conversation_id] = turn
    now = dt.datetime.now(dt.UTC)
    # A guest turn still queued must not empty the owner of a conversation claimed since.
    for owned in (True, False):
        rows = [t for t in latest.values() if (t.user_id is not None) == owned]
        if rows:
            await Conversation.bulk_create(
                [
                    Conversation(
                        id=t.conversation_id,
                        user_id=t.user_id,
                        bundle=t.bundle,
                        turn_count=t.seq,
                        updated_at=now,
                    )
                    for t in rows
                ],
                on_conflict=["id"],
                update_fields=["bundle", "turn_count", "updated_at", *(["user_id"] if owned else [])],
            )
    await Turn.bulk_create(
        [
            Turn(
                conversation_id=t.conversation_id,
                seq=t.seq,
                text=mask_text(t.text),
                bundle=t.bundle,
                confidence=t.confidence,
                reply_type=t.reply_type,
                reply=t.reply,
                latency_ms=t.latency_ms,
                created_at=t.created_at,
            )
            for t in batch
        ],
        ignore_conflicts=True,
    )
