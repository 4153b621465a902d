"""The authenticated caller of a request, as handlers see it on `request.ctx.principal`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PrincipalKind = Literal["user", "operator", "department"]


@dataclass(frozen=True)
class Principal:
    """A citizen (`user`), a console `operator` (role operator|supervisor) or a `department` system."""

    kind: PrincipalKind
    id: str
    role: str | None = None
    department: str | None = None
