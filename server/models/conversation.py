"""Guide conversations and their turns, kept for operators to review (text stored masked).

Model docstrings become SQL comments that tortoise does not escape:
they use no quotes and no semicolons.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Conversation(Model):
    """One chat of a citizen with the guide, user_id stays empty for guests until claimed after login."""

    id = fields.CharField(max_length=32, primary_key=True)
    user_id = fields.CharField(max_length=64, null=True, db_index=True)
    bundle = fields.CharField(max_length=64, null=True)
    channel = fields.CharField(max_length=16, default="app")
    status = fields.CharField(max_length=16, default="bot")  # bot | operator (taken over)
    turn_count = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "conversation"


class Turn(Model):
    """One exchange: what was typed (masked), what the guide recognised and answered, and how fast."""

    id = fields.BigIntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "models.Conversation", related_name="turns", on_delete=fields.CASCADE
    )
    seq = fields.IntField()
    text = fields.TextField()
    bundle = fields.CharField(max_length=64, null=True)
    confidence = fields.FloatField(null=True)
    reply_type = fields.CharField(max_length=16)
    reply: dict[str, Any] = fields.JSONField()
    latency_ms = fields.FloatField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "turn"
        unique_together = (("conversation", "seq"),)
