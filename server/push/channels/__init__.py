"""How a delivery is sent on each channel; the dispatcher picks one by the row's `channel`."""

from __future__ import annotations

from typing import Protocol

from server.models import Delivery, Notification
from server.vendors.outcome import Outcome


class Channel(Protocol):
    # True when a repeated send is harmless: the vendor drops a repeated key (个推 request_id) or the
    # client de-duplicates (our socket, by notification id). Otherwise the dispatcher records each
    # outcome the moment it is known, so a crash can repeat at most the sends then in the air.
    repeat_safe: bool

    async def send(self, delivery: Delivery, notification: Notification) -> Outcome: ...
