"""How many working days each kind of case has to be answered in (from settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CaseDeadlines:
    """Working days to answer each kind of case (settings)."""

    rating_followup: int = 15
    consultation: int = 5
    complaint: int = 15
    suggestion: int = 20

    def days(self, kind: str) -> int:
        return int(getattr(self, kind))
