"""Every guide turn recorded for operators, off the request's hot path.

Handlers await `TurnRecorder.record` (no I/O while there is room); a background task writes the queue
in batches every `flush_seconds` or as soon as `batch_size` turns wait, upserting each Conversation row.
The queue holds at most `max_pending` turns, counting those being written: past that, requests wait for
the writer (back-pressure), so under load the writer gets its share of the loop and a crash can lose
at most that many. The task starts with the first turn, inside a request, because tortoise keeps its
connections in a contextvar and a task started in a start-up listener broke the database for requests.

A write that fails is retried row by row: a row whose own values the database refuses (text it
cannot encode, NUL) is set aside with a masked log line and the others are written, so no row can
block the queue. Any other failure (no database, a missing table) keeps the turns queued for the next
try. `stop` lets a write under way finish (cancelling it mid-transaction lost the batch), writes what
is left and gives up after `stop_seconds`, saying how many turns it could not write.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import asyncpg
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import ValidationError

from server import metrics
from server.models import Turn
from server.privacy import mask_text
from server.push import sql

log = logging.getLogger("server.turns")

# What a database raises for a value it cannot take: lone surrogates (encoding), NUL in PostgreSQL
# text or JSON, a value its column refuses.
_ROW_FAULTS = (UnicodeError, ValueError, ValidationError, asyncpg.exceptions.DataError, sqlite3.DataError)

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
    """A bounded queue of turns and the task that writes it to the database in batches."""

    def __init__(
        self,
        flush_seconds: float,
        batch_size: int = 2000,
        max_pending: int = 5000,
        stop_seconds: float = 5.0,
    ) -> None:
        self.flush_seconds = flush_seconds
        self.batch_size = batch_size
        self.max_pending = max_pending
        self.stop_seconds = stop_seconds
        self._pending: list[TurnRecord] = []
        self._in_flight = 0
        self._full = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def depth(self) -> int:
        """Turns not yet in the database: queued and being written."""
        return len(self._pending) + self._in_flight

    def _changed(self) -> None:
        metrics.TURNS_QUEUED.set(self.depth)
        if self.depth < self.max_pending:
            self._room.set()
        else:
            self._room.clear()
            self._full.set()

    async def record(self, turn: TurnRecord) -> None:
        """Queue one turn, first waiting for room while the queue is full. Starts the writer."""
        if self._task is None and not self._stopping:
            self._task = asyncio.create_task(self._run())
        while self.depth >= self.max_pending and not self._stopping:
            self._full.set()
            await self._room.wait()
        self._pending.append(turn)
        if len(self._pending) >= self.batch_size:
            self._full.set()
        self._changed()

    async def _run(self) -> None:
        while not self._stopping:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self.flush_seconds)
            self._full.clear()
            try:
                await self.flush()
            except Exception:  # the database does not answer: the turns stay queued for the next round
                log.exception("writing guide turns failed; will retry")

    async def flush(self) -> int:
        """Write every queued turn now; returns how many were written or set aside.

        Raises only when the database does not answer; the unwritten turns are queued again.
        """
        async with self._lock:
            batch, self._pending = self._pending, []
            self._in_flight = len(batch)
            try:
                for start in range(0, len(batch), WRITE_CHUNK):
                    try:
                        await _write_isolating(batch[start : start + WRITE_CHUNK])
                    except BaseException:
                        self._pending = batch[start:] + self._pending
                        raise
                    self._in_flight = max(0, len(batch) - start - WRITE_CHUNK)
                    self._changed()
                return len(batch)
            finally:
                self._in_flight = 0
                self._changed()

    async def stop(self) -> None:
        """Let the writer finish the write under way, then write what is left, within `stop_seconds`."""
        self._stopping = True
        self._room.set()  # nobody waits for room any more
        try:
            async with asyncio.timeout(self.stop_seconds):
                if self._task is not None:
                    self._full.set()
                    await self._task
                    self._task = None
                await self.flush()
        except Exception:
            log.exception("stopping with guide turns unwritten", extra={"unwritten": self.depth})


async def _write_isolating(chunk: list[TurnRecord]) -> None:
    """Write `chunk`; if that fails, row by row, setting aside each row whose own data is refused.

    Any other failure (no database, a missing table) is raised: the turns stay queued for the next try.
    """
    try:
        await _write(chunk)
        return
    except Exception:
        pass
    for turn in chunk:
        try:
            await _write([turn])
        except Exception as exc:
            if not _is_row_fault(exc):
                raise
            metrics.TURNS_SET_ASIDE.inc()
            log.error(
                "guide turn set aside: the database refused it",
                extra={
                    "conversation_id": turn.conversation_id,
                    "seq": turn.seq,
                    "text": _loggable(mask_text(turn.text[:200])),
                    "error": _loggable(f"{type(exc).__name__}: {str(exc)[:300]}"),
                },
            )


def _is_row_fault(exc: BaseException) -> bool:
    """True when the row's own values were refused (encoding, NUL, a value out of range)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, _ROW_FAULTS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _loggable(text: str) -> str:
    """`text` with what UTF-8 cannot carry (lone surrogates) written as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


async def _write(batch: list[TurnRecord]) -> None:
    """Upsert the conversations of the batch, then insert its turns (a turn written twice is ignored).

    Each is one multi-row statement, values converted by the models' own fields: no model object per
    row, and on SQLite one driver call (one hand-over of the GIL to aiosqlite's thread) per statement
    instead of one per row, which under load took the event loop's thread away from requests.
    """
    latest: dict[str, TurnRecord] = {}
    began: dict[str, dt.datetime] = {}  # the first turn of each conversation in the batch
    for turn in batch:
        if turn.conversation_id not in latest or turn.seq > latest[turn.conversation_id].seq:
            latest[turn.conversation_id] = turn
        began[turn.conversation_id] = min(began.get(turn.conversation_id, turn.created_at), turn.created_at)
    conn = connections.get("default")
    # A plain datetime field's conversion (no auto_now side effect). A conversation was created at its
    # first turn and updated at its last, so the newest conversation sorts first within a batch too.
    reply, at = _TURN["reply"].to_db_value, _TURN["created_at"].to_db_value
    # A guest turn still queued must not empty the owner of a conversation claimed since.
    for owned in (True, False):
        rows = [t for t in latest.values() if (t.user_id is not None) == owned]
        if rows:
            updated = ("bundle", "turn_count", "updated_at", *(["user_id"] if owned else []))
            await _insert(
                conn,
                "conversation",
                ("id", "user_id", "bundle", "channel", "status", "turn_count", "created_at", "updated_at"),
                [
                    (t.conversation_id, t.user_id, t.bundle, "app", "bot", t.seq)
                    + (at(began[t.conversation_id], Turn), at(t.created_at, Turn))
                    for t in rows
                ],
                "ON CONFLICT (id) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in updated),
            )
    await _insert(
        conn,
        "turn",
        _TURN_COLUMNS,
        [
            (
                t.conversation_id,
                t.seq,
                mask_text(t.text),
                t.bundle,
                None if t.confidence is None else float(t.confidence),
                t.reply_type,
                reply(t.reply, Turn),
                float(t.latency_ms),
                at(t.created_at, Turn),
            )
            for t in batch
        ],
        "ON CONFLICT DO NOTHING",
    )


_TURN = Turn._meta.fields_map
_TURN_COLUMNS = (
    "conversation_id",
    "seq",
    "text",
    "bundle",
    "confidence",
    "reply_type",
    "reply",
    "latency_ms",
    "created_at",
)


async def _insert(
    conn: BaseDBAsyncClient, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], conflict: str
) -> None:
    """One INSERT of every row (SQLite and PostgreSQL both take multi-row VALUES and ON CONFLICT)."""
    row = "(" + ", ".join("?" * len(columns)) + ")"
    text = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * len(rows))} {conflict}"
    await sql.execute(conn, text, [value for values in rows for value in values])
