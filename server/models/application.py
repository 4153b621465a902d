"""Applications (一表申请) and their department tasks (联办), the timeline, department events, uploads.

Model docstrings become SQL comments that tortoise does not escape:
they use no quotes and no semicolons.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Application(Model):
    """One application of a citizen for the chosen items of a bundle, form values stored encrypted."""

    id = fields.CharField(max_length=32, primary_key=True)
    receipt_no = fields.CharField(max_length=32, unique=True)
    query_code_hash = fields.CharField(max_length=64)
    query_code_encrypted = fields.TextField()
    user_id = fields.CharField(max_length=32, db_index=True)
    conversation_id = fields.CharField(max_length=64, null=True)
    bundle = fields.CharField(max_length=64)
    items: list[str] = fields.JSONField(default=list)
    status = fields.CharField(max_length=32, default="submitted", db_index=True)
    form_encrypted = fields.TextField()
    materials: dict[str, str] = fields.JSONField(default=dict)  # material id -> upload id
    knowledge_version = fields.CharField(max_length=64)
    version = fields.IntField(default=1)
    submitted_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    withdrawn_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "application"


class Task(Model):
    """The part of an application one department works on, moved by signed department events."""

    id = fields.CharField(max_length=32, primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="tasks", on_delete=fields.CASCADE
    )
    application_id: str
    item = fields.CharField(max_length=64)
    item_name = fields.CharField(max_length=200)
    department = fields.CharField(max_length=64, db_index=True)
    status = fields.CharField(max_length=32, db_index=True)
    requires: list[str] = fields.JSONField(default=list)  # items of the same application done first
    time_limit_days = fields.IntField(null=True)  # promised working days, None when not stated
    accepted_at = fields.DatetimeField(null=True)
    due_on = fields.DateField(null=True, db_index=True)
    # the open 补正: missing materials and deadline
    correction: dict[str, Any] | None = fields.JSONField(null=True)
    correction_since = fields.DatetimeField(null=True)
    result: dict[str, Any] | None = fields.JSONField(null=True)  # 出件: how it is delivered
    reason = fields.TextField(null=True)
    last_event_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "application_task"


class DepartmentEvent(Model):
    """Every event a department system sent, applied or not, unique per department and event id."""

    id = fields.BigIntField(primary_key=True)
    department = fields.CharField(max_length=64)
    event_id = fields.CharField(max_length=128)
    task_id = fields.CharField(max_length=32, db_index=True)
    status = fields.CharField(max_length=32)
    occurred_at = fields.DatetimeField()
    outcome = fields.CharField(max_length=16)  # applied | superseded | illegal
    detail: dict[str, Any] = fields.JSONField(default=dict)
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "department_event"
        unique_together = (("department", "event_id"),)


class TimelineEvent(Model):
    """One change of an application as its citizen sees it, who did what and when and why."""

    id = fields.BigIntField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="timeline", on_delete=fields.CASCADE
    )
    application_id: str
    task_id = fields.CharField(max_length=32, null=True)
    kind = fields.CharField(max_length=32)
    actor_kind = fields.CharField(max_length=16)  # user | department | system
    actor_id = fields.CharField(max_length=64)
    detail: dict[str, Any] = fields.JSONField(default=dict)
    version = fields.IntField()  # the application version this change produced
    occurred_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "application_timeline"


class Upload(Model):
    """A material file a citizen uploaded, stored once by content hash, readable only by its owner."""

    id = fields.CharField(max_length=32, primary_key=True)
    user_id = fields.CharField(max_length=32, db_index=True)
    material = fields.CharField(max_length=64)
    sha256 = fields.CharField(max_length=64, db_index=True)
    size = fields.IntField()
    content_type = fields.CharField(max_length=64)
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "upload"
