"""The audit log: every operator action, who did it, when, and which conversation or application."""

from __future__ import annotations

import datetime as dt

from server.auth.principal import Principal
from server.db import db_time
from server.models import AuditEntry
from server.privacy import mask_text

AuditDetail = dict[str, str | int | bool | None]


async def record(
    actor: Principal | None,
    action: str,
    *,
    ip: str | None = None,
    conversation_id: str | None = None,
    application_id: str | None = None,
    detail: AuditDetail | None = None,
) -> None:
    """Append one entry (`actor` None: not signed in); string details are masked and bounded, so the
    log never holds raw personal data; ids longer than their column are cut, never refused."""
    masked = {k: mask_text(v)[:200] if isinstance(v, str) else v for k, v in (detail or {}).items()}
    await AuditEntry.create(
        actor_kind=actor.kind if actor else "anonymous",
        actor_id=actor.id[:40] if actor else "-",
        action=action,
        conversation_id=conversation_id[:32] if conversation_id else None,
        application_id=application_id[:64] if application_id else None,
        detail=masked,
        ip=ip,
    )


async def entries(
    *,
    actor_id: str | None = None,
    conversation_id: str | None = None,
    application_id: str | None = None,
    before: dt.datetime | None = None,
    limit: int = 50,
) -> list[dict]:
    """Newest first, filtered; page with `before` = the last entry's time."""
    query = AuditEntry.all()
    for field, value in (
        ("actor_id", actor_id),
        ("conversation_id", conversation_id),
        ("application_id", application_id),
    ):
        if value is not None:
            query = query.filter(**{field: value})
    if before is not None:
        query = query.filter(created_at__lt=db_time(before))
    rows = await query.order_by("-created_at", "-id").limit(limit)
    return [
        {
            "id": row.id,
            "actor_kind": row.actor_kind,
            "actor_id": row.actor_id,
            "action": row.action,
            "conversation_id": row.conversation_id,
            "application_id": row.application_id,
            "detail": row.detail,
            "ip": row.ip,
            "created_at": row.created_at.isoformat(),
        }
        for row in rows
    ]
