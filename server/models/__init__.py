"""Tortoise models, one module per aggregate; tortoise discovers them through this package."""

from server.models.conversation import Conversation, Turn
from server.models.user import AuditEntry, DepartmentKey, Operator, RefreshToken, User

__all__ = ["AuditEntry", "Conversation", "DepartmentKey", "Operator", "RefreshToken", "Turn", "User"]
