"""Database lifecycle: tortoise config from settings, migrations, init/close, health probe."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections, timezone
from tortoise.migrations.api import migrate

from server.config import Settings

MODEL_MODULES = ["server.models"]


def tortoise_config(settings: Settings) -> dict[str, Any]:
    """One config for the server, the migration command and tests; aware datetimes in Asia/Shanghai."""
    return {
        "connections": {"default": settings.database_url},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "server.migrations",
            }
        },
        "use_tz": True,
        "timezone": settings.timezone,
    }


def _ensure_sqlite_dir(settings: Settings) -> None:
    if settings.is_embedded_db:
        path = settings.database_url.removeprefix("sqlite://").split("?")[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


async def apply_migrations(settings: Settings) -> None:
    """Bring the schema up to date (tortoise's built-in migrations)."""
    _ensure_sqlite_dir(settings)
    try:
        await migrate(config=tortoise_config(settings))
    finally:
        await close_db()


def apply_migrations_sync(settings: Settings) -> None:
    asyncio.run(apply_migrations(settings))


async def init_db(settings: Settings) -> None:
    """Connect for this worker; the global fallback lets request tasks see what a listener set up.

    The connection is opened here, not lazily by the first request: a request cancelled while
    tortoise was still opening it (a client giving up during start-up) left it unusable.
    """
    _ensure_sqlite_dir(settings)
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    await connections.get("default").execute_query("SELECT 1")


async def close_db() -> None:
    """Close connections and forget the model registry, so a later init may use another backend."""
    await Tortoise.close_connections()
    await Tortoise._reset_apps()


async def db_ping(timeout: float = 2.0) -> bool:
    """True when the database answers a trivial query within `timeout` seconds."""
    try:
        await asyncio.wait_for(connections.get("default").execute_query("SELECT 1"), timeout)
    except Exception:
        return False
    return True


def db_time(value: dt.datetime) -> dt.datetime:
    """`value` in the database's time zone, for comparisons in filters.

    On SQLite tortoise stores aware datetimes as text in the configured zone and compares filter values
    as text, so a UTC value compared with a +08:00 column gives wrong answers; naive values are taken
    to be in that zone.
    """
    if value.utcoffset() is None:
        value = value.replace(tzinfo=timezone.get_default_timezone())
    return timezone.localtime(value)
