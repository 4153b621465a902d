"""Storage on SQLite and PostgreSQL: migrations apply, aware datetimes round-trip in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest

from server.config import Settings
from server.db import apply_migrations, close_db, db_ping, init_db
from server.models import Conversation, Turn

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_migrations_are_idempotent_and_ping(migrated: Settings) -> None:
    await apply_migrations(migrated)  # second run applies nothing and does not fail
    await init_db(migrated)
    try:
        assert await db_ping()
    finally:
        await close_db()


async def test_shanghai_datetime_round_trip(migrated: Settings) -> None:
    await init_db(migrated)
    try:
        moment = dt.datetime(2026, 11, 25, 23, 30, 15, tzinfo=SHANGHAI)  # 15:30 UTC, crosses a date line
        conversation = await Conversation.create(id="c1")
        await Turn.create(
            conversation=conversation,
            seq=1,
            text="你好",
            reply_type="fallback",
            reply={},
            latency_ms=1.0,
            created_at=moment,
        )
        stored = await Turn.get(conversation_id="c1", seq=1)
        assert stored.created_at.tzinfo is not None
        assert stored.created_at == moment
        assert stored.created_at.astimezone(SHANGHAI).hour == 23
        fresh = await Conversation.get(id="c1")
        drift = abs(dt.datetime.now(dt.UTC) - fresh.created_at)
        assert drift < dt.timedelta(minutes=1), "auto_now_add drifted (the 8-hour bug)"
    finally:
        await close_db()


async def test_unreachable_database_fails_at_start_and_ping(make_settings) -> None:
    settings = make_settings(database_url="postgres://nobody@127.0.0.1:1/none")
    with pytest.raises(OSError):
        await init_db(settings)
    await close_db()
    assert not await db_ping()


async def test_hardening_migration_casefolds_usernames_and_keeps_an_id_number_on_its_oldest_account(
    settings: Settings,
) -> None:
    """Rows written before `hardening_accounts` break its rules; it resolves them instead of failing."""
    from tortoise import connections
    from tortoise.migrations.api import migrate

    from server.db import tortoise_config

    hardening = importlib.import_module("server.migrations.0009_hardening_accounts")
    [(_, previous)] = hardening.Migration.dependencies
    await migrate(config=tortoise_config(settings), target=f"models.{previous}")
    await close_db()
    await init_db(settings)
    try:
        conn = connections.get("default")
        for n, (name, day) in enumerate((("Admin", 1), ("ADMIN", 2), ("admin", 3), ("Bob", 4))):
            await conn.execute_script(
                "INSERT INTO operator (id, username, password_hash, role, active, created_at, updated_at) "
                f"VALUES ('op{n}', '{name}', 'x', 'operator', true, '2026-01-0{day} 00:00:00+00', "
                f"'2026-01-0{day} 00:00:00+00')"
            )
        for n in range(2):
            when = f"'2026-01-0{n + 1} 00:00:00+00'"
            await conn.execute_script(
                "INSERT INTO app_user (id, id_number_hash, id_number_encrypted, created_at, updated_at) "
                f"VALUES ('u{n}', 'same', 'v1:x', {when}, {when})"
            )
    finally:
        await close_db()
    await apply_migrations(settings)
    await init_db(settings)
    try:
        from server.models import Operator, User

        names = dict(await Operator.all().values_list("id", "username"))
        assert names == {"op0": "admin", "op1": "admin-2", "op2": "admin-3", "op3": "bob"}
        bound = dict(await User.all().values_list("id", "id_number_hash"))
        assert bound == {"u0": "same", "u1": None}
    finally:
        await close_db()
