"""The outbox as a queue: claim due rows under a lease, record what each send came to.

PostgreSQL claims with `SELECT … FOR UPDATE SKIP LOCKED`, so dispatchers never wait on each other;
SQLite serialises writers, so the same conditional UPDATE claims there. A claim carries a lease: rows
held by a dispatcher that died are claimed again once the lease has run out. Every update of a
claimed row is conditioned on the claim token, so a dispatcher that lost its lease cannot overwrite
what the one that took over recorded.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise import connections
from tortoise.transactions import in_transaction

from server.models import Delivery
from server.push import sql
from server.push.outbox import now_ms
from server.vendors.outcome import Outcome

PENDING, SENDING, SENT, FAILED, DEAD = "pending", "sending", "sent", "failed", "dead"
DEAD_LETTERS = (FAILED, DEAD)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 2.0
    max_seconds: float = 3600.0

    def delay_ms(self, attempts: int) -> int:
        """Exponential backoff with jitter: half the step fixed, half random, so retries spread out."""
        step = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return int((step / 2 + random.uniform(0, step / 2)) * 1000)


_CLAIM = (
    "UPDATE push_delivery SET status = 'sending', claim = ?, lease_until_ms = ?, attempts = attempts + 1 "
    "WHERE id IN (SELECT id FROM push_delivery "
    "WHERE (status = 'pending' AND due_ms <= ?) OR (status = 'sending' AND lease_until_ms <= ?) "
    "ORDER BY due_ms LIMIT ?{lock})"
)


async def claim(batch_size: int, lease_seconds: float) -> tuple[str, list[Delivery]]:
    """Take up to `batch_size` due rows (and rows whose lease ran out); returns the claim token too."""
    token = uuid.uuid4().hex
    now = now_ms()
    conn = connections.get("default")
    lock = " FOR UPDATE SKIP LOCKED" if sql.is_postgres(conn) else ""
    claimed = await sql.execute(
        conn,
        _CLAIM.format(lock=lock),
        [token, now + int(lease_seconds * 1000), now, now, batch_size],
    )
    if not claimed:
        return token, []
    # One query with the notifications joined in (a prefetch would be a second round trip).
    deliveries = await Delivery.filter(claim=token).select_related("notification").order_by("id")
    return token, list(deliveries)


async def record(token: str, results: Sequence[tuple[Delivery, Outcome]], policy: RetryPolicy) -> None:
    """Write every outcome of one batch in one transaction (one commit for the batch)."""
    if not results:
        return
    now = now_ms()
    plain = [d.id for d, o in results if o.kind == "sent" and o.vendor_ref is None]
    async with in_transaction() as conn:
        if plain:  # most rows (the socket channel): one statement for all of them
            await sql.execute(
                conn,
                "UPDATE push_delivery SET status = 'sent', sent_ms = ?, error_code = NULL, error = NULL, "
                f"claim = NULL WHERE claim = ? AND id IN ({', '.join('?' * len(plain))})",
                [now, token, *plain],
            )
        for delivery, outcome in results:
            if outcome.kind == "sent" and outcome.vendor_ref is None:
                continue
            if outcome.kind == "sent":
                await sql.execute(
                    conn,
                    "UPDATE push_delivery SET status = 'sent', sent_ms = ?, vendor_ref = ?, "
                    "error_code = NULL, error = NULL, claim = NULL WHERE id = ? AND claim = ?",
                    [now, outcome.vendor_ref, delivery.id, token],
                )
                continue
            if outcome.kind == "retry" and delivery.attempts < policy.max_attempts:
                status, due = PENDING, now + policy.delay_ms(delivery.attempts)
            else:
                status, due = (FAILED if outcome.kind == "failed" else DEAD), delivery.due_ms
            await sql.execute(
                conn,
                "UPDATE push_delivery SET status = ?, due_ms = ?, error_code = ?, error = ?, claim = NULL "
                "WHERE id = ? AND claim = ?",
                [status, due, outcome.code, (outcome.detail or "")[:1000], delivery.id, token],
            )


async def dead_letters(user_id: str | None = None, limit: int = 100) -> list[Delivery]:
    """Deliveries that failed for good or ran out of attempts, newest first."""
    query = Delivery.filter(status__in=DEAD_LETTERS)
    if user_id:
        query = query.filter(user_id=user_id)
    return list(await query.order_by("-id").limit(limit).prefetch_related("notification"))


async def retry(ids: Sequence[int] | None = None) -> int:
    """Queue dead letters again (the given ids, or every exhausted one); how many were queued."""
    query = Delivery.filter(status__in=DEAD_LETTERS) if ids else Delivery.filter(status=DEAD)
    if ids:
        query = query.filter(id__in=list(ids))
    return await query.update(status=PENDING, due_ms=now_ms(), attempts=0, claim=None)


async def deliveries_of(user_id: str, limit: int = 200) -> list[Delivery]:
    """A citizen's deliveries on every channel, newest first (for support)."""
    return list(
        await Delivery.filter(user_id=user_id).order_by("-id").limit(limit).prefetch_related("notification")
    )


async def pending_count() -> int:
    return await Delivery.filter(status__in=(PENDING, SENDING)).count()
