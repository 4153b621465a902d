"""Tortoise models, one module per aggregate; tortoise discovers them through this package."""

from server.models.conversation import Conversation, Turn

__all__ = ["Conversation", "Turn"]
