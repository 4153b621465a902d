"""Console operators: password login with failure limits, and supervisors managing accounts."""

from __future__ import annotations

import asyncio
import uuid
from typing import Literal

from tortoise.exceptions import IntegrityError

from server.auth import limits
from server.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from server.auth.tokens import InvalidToken
from server.config import Settings
from server.errors import ApiError
from server.kv import KV
from server.models import Operator

Role = Literal["operator", "supervisor"]


def operator_json(operator: Operator) -> dict:
    return {
        "id": operator.id,
        "username": operator.username,
        "role": operator.role,
        "active": operator.active,
        "created_at": operator.created_at.isoformat(),
    }


def _checked_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise ApiError(422, "weak_password", f"The password is too weak: {problem}.")
    return hash_password(password)


class Operators:
    """Authenticates and manages operator accounts."""

    def __init__(self, kv: KV, settings: Settings) -> None:
        self.kv = kv
        self.settings = settings

    async def login(self, username: str, password: str, ip: str) -> Operator:
        """The operator, when active and the password matches; 401 otherwise; 429 once failures pile up."""
        s = self.settings
        window, message = s.login_failure_window_seconds, "Too many failed logins; wait before trying again."
        account_key, address_key = f"login:tries:user:{username.lower()}", f"login:fail:ip:{ip}"
        # An office behind one NAT address gets more room than a single account.
        await limits.ensure_below(self.kv, address_key, 4 * s.login_max_failures, message)
        # Counted before the check, atomically, so parallel guesses cannot slip past the limit.
        await limits.take(self.kv, account_key, s.login_max_failures, window, message)
        operator = await Operator.get_or_none(username=username)
        # argon2 takes tens of milliseconds of CPU: off the event loop, so other requests keep flowing.
        ok = await asyncio.to_thread(verify_password, operator.password_hash if operator else None, password)
        if not ok or operator is None or not operator.active:
            await limits.count_failure(self.kv, address_key, window)
            raise ApiError(401, "invalid_credentials", "Wrong username or password.")
        await self.kv.delete(account_key)
        if needs_rehash(operator.password_hash):
            operator.password_hash = hash_password(password)
            await operator.save(update_fields=["password_hash"])
        return operator

    async def create(self, username: str, password: str, role: Role) -> Operator:
        try:
            return await Operator.create(
                id=uuid.uuid4().hex, username=username, password_hash=_checked_password(password), role=role
            )
        except IntegrityError as exc:
            raise ApiError(409, "username_taken", f"An operator called {username!r} exists.") from exc

    async def all(self) -> list[Operator]:
        return await Operator.all().order_by("username")

    async def get(self, operator_id: str) -> Operator:
        operator = await Operator.get_or_none(id=operator_id)
        if operator is None:
            raise ApiError(404, "operator_not_found", "No such operator.")
        return operator

    async def update(
        self, operator_id: str, *, role: Role | None, active: bool | None, password: str | None
    ) -> tuple[Operator, bool]:
        """Apply the changes; also says whether existing sessions must end (role, access or password)."""
        operator = await self.get(operator_id)
        fields = ["updated_at"]
        if role is not None and role != operator.role:
            operator.role, fields = role, [*fields, "role"]
        if active is not None and active != operator.active:
            operator.active, fields = active, [*fields, "active"]
        if password is not None:
            operator.password_hash, fields = _checked_password(password), [*fields, "password_hash"]
        await operator.save(update_fields=fields)
        return operator, len(fields) > 1

    async def role_of(self, operator_id: str) -> str:
        """The role to put in a rotated token; an inactive or deleted operator may not refresh."""
        operator = await Operator.get_or_none(id=operator_id)
        if operator is None or not operator.active:
            raise InvalidToken("operator inactive")
        return operator.role
