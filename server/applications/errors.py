"""The applications domain's own errors; the HTTP edge maps each `kind` to a status once."""

from __future__ import annotations

from typing import Any, ClassVar


class ApplicationError(Exception):
    """Something the caller must fix or know; `code` is snake_case, `message` human readable."""

    kind: ClassVar[str] = "invalid"

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class Invalid(ApplicationError):
    """Bad values (per-field messages in `details["fields"]`): nothing was changed."""

    kind = "invalid"


class NotFound(ApplicationError):
    """Unknown, or not the caller's to see: answered alike so nothing leaks."""

    kind = "not_found"


class Conflict(ApplicationError):
    """Legal input that the current state does not allow (an illegal transition, a late withdrawal)."""

    kind = "conflict"


class TooLarge(ApplicationError):
    kind = "too_large"


class Unsupported(ApplicationError):
    """A file that is not one of the accepted types, or not what it says it is."""

    kind = "unsupported"
