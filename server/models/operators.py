"""What operators work on: takeovers (转人工) and their messages, presence, labels, ratings and cases.

Model docstrings become SQL comments that tortoise does not escape:
they use no quotes and no semicolons.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Handoff(Model):
    """A citizen asking for a human: queued, held by one operator, then handed back or closed."""

    id = fields.CharField(max_length=32, primary_key=True)
    conversation_id = fields.CharField(max_length=32, db_index=True)
    user_id = fields.CharField(max_length=64, null=True, db_index=True)
    reason = fields.CharField(max_length=16)  # requested | fallbacks
    status = fields.CharField(max_length=16, db_index=True)  # waiting | active | returned | closed
    operator_id = fields.CharField(max_length=32, null=True, db_index=True)
    requested_at = fields.DatetimeField(db_index=True)
    claimed_at = fields.DatetimeField(null=True)
    first_reply_at = fields.DatetimeField(null=True)
    polite_sent_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "handoff"


class HandoffMessage(Model):
    """One message of a takeover chat from the citizen, the operator or the system, text masked."""

    id = fields.BigIntField(primary_key=True)
    handoff: fields.ForeignKeyRelation[Handoff] = fields.ForeignKeyField(
        "models.Handoff", related_name="messages", on_delete=fields.CASCADE
    )
    conversation_id = fields.CharField(max_length=32, db_index=True)
    sender = fields.CharField(max_length=16)  # citizen | operator | system
    operator_id = fields.CharField(max_length=32, null=True)
    text = fields.TextField()
    delivered_at = fields.DatetimeField(null=True)  # handed to the citizen in a reply
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "handoff_message"


class OperatorPresence(Model):
    """When an operator last had the console open and was last given a conversation, for round robin."""

    operator_id = fields.CharField(max_length=32, primary_key=True)
    seen_at = fields.DatetimeField()
    accepting = fields.BooleanField(default=True)
    last_assigned_at = fields.DatetimeField(null=True)

    class Meta:
        table = "operator_presence"


class TurnLabel(Model):
    """The bundle a user turn should have matched, or none, and the situation answers it implied."""

    id = fields.BigIntField(primary_key=True)
    turn: fields.OneToOneRelation[Any] = fields.OneToOneField(
        "models.Turn", related_name="label", on_delete=fields.CASCADE
    )
    bundle = fields.CharField(max_length=64, null=True)
    situation: dict[str, Any] = fields.JSONField(default=dict)
    note = fields.CharField(max_length=500, null=True)
    labelled_by = fields.CharField(max_length=32)
    status = fields.CharField(
        max_length=16, default="proposed", db_index=True
    )  # proposed | approved | rejected
    reviewed_by = fields.CharField(max_length=32, null=True)
    reviewed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "turn_label"


class Rating(Model):
    """One rating of a finished application or a conversation by a citizen, 1 to 5, once per target."""

    id = fields.CharField(max_length=32, primary_key=True)
    user_id = fields.CharField(max_length=64, db_index=True)
    target_kind = fields.CharField(max_length=16)  # application | conversation
    target_id = fields.CharField(max_length=64)
    score = fields.SmallIntField()
    tags: list[str] = fields.JSONField(default=list)
    comment = fields.TextField(default="")
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "rating"
        unique_together = (("target_kind", "target_id"),)


class Case(Model):
    """A follow-up of a bad rating or a 投诉建议 that must be answered within working days."""

    id = fields.CharField(max_length=32, primary_key=True)
    kind = fields.CharField(
        max_length=16, db_index=True
    )  # rating_followup | consultation | complaint | suggestion
    user_id = fields.CharField(max_length=64, db_index=True)
    rating: fields.ForeignKeyNullableRelation[Rating] = fields.ForeignKeyField(
        "models.Rating", related_name="cases", null=True, on_delete=fields.CASCADE
    )
    reference_kind = fields.CharField(max_length=16, null=True)  # application | conversation
    reference_id = fields.CharField(max_length=64, null=True)
    text = fields.TextField(default="")
    status = fields.CharField(max_length=16, default="open", db_index=True)  # open | answered
    due_on = fields.DateField(db_index=True)
    answer = fields.TextField(null=True)
    action = fields.CharField(max_length=16, null=True)  # revisit | rectify | reply
    answered_by = fields.CharField(max_length=32, null=True)
    answered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "service_case"
