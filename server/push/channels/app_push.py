"""App push through one provider (个推 RestAPI V2); a client id the vendor no longer knows is removed."""

from __future__ import annotations

from server.models import Delivery, Device, Notification
from server.vendors.getui import GetuiClient
from server.vendors.outcome import Outcome


class AppPushChannel:
    repeat_safe = True

    def __init__(self, client: GetuiClient) -> None:
        self.client = client

    async def send(self, delivery: Delivery, notification: Notification) -> Outcome:
        device = await Device.filter(id=delivery.target).first()
        if device is None:
            return Outcome.failed("device_removed")
        payload = {
            "notification_id": notification.id,
            "seq": notification.seq,
            "category": notification.category,
            "application_id": notification.application_id,
        }
        outcome = await self.client.push(
            device.client_id, delivery.idempotency_key, notification.title, notification.body, payload
        )
        if outcome.code == "invalid_client_id":
            await Device.filter(id=device.id).delete()
        return outcome
