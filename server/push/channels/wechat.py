"""WeChat subscribe messages: fill the category's template, send, and forget a consent WeChat says is gone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from server.models import Delivery, Notification, User, WeChatSubscription
from server.push.config import PushConfig
from server.push.texts import Blanks
from server.vendors.outcome import Outcome
from server.vendors.wechat_messages import WeChatMessages


class WeChatChannel:
    repeat_safe = False

    def __init__(self, client: WeChatMessages, config: PushConfig, timezone: str) -> None:
        self.client = client
        self.config = config
        self.zone = ZoneInfo(timezone)

    def values(self, notification: Notification) -> Blanks:
        """What a template's format strings may name."""
        category = self.config.texts.get(notification.category)
        created = notification.created_at.astimezone(self.zone)
        values = Blanks({k: str(v) for k, v in (notification.data or {}).items() if v is not None})
        values.update(
            title=notification.title,
            body=notification.body,
            phrase=category.phrase,
            category_name=category.name,
            application_id=notification.application_id or "",
            notification_id=str(notification.id),
            time=f"{created.year}年{created.month}月{created.day}日 {created:%H:%M}",
            date=f"{created.year}年{created.month}月{created.day}日",
        )
        return values

    async def send(self, delivery: Delivery, notification: Notification) -> Outcome:
        template = self.config.templates.get(notification.category)
        if template is None or template.template_id != delivery.target:
            return Outcome.failed("template_not_configured", delivery.target)
        if not self.client.configured:
            return Outcome.retry("wechat_not_configured")
        user = await User.filter(id=delivery.user_id).only("id", "openid").first()
        if user is None or not user.openid:
            return Outcome.failed("wechat_not_linked")
        values = self.values(notification)
        data = {key: fmt.format_map(values) for key, fmt in template.data.items()}
        page = template.page.format_map(values) if template.page else None
        outcome = await self.client.send(user.openid, template.template_id, data, page)
        if outcome.code == "not_subscribed":
            await WeChatSubscription.filter(
                user_id=delivery.user_id, template_id=template.template_id
            ).update(credits=0, accepted=False)
        return outcome
