"""The sockets one worker holds, fed from the kv channel every worker subscribes to.

Each connection has a bounded queue. A client too slow to keep up overflows it and is told to
reconnect; it then resumes from the last `seq` it saw, so nothing is lost and no worker's memory grows.
"""

from __future__ import annotations

import asyncio
import logging

from server.kv import KV
from server.push.frames import WS_CHANNEL, parse_fanout

log = logging.getLogger("server.push.hub")


class Connection:
    """One open socket of one citizen, as the hub sees it."""

    def __init__(self, user_id: str, max_queued: int) -> None:
        self.user_id = user_id
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(max_queued)
        self.floor = 0  # frames with seq <= floor were already replayed
        self.overflowed = False
        self.closed = False
        self._woken = asyncio.Event()

    def offer(self, seq: int, frame: str) -> None:
        if seq <= self.floor or self.overflowed:
            return
        try:
            self.queue.put_nowait((seq, frame))
        except asyncio.QueueFull:
            self.resync()
            return
        self._woken.set()

    def resync(self) -> None:
        """Frames may have been missed: have the client reconnect and replay from its last seq."""
        self.overflowed = True
        self._woken.set()

    def close(self) -> None:
        """The client went away: wake the sender so it stops."""
        self.closed = True
        self._woken.set()

    async def next_frame(self, timeout: float) -> str | None:
        """The next frame to send; None after `timeout` seconds of quiet, on close or on overflow."""
        if self.queue.empty() and not (self.closed or self.overflowed):
            self._woken.clear()
            try:
                async with asyncio.timeout(timeout):  # a timer, not a task per wait as wait_for makes
                    await self._woken.wait()
            except TimeoutError:
                return None
        while not (self.closed or self.overflowed or self.queue.empty()):
            seq, frame = self.queue.get_nowait()
            if seq > self.floor:  # queued before a replay that already sent it
                return frame
        return None


class Hub:
    def __init__(self, kv: KV, max_queued: int = 256) -> None:
        self.kv = kv
        self.max_queued = max_queued
        self.connections: dict[str, set[Connection]] = {}
        self._task: asyncio.Task[None] | None = None

    def register(self, user_id: str) -> Connection:
        connection = Connection(user_id, self.max_queued)
        self.connections.setdefault(user_id, set()).add(connection)
        return connection

    def unregister(self, connection: Connection) -> None:
        held = self.connections.get(connection.user_id)
        if held is not None:
            held.discard(connection)
            if not held:
                del self.connections[connection.user_id]

    @property
    def count(self) -> int:
        return sum(len(held) for held in self.connections.values())

    def deliver(self, message: str) -> None:
        for user_id, seq, frame in parse_fanout(message):
            for connection in tuple(self.connections.get(user_id, ())):
                connection.offer(seq, frame)

    async def _listen(self) -> None:
        while True:
            try:
                async for message in self.kv.subscribe(WS_CHANNEL):
                    self.deliver(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Frames published while we were not subscribed are lost here: every socket is told to
                # reconnect, and its `since` replay fetches them from the inbox.
                log.warning("websocket fan-out channel lost; resubscribing", exc_info=True)
                for held in tuple(self.connections.values()):
                    for connection in tuple(held):
                        connection.resync()
                await asyncio.sleep(1)

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._task:
            await cancel(self._task)


async def cancel(task: asyncio.Task[None], grace: float = 2.0) -> None:
    """Cancel `task` and give it `grace` seconds to clean up, never waiting longer.

    A Redis subscription being torn down can take its time (or never return on a closed pool);
    shutting a worker down must not wait on it.
    """
    task.cancel()
    await asyncio.wait({task}, timeout=grace)
