"""How a delivery is sent on each channel; the dispatcher picks one by the row's `channel`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from server.models import Delivery, Notification
from server.vendors.outcome import Outcome


class Channel(Protocol):
    # True when a repeated send is harmless: the vendor drops a repeated key (个推 request_id) or the
    # client de-duplicates (our socket, by notification id). Otherwise the dispatcher records each
    # outcome the moment it is known, so a crash can repeat at most the sends then in the air.
    repeat_safe: bool

    async def send(self, delivery: Delivery, notification: Notification) -> Outcome: ...


@runtime_checkable
class BatchChannel(Channel, Protocol):
    """A channel that sends a claimed batch's rows in one go (one round trip instead of one per row)."""

    async def send_many(self, deliveries: Sequence[Delivery]) -> list[Outcome]:
        """One outcome per row, in order; each row's `notification` is loaded."""
        ...
