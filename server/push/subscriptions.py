"""WeChat subscribe-message consents as the mini-program reports them from `wx.requestSubscribeMessage`.

Each `accept` of a one-time template is one send credit (WeChat allows one message per accepted tap,
with no expiry); a long-term template stays on until the citizen rejects it or WeChat answers 43101.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from tortoise.transactions import in_transaction

from server.models import User, WeChatSubscription
from server.push import sql
from server.push.config import PushConfig
from server.push.errors import UnknownName, WeChatNotLinked

Choice = Literal["accept", "reject", "ban", "filter"]
MAX_CREDITS = 50  # a client-reported count; more than any errand needs


async def report(config: PushConfig, user_id: str, results: Mapping[str, Choice]) -> None:
    """Record what the citizen chose for each template id, all or nothing."""
    user = await User.filter(id=user_id).only("id", "openid").first()
    if user is None or not user.openid:
        raise WeChatNotLinked("subscribe messages need a WeChat login (POST /api/v1/auth/wechat)")
    templates = {}
    for template_id in results:
        template = config.template_by_id(template_id)
        if template is None:
            raise UnknownName(f"unknown template id {template_id!r}")
        templates[template_id] = template
    async with in_transaction() as conn:
        for template_id, choice in results.items():
            template = templates[template_id]
            subscription, _ = await WeChatSubscription.get_or_create(
                defaults={"kind": template.kind}, user_id=user_id, template_id=template_id, using_db=conn
            )
            if template.kind == "long_term":
                await (
                    WeChatSubscription.filter(id=subscription.id)
                    .using_db(conn)
                    .update(accepted=choice == "accept", kind="long_term")
                )
            elif choice == "accept":
                await sql.execute(
                    conn,
                    "UPDATE wechat_subscription SET credits = MIN(credits + 1, ?), kind = 'one_time' "
                    "WHERE id = ?"
                    if not sql.is_postgres(conn)
                    else "UPDATE wechat_subscription SET credits = LEAST(credits + 1, ?), kind = 'one_time' "
                    "WHERE id = ?",
                    [MAX_CREDITS, subscription.id],
                )


async def listing(config: PushConfig, user_id: str) -> list[dict[str, Any]]:
    held = {s.template_id: s for s in await WeChatSubscription.filter(user_id=user_id)}
    out = []
    for category, template in config.templates.items():
        subscription = held.get(template.template_id)
        out.append(
            {
                "template_id": template.template_id,
                "category": category,
                "kind": template.kind,
                "credits": subscription.credits if subscription else 0,
                "accepted": bool(subscription and subscription.accepted)
                if template.kind == "long_term"
                else bool(subscription and subscription.credits > 0),
            }
        )
    return out
