"""How a delivery is sent on each channel; the dispatcher picks one by the row's `channel`."""

from __future__ import annotations

from typing import Protocol

from server.models import Delivery, Notification
from server.vendors.outcome import Outcome


class Channel(Protocol):
    async def send(self, delivery: Delivery, notification: Notification) -> Outcome: ...
