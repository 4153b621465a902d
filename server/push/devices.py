"""Phones registered for app push; a client id moves to whoever logged in on that phone last."""

from __future__ import annotations

import uuid

from tortoise.transactions import in_transaction

from server.models import Device
from server.push.errors import NotFound


async def register(user_id: str, provider: str, client_id: str, platform: str) -> Device:
    async with in_transaction() as conn:
        device = (
            await Device.filter(provider=provider, client_id=client_id)
            .using_db(conn)
            .select_for_update()
            .first()
        )
        if device is None:
            return await Device.create(
                using_db=conn,
                id=uuid.uuid4().hex,
                user_id=user_id,
                provider=provider,
                client_id=client_id,
                platform=platform,
            )
        device.user_id = user_id
        device.platform = platform
        await device.save(using_db=conn)
        return device


async def listing(user_id: str) -> list[Device]:
    return list(await Device.filter(user_id=user_id).order_by("created_at"))


async def remove(user_id: str, device_id: str) -> None:
    if not await Device.filter(user_id=user_id, id=device_id).delete():
        raise NotFound("no such device")
