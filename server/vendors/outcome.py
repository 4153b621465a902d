"""What one send to a vendor came to: sent, worth retrying later, or failed for good."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import httpx

OutcomeKind = Literal["sent", "retry", "failed"]


@dataclass(frozen=True)
class Outcome:
    """`code` is a short snake_case reason (e.g. `not_subscribed`); `detail` says more (masked text)."""

    kind: OutcomeKind
    code: str | None = None
    detail: str | None = None
    vendor_ref: str | None = None

    @classmethod
    def sent(cls, vendor_ref: str | None = None) -> Outcome:
        return cls("sent", vendor_ref=vendor_ref)

    @classmethod
    def retry(cls, code: str, detail: str | None = None) -> Outcome:
        return cls("retry", code, detail)

    @classmethod
    def failed(cls, code: str, detail: str | None = None) -> Outcome:
        return cls("failed", code, detail)


class VendorUnavailable(Exception):
    """A vendor could not be reached or answered an error we may retry (e.g. fetching a token)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def http_failure(exc: Exception) -> Outcome:
    """A transport error as a retryable outcome: timeouts and refused connections are temporary."""
    if isinstance(exc, httpx.TimeoutException):
        return Outcome.retry("timeout", type(exc).__name__)
    return Outcome.retry("unreachable", type(exc).__name__)
