"""Raw SQL where the ORM cannot say it (claims, counters), written once with `?` placeholders."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

_PLACEHOLDER = re.compile(r"\?")


def is_postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


def render(conn: BaseDBAsyncClient, text: str) -> str:
    """`?` placeholders as the connection's driver wants them ($1, $2 … on asyncpg)."""
    if not is_postgres(conn):
        return text
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", text)


async def rows(conn: BaseDBAsyncClient, text: str, values: Sequence[Any] = ()) -> list[dict]:
    return await conn.execute_query_dict(render(conn, text), list(values))


async def execute(conn: BaseDBAsyncClient, text: str, values: Sequence[Any] = ()) -> int:
    count, _ = await conn.execute_query(render(conn, text), list(values))
    return count
