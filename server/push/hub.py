"""The sockets one worker holds, fed from the kv channel every worker subscribes to.

Each connection has a bounded queue. A client too slow to keep up overflows it and is told to
reconnect; it then resumes from the last `seq` it saw, so nothing is lost and no worker's memory grows.

One clock serves every socket: each tick, the sockets that have been quiet for a heartbeat period
are checked for a revoked session together (one kv round trip however many are due) and then given
their heartbeat, and sockets whose token has run out are ended. With thousands of sockets open this
costs one timer and one lookup a tick instead of a timer and a lookup per socket.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from server.kv import KV
from server.push.frames import WS_CHANNEL, parse_fanout

log = logging.getLogger("server.push.hub")

# Given the sessions of the sockets due a heartbeat, which of them were revoked (same order).
RevokedCheck = Callable[[Sequence[Any]], Awaitable[Sequence[bool]]]


class Connection:
    """One open socket of one citizen, as the hub sees it."""

    def __init__(self, user_id: str, max_queued: int, session: Any = None, expires_at: float = float("inf")):
        self.user_id = user_id
        self.session = session  # what the revocation check is asked about (the token's claims)
        self.expires_at = expires_at
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(max_queued)
        self.floor = 0  # frames with seq <= floor were already replayed
        self.overflowed = False
        self.closed = False
        self.token_ended = False  # expired or revoked: the socket is closed for a fresh token
        self.heartbeat_due = False
        self.last_sent = time.monotonic()
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

    def end_token(self) -> None:
        """The token ran out or its session was revoked: wake the sender to close the socket."""
        self.token_ended = True
        self._woken.set()

    def beat(self) -> None:
        """A heartbeat is due: wake the sender to send one."""
        self.heartbeat_due = True
        self._woken.set()

    def sent(self) -> None:
        """Something went out on the socket: the quiet period starts again."""
        self.last_sent = time.monotonic()
        self.heartbeat_due = False

    @property
    def stopped(self) -> bool:
        return self.closed or self.overflowed or self.token_ended

    async def next_frame(self, timeout: float | None = None) -> str | None:
        """The next frame to send; None when woken for something else (a heartbeat, the end of the
        token, close, overflow) or after `timeout` seconds of quiet."""
        if self.queue.empty() and not (self.stopped or self.heartbeat_due):
            self._woken.clear()
            try:
                async with asyncio.timeout(timeout):
                    await self._woken.wait()
            except TimeoutError:
                return None
        while not (self.stopped or self.queue.empty()):
            seq, frame = self.queue.get_nowait()
            if seq > self.floor:  # queued before a replay that already sent it
                return frame
        return None


class Hub:
    def __init__(
        self,
        kv: KV,
        max_queued: int = 256,
        heartbeat_seconds: float = 25.0,
        revoked: RevokedCheck | None = None,
    ) -> None:
        self.kv = kv
        self.max_queued = max_queued
        self.heartbeat_seconds = heartbeat_seconds
        self.revoked = revoked  # set by whoever knows the sessions (the server), None: never revoked
        self.connections: dict[str, set[Connection]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def register(self, user_id: str, session: Any = None, expires_at: float = float("inf")) -> Connection:
        """A new socket of `user_id`; `expires_at` (a `time.time()`) is when its token runs out."""
        connection = Connection(user_id, self.max_queued, session, expires_at)
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

    async def tick(self) -> None:
        """End the sockets whose token ran out; check the quiet ones' sessions together, then beat."""
        now, quiet_since = time.time(), time.monotonic() - self.heartbeat_seconds
        due = []
        for held in tuple(self.connections.values()):
            for connection in held:
                if connection.stopped or connection.heartbeat_due:
                    continue
                if connection.expires_at <= now:
                    connection.end_token()
                elif connection.last_sent <= quiet_since:
                    due.append(connection)
        if not due:
            return
        revoked: Sequence[bool] = [False] * len(due)
        if self.revoked is not None:
            try:
                revoked = await self.revoked([c.session for c in due])
            except Exception:  # cannot tell now: beat, and ask again at the next heartbeat
                log.warning("session revocation check failed; sockets kept open", exc_info=True)
        for connection, ended in zip(due, revoked, strict=True):
            if ended:
                connection.end_token()
            else:
                connection.beat()

    async def _clock(self) -> None:
        period = min(1.0, self.heartbeat_seconds / 4)
        while True:
            await asyncio.sleep(period)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("socket clock tick failed")

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
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._clock())]

    async def stop(self) -> None:
        for task in self._tasks:
            await cancel(task)


async def cancel(task: asyncio.Task[None], grace: float = 2.0) -> None:
    """Cancel `task` and give it `grace` seconds to clean up, never waiting longer.

    A Redis subscription being torn down can take its time (or never return on a closed pool);
    shutting a worker down must not wait on it.
    """
    task.cancel()
    await asyncio.wait({task}, timeout=grace)
