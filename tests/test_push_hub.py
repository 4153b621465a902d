"""The socket hub's clock: heartbeats when quiet, revoked sessions checked together, tokens that ran out."""

from __future__ import annotations

import time
from collections.abc import Sequence

from server.kv import MemoryKV
from server.push.frames import fanout_message
from server.push.hub import Hub


class Revocations:
    """The hub's revocation check as the server wires it: one call per tick for every socket due."""

    def __init__(self, revoked: set[str], fails: bool = False) -> None:
        self.revoked = revoked
        self.fails = fails
        self.calls: list[list[str]] = []

    async def __call__(self, sessions: Sequence[object]) -> list[bool]:
        self.calls.append([str(s) for s in sessions])
        if self.fails:
            raise ConnectionError("kv unreachable")
        return [s in self.revoked for s in sessions]


def quiet(hub: Hub, user_id: str, session: str, expires_at: float = float("inf")):
    connection = hub.register(user_id, session, expires_at)
    connection.last_sent = time.monotonic() - hub.heartbeat_seconds - 1
    return connection


async def test_quiet_sockets_are_checked_together_then_beat_or_end() -> None:
    check = Revocations({"family-bob"})
    hub = Hub(MemoryKV(), heartbeat_seconds=10, revoked=check)
    ann, bob = quiet(hub, "ann", "family-ann"), quiet(hub, "bob", "family-bob")
    ann_phone = quiet(hub, "ann", "family-ann-phone")
    busy = hub.register("cy", "family-cy")  # sent something just now: not due
    expired = quiet(hub, "dan", "family-dan", expires_at=time.time() - 1)
    await hub.tick()
    assert len(check.calls) == 1 and sorted(check.calls[0]) == [
        "family-ann",
        "family-ann-phone",
        "family-bob",
    ]
    assert (ann.heartbeat_due, ann_phone.heartbeat_due, ann.token_ended) == (True, True, False)
    assert bob.token_ended and not bob.heartbeat_due
    assert expired.token_ended and not busy.heartbeat_due and not busy.token_ended
    assert await ann.next_frame() is None and ann.heartbeat_due  # woken for the heartbeat
    ann.sent()
    await hub.tick()  # ann just got her heartbeat; the phone's is still pending, bob and dan ended
    assert len(check.calls) == 1


async def test_a_failed_check_keeps_the_sockets_open_and_beats() -> None:
    hub = Hub(MemoryKV(), heartbeat_seconds=10, revoked=Revocations(set(), fails=True))
    ann = quiet(hub, "ann", "family-ann")
    await hub.tick()
    assert ann.heartbeat_due and not ann.token_ended


async def test_a_frame_wakes_the_sender_before_any_heartbeat() -> None:
    hub = Hub(MemoryKV(), heartbeat_seconds=10)
    ann = hub.register("ann", "family-ann")
    hub.deliver(fanout_message([("ann", 1, '{"type":"notification"}'), ("bob", 1, "{}")]))
    assert await ann.next_frame() == '{"type":"notification"}'
    assert await ann.next_frame(0.05) is None and not ann.heartbeat_due
