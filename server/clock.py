"""Today's date where the service is deployed: what is served follows the date it is asked on."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def today(timezone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(timezone)).date()


def utc_now() -> dt.datetime:
    """Now, as an aware UTC datetime (what the database stores)."""
    return dt.datetime.now(dt.UTC)
