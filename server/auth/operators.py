"""Console operators: password login with failure limits, and supervisors managing accounts."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Literal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.auth import limits
from server.auth.operator_status import OperatorDirectory
from server.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from server.auth.tokens import InvalidToken
from server.config import Settings
from server.errors import ApiError
from server.kv import KV
from server.models import Operator

Role = Literal["operator", "supervisor"]
USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,64}$"


class LoginRefused(ApiError):
    """A refused login (wrong password, unknown or inactive account, too many tries), for the audit log."""

    def __init__(self, status: int, code: str, message: str, operator_id: str | None = None, **kw) -> None:
        super().__init__(status, code, message, **kw)
        self.operator_id = operator_id


def canonical_username(username: str) -> str:
    """One spelling per name: "Admin", "ADMIN" and "ａｄｍｉｎ" are all "admin"."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def operator_json(operator: Operator) -> dict:
    return {
        "id": operator.id,
        "username": operator.username,
        "role": operator.role,
        "active": operator.active,
        "created_at": operator.created_at.isoformat(),
    }


async def _checked_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise ApiError(422, "weak_password", f"The password is too weak: {problem}.")
    return await hash_password(password)


def _conflict(code: str, message: str) -> ApiError:
    return ApiError(409, code, message)


class Operators:
    """Authenticates and manages operator accounts; `directory` answers their current role and state."""

    def __init__(self, kv: KV, settings: Settings) -> None:
        self.kv = kv
        self.settings = settings
        self.directory = OperatorDirectory(kv, settings.operator_cache_seconds)

    async def login(self, username: str, password: str, ip: str) -> Operator:
        """The operator, when active and the password matches; 401 otherwise; 429 once failures pile up."""
        s = self.settings
        window, message = s.login_failure_window_seconds, "Too many failed logins; wait before trying again."
        name = canonical_username(username)
        account_key, address_key = f"login:tries:user:{name}", f"login:fail:ip:{ip}"
        # Both limits are reserved before the password is checked (one atomic increment each), so
        # parallel guesses cannot all pass a check made before any of them failed. A success, or an
        # attempt the account's limit stops, gives the address its try back: the address counts
        # failed guesses. An office behind one NAT address gets more room than a single account.
        try:
            await limits.take(self.kv, address_key, 4 * s.login_max_failures, window, message)
        except ApiError as exc:
            raise LoginRefused(exc.status, exc.code, exc.message, headers=exc.headers) from exc
        try:
            await limits.take(self.kv, account_key, s.login_max_failures, window, message)
        except ApiError as exc:
            await limits.give_back(self.kv, address_key)
            raise LoginRefused(exc.status, exc.code, exc.message, headers=exc.headers) from exc
        operator = await Operator.get_or_none(username=name) if len(name) <= 64 else None
        ok = await verify_password(operator.password_hash if operator else None, password)
        if not ok or operator is None or not operator.active:
            raise LoginRefused(
                401, "invalid_credentials", "Wrong username or password.", operator.id if operator else None
            )
        await self.kv.delete(account_key)
        await limits.give_back(self.kv, address_key)
        if needs_rehash(operator.password_hash):
            operator.password_hash = await hash_password(password)
            await operator.save(update_fields=["password_hash"])
        return operator

    async def create(self, username: str, password: str, role: Role) -> Operator:
        """A new account; 409 when the name, compared without case, is taken."""
        name = canonical_username(username)
        if not re.fullmatch(USERNAME_PATTERN, name):
            raise ApiError(422, "invalid_username", "Usernames are 3-64 of A-Z, a-z, 0-9, _, . and -.")
        taken = _conflict("username_taken", f"An operator called {name!r} exists.")
        if await Operator.exists(username=name):
            raise taken
        password_hash = await _checked_password(password)
        try:
            return await Operator.create(
                id=uuid.uuid4().hex, username=name, password_hash=password_hash, role=role
            )
        except IntegrityError as exc:
            raise taken from exc

    async def all(self) -> list[Operator]:
        return await Operator.all().order_by("username")

    async def get(self, operator_id: str) -> Operator:
        operator = await Operator.get_or_none(id=operator_id) if len(operator_id) <= 32 else None
        if operator is None:
            raise ApiError(404, "operator_not_found", "No such operator.")
        return operator

    async def update(
        self,
        actor_id: str,
        operator_id: str,
        *,
        role: Role | None,
        active: bool | None,
        password: str | None,
    ) -> tuple[Operator, list[str]]:
        """Apply the changes by supervisor `actor_id`; returns the operator and the names of what changed.

        Refused (409): deactivating oneself, and any change that would leave no active supervisor.
        """
        if active is False and operator_id == actor_id:
            raise _conflict("cannot_deactivate_self", "A supervisor cannot deactivate their own account.")
        password_hash = await _checked_password(password) if password is not None else None
        async with in_transaction() as connection:
            # Every active supervisor row is locked (PostgreSQL; SQLite writes one at a time), so two
            # supervisors demoting each other at once cannot both see the other still in office.
            # Whole rows: tortoise drops FOR UPDATE from a values_list query, which let two demotions
            # both succeed on PostgreSQL and leave no supervisor.
            in_office = (
                await Operator.filter(role="supervisor", active=True).select_for_update().using_db(connection)
            )
            supervisors = [row.id for row in in_office]
            operator = (
                await Operator.get_or_none(id=operator_id, using_db=connection)
                if len(operator_id) <= 32
                else None
            )
            if operator is None:
                raise ApiError(404, "operator_not_found", "No such operator.")
            changed = []
            if role is not None and role != operator.role:
                operator.role = role
                changed.append("role")
            if active is not None and active != operator.active:
                operator.active = active
                changed.append("active")
            if password_hash is not None:
                operator.password_hash = password_hash
                changed.append("password")
            still_supervising = operator.role == "supervisor" and operator.active
            if operator_id in supervisors and not still_supervising and len(supervisors) == 1:
                raise _conflict(
                    "last_supervisor", "This is the last active supervisor; appoint another first."
                )
            fields = [{"password": "password_hash"}.get(name, name) for name in changed]
            await operator.save(update_fields=[*fields, "updated_at"], using_db=connection)
        if changed:
            await self.directory.changed(operator.id)
        return operator, changed

    async def role_of(self, operator_id: str) -> str:
        """The role to put in a rotated token; an inactive or deleted operator may not refresh."""
        operator = await Operator.get_or_none(id=operator_id)
        if operator is None or not operator.active:
            raise InvalidToken("operator inactive")
        return operator.role
