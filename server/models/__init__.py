"""Tortoise models, one module per aggregate; tortoise discovers them through this package."""

from server.models.application import Application, DepartmentEvent, Task, TimelineEvent, Upload
from server.models.conversation import Conversation, Turn
from server.models.operators import Case, Handoff, HandoffMessage, OperatorPresence, Rating, TurnLabel
from server.models.user import AuditEntry, DepartmentKey, Operator, RefreshToken, User

__all__ = [
    "Application",
    "AuditEntry",
    "Case",
    "Conversation",
    "DepartmentEvent",
    "DepartmentKey",
    "Handoff",
    "HandoffMessage",
    "Operator",
    "OperatorPresence",
    "Rating",
    "RefreshToken",
    "Task",
    "TimelineEvent",
    "Turn",
    "TurnLabel",
    "Upload",
    "User",
]
