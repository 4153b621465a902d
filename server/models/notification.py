"""Push: the inbox, the outbox of deliveries, preferences, devices and WeChat subscriptions.

Model docstrings become SQL comments that tortoise does not escape:
they use no quotes and no semicolons.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class PushUserState(Model):
    """Per citizen counter, bumped inside the transaction of each notification so seq follows commit order."""

    user_id = fields.CharField(max_length=32, primary_key=True)
    last_seq = fields.BigIntField(default=0)

    class Meta:
        table = "push_user_state"


class Notification(Model):
    """One message of a citizen inbox, seq orders one citizen notifications as they were committed."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.CharField(max_length=32)
    seq = fields.BigIntField()
    category = fields.CharField(max_length=32)
    application_id = fields.CharField(max_length=64, null=True, db_index=True)
    title = fields.CharField(max_length=128)
    body = fields.TextField()
    data: dict[str, Any] = fields.JSONField(default=dict)
    dedup_key = fields.CharField(max_length=128, null=True, unique=True)
    read_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notification"
        unique_together = (("user_id", "seq"),)


class Delivery(Model):
    """One send of a notification on one channel and target, the outbox row a dispatcher claims.

    Queue times are epoch milliseconds so one claim statement serves SQLite and PostgreSQL.
    """

    id = fields.BigIntField(primary_key=True)
    notification: fields.ForeignKeyRelation[Notification] = fields.ForeignKeyField(
        "models.Notification", related_name="deliveries", on_delete=fields.CASCADE
    )
    user_id = fields.CharField(max_length=32, db_index=True)
    channel = fields.CharField(max_length=16)
    target = fields.CharField(max_length=128, null=True)
    idempotency_key = fields.CharField(max_length=32, unique=True)
    status = fields.CharField(max_length=16, default="pending")
    attempts = fields.IntField(default=0)
    due_ms = fields.BigIntField()
    lease_until_ms = fields.BigIntField(default=0)
    claim = fields.CharField(max_length=32, null=True)
    error_code = fields.CharField(max_length=64, null=True)
    error = fields.TextField(null=True)
    vendor_ref = fields.CharField(max_length=128, null=True)
    sent_ms = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "push_delivery"
        indexes = (("status", "due_ms"), ("status", "lease_until_ms"))


class PushPreference(Model):
    """A citizen choice to receive or not one category on one channel, absent means on."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.CharField(max_length=32, db_index=True)
    category = fields.CharField(max_length=32)
    channel = fields.CharField(max_length=16)
    enabled = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "push_preference"
        unique_together = (("user_id", "category", "channel"),)


class Device(Model):
    """A phone registered for app push, client_id is the push vendor id of the app install."""

    id = fields.CharField(max_length=32, primary_key=True)
    user_id = fields.CharField(max_length=32, db_index=True)
    provider = fields.CharField(max_length=16)
    client_id = fields.CharField(max_length=128)
    platform = fields.CharField(max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "push_device"
        unique_together = (("provider", "client_id"),)


class WeChatSubscription(Model):
    """What a citizen accepted for one subscribe message template, one time credits or a long term consent."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.CharField(max_length=32, db_index=True)
    template_id = fields.CharField(max_length=128)
    kind = fields.CharField(max_length=16)
    credits = fields.IntField(default=0)
    accepted = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "wechat_subscription"
        unique_together = (("user_id", "template_id"),)
