"""WebSocket: publish the frame on the kv channel; whichever worker holds the citizen's socket sends it.

A claimed batch goes out as one kv message (one round trip, one message for every worker to read),
however many citizens it is for. A citizen who is offline misses nothing: on reconnect the socket
replays the inbox since the last `seq` the client saw, and the client de-duplicates by notification `id`.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.kv import KV
from server.models import Delivery, Notification
from server.push.frames import WS_CHANNEL, fanout_message, notification_frame
from server.vendors.outcome import Outcome


class WebSocketChannel:
    repeat_safe = True

    def __init__(self, kv: KV) -> None:
        self.kv = kv

    async def send(self, delivery: Delivery, notification: Notification) -> Outcome:
        return (await self._publish([notification]))[0]

    async def send_many(self, deliveries: Sequence[Delivery]) -> list[Outcome]:
        return await self._publish([delivery.notification for delivery in deliveries])

    async def _publish(self, notifications: Sequence[Notification]) -> list[Outcome]:
        message = fanout_message([(n.user_id, n.seq, notification_frame(n)) for n in notifications])
        await self.kv.publish(WS_CHANNEL, message)
        return [Outcome.sent()] * len(notifications)
