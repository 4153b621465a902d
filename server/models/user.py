"""Accounts and access: citizens, token families, operators, department keys and the audit log.

Model docstrings become SQL comments that tortoise does not escape:
they use no quotes and no semicolons.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class User(Model):
    """A citizen, phone and ID number stored encrypted with keyed hashes for lookup."""

    id = fields.CharField(max_length=32, primary_key=True)
    openid = fields.CharField(max_length=64, null=True, unique=True)
    unionid = fields.CharField(max_length=64, null=True, db_index=True)
    phone_encrypted = fields.TextField(null=True)
    phone_hash = fields.CharField(max_length=64, null=True, unique=True)
    name = fields.CharField(max_length=64, null=True)
    id_number_encrypted = fields.TextField(null=True)
    id_number_hash = fields.CharField(max_length=64, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "app_user"


class RefreshToken(Model):
    """One issued refresh token, single use, all tokens of a login share a family revoked together."""

    jti = fields.CharField(max_length=32, primary_key=True)
    family = fields.CharField(max_length=32, db_index=True)
    subject_kind = fields.CharField(max_length=16)  # user | operator
    subject_id = fields.CharField(max_length=32, db_index=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "refresh_token"


class Operator(Model):
    """A console account, username casefolded, role operator or supervisor, password as an argon2id hash."""

    id = fields.CharField(max_length=32, primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharField(max_length=16, default="operator")
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "operator"


class DepartmentKey(Model):
    """An API key of a department system, its HMAC secret stored encrypted, scoped to one department."""

    key_id = fields.CharField(max_length=40, primary_key=True)
    secret_encrypted = fields.TextField()
    department = fields.CharField(max_length=64, db_index=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "department_key"


class AuditEntry(Model):
    """Who did what and when, naming the conversation or application concerned, detail masked."""

    id = fields.BigIntField(primary_key=True)
    actor_kind = fields.CharField(max_length=16)
    actor_id = fields.CharField(max_length=40, db_index=True)
    action = fields.CharField(max_length=128)
    conversation_id = fields.CharField(max_length=32, null=True, db_index=True)
    application_id = fields.CharField(max_length=64, null=True, db_index=True)
    detail: dict[str, Any] = fields.JSONField(default=dict)
    ip = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "audit_entry"
