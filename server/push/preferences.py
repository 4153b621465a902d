"""Per-category, per-channel choices; critical categories (e.g. 补正) cannot be switched off."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tortoise.transactions import in_transaction

from server.models import PushPreference
from server.push.config import CHANNELS, PushConfig
from server.push.errors import CriticalCategory, UnknownName


async def matrix(config: PushConfig, user_id: str) -> list[dict[str, Any]]:
    """Every category with each channel on or off for this citizen."""
    off = {(p.category, p.channel) for p in await PushPreference.filter(user_id=user_id, enabled=False)}
    return [
        {
            "category": category.code,
            "name": category.name,
            "critical": category.critical,
            "channels": {
                channel: category.critical or (category.code, channel) not in off for channel in CHANNELS
            },
        }
        for category in config.texts.categories.values()
    ]


async def update(config: PushConfig, user_id: str, changes: Iterable[tuple[str, str, bool]]) -> None:
    """Apply (category, channel, enabled) changes all or nothing."""
    checked = []
    for category_code, channel, enabled in changes:
        if category_code not in config.texts.categories:
            raise UnknownName(f"unknown category {category_code!r}")
        if channel not in CHANNELS:
            raise UnknownName(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")
        category = config.texts.categories[category_code]
        if category.critical and not enabled:
            raise CriticalCategory(f"“{category.name}” ({category_code}) cannot be switched off")
        checked.append((category_code, channel, enabled))
    async with in_transaction() as conn:
        for category_code, channel, enabled in checked:
            await PushPreference.update_or_create(
                defaults={"enabled": enabled},
                user_id=user_id,
                category=category_code,
                channel=channel,
                using_db=conn,
            )
