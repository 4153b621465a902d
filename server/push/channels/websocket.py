"""WebSocket: publish the frame on the kv channel; whichever worker holds the citizen's socket sends it.

A citizen who is offline misses nothing: on reconnect the socket replays the inbox since the last
`seq` the client saw, and the client de-duplicates by notification `id`.
"""

from __future__ import annotations

from server.kv import KV
from server.models import Delivery, Notification
from server.push.frames import WS_CHANNEL, fanout_message, notification_frame
from server.vendors.outcome import Outcome


class WebSocketChannel:
    repeat_safe = True

    def __init__(self, kv: KV) -> None:
        self.kv = kv

    async def send(self, delivery: Delivery, notification: Notification) -> Outcome:
        message = fanout_message(notification.user_id, notification.seq, notification_frame(notification))
        await self.kv.publish(WS_CHANNEL, message)
        return Outcome.sent()
