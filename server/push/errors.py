"""The push domain's own errors; handlers map them to HTTP once, at the edge."""

from __future__ import annotations


class PushError(Exception):
    """Base of what the push domain refuses."""


class PushConfigError(PushError):
    """Configuration or knowledge the push domain cannot work with (the message names it)."""


class CriticalCategory(PushError):
    """A citizen tried to switch off a category that must always reach them (e.g. 补正)."""


class UnknownName(PushError):
    """A category, channel or template id that does not exist."""


class NotFound(PushError):
    """The thing asked for does not exist for this caller."""


class WeChatNotLinked(PushError):
    """Subscribe messages need a WeChat account on the citizen."""
