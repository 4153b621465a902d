"""Tortoise models, one module per aggregate; tortoise discovers them through this package."""

from server.models.application import Application, DepartmentEvent, Task, TimelineEvent, Upload
from server.models.conversation import Conversation, Turn
from server.models.notification import (
    Delivery,
    Device,
    Notification,
    PushPreference,
    PushUserState,
    WeChatSubscription,
)
from server.models.operators import Case, Handoff, HandoffMessage, OperatorPresence, Rating, TurnLabel
from server.models.user import AuditEntry, DepartmentKey, Operator, RefreshToken, User

__all__ = [
    "Application",
    "AuditEntry",
    "Case",
    "Conversation",
    "Delivery",
    "DepartmentEvent",
    "DepartmentKey",
    "Device",
    "Handoff",
    "HandoffMessage",
    "Notification",
    "Operator",
    "OperatorPresence",
    "PushPreference",
    "PushUserState",
    "Rating",
    "RefreshToken",
    "Task",
    "TimelineEvent",
    "Turn",
    "TurnLabel",
    "Upload",
    "User",
    "WeChatSubscription",
]
