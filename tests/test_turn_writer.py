"""The turn writer (both backends): a row the database refuses is set aside and never blocks the queue;
the queue is bounded, callers wait for room while the writer catches up; stop always finishes."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from server.config import Settings
from server.db import close_db, init_db
from server.models import Turn
from server.turns import TurnRecord, TurnRecorder

# Lone surrogates cannot be encoded for SQLite or PostgreSQL; PostgreSQL refuses NUL in text.
UNWRITABLE = ["坏\ud800行", "坏\x00行"]


def turn(conversation_id: str, seq: int, text: str = "领证") -> TurnRecord:
    now = dt.datetime.now(dt.UTC)
    return TurnRecord(conversation_id, None, seq, text, "marriage", 0.9, "question", {}, 1.0, now)


async def test_a_row_the_database_refuses_is_set_aside_and_the_rest_written(migrated: Settings) -> None:
    await init_db(migrated)
    recorder = TurnRecorder(flush_seconds=3600)
    try:
        before, bad, after = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex
        await recorder.record(turn(before, 1))
        await recorder.flush()
        await recorder.record(turn(bad, 1, UNWRITABLE[0]))
        await recorder.record(turn(bad, 2, UNWRITABLE[1]))
        for seq in range(1, 251):  # several chunks, the bad rows in the first
            await recorder.record(turn(after, seq))
        assert await recorder.flush() == 252
        assert recorder.depth == 0
        assert await Turn.filter(conversation_id=after).count() == 250
        assert await Turn.filter(conversation_id=before).count() == 1
        await recorder.record(turn(after, 251))
        await recorder.flush()
        assert await Turn.filter(conversation_id=after).count() == 251
    finally:
        await asyncio.wait_for(recorder.stop(), 10)
        await close_db()


async def test_a_full_queue_makes_callers_wait_for_the_writer(migrated: Settings) -> None:
    await init_db(migrated)
    recorder = TurnRecorder(flush_seconds=3600, max_pending=20)
    conversation_id = uuid.uuid4().hex
    try:
        for seq in range(1, 21):
            await recorder.record(turn(conversation_id, seq))
        assert await Turn.filter(conversation_id=conversation_id).count() == 0
        # The queue is full: the next caller returns only once the writer has made room.
        await asyncio.wait_for(recorder.record(turn(conversation_id, 21)), 30)
        assert await Turn.filter(conversation_id=conversation_id).count() >= 1
        assert recorder.depth <= 20
    finally:
        await asyncio.wait_for(recorder.stop(), 10)
        assert await Turn.filter(conversation_id=conversation_id).count() == 21
        await close_db()


async def test_stop_finishes_when_the_database_is_gone(migrated: Settings) -> None:
    await init_db(migrated)
    recorder = TurnRecorder(flush_seconds=0.05, stop_seconds=3)
    await recorder.record(turn(uuid.uuid4().hex, 1))
    await close_db()  # no database any more: the writer keeps failing
    await asyncio.wait_for(recorder.stop(), 10)
    assert recorder.depth == 1  # said in the log, not lost silently
